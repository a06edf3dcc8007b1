# Representations and what a unit wants: hidden-layer
# embeddings, CKA/SVCCA similarity across models and seeds, activation maximisation, top-k
# dataset examples, and BIC parsimony of each interpreted unit's explanations.
# Library: src/physlens/representations/ (entry points in pipeline.py), figures in
# src/physlens/plots/representations.py; method notes: docs/interpretation.md.
# Reads the supervised stage's models (common.smk: ISING_MODEL_DIRS) and the interpret
# stage's rankings and symbolic fits (by path).
#
# One job per analysis covers every model: each job pays the torch (and UMAP/numba) start-up
# once, which dominates at these sizes.
REP = f"{RESULTS}/representations"
REP_CFG = config["representations"]
# interpreted units (interpret.models); similarity: every trained probe and ensemble member
REP_MODELS = list(config["interpret"]["models"])
REP_PROBES = [m for m in ISING_MODEL_DIRS if m.startswith("probe_")]
REP_MEMBERS = [m for m in ISING_MODEL_DIRS if m.startswith("classifier_member")]
# the interpret stage's outputs this stage reads: rankings of every model, symbolic fits of
# the interpreted probes
REP_INT = f"{RESULTS}/interpret"
REP_SYMBOLIC_MODELS = [m for m in REP_MODELS if m.startswith("probe_")]
REP_COMMON = {
    k: v for k, v in REP_CFG.items() if k in ("samples_per_temperature", "layer_view")
}

# Headline-number files of the stage, and its final files (lambdas: see interpret.smk).
STAGE_HEADLINES["representations"] = lambda: [
    f"{REP}/headline_{k}.json"
    for k in ("embeddings", "similarity", "maximisation", "parsimony")
]
STAGE_TARGETS["representations"] = (
    lambda: expand(
        f"{REP}/{{model}}/figures/{{fig}}.png",
        model=REP_MODELS,
        fig=["embeddings", "maximisation"],
    )
    + [
        f"{REP}/figures/similarity.png",
        f"{REP}/figures/parsimony.png",
        f"{REP}/parsimony.csv",
    ]
    + STAGE_HEADLINES["representations"]()
)


rule representations_embeddings:
    input:
        models=[f"{ISING_MODEL_DIRS[m]}/model.pt" for m in REP_MODELS],
        metas=[f"{ISING_MODEL_DIRS[m]}/model.json" for m in REP_MODELS],
        data=sorted({ISING_MODEL_DATA[m] for m in REP_MODELS}),
    output:
        h5=expand(f"{REP}/{{model}}/embeddings.h5", model=REP_MODELS),
        headline=f"{REP}/headline_embeddings.json",
    log:
        f"{LOGS}/representations/embeddings.log",
    benchmark:
        f"{BENCH}/representations/embeddings.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(20),
    params:
        models=REP_MODELS,
        data={m: ISING_MODEL_DATA[m] for m in REP_MODELS},
        split=SUPERVISED_SPLIT,
        cfg={**REP_COMMON, "embeddings": REP_CFG["embeddings"]},
        seed=config["seed"],
    script:
        "../scripts/representations_embeddings.py"


rule representations_similarity:
    input:
        models=[f"{ISING_MODEL_DIRS[m]}/model.pt" for m in REP_PROBES + REP_MEMBERS],
        metas=[f"{ISING_MODEL_DIRS[m]}/model.json" for m in REP_PROBES + REP_MEMBERS],
        data=sorted({ISING_MODEL_DATA[m] for m in REP_PROBES + REP_MEMBERS}),
    output:
        h5=f"{REP}/similarity.h5",
        headline=f"{REP}/headline_similarity.json",
    log:
        f"{LOGS}/representations/similarity.log",
    benchmark:
        f"{BENCH}/representations/similarity.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(20),
    params:
        models=REP_PROBES + REP_MEMBERS,
        probes=REP_PROBES,
        data={m: ISING_MODEL_DATA[m] for m in REP_PROBES + REP_MEMBERS},
        split=SUPERVISED_SPLIT,
        cfg={**REP_COMMON, "similarity": REP_CFG["similarity"]},
        seed=config["seed"],
    script:
        "../scripts/representations_similarity.py"


