# Shared helpers, included first: paths, resources, config slices, the trained Ising models
# every interpretation-type stage reads, the one place for global wildcard constraints, and
# the registry through which each stage names its final and headline files. A stage's
# .smk reads only these globals and its own, never another stage's.
from physlens.config import ising_data_mb, su2_data_mb, su2_sizes
from physlens.slices import (
    classifier_slice,
    ising_sampling_slice,
    split_slice,
    su2_sampling_slice,
    su2_training_slice,
)
from physlens.summary import Claims
from physlens.supervised.names import model_data, model_dirs

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCH = f"{RESULTS}/benchmarks"

ISING_SIZES = sorted(config["ising"]["sizes"])
# The supervised stage's labels/splits/Z2 signs, and its trained models by name with their
# data files: what the interpretation-type stages need to rebuild a model's test set.
SUPERVISED_SPLIT = split_slice(config["supervised"])
ISING_MODEL_DIRS = model_dirs(config["supervised"], RESULTS)
ISING_MODEL_DATA = model_data(config["supervised"], RESULTS)

# Every SU(2) spatial extent; with more than one (the cross-key checks make that three or
# more) beta_c is extrapolated in N_s. su2.n_s is the lattice of results/su2/configs.h5.
SU2_SIZES = su2_sizes(config["su2"])
SU2_SCALING = len(SU2_SIZES) > 1

# Each stage registers lambdas, resolved once every stage file has been read;
# STAGE_TARGETS["<stage>"] -> its final files, STAGE_HEADLINES["<stage>"] -> its
# headline-number files, merged into results/summary.json.
STAGE_TARGETS = {}
STAGE_HEADLINES = {}


# The one place for global wildcard constraints. `model` is a supervised model
# (probe_1x2, classifier_member0) or an autoencoder (ae1, vae2); jobs narrow it further.
# `dataset` is a siamese data set, `pair` a ccnn ensemble pair, `law` and `variant` the
# graph-network stage's force laws and network variants.
wildcard_constraints:
    L=r"\d+",
    model=r"probe_\d+x\d+|classifier_member\d+|v?ae\d+",
    dataset="|".join(config["siamese"]["datasets"]),
    system="|".join(config["scinet"]["systems"]),
    pair="|".join(sorted(config["ccnn"]["pairs"])),
    law="|".join(config["gnn"]["laws"]),
    variant="|".join(config["gnn"]["variants"]),


def ising_params():
    """The Ising settings that determine the samples (not the checks), plus the seed."""
    return ising_sampling_slice(config)


def su2_data_file(n_s):
    """The SU(2) configurations at N_s = n_s: configs.h5 for su2.n_s, configs_Ns{n_s}.h5 for
    the other sizes of su2.sizes."""
    if int(n_s) == config["su2"]["n_s"]:
        return f"{RESULTS}/su2/configs.h5"
    return f"{RESULTS}/su2/configs_Ns{int(n_s)}.h5"


def su2_mem_mb(floor, per_mb):
    """data_mem_mb of a job that holds the SU(2) data set of its wildcard n_s."""
    return lambda wildcards, attempt: data_mem_mb(
        floor, per_mb, su2_data_mb(config, int(wildcards.n_s))
    )(wildcards, attempt)


def headline_files():
    """Every per-stage headline file merged into results/summary.json."""
    return [f for stage in STAGE_HEADLINES.values() for f in stage()]


def all_targets():
    return [f"{RESULTS}/summary.json"] + [
        f for stage in STAGE_TARGETS.values() for f in stage()
    ]


def minutes(base):
    """Runtime that grows with each retry (SLURM kills a job at its time limit)."""
    return lambda wildcards, attempt: base * attempt


def data_mem_mb(floor, per_mb, data_mb):
    """Memory (MB) of a job that holds a whole Monte Carlo data set of `data_mb` MB (float32,
    physlens.config.ising_data_mb / su2_data_mb): 600 MB for Python and torch plus `per_mb`
    per MB of data, at least `floor`; larger on each retry (SLURM kills a job over it).
    `per_mb` is calibrated on the default and paper presets (docs/performance.md)."""
    mem = max(floor, 600 + per_mb * data_mb)
    return lambda wildcards, attempt: int(mem * attempt)


# Report captions print the measured headline numbers beside each figure; read at report
# time, after the jobs ran (see physlens.summary.Claims).
CLAIMS = Claims(lambda: headline_files())
