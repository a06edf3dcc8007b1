# Concept knobs, counterfactuals and confounders: concept directions in
# an autoencoder's latent space, the smallest latent change that flips a classifier, and a
# confounded Ising variant with the relevance check that flags it.
# Library: src/physlens/concepts/ (entry points in pipeline.py), figures in
# src/physlens/plots/concepts.py; method notes:
# docs/interpretation.md. Training resume state lives in results/.resume/ (never an output).
from physlens.concepts.settings import (
    CONFOUNDER_DATASETS,
    CONFOUNDER_MODELS,
)

CON = f"{RESULTS}/concepts"
CON_RESUME = f"{RESULTS}/.resume/concepts"
CON_CF = config["concepts"]["counterfactuals"]
CON_CONF = config["concepts"]["confounders"]
CON_AE = CON_CF["autoencoder"]
CON_MEMBER = f"{RESULTS}/supervised/classifier/member{CON_CF['classifier_member']}"
CON_DATA = f"{RESULTS}/ising/L{config['supervised']['classifier']['L']}.h5"
# The supervised split; the confounder experiment labels by its own windows.
CON_SPLIT = SUPERVISED_SPLIT
CON_CONF_SPLIT = {**CON_SPLIT, "windows": CON_CONF["windows"]}
# Everything that shapes one supervised classifier (the confounder models are trained alike).
CON_CLASSIFIER = classifier_slice(config["supervised"])
# Data sets the confounder check runs on (confounded always: the figure shows it).
CON_CHECK_DATA = sorted(set(CON_CONF["check_datasets"]) | {"confounded"})

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
STAGE_HEADLINES["concepts"] = lambda: [
    f"{CON}/counterfactuals/headline.json",
    f"{CON}/confounders/headline_accuracy.json",
] + expand(
    f"{CON}/confounders/check/{{cmodel}}_on_{{cdata}}/headline.json",
    cmodel=CONFOUNDER_MODELS,
    cdata=CON_CHECK_DATA,
)
STAGE_TARGETS["concepts"] = (
    lambda: [
        f"{CON}/counterfactuals/figures/counterfactual_pairs.png",
        f"{CON}/counterfactuals/figures/knob_sweeps.png",
        f"{CON}/counterfactuals/counterfactuals.json",
        f"{CON}/confounders/figures/relevance_maps.png",
    ]
    + expand(
        f"{CON}/confounders/check/{{cmodel}}_on_{{cdata}}/report.json",
        cmodel=CONFOUNDER_MODELS,
        cdata=CON_CHECK_DATA,
    )
    + STAGE_HEADLINES["concepts"]()
)


rule concepts_counterfactuals:
    input:
        model=f"{CON_MEMBER}/model.pt",
        meta=f"{CON_MEMBER}/model.json",
        ae_model=f"{RESULTS}/unsupervised/{CON_AE}/model.pt",
        ae_meta=f"{RESULTS}/unsupervised/{CON_AE}/model.json",
        latent=f"{RESULTS}/unsupervised/{CON_AE}/latent.h5",
        data=CON_DATA,
    output:
        counterfactuals=f"{CON}/counterfactuals/counterfactuals.h5",
        knobs=f"{CON}/counterfactuals/knob_sweeps.h5",
        descriptions=f"{CON}/counterfactuals/counterfactuals.json",
        headline=f"{CON}/counterfactuals/headline.json",
    log:
        f"{LOGS}/concepts/counterfactuals.log",
    benchmark:
        f"{BENCH}/concepts/counterfactuals.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=minutes(15),
    params:
        split=CON_SPLIT,
        counterfactuals=CON_CF,
        seed=config["seed"],
    script:
        "../scripts/concepts_counterfactuals.py"


rule plot_concepts_counterfactuals:
    input:
        f"{CON}/counterfactuals/counterfactuals.h5",
        f"{CON}/counterfactuals/knob_sweeps.h5",
    output:
        pairs=report(
            f"{CON}/counterfactuals/figures/counterfactual_pairs.png",
            caption="../report/concepts_counterfactuals.rst",
            category="Concepts",
            subcategory="counterfactuals",
        ),
        knobs=report(
            f"{CON}/counterfactuals/figures/knob_sweeps.png",
            caption="../report/concepts_knobs.rst",
            category="Concepts",
            subcategory="counterfactuals",
        ),
    log:
        f"{LOGS}/concepts/plot_counterfactuals.log",
    benchmark:
        f"{BENCH}/concepts/plot_counterfactuals.tsv"
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/concepts_plot.py"


