# Correlator convolutional networks (Miles et al. 2021): ensemble pairs whose distinguishing
# correlation is known, a CCNN and a plain CNN of similar size per pair, the L1
# regularisation path over the CCNN's correlator features, figures.
# Library: src/physlens/ccnn/ (ensembles.py, pipeline.py for training, interpret.py for the
# path), the model in src/physlens/models/ccnn.py, figures in src/physlens/plots/ccnn.py;
# method notes: docs/interpretation.md. Training resume state lives in results/.resume/.
from physlens.slices import ccnn_data_slice, ccnn_path_slice, ccnn_train_slice

CCNN = f"{RESULTS}/ccnn"
CCNN_RESUME = f"{RESULTS}/.resume/ccnn"
CCNN_CFG = config["ccnn"]
CCNN_PAIRS = sorted(CCNN_CFG["pairs"])
CCNN_FIGURES = ["filters", "path", "features"]

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
STAGE_HEADLINES["ccnn"] = lambda: expand(
    f"{CCNN}/{{pair}}/headline.json", pair=CCNN_PAIRS
)
STAGE_TARGETS["ccnn"] = (
    lambda: expand(
        f"{CCNN}/{{pair}}/figures/{{fig}}.png", pair=CCNN_PAIRS, fig=CCNN_FIGURES
    )
    + expand(f"{CCNN}/{{pair}}/interpretation.json", pair=CCNN_PAIRS)
    + STAGE_HEADLINES["ccnn"]()
)

# The Ising data file is an input of the pairs of kind ising only.
ccnn_ising_input = lambda wildcards: (
    {"ising": f"{RESULTS}/ising/L{CCNN_CFG['pairs'][wildcards.pair]['L']}.h5"}
    if CCNN_CFG["pairs"][wildcards.pair]["kind"] == "ising"
    else {}
)


rule ccnn_ensembles:
    input:
        unpack(ccnn_ising_input),
    output:
        data=f"{CCNN}/{{pair}}/ensembles.h5",
        statistics=f"{CCNN}/{{pair}}/statistics.json",
    log:
        f"{LOGS}/ccnn/ensembles_{{pair}}.log",
    benchmark:
        f"{BENCH}/ccnn/ensembles_{{pair}}.tsv"
    conda:
        "../../envs/simulate.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        data=lambda wildcards: ccnn_data_slice(CCNN_CFG, wildcards.pair),
        seed=config["seed"],
    script:
        "../scripts/ccnn_ensembles.py"


rule ccnn_train:
    input:
        data=f"{CCNN}/{{pair}}/ensembles.h5",
    output:
        ccnn_model=f"{CCNN}/{{pair}}/ccnn/model.pt",
        ccnn_meta=f"{CCNN}/{{pair}}/ccnn/model.json",
        ccnn_history=f"{CCNN}/{{pair}}/ccnn/history.h5",
        cnn_model=f"{CCNN}/{{pair}}/cnn/model.pt",
        cnn_meta=f"{CCNN}/{{pair}}/cnn/model.json",
        cnn_history=f"{CCNN}/{{pair}}/cnn/history.h5",
        metrics=f"{CCNN}/{{pair}}/metrics.json",
        features=f"{CCNN}/{{pair}}/features.h5",
    log:
        f"{LOGS}/ccnn/train_{{pair}}.log",
    benchmark:
        f"{BENCH}/ccnn/train_{{pair}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=2000,
        runtime=minutes(15),
    params:
        train=lambda wildcards: ccnn_train_slice(CCNN_CFG, wildcards.pair),
        training=config["training"],
        seed=config["seed"],
        resume_dir=f"{CCNN_RESUME}/{{pair}}",
    script:
        "../scripts/ccnn_train.py"


rule ccnn_path:
    input:
        features=f"{CCNN}/{{pair}}/features.h5",
        statistics=f"{CCNN}/{{pair}}/statistics.json",
        ccnn_meta=f"{CCNN}/{{pair}}/ccnn/model.json",
        cnn_meta=f"{CCNN}/{{pair}}/cnn/model.json",
    output:
        path=f"{CCNN}/{{pair}}/path.h5",
        report=f"{CCNN}/{{pair}}/interpretation.json",
        headline=f"{CCNN}/{{pair}}/headline.json",
    log:
        f"{LOGS}/ccnn/path_{{pair}}.log",
    benchmark:
        f"{BENCH}/ccnn/path_{{pair}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(10),
    params:
        path=ccnn_path_slice(CCNN_CFG),
        seed=config["seed"],
    script:
        "../scripts/ccnn_path.py"


rule ccnn_figures:
    input:
        features=f"{CCNN}/{{pair}}/features.h5",
        path=f"{CCNN}/{{pair}}/path.h5",
        report=f"{CCNN}/{{pair}}/interpretation.json",
    output:
        filters=report(
            f"{CCNN}/{{pair}}/figures/filters.png",
            caption="../report/ccnn_filters.rst",
            category="Correlator CNNs",
            subcategory="{pair}",
        ),
        path=report(
            f"{CCNN}/{{pair}}/figures/path.png",
            caption="../report/ccnn_path.rst",
            category="Correlator CNNs",
            subcategory="{pair}",
        ),
        features=report(
            f"{CCNN}/{{pair}}/figures/features.png",
            caption="../report/ccnn_features.rst",
            category="Correlator CNNs",
            subcategory="{pair}",
        ),
    log:
        f"{LOGS}/ccnn/figures_{{pair}}.log",
    benchmark:
        f"{BENCH}/ccnn/figures_{{pair}}.tsv"
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/ccnn_figures.py"
