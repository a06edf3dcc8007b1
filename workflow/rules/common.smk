from physlens.config import ising_data_mb, su2_data_mb
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
        + ccnn_headlines()
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
        ccnn_targets(),
    ]


def minutes(base):
    """Runtime that grows with each retry (SLURM kills a job at its time limit)."""
    return lambda wildcards, attempt: base * attempt


def data_mem_mb(floor, per_mb, data_mb):
    """Memory (MB) of a rule that holds a whole Monte Carlo data set of `data_mb` MB (float32,
    physlens.config.ising_data_mb / su2_data_mb): 600 MB for Python and torch plus `per_mb`
    per MB of data, at least `floor`; larger on each retry (SLURM kills a job over it).
    `per_mb` is calibrated on the default and paper presets (docs/performance.md)."""
    mem = max(floor, 600 + per_mb * data_mb)
    return lambda wildcards, attempt: int(mem * attempt)


# Report captions print the measured headline numbers beside each figure; read at report
# time, after the jobs ran (see physlens.summary.Claims).
CLAIMS = Claims(lambda: headline_files())