rule representations_maximisation:
    input:
        models=[f"{ISING_MODEL_DIRS[m]}/model.pt" for m in REP_MODELS],
        metas=[f"{ISING_MODEL_DIRS[m]}/model.json" for m in REP_MODELS],
        data=sorted({ISING_MODEL_DATA[m] for m in REP_MODELS}),
    output:
        h5=expand(f"{REP}/{{model}}/maximisation.h5", model=REP_MODELS),
        headline=f"{REP}/headline_maximisation.json",
    log:
        f"{LOGS}/representations/maximisation.log",
    benchmark:
        f"{BENCH}/representations/maximisation.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(20),
    params:
        models=REP_MODELS,
        data={m: ISING_MODEL_DATA[m] for m in REP_MODELS},
        split=SUPERVISED_SPLIT,
        cfg={"maximisation": REP_CFG["maximisation"]},
        seed=config["seed"],
    script:
        "../scripts/representations_maximisation.py"


rule representations_parsimony:
    input:
        models=[f"{ISING_MODEL_DIRS[m]}/model.pt" for m in REP_MODELS],
        metas=[f"{ISING_MODEL_DIRS[m]}/model.json" for m in REP_MODELS],
        data=sorted({ISING_MODEL_DATA[m] for m in REP_MODELS}),
        rankings=expand(f"{REP_INT}/{{model}}/ranking.h5", model=REP_MODELS),
        symbolic=expand(f"{REP_INT}/{{model}}/symbolic.json", model=REP_SYMBOLIC_MODELS),
    output:
        table=f"{REP}/parsimony.csv",
        headline=f"{REP}/headline_parsimony.json",
    log:
        f"{LOGS}/representations/parsimony.log",
    benchmark:
        f"{BENCH}/representations/parsimony.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        models=REP_MODELS,
        symbolic_models=REP_SYMBOLIC_MODELS,
        data={m: ISING_MODEL_DATA[m] for m in REP_MODELS},
        split=SUPERVISED_SPLIT,
        cfg={"parsimony": REP_CFG["parsimony"]},
        symbolic_link=config["interpret"]["symbolic"]["link"],
        seed=config["seed"],
    script:
        "../scripts/representations_parsimony.py"


# One job draws every figure of the stage (each with its own caption): four plotting jobs
# would cost more in start-up than in drawing.
rule plot_representations:
    input:
        embeddings=expand(f"{REP}/{{model}}/embeddings.h5", model=REP_MODELS),
        maximisation=expand(f"{REP}/{{model}}/maximisation.h5", model=REP_MODELS),
        similarity=f"{REP}/similarity.h5",
        parsimony=f"{REP}/parsimony.csv",
    output:
        embeddings=[
            report(
                f"{REP}/{m}/figures/embeddings.png",
                caption="../report/representations_embeddings.rst",
                category="Representations",
                subcategory=m,
            )
            for m in REP_MODELS
        ],
        maximisation=[
            report(
                f"{REP}/{m}/figures/maximisation.png",
                caption="../report/representations_maximisation.rst",
                category="Representations",
                subcategory=m,
            )
            for m in REP_MODELS
        ],
        similarity=report(
            f"{REP}/figures/similarity.png",
            caption="../report/representations_similarity.rst",
            category="Representations",
            subcategory="similarity",
        ),
        parsimony=report(
            f"{REP}/figures/parsimony.png",
            caption="../report/representations_parsimony.rst",
            category="Representations",
            subcategory="parsimony",
        ),
    log:
        f"{LOGS}/representations/plot.log",
    benchmark:
        f"{BENCH}/representations/plot.tsv"
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_representations.py"
