# SU(2) lattice gauge theory: heat bath + overrelaxation configurations for every beta.


rule simulate_su2:
    output:
        f"{RESULTS}/su2/configs.h5",
    params:
        su2={"seed": config["seed"], **config["su2"]},
    log:
        f"{LOGS}/su2/simulate.log",
    benchmark:
        f"{BENCH}/su2/simulate.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    group:
        "montecarlo"
    conda:
        "../../envs/simulate.yaml"
    script:
        "../scripts/simulate_su2.py"


rule su2_checks:
    input:
        f"{RESULTS}/su2/configs.h5",
    output:
        f"{RESULTS}/su2/headline.json",
    params:
        seed=config["seed"],
    log:
        f"{LOGS}/su2/checks.log",
    benchmark:
        f"{BENCH}/su2/checks.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/simulate.yaml"
    script:
        "../scripts/su2_checks.py"
