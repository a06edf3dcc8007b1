# SU(2) lattice gauge theory: heat bath + overrelaxation configurations for every beta, one
# file per spatial extent N_s; with several N_s, beta_c extrapolated from the susceptibility peaks.
STAGE_HEADLINES["su2"] = lambda: [f"{RESULTS}/su2/headline.json"] + (
    [f"{RESULTS}/su2/headline_scaling.json"] if SU2_SCALING else []
)
STAGE_TARGETS["su2"] = lambda: STAGE_HEADLINES["su2"]() + (
    [f"{RESULTS}/su2/scaling.csv"] if SU2_SCALING else []
)


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
        su2=su2_sampling_slice(config, config["su2"]["n_s"]),
    script:
        "../scripts/simulate_su2.py"


# The other sizes of su2.sizes (su2.n_s is configs.h5 above).
use rule simulate_su2 as simulate_su2_size with:
    output:
        f"{RESULTS}/su2/configs_Ns{{n_s}}.h5",
    log:
        f"{LOGS}/su2/simulate_Ns{{n_s}}.log",
    benchmark:
        f"{BENCH}/su2/simulate_Ns{{n_s}}.tsv"
    wildcard_constraints:
        n_s=r"\d+",
    params:
        su2=lambda w: su2_sampling_slice(config, int(w.n_s)),


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
        sizes=SU2_SIZES,
    script:
        "../scripts/su2_checks.py"


rule su2_scaling:
    input:
        [su2_data_file(n) for n in SU2_SIZES],
    output:
        table=f"{RESULTS}/su2/scaling.csv",
        headline=f"{RESULTS}/su2/headline_scaling.json",
    log:
        f"{LOGS}/su2/scaling.log",
    benchmark:
        f"{BENCH}/su2/scaling.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(10),
    params:
        sizes=SU2_SIZES,
        scaling=config["su2"]["scaling"],
        seed=config["seed"],
    script:
        "../scripts/su2_scaling.py"
