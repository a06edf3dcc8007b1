# SU(2) lattice gauge theory: heat bath + overrelaxation configurations for every beta.
STAGE_HEADLINES["su2"] = lambda: [f"{RESULTS}/su2/headline.json"]
STAGE_TARGETS["su2"] = STAGE_HEADLINES["su2"]


rule simulate_su2:
    output:
        f"{RESULTS}/su2/configs.h5",
    log:
        f"{LOGS}/su2/simulate.log",
    benchmark:
        f"{BENCH}/su2/simulate.tsv"
    group:
        "montecarlo"
    conda:
        "../../envs/simulate.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=minutes(30),
    params:
        su2={"seed": config["seed"], **config["su2"]},
    script:
        "../scripts/simulate_su2.py"


rule su2_checks:
    input:
        f"{RESULTS}/su2/configs.h5",
    output:
        f"{RESULTS}/su2/headline.json",
    log:
        f"{LOGS}/su2/checks.log",
    benchmark:
        f"{BENCH}/su2/checks.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        seed=config["seed"],
    script:
        "../scripts/su2_checks.py"
