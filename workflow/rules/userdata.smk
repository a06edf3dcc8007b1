# The interpretation machinery on your own data and network (docs/userdata.md), included by
# the Snakefile only when the config has a userdata block: the data set is checked against
# the contract and split, the candidate observables computed, a built-in architecture trained
# (or your model checked), and its decision neuron ranked, probed, explained by BIC, its
# representation, transition, concept knobs and confounders examined.
# Library: src/physlens/userdata/; another workflow uses these rules as a Snakemake module
# (docs/examples/own-data/).
UD_CFG = config["userdata"]
UD = f"{RESULTS}/userdata/{UD_CFG['name']}"
UD_DATA = UD_CFG["data"]
UD_MODEL_CFG = UD_CFG["model"]
UD_TRAINED = "train" in UD_MODEL_CFG
UD_RESUME = f"{RESULTS}/.resume/userdata/{UD_CFG['name']}"
# Logs and benchmarks by name too: a workflow may import the module once per data set.
UD_LOGS = f"{LOGS}/userdata/{UD_CFG['name']}"
UD_BENCH = f"{BENCH}/userdata/{UD_CFG['name']}"
# The model the analyses read: trained here (weights and metadata) or your file.
UD_MODEL = (
    {"model": f"{UD}/model/model.pt", "meta": f"{UD}/model/model.json"}
    if UD_TRAINED
    else {
        "model": UD_MODEL_CFG.get("torchscript")
        or UD_MODEL_CFG.get("exported")
        or UD_MODEL_CFG.get("state_dict")
    }
)
# Your observable module, when it is a file: a change to it recomputes the candidates.
UD_OBS_MODULE = UD_CFG["observables"].get("module", "")
UD_OBS_FILES = (
    [UD_OBS_MODULE] if UD_OBS_MODULE.endswith(".py") or "/" in UD_OBS_MODULE else []
)
UD_ANALYSES = ["probing", "representations", "phase", "concepts", "confounder"]

# Registered in common.smk's STAGE_HEADLINES / STAGE_TARGETS. Lambdas, not functions:
# snakemake --lint asks rule files not to mix rules and function definitions.
STAGE_HEADLINES["userdata"] = lambda: [f"{UD}/headline_{a}.json" for a in UD_ANALYSES]
STAGE_TARGETS["userdata"] = (
    lambda: [
        f"{UD}/figures/overview.png",
        f"{UD}/summary.json",
    ]
    + STAGE_HEADLINES["userdata"]()
)


