# Correlator convolutional networks (Miles et al. 2021): ensemble pairs with a known
# distinguishing correlation, a CCNN and a plain CNN per pair, the L1 regularisation path.
CCNN = f"{RESULTS}/ccnn"
CCNN_RESUME = f"{RESULTS}/.resume/ccnn"
CCNN_PAIRS = sorted(config["ccnn"]["pairs"])

# Helpers are lambdas: `snakemake --lint` flags a rule file that also holds `def` functions.
# ccnn_headlines(): the headline-number files of this stage (merged into results/summary.json).
ccnn_headlines = lambda: expand(f"{CCNN}/{{pair}}/headline.json", pair=CCNN_PAIRS)

# ccnn_targets(): the final files of this stage (figures, headline numbers).
ccnn_targets = lambda: expand(
    f"{CCNN}/{{pair}}/figures/{{fig}}.png",
    pair=CCNN_PAIRS,
    fig=["filters", "path", "features"],
) + ccnn_headlines()

# The Ising data file is an input of the pairs of kind ising only.
ccnn_ising_input = lambda wildcards: (
    {"ising": f"{RESULTS}/ising/L{config['ccnn']['pairs'][wildcards.pair]['L']}.h5"}
    if config["ccnn"]["pairs"][wildcards.pair]["kind"] == "ising"
    else {}
)

# The config slices that fix a pair's ensembles and its networks (rule params).
CCNN_DATA_PARAMS = {k: config["ccnn"][k] for k in ("pairs", "val_fraction", "test_fraction")}
CCNN_TRAIN_PARAMS = {
    k: config["ccnn"][k] for k in ("pairs", "architecture", "cnn", "l1_filters", "train")
}
CCNN_PATH_PARAMS = {
    k: config["ccnn"][k] for k in ("path", "accuracy_margin", "low_order_z_max")
}


wildcard_constraints:
    pair="|".join(CCNN_PAIRS),


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
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        ccnn=CCNN_DATA_PARAMS,
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
        ccnn=CCNN_TRAIN_PARAMS,
        training=config["training"],
        seed=config["seed"],
        resume_dir=f"{CCNN_RESUME}/{{pair}}",
    script:
        "../scripts/ccnn_train.py"


rule ccnn_path:
    input:
        data=f"{CCNN}/{{pair}}/ensembles.h5",
        statistics=f"{CCNN}/{{pair}}/statistics.json",
        ccnn_model=f"{CCNN}/{{pair}}/ccnn/model.pt",
        ccnn_meta=f"{CCNN}/{{pair}}/ccnn/model.json",
        cnn_meta=f"{CCNN}/{{pair}}/cnn/model.json",
    output:
        features=f"{CCNN}/{{pair}}/features.h5",
        path=f"{CCNN}/{{pair}}/path.h5",
        report=f"{CCNN}/{{pair}}/interpretation.json",
        headline=f"{CCNN}/{{pair}}/headline.json",
    log:
        f"{LOGS}/ccnn/path_{{pair}}.log",
    benchmark:
        f"{BENCH}/ccnn/path_{{pair}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        ccnn=CCNN_PATH_PARAMS,
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
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/ccnn_figures.py"
