# SciNet (Iten et al. 2020): physical concepts in the latent layer of a question-answering
# network, for the damped pendulum and the heliocentric solar system.
from physlens.scinet.config import data_params as scinet_data_slice
from physlens.scinet.config import model_params as scinet_model_slice

SCI = f"{RESULTS}/scinet"
SCI_RESUME = f"{RESULTS}/.resume/scinet"


# Helpers are lambdas: `snakemake --lint` flags a rule file that also holds `def` functions.
# scinet_headlines(): the headline-number files of this stage (merged into results/summary.json).
scinet_headlines = lambda: expand(
    f"{SCI}/{{system}}/headline.json", system=config["scinet"]["systems"]
)

# scinet_targets(): the final files of this stage (figures, headline numbers).
scinet_targets = (
    lambda: [
        expand(
            f"{SCI}/{{system}}/figures/latents.png", system=config["scinet"]["systems"]
        ),
    ]
    + scinet_headlines()
)

# The config slices that fix a system's data set and its network (rule params).
scinet_data_params = lambda wildcards: scinet_data_slice(
    config["scinet"], wildcards.system
)
scinet_model_params = lambda wildcards: scinet_model_slice(
    config["scinet"], wildcards.system
)


wildcard_constraints:
    system="|".join(config["scinet"]["systems"]),


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
        scinet=scinet_data_params,
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
        scinet=scinet_model_params,
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
