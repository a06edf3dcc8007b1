# 2D Ising Monte Carlo: one HDF5 file per lattice size, then checks against Onsager.
STAGE_HEADLINES["ising"] = lambda: [f"{RESULTS}/ising/headline.json"]
STAGE_TARGETS["ising"] = (
    lambda: expand(f"{RESULTS}/ising/L{{L}}.h5", L=ISING_SIZES)
    + [f"{RESULTS}/ising/figures/observables.png"]
    + STAGE_HEADLINES["ising"]()
)


rule simulate_ising:
    output:
        f"{RESULTS}/ising/L{{L}}.h5",
    log:
        f"{LOGS}/ising/simulate_L{{L}}.log",
    benchmark:
        f"{BENCH}/ising/simulate_L{{L}}.tsv"
    group:
        "montecarlo"
    conda:
        "../../envs/simulate.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=minutes(60),
    params:
        ising=ising_params(),
    script:
        "../scripts/simulate_ising.py"


rule ising_checks:
    input:
        expand(f"{RESULTS}/ising/L{{L}}.h5", L=ISING_SIZES),
    output:
        headline=f"{RESULTS}/ising/headline.json",
        table=f"{RESULTS}/ising/checks.csv",
        figure=report(
            f"{RESULTS}/ising/figures/observables.png",
            caption="../report/ising_observables.rst",
            category="Ising Monte Carlo",
        ),
    log:
        f"{LOGS}/ising/checks.log",
    benchmark:
        f"{BENCH}/ising/checks.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        claims=CLAIMS,
        checks=config["ising"]["checks"],
        seed=config["seed"],
    script:
        "../scripts/ising_checks.py"
