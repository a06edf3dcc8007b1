# Siamese networks that discover invariants (Wetzel et al. 2020) and twin neural network
# regression (TNNR). Nothing here names a system: the data sets come from config alone.
SIA = f"{RESULTS}/siamese"
TWIN = f"{RESULTS}/twin"
SIA_RESUME = f"{RESULTS}/.resume/siamese"


# Helpers are lambdas: `snakemake --lint` flags a rule file that also holds `def` functions.
# The twin tasks generated from physics formulas (those with a size in twin.formula.points),
# benchmarked over repeated splits; the others are benchmarked on one split.
TWIN_FORMULA_TASKS = [
    t for t in config["twin"]["tasks"] if t in config["twin"]["formula"]["points"]
]
TWIN_SPLIT_TASKS = [t for t in config["twin"]["tasks"] if t not in TWIN_FORMULA_TASKS]
# Figures of the twin benchmark and their captions, by output name of twin_figures.
TWIN_FIGURES = (
    {
        "predictions": (f"{TWIN}/figures/predictions.png", "twin_predictions.rst"),
        "table": (f"{TWIN}/figures/benchmark.png", "twin_benchmark.rst"),
    }
    if TWIN_SPLIT_TASKS
    else {}
) | (
    {"formula": (f"{TWIN}/figures/formula.png", "twin_formula.rst")}
    if TWIN_FORMULA_TASKS
    else {}
)

# STAGE_HEADLINES["siamese"](): the headline-number files of this stage (merged into results/summary.json).
STAGE_HEADLINES["siamese"] = lambda: expand(
    f"{SIA}/{{dataset}}/headline.json", dataset=config["siamese"]["datasets"]
) + [f"{TWIN}/headline.json"]

# STAGE_TARGETS["siamese"](): the final files of this stage (figures, tables, headline numbers).
STAGE_TARGETS["siamese"] = (
    lambda: [
        expand(
            f"{SIA}/{{dataset}}/figures/{{fig}}.png",
            dataset=config["siamese"]["datasets"],
            fig=["latent", "coefficients"],
        ),
        *[path for path, _ in TWIN_FIGURES.values()],
    ]
    + STAGE_HEADLINES["siamese"]()
)

# The config slices that fix the pair data sets and the networks' weights (rule params).
SIAMESE_DATA_PARAMS = {
    k: config["siamese"][k]
    for k in ("n_pairs", "points_per_group", "test_fraction", "generator_params")
}
SIAMESE_TRAIN_PARAMS = {
    k: config["siamese"][k] for k in ("val_fraction", "architecture", "train")
}
# The Ising file is an input only when the ising_energy task is configured, the formula data
# sets only when formula tasks are.
TWIN_INPUTS = (
    {"ising": f"{RESULTS}/ising/L{config['twin']['ising_L']}.h5"}
    if "ising_energy" in config["twin"]["tasks"]
    else {}
) | (
    {"formulas": expand(f"{TWIN}/data/{{task}}.h5", task=TWIN_FORMULA_TASKS)}
    if TWIN_FORMULA_TASKS
    else {}
)
# Tables and predictions of the single-split tasks and of the formula tasks, as configured.
TWIN_OUTPUTS = (
    {"table": f"{TWIN}/benchmark.csv", "predictions": f"{TWIN}/predictions.h5"}
    if TWIN_SPLIT_TASKS
    else {}
) | (
    {
        "formula_table": f"{TWIN}/formula_benchmark.csv",
        "formula_predictions": f"{TWIN}/formula_predictions.h5",
    }
    if TWIN_FORMULA_TASKS
    else {}
)


rule siamese_pairs:
    output:
        f"{SIA}/{{dataset}}/pairs.h5",
    log:
        f"{LOGS}/siamese/pairs_{{dataset}}.log",
    benchmark:
        f"{BENCH}/siamese/pairs_{{dataset}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        siamese=SIAMESE_DATA_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/siamese_pairs.py"


