# SciNet (Iten et al. 2020): physical concepts in the latent layer of a question-answering
# network, for the damped pendulum and the heliocentric solar system.
# Library: src/physlens/scinet/ (entry points in pipeline.py and interpret.py), networks in
# src/physlens/models/scinet.py, figures in src/physlens/plots/scinet.py; method notes:
# docs/interpretation.md. Training resume state lives in results/.resume/ (never an output).
from physlens.slices import scinet_data_slice
from physlens.slices import scinet_model_slice

SCI = f"{RESULTS}/scinet"
SCI_RESUME = f"{RESULTS}/.resume/scinet"
SCI_SYSTEMS = config["scinet"]["systems"]


# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
STAGE_HEADLINES["scinet"] = lambda: expand(
    f"{SCI}/{{system}}/headline.json", system=SCI_SYSTEMS
)
STAGE_TARGETS["scinet"] = (
    lambda: expand(f"{SCI}/{{system}}/figures/latents.png", system=SCI_SYSTEMS)
    + STAGE_HEADLINES["scinet"]()
)


rule scinet_data:
    output:
        f"{SCI}/{{system}}/data.h5",
    log:
        f"{LOGS}/scinet/data_{{system}}.log",
    benchmark:
        f"{BENCH}/scinet/data_{{system}}.tsv"
    conda:
        "../../envs/simulate.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        scinet=lambda w: scinet_data_slice(config["scinet"], w.system),
        seed=config["seed"],
    script:
        "../scripts/scinet_data.py"


rule scinet_train:
    input:
        data=f"{SCI}/{{system}}/data.h5",
    output:
        model=f"{SCI}/{{system}}/model.pt",
        meta=f"{SCI}/{{system}}/model.json",
        history=f"{SCI}/{{system}}/history.h5",
        metrics=f"{SCI}/{{system}}/metrics.json",
    log:
        f"{LOGS}/scinet/train_{{system}}.log",
    benchmark:
        f"{BENCH}/scinet/train_{{system}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=2000,
        runtime=minutes(20),
    params:
        scinet=lambda w: scinet_model_slice(config["scinet"], w.system),
        training=config["training"],
        seed=config["seed"],
        resume_dir=f"{SCI_RESUME}/{{system}}",
    script:
        "../scripts/scinet_train.py"


rule scinet_interpret:
    input:
        data=f"{SCI}/{{system}}/data.h5",
        model=f"{SCI}/{{system}}/model.pt",
        meta=f"{SCI}/{{system}}/model.json",
    output:
        report=f"{SCI}/{{system}}/interpretation.json",
        latents=f"{SCI}/{{system}}/latents.h5",
        headline=f"{SCI}/{{system}}/headline.json",
    log:
        f"{LOGS}/scinet/interpret_{{system}}.log",
    benchmark:
        f"{BENCH}/scinet/interpret_{{system}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        interpret=config["scinet"]["interpret"],
        seed=config["seed"],
    script:
        "../scripts/scinet_interpret.py"


rule scinet_figures:
    input:
        latents=f"{SCI}/{{system}}/latents.h5",
        report=f"{SCI}/{{system}}/interpretation.json",
    output:
        latents=report(
            f"{SCI}/{{system}}/figures/latents.png",
            caption="../report/scinet_latents.rst",
            category="SciNet",
            subcategory="{system}",
        ),
    log:
        f"{LOGS}/scinet/figures_{{system}}.log",
    benchmark:
        f"{BENCH}/scinet/figures_{{system}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/scinet_figures.py"
