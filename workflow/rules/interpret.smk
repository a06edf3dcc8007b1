# Interpretation of the supervised stage's trained models (Wetzel & Scherzer 2017 and after):
# bottleneck regression, symbolic fits, relevance propagation and attributions, unit ablation
# and occlusion, the capacity argument, influence functions and leave-one-window-out retraining.
# Library: src/physlens/interpret/pipeline.py; method notes: docs/interpretation.md.
INT = f"{RESULTS}/interpret"
INT_CFG = config["interpret"]
INT_SUP = config["supervised"]
INT_MODELS = list(INT_CFG["models"])
INT_PROBES = [m for m in INT_MODELS if m.startswith("probe_")]
INT_INFLUENCE = INT_CFG["influence_model"]
# Trained model directory and data file of every model name the config may give.
INT_MODEL_DIRS = ISING_MODEL_DIRS
INT_DATA = ISING_MODEL_DATA
# The largest of those data sets (float32 MB), for the memory of the rules that load one.
INT_DATA_MB = max(
    ising_data_mb(config, INT_SUP[k]["L"]) for k in ("probes", "classifier")
)
# The supervised config slice that rebuilds a model's train/val/test split and Z2 signs.
INT_SPLIT = SUPERVISED_SPLIT
INT_OBSERVABLES = INT_CFG["probing"]["observables"]["ising"]

# Registered in common.smk's STAGE_HEADLINES / STAGE_TARGETS. Lambdas, not functions:
# snakemake --lint asks rule files not to mix rules and function definitions.
# Headline-number files of the stage, merged into results/summary.json:
STAGE_HEADLINES["interpret"] = (
    lambda: expand(f"{INT}/{{model}}/headline_probing.json", model=INT_MODELS)
    + expand(f"{INT}/{{model}}/headline_attributions.json", model=INT_MODELS)
    + expand(f"{INT}/{{model}}/headline_symbolic.json", model=INT_PROBES)
    + [
        f"{INT}/headline_capacity.json",
        f"{INT}/{INT_INFLUENCE}/headline_influence.json",
        f"{INT}/{INT_INFLUENCE}/headline_windows.json",
    ]
)
# Final files of the stage (figures, tables, headline numbers):
STAGE_TARGETS["interpret"] = (
    lambda: expand(
        f"{INT}/{{model}}/figures/{{fig}}.png",
        model=INT_MODELS,
        fig=["ranking", "relevance_maps", "unit_ablation", "occlusion"],
    )
    + expand(f"{INT}/{{model}}/figures/symbolic_pareto.png", model=INT_PROBES)
    + [
        f"{INT}/figures/capacity.png",
        f"{INT}/{INT_INFLUENCE}/figures/influence.png",
        f"{INT}/{INT_INFLUENCE}/figures/windows.png",
    ]
    + STAGE_HEADLINES["interpret"]()
)


rule interpret_probing:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        ranking=f"{INT}/{{model}}/ranking.h5",
        linear=f"{INT}/{{model}}/linear_probe.h5",
        headline=f"{INT}/{{model}}/headline_probing.json",
    log:
        f"{LOGS}/interpret/probing_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/probing_{{model}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        split=INT_SPLIT,
        probing=INT_CFG["probing"],
        seed=config["seed"],
    script:
        "../scripts/interpret_probing.py"


rule interpret_symbolic:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        fit=f"{INT}/{{model}}/symbolic.json",
        pareto=f"{INT}/{{model}}/symbolic_pareto.h5",
        headline=f"{INT}/{{model}}/headline_symbolic.json",
    log:
        f"{LOGS}/interpret/symbolic_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/symbolic_{{model}}.tsv"
    wildcard_constraints:
        model=r"probe_\d+x\d+",
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(15),
    params:
        split=INT_SPLIT,
        symbolic=INT_CFG["symbolic"],
        observables=INT_OBSERVABLES,
        seed=config["seed"],
    script:
        "../scripts/interpret_symbolic.py"


rule interpret_attributions:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        attributions=f"{INT}/{{model}}/attributions.h5",
        headline=f"{INT}/{{model}}/headline_attributions.json",
    log:
        f"{LOGS}/interpret/attributions_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/attributions_{{model}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=data_mem_mb(4000, 14, INT_DATA_MB),
        runtime=minutes(10),
    params:
        split=INT_SPLIT,
        attributions=INT_CFG["attributions"],
        seed=config["seed"],
    script:
        "../scripts/interpret_attributions.py"