rule siamese_train:
    input:
        pairs=f"{SIA}/{{dataset}}/pairs.h5",
    output:
        model=f"{SIA}/{{dataset}}/model.pt",
        meta=f"{SIA}/{{dataset}}/model.json",
        history=f"{SIA}/{{dataset}}/history.h5",
        metrics=f"{SIA}/{{dataset}}/metrics.json",
    log:
        f"{LOGS}/siamese/train_{{dataset}}.log",
    benchmark:
        f"{BENCH}/siamese/train_{{dataset}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=2000,
        runtime=minutes(20),
    params:
        siamese=SIAMESE_TRAIN_PARAMS,
        training=config["training"],
        seed=config["seed"],
        resume_dir=f"{SIA_RESUME}/{{dataset}}",
    script:
        "../scripts/siamese_train.py"


rule siamese_interpret:
    input:
        pairs=f"{SIA}/{{dataset}}/pairs.h5",
        model=f"{SIA}/{{dataset}}/model.pt",
        meta=f"{SIA}/{{dataset}}/model.json",
        metrics=f"{SIA}/{{dataset}}/metrics.json",
    output:
        report=f"{SIA}/{{dataset}}/interpretation.json",
        coefficients=f"{SIA}/{{dataset}}/coefficients.csv",
        latent=f"{SIA}/{{dataset}}/latent.h5",
        headline=f"{SIA}/{{dataset}}/headline.json",
    log:
        f"{LOGS}/siamese/interpret_{{dataset}}.log",
    benchmark:
        f"{BENCH}/siamese/interpret_{{dataset}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        siamese={"interpret": config["siamese"]["interpret"]},
        seed=config["seed"],
    script:
        "../scripts/siamese_interpret.py"


rule siamese_figures:
    input:
        latent=f"{SIA}/{{dataset}}/latent.h5",
        coefficients=f"{SIA}/{{dataset}}/coefficients.csv",
        report=f"{SIA}/{{dataset}}/interpretation.json",
    output:
        latent=report(
            f"{SIA}/{{dataset}}/figures/latent.png",
            caption="../report/siamese_latent.rst",
            category="Siamese networks",
            subcategory="{dataset}",
        ),
        coefficients=report(
            f"{SIA}/{{dataset}}/figures/coefficients.png",
            caption="../report/siamese_coefficients.rst",
            category="Siamese networks",
            subcategory="{dataset}",
        ),
    log:
        f"{LOGS}/siamese/figures_{{dataset}}.log",
    benchmark:
        f"{BENCH}/siamese/figures_{{dataset}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/siamese_figures.py"


rule twin_formula_data:
    output:
        f"{TWIN}/data/{{task}}.h5",
    log:
        f"{LOGS}/twin/data_{{task}}.log",
    benchmark:
        f"{BENCH}/twin/data_{{task}}.tsv"
    wildcard_constraints:
        task="|".join(TWIN_FORMULA_TASKS) or "no-formula-task",
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        # this task's size only: resizing another data set does not regenerate this one
        formula=lambda wc: {
            "variant": config["twin"]["formula"]["variant"],
            "noise": config["twin"]["formula"]["noise"],
            "points": {wc.task: config["twin"]["formula"]["points"][wc.task]},
        },
        seed=config["seed"],
    script:
        "../scripts/twin_formula_data.py"


rule twin_benchmark:
    input:
        **TWIN_INPUTS,
    output:
        **TWIN_OUTPUTS,
        headline=f"{TWIN}/headline.json",
    log:
        f"{LOGS}/twin/benchmark.log",
    benchmark:
        f"{BENCH}/twin/benchmark.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=2000,
        runtime=minutes(30),
    params:
        twin=config["twin"],
        training=config["training"],
        seed=config["seed"],
    script:
        "../scripts/twin_benchmark.py"


rule twin_figures:
    input:
        **TWIN_OUTPUTS,
        headline=f"{TWIN}/headline.json",
    output:
        **{
            name: report(
                path,
                caption=f"../report/{caption}",
                category="Twin neural network regression",
            )
            for name, (path, caption) in TWIN_FIGURES.items()
        },
    log:
        f"{LOGS}/twin/figures.log",
    benchmark:
        f"{BENCH}/twin/figures.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/twin_figures.py"