rule userdata_check:
    input:
        UD_OBS_FILES,
        data=UD_DATA,
    output:
        f"{UD}/check.json",
    log:
        f"{UD_LOGS}/check.log",
    benchmark:
        f"{UD_BENCH}/check.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=4000,
        runtime=minutes(30),
    params:
        variables=UD_CFG["variables"],
        windows=UD_CFG.get("windows"),
        split=UD_CFG["split"],
        system=UD_CFG["system"],
        observables=UD_CFG["observables"],
        reference=UD_CFG["reference"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_check.py"


rule userdata_split:
    input:
        data=UD_DATA,
        check=f"{UD}/check.json",
    output:
        f"{UD}/split.h5",
    log:
        f"{UD_LOGS}/split.log",
    benchmark:
        f"{UD_BENCH}/split.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        variables=UD_CFG["variables"],
        windows=UD_CFG.get("windows"),
        split=UD_CFG["split"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_split.py"


rule userdata_observables:
    input:
        UD_OBS_FILES,
        data=UD_DATA,
        check=f"{UD}/check.json",
    output:
        f"{UD}/observables.h5",
    log:
        f"{UD_LOGS}/observables.log",
    benchmark:
        f"{UD_BENCH}/observables.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=4000,
        runtime=minutes(30),
    params:
        variables=UD_CFG["variables"],
        system=UD_CFG["system"],
        observables=UD_CFG["observables"],
    script:
        "../scripts/userdata_observables.py"


rule userdata_model_check:
    input:
        **({} if UD_TRAINED else UD_MODEL),
        data=UD_DATA,
        check=f"{UD}/check.json",
    output:
        f"{UD}/model_check.json",
    log:
        f"{UD_LOGS}/model_check.log",
    benchmark:
        f"{UD_BENCH}/model_check.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        model=UD_MODEL_CFG,
        variables=UD_CFG["variables"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_model_check.py"


rule userdata_train:
    input:
        data=UD_DATA,
        split=f"{UD}/split.h5",
        model_check=f"{UD}/model_check.json",
    output:
        model=f"{UD}/model/model.pt",
        meta=f"{UD}/model/model.json",
        history=f"{UD}/model/history.h5",
    log:
        f"{UD_LOGS}/train.log",
    benchmark:
        f"{UD_BENCH}/train.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=minutes(30),
    params:
        variables=UD_CFG["variables"],
        train=UD_MODEL_CFG.get("train", {}),
        training=config["training"],
        name=UD_CFG["name"],
        seed=config["seed"],
        resume=UD_RESUME,
    script:
        "../scripts/userdata_train.py"


rule userdata_evaluate:
    input:
        **UD_MODEL,
        data=UD_DATA,
        split=f"{UD}/split.h5",
        check=f"{UD}/model_check.json",
    output:
        f"{UD}/outputs.h5",
    log:
        f"{UD_LOGS}/evaluate.log",
    benchmark:
        f"{UD_BENCH}/evaluate.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        model=UD_MODEL_CFG,
        variables=UD_CFG["variables"],
    script:
        "../scripts/userdata_evaluate.py"


rule userdata_probing:
    input:
        outputs=f"{UD}/outputs.h5",
        observables=f"{UD}/observables.h5",
    output:
        ranking=f"{UD}/ranking.h5",
        linear=f"{UD}/linear_probe.h5",
        parsimony=f"{UD}/parsimony.csv",
        headline=f"{UD}/headline_probing.json",
    log:
        f"{UD_LOGS}/probing.log",
    benchmark:
        f"{UD_BENCH}/probing.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        probing=config["interpret"]["probing"],
        parsimony=config["representations"]["parsimony"],
        reference=UD_CFG["reference"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_probing.py"


rule userdata_representations:
    input:
        outputs=f"{UD}/outputs.h5",
        observables=f"{UD}/observables.h5",
    output:
        representations=f"{UD}/representations.h5",
        headline=f"{UD}/headline_representations.json",
    log:
        f"{UD_LOGS}/representations.log",
    benchmark:
        f"{UD_BENCH}/representations.tsv"
    conda:
        "../../envs/interpret.yaml"
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        n_components=UD_CFG["representations"]["n_components"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_representations.py"


rule userdata_phase:
    input:
        f"{UD}/outputs.h5",
    output:
        phase=f"{UD}/phase.h5",
        headline=f"{UD}/headline_phase.json",
    log:
        f"{UD_LOGS}/phase.log",
    benchmark:
        f"{UD_BENCH}/phase.tsv"
    conda:
        "../../envs/interpret.yaml"
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        bootstrap=UD_CFG["phase"]["bootstrap"],
        reference=UD_CFG["reference"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_phase.py"


rule userdata_concepts:
    input:
        **UD_MODEL,
        data=UD_DATA,
        outputs=f"{UD}/outputs.h5",
        observables=f"{UD}/observables.h5",
        check=f"{UD}/model_check.json",
    output:
        concepts=f"{UD}/concepts.h5",
        headline=f"{UD}/headline_concepts.json",
    log:
        f"{UD_LOGS}/concepts.log",
    benchmark:
        f"{UD_BENCH}/concepts.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        model=UD_MODEL_CFG,
        reference=UD_CFG["reference"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_concepts.py"


rule userdata_confounder:
    input:
        **UD_MODEL,
        data=UD_DATA,
        outputs=f"{UD}/outputs.h5",
    output:
        confounder=f"{UD}/confounder.h5",
        headline=f"{UD}/headline_confounder.json",
    log:
        f"{UD_LOGS}/confounder.log",
    benchmark:
        f"{UD_BENCH}/confounder.tsv"
    conda:
        "../../envs/interpret.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        model=UD_MODEL_CFG,
        variables=UD_CFG["variables"],
        confounder=UD_CFG["confounder"],
        attributions=config["interpret"]["attributions"],
        reference=UD_CFG["reference"],
        name=UD_CFG["name"],
        seed=config["seed"],
    script:
        "../scripts/userdata_confounder.py"


rule plot_userdata_overview:
    input:
        ranking=f"{UD}/ranking.h5",
        phase=f"{UD}/phase.h5",
        concepts=f"{UD}/concepts.h5",
        confounder=f"{UD}/confounder.h5",
    output:
        report(
            f"{UD}/figures/overview.png",
            caption="../report/userdata_overview.rst",
            category="Your data",
            subcategory=UD_CFG["name"],
        ),
    log:
        f"{UD_LOGS}/plot_overview.log",
    benchmark:
        f"{UD_BENCH}/plot_overview.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
        reference=UD_CFG["reference"],
    script:
        "../scripts/plot_userdata_overview.py"


rule userdata_summary:
    input:
        headlines=STAGE_HEADLINES["userdata"](),
        figure=f"{UD}/figures/overview.png",
    output:
        json=f"{UD}/summary.json",
        csv=f"{UD}/summary.csv",
    log:
        f"{UD_LOGS}/summary.log",
    benchmark:
        f"{UD_BENCH}/summary.tsv"
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/userdata_summary.py"