rule interpret_ablation:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        units=f"{INT}/{{model}}/unit_ablation.h5",
        occlusion=f"{INT}/{{model}}/occlusion.h5",
    log:
        f"{LOGS}/interpret/ablation_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/ablation_{{model}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        split=INT_SPLIT,
        ablation=INT_CFG["ablation"],
        samples_per_temperature=INT_CFG["attributions"]["samples_per_temperature"],
        seed=config["seed"],
    script:
        "../scripts/interpret_ablation.py"


rule interpret_capacity:
    input:
        f"{RESULTS}/supervised/probes/loss_table.csv",
    output:
        table=f"{INT}/capacity.h5",
        headline=f"{INT}/headline_capacity.json",
    log:
        f"{LOGS}/interpret/capacity.log",
    benchmark:
        f"{BENCH}/interpret/capacity.tsv"
    conda:
        "../../envs/interpret.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        ablation=INT_CFG["ablation"],
        seed=config["seed"],
    script:
        "../scripts/interpret_capacity.py"


rule interpret_influence:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        influence=f"{INT}/{{model}}/influence.h5",
        headline=f"{INT}/{{model}}/headline_influence.json",
    log:
        f"{LOGS}/interpret/influence_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/influence_{{model}}.tsv"
    wildcard_constraints:
        model=r"probe_\d+x\d+",
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(15),
    params:
        split=INT_SPLIT,
        influence={
            k: v
            for k, v in INT_CFG["influence"].items()
            if k not in ("temperature_windows", "window_epochs")
        },
        seed=config["seed"],
    script:
        "../scripts/interpret_influence.py"


rule interpret_windows:
    input:
        model=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.pt",
        meta=lambda w: f"{INT_MODEL_DIRS[w.model]}/model.json",
        data=lambda w: INT_DATA[w.model],
    output:
        windows=f"{INT}/{{model}}/windows.h5",
        headline=f"{INT}/{{model}}/headline_windows.json",
    log:
        f"{LOGS}/interpret/windows_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/windows_{{model}}.tsv"
    wildcard_constraints:
        model=r"probe_\d+x\d+",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=minutes(20),
    params:
        split=INT_SPLIT,
        probes=INT_SUP["probes"],
        training=config["training"],
        windows={
            k: INT_CFG["influence"][k]
            for k in ("temperature_windows", "window_epochs")
        },
        seed=config["seed"],
    script:
        "../scripts/interpret_windows.py"


rule plot_interpret_ranking:
    input:
        f"{INT}/{{model}}/ranking.h5",
    output:
        report(
            f"{INT}/{{model}}/figures/ranking.png",
            caption="../report/interpret_ranking.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_ranking_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_ranking_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_symbolic:
    input:
        f"{INT}/{{model}}/symbolic_pareto.h5",
    output:
        report(
            f"{INT}/{{model}}/figures/symbolic_pareto.png",
            caption="../report/interpret_symbolic.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_symbolic_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_symbolic_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_attributions:
    input:
        f"{INT}/{{model}}/attributions.h5",
    output:
        report(
            f"{INT}/{{model}}/figures/relevance_maps.png",
            caption="../report/interpret_attributions.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_attributions_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_attributions_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_ablation:
    input:
        units=f"{INT}/{{model}}/unit_ablation.h5",
        occlusion=f"{INT}/{{model}}/occlusion.h5",
    output:
        units=report(
            f"{INT}/{{model}}/figures/unit_ablation.png",
            caption="../report/interpret_ablation.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
        occlusion=report(
            f"{INT}/{{model}}/figures/occlusion.png",
            caption="../report/interpret_occlusion.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_ablation_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_ablation_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_capacity:
    input:
        f"{INT}/capacity.h5",
    output:
        report(
            f"{INT}/figures/capacity.png",
            caption="../report/interpret_capacity.rst",
            category="Interpretation",
            subcategory="probing nets",
        ),
    log:
        f"{LOGS}/interpret/plot_capacity.log",
    benchmark:
        f"{BENCH}/interpret/plot_capacity.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_influence:
    input:
        f"{INT}/{{model}}/influence.h5",
    output:
        report(
            f"{INT}/{{model}}/figures/influence.png",
            caption="../report/interpret_influence.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_influence_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_influence_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"


rule plot_interpret_windows:
    input:
        f"{INT}/{{model}}/windows.h5",
    output:
        report(
            f"{INT}/{{model}}/figures/windows.png",
            caption="../report/interpret_windows.rst",
            category="Interpretation",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/interpret/plot_windows_{{model}}.log",
    benchmark:
        f"{BENCH}/interpret/plot_windows_{{model}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/interpret_plot.py"
