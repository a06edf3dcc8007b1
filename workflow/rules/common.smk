from physlens.summary import Claims

# Shared helpers: paths, the list of targets, and per-stage parameter slices.
RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCH = f"{RESULTS}/benchmarks"

ISING_SIZES = sorted(config["ising"]["sizes"])


wildcard_constraints:
    L=r"\d+",


def ising_params():
    """The Ising settings that determine the samples (not the checks), plus the seed."""
    ising = {k: v for k, v in config["ising"].items() if k not in ("checks", "sizes")}
    return {"seed": config["seed"], **ising}


def headline_files():
    """Every per-stage headline file merged into results/summary.json."""
    return (
        [f"{RESULTS}/ising/headline.json", f"{RESULTS}/su2/headline.json"]
        + supervised_headlines()
        + interpret_headlines()
        + unsupervised_headlines()
        + siamese_headlines()
        + su2_learning_headlines()
        + representations_headlines()
        + concepts_headlines()
    )


def all_targets():
    return [
        expand(f"{RESULTS}/ising/L{{L}}.h5", L=ISING_SIZES),
        f"{RESULTS}/ising/figures/observables.png",
        f"{RESULTS}/summary.json",
        f"{RESULTS}/provenance/environment.tsv",
        supervised_targets(),
        interpret_targets(),
        unsupervised_targets(),
        siamese_targets(),
        su2_learning_targets(),
        representations_targets(),
        concepts_targets(),
    ]


def minutes(base):
    """Runtime that grows with each retry (SLURM kills a job at its time limit)."""
    return lambda wildcards, attempt: base * attempt


# Report captions print the measured headline numbers beside each figure; read at report
# time, after the jobs ran (see physlens.summary.Claims).
CLAIMS = Claims(lambda: headline_files())
