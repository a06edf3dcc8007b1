# Graph networks on particle systems (Cranmer et al. 2020): N-body simulations per force law,
# message-passing networks per variant, and the force law read out of their messages.
# Library: src/physlens/gnn/ (entry points: simulate.py, train.py, headlines.py), figures in
# src/physlens/plots/gnn.py; method notes: docs/gnn.md. Training resume state lives in
# results/.resume/gnn (never an output).
from physlens.slices import (
    gnn_interpretation_slice,
    gnn_simulation_slice,
    gnn_training_slice,
)

GNN = f"{RESULTS}/gnn"
GNN_RESUME = f"{RESULTS}/.resume/gnn"
GNN_LAWS = config["gnn"]["laws"]
GNN_VARIANTS = config["gnn"]["variants"]
GNN_FIGURES = ["messages", "std", "pareto", "snapshot"]

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
STAGE_HEADLINES["gnn"] = lambda: expand(f"{GNN}/{{law}}/headline.json", law=GNN_LAWS)
STAGE_TARGETS["gnn"] = (
    lambda: expand(
        f"{GNN}/{{law}}/figures/{{fig}}.png",
        law=GNN_LAWS,
        fig=GNN_FIGURES,
    )
    + STAGE_HEADLINES["gnn"]()
)

# The config slices that fix the simulations, the networks' weights and the interpretation.
GNN_SIM_PARAMS = gnn_simulation_slice(config["gnn"])
GNN_TRAIN_PARAMS = gnn_training_slice(config["gnn"])
GNN_INTERPRET_PARAMS = gnn_interpretation_slice(config["gnn"])


rule gnn_simulate:
    output:
        f"{GNN}/{{law}}/simulations.h5",
    log:
        f"{LOGS}/gnn/simulate_{{law}}.log",
    benchmark:
        f"{BENCH}/gnn/simulate_{{law}}.tsv"
    conda:
        "../../envs/simulate.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=minutes(10),
    params:
        gnn=GNN_SIM_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/gnn_simulate.py"


rule gnn_train:
    input:
        sims=f"{GNN}/{{law}}/simulations.h5",
    output:
        model=f"{GNN}/{{law}}/{{variant}}/model.pt",
        meta=f"{GNN}/{{law}}/{{variant}}/model.json",
        history=f"{GNN}/{{law}}/{{variant}}/history.h5",
        metrics=f"{GNN}/{{law}}/{{variant}}/metrics.json",
    log:
        f"{LOGS}/gnn/train_{{law}}_{{variant}}.log",
    benchmark:
        f"{BENCH}/gnn/train_{{law}}_{{variant}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=2000,
        runtime=minutes(30),
    params:
        gnn=GNN_TRAIN_PARAMS,
        training=config["training"],
        seed=config["seed"],
        resume_dir=f"{GNN_RESUME}/{{law}}/{{variant}}",
    script:
        "../scripts/gnn_train.py"


rule gnn_interpret:
    input:
        sims=f"{GNN}/{{law}}/simulations.h5",
        models=expand(
            f"{GNN}/{{{{law}}}}/{{variant}}/model.pt",
            variant=GNN_VARIANTS,
        ),
        metas=expand(
            f"{GNN}/{{{{law}}}}/{{variant}}/model.json",
            variant=GNN_VARIANTS,
        ),
    output:
        report=f"{GNN}/{{law}}/interpretation.json",
        messages=f"{GNN}/{{law}}/messages.h5",
        pareto=f"{GNN}/{{law}}/pareto.csv",
        headline=f"{GNN}/{{law}}/headline.json",
    log:
        f"{LOGS}/gnn/interpret_{{law}}.log",
    benchmark:
        f"{BENCH}/gnn/interpret_{{law}}.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=minutes(15),
    params:
        gnn=GNN_INTERPRET_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/gnn_interpret.py"


rule gnn_figures:
    input:
        sims=f"{GNN}/{{law}}/simulations.h5",
        messages=f"{GNN}/{{law}}/messages.h5",
        report=f"{GNN}/{{law}}/interpretation.json",
        pareto=f"{GNN}/{{law}}/pareto.csv",
    output:
        messages=report(
            f"{GNN}/{{law}}/figures/messages.png",
            caption="../report/gnn_messages.rst",
            category="Graph networks",
            subcategory="{law}",
        ),
        std=report(
            f"{GNN}/{{law}}/figures/std.png",
            caption="../report/gnn_std.rst",
            category="Graph networks",
            subcategory="{law}",
        ),
        pareto=report(
            f"{GNN}/{{law}}/figures/pareto.png",
            caption="../report/gnn_pareto.rst",
            category="Graph networks",
            subcategory="{law}",
        ),
        snapshot=report(
            f"{GNN}/{{law}}/figures/snapshot.png",
            caption="../report/gnn_snapshot.rst",
            category="Graph networks",
            subcategory="{law}",
        ),
    log:
        f"{LOGS}/gnn/figures_{{law}}.log",
    benchmark:
        f"{BENCH}/gnn/figures_{{law}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/gnn_figures.py"