rule concepts_confounder_data:
    input:
        CON_DATA,
    output:
        expand(f"{CON}/confounders/data/{{cdata}}.h5", cdata=CONFOUNDER_DATASETS),
    log:
        f"{LOGS}/concepts/confounder_data.log",
    benchmark:
        f"{BENCH}/concepts/confounder_data.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=minutes(5),
    params:
        confounders={k: CON_CONF[k] for k in ("temperatures", "windows", "marker")},
        datasets=list(CONFOUNDER_DATASETS),
        seed=config["seed"],
    script:
        "../scripts/concepts_confounder_data.py"


rule train_confounder_classifier:
    input:
        data=f"{CON}/confounders/data/{{cmodel}}.h5",
    output:
        model=f"{CON}/confounders/{{cmodel}}/model.pt",
        meta=f"{CON}/confounders/{{cmodel}}/model.json",
        history=f"{CON}/confounders/{{cmodel}}/history.h5",
    log:
        f"{LOGS}/concepts/train_confounder_classifier_{{cmodel}}.log",
    benchmark:
        f"{BENCH}/concepts/train_confounder_classifier_{{cmodel}}.tsv"
    wildcard_constraints:
        cmodel="|".join(CONFOUNDER_MODELS),
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=minutes(30),
    params:
        split=CON_CONF_SPLIT,
        classifier=CON_CLASSIFIER,
        training=config["training"],
        seed=config["seed"],
        resume=f"{CON_RESUME}/confounders/{{cmodel}}",
    script:
        "../scripts/train_confounder_classifier.py"


rule concepts_confounder_accuracy:
    input:
        models=expand(
            f"{CON}/confounders/{{cmodel}}/model.pt", cmodel=CONFOUNDER_MODELS
        ),
        metas=expand(
            f"{CON}/confounders/{{cmodel}}/model.json", cmodel=CONFOUNDER_MODELS
        ),
        data=expand(f"{CON}/confounders/data/{{cdata}}.h5", cdata=CONFOUNDER_DATASETS),
    output:
        accuracy=f"{CON}/confounders/accuracy.h5",
        headline=f"{CON}/confounders/headline_accuracy.json",
    log:
        f"{LOGS}/concepts/confounder_accuracy.log",
    benchmark:
        f"{BENCH}/concepts/confounder_accuracy.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=minutes(10),
    params:
        models=list(CONFOUNDER_MODELS),
        datasets=list(CONFOUNDER_DATASETS),
        split=CON_CONF_SPLIT,
        seed=config["seed"],
    script:
        "../scripts/concepts_confounder_accuracy.py"


rule confounder_check:
    input:
        model=f"{CON}/confounders/{{cmodel}}/model.pt",
        meta=f"{CON}/confounders/{{cmodel}}/model.json",
        train_data=f"{CON}/confounders/data/{{cmodel}}.h5",
        data=f"{CON}/confounders/data/{{cdata}}.h5",
    output:
        relevance=f"{CON}/confounders/check/{{cmodel}}_on_{{cdata}}/relevance.h5",
        report=f"{CON}/confounders/check/{{cmodel}}_on_{{cdata}}/report.json",
        headline=f"{CON}/confounders/check/{{cmodel}}_on_{{cdata}}/headline.json",
    log:
        f"{LOGS}/concepts/confounder_check_{{cmodel}}_on_{{cdata}}.log",
    benchmark:
        f"{BENCH}/concepts/confounder_check_{{cmodel}}_on_{{cdata}}.tsv"
    wildcard_constraints:
        cmodel="|".join(CONFOUNDER_MODELS),
        cdata="|".join(CONFOUNDER_DATASETS),
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=data_mem_mb(
            3000, 12, ising_data_mb(config, config["supervised"]["classifier"]["L"])
        ),
        runtime=minutes(10),
    params:
        split=CON_CONF_SPLIT,
        confounders={
            k: CON_CONF[k]
            for k in (
                "marker",
                "samples_per_class",
                "explainers",
                "patches",
                "threshold",
            )
        },
        attributions=config["interpret"]["attributions"],
        seed=config["seed"],
    script:
        "../scripts/confounder_check.py"


rule plot_concepts_confounders:
    input:
        f"{CON}/confounders/check/clean_on_confounded/relevance.h5",
        f"{CON}/confounders/check/confounded_on_confounded/relevance.h5",
        f"{CON}/confounders/accuracy.h5",
    output:
        report(
            f"{CON}/confounders/figures/relevance_maps.png",
            caption="../report/concepts_confounders.rst",
            category="Concepts",
            subcategory="confounders",
        ),
    log:
        f"{LOGS}/concepts/plot_confounders.log",
    benchmark:
        f"{BENCH}/concepts/plot_confounders.tsv"
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/concepts_plot.py"
