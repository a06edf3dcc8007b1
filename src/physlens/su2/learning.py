"""SU(2) phase classifier on raw links, beta_c from its output, and what it learned.

Wetzel & Scherzer 2017 (SU(2) part): a network trained to tell confined (small beta) from
deconfined (large beta) gauge configurations, far from the transition, is evaluated on the
whole beta grid; P(deconfined | beta) crosses 1/2 near beta_c, and the network's output
(the pre-sigmoid logit, a one-neuron bottleneck) is a monotone function of |P|, the
modulus of the Polyakov loop: the order parameter of the centre symmetry.

Data handling, all reproducible from the master seed:

* labels: 0 for beta <= windows.confined_max, 1 for beta >= windows.deconfined_min, the
  betas between are only tested on; train/val/test split per beta as in the Ising stage
  (:mod:`physlens.phase.labels`, classes balanced);
* ``symmetrize``: every configuration gets a random centre flip (or none), stream
  (seed, STAGE, "center"), so the sign of P carries no information. Each chain stays in
  one centre sector at large beta, so without this the sign of P is nearly constant per
  beta, and "P" and "|P|" would be hard to tell apart;
* ``augment_center``: the training and validation sets also hold a centre-flipped copy of
  every configuration, so their distributions are exactly symmetric under P -> -P and the
  network has to learn a function of |P| rather than of P;
* ``augment_gauge_copies``: k randomly gauge-transformed copies of each of those
  (:func:`physlens.su2.candidates.random_gauge_transform`): same physics, new raw links.
  On small data sets the net otherwise memorises gauge-variant noise.

Estimates: beta_c is the ensemble-mean P(deconfined) = 1/2 crossing, rising with beta
(linear interpolation, :mod:`physlens.phase.crossing`), its error the bootstrap over test
samples combined with the standard error over ensemble members
(:mod:`physlens.phase.ensemble`). Probing ranks the candidate observables of
:mod:`physlens.su2.candidates` against the ensemble-mean logit with
:func:`physlens.interpret.probing.rank_observables`.
"""

from __future__ import annotations

import csv
import logging

import numpy as np
import xarray as xr

import physlens.models.su2  # noqa: F401  (registers "su2_cnn")
from physlens.interpret.probing import probing_kwargs, rank_observables, write_probing
from physlens.interpret.ranking_claims import ranking_headlines
from physlens.io import atomic_path, load_dataset, to_netcdf_atomic
from physlens.modelfiles import load_model
from physlens.observables import compute_observables
from physlens.phase.crossing import ensemble_mean, half_crossing
from physlens.phase.ensemble import ensemble_crossing, ensemble_curve
from physlens.phase.labels import split_phase_data, window_labels
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.su2 import BETA_C_NT2_REF
from physlens.su2.candidates import (
    SYSTEM,
    center_flip,
    random_center_slices,
    random_gauge_transform,
)
from physlens.su2.checks import FINITE_SIZE_ALLOWANCE, single_size_tolerance
from physlens.summary import headline, write_headlines
from physlens.training import TrainSettings, predict, seeded_model, train_and_save
from physlens.validate import validate_su2

log = logging.getLogger(__name__)
STAGE = "su2_learning"
CONFINED, DECONFINED = 0, 1
LINK_DIMS = ("beta", "sample", "t", "z", "y", "x", "mu", "component")
# The observables drawn in the figures and stored beside the predictions.
STORED_OBSERVABLES = ("polyakov_loop", "abs_polyakov_loop", "plaquette")


# --- data ------------------------------------------------------------------------------------


def load_links(path) -> xr.Dataset:
    """results/su2/configs.h5 read into memory; a bad layout is reported with the file name."""
    ds = load_dataset(
        path, required=("links", "plaquette", "polyakov_loop"), dims={"links": LINK_DIMS}
    )
    return validate_su2(ds, path)


def phase_labels(betas, confined_max: float, deconfined_min: float) -> np.ndarray:
    """0 (confined) for beta <= confined_max, 1 (deconfined) for beta >= deconfined_min, -1 between."""
    return window_labels(
        betas,
        confined_max,
        deconfined_min,
        low_label=CONFINED,
        high_label=DECONFINED,
        names=("confined_max", "deconfined_min"),
        where="su2_learning.windows",
    )


def center_slices(ds: xr.Dataset, cfg: dict, seed: int) -> np.ndarray | None:
    """The centre flip of every (beta, sample) (-1: none), or None without `symmetrize`."""
    if not cfg["symmetrize"]:
        return None
    shape = (ds.sizes["beta"], ds.sizes["sample"])
    flat = random_center_slices(int(np.prod(shape)), ds.sizes["t"], rng(seed, STAGE, "center"))
    return flat.reshape(shape)


def phase_split(ds: xr.Dataset, cfg: dict, seed: int):
    """Labels, the train/val/test split (shared by all ensemble members) and centre flips."""
    w = cfg["windows"]
    labels = phase_labels(ds["beta"].values, w["confined_max"], w["deconfined_min"])
    if not (labels == CONFINED).any() or not (labels == DECONFINED).any():
        raise ValueError(
            f"su2_learning.windows {w} leave no confined or no deconfined beta in the grid "
            f"{ds['beta'].values.round(4).tolist()}"
        )
    split = split_phase_data(
        labels,
        ds.sizes["sample"],
        cfg["val_fraction"],
        cfg["test_fraction"],
        rng(seed, STAGE, "split"),
    )
    return labels, split, center_slices(ds, cfg, seed)


def links_array(ds: xr.Dataset, idx, slices: np.ndarray | None = None) -> np.ndarray:
    """Configurations (n, N_t, N_s, N_s, N_s, 4, 4) float32 for index pairs (beta, sample),
    centre-flipped as `slices` says."""
    x = ds["links"].values[idx[0], idx[1]].astype(np.float32)
    return x if slices is None else center_flip(x, slices[idx[0], idx[1]])


def augmented(
    x: np.ndarray, y: np.ndarray, center: bool, gauge_copies: int, generator: np.random.Generator
):
    """(x, y) with, if `center`, a copy of every configuration flipped on one random time
    slice appended, then `gauge_copies` randomly gauge-transformed copies of all of it."""
    if center:
        x = np.concatenate([x, center_flip(x, generator.integers(0, x.shape[1], len(x)))])
        y = np.concatenate([y, y])
    xs = [x] + [random_gauge_transform(x, generator) for _ in range(int(gauge_copies))]
    return np.concatenate(xs), np.tile(y, len(xs))


# --- training ------------------------------------------------------------------------------


def train_classifier(
    data_path,
    member: int,
    cfg: dict,
    training: dict,
    seed: int,
    outputs: dict,
    resume_dir=None,
    callbacks=(),
):
    """Train ensemble member `member` (members differ in initialisation, minibatch order and
    the slices of the augmentation copies; they share the split)."""
    ds = load_links(data_path)
    labels, split, slices = phase_split(ds, cfg, seed)
    ccfg = cfg["classifier"]
    mseed = derive_seed(seed, STAGE, "classifier", int(member))
    sets = []
    for part in (split.train, split.val):
        x, y = links_array(ds, part, slices), labels[part[0]].astype(np.float32)
        x, y = augmented(
            x,
            y,
            cfg["augment_center"],
            cfg["augment_gauge_copies"],
            rng(mseed, "augment", len(sets)),
        )
        sets.append((x, y))
    settings = TrainSettings.from_config({**training, **ccfg["train"], "augment_spin_flip": False})
    config_slice = {
        "cfg": {k: v for k, v in cfg.items() if k not in ("beta_c", "probing")},
        "training": training,
    }
    arch = {"name": "su2_cnn", **ccfg["architecture"]}
    result, _ = train_and_save(
        seeded_model(arch, mseed),
        sets[0],
        sets[1],
        settings,
        mseed,
        outputs,
        data_path=data_path,
        master_seed=seed,
        config=config_slice,
        metadata={
            "name": "su2_cnn",
            "member": int(member),
            "n_train": len(sets[0][0]),
            "n_val": len(sets[1][0]),
        },
        resume_dir=resume_dir,
        callbacks=callbacks,
        name=f"su2_cnn/{member}",
    )
    log.info("su2_cnn member %d: %s", member, result.metrics)
    return result


# --- predictions ----------------------------------------------------------------------------


def _identity(t):
    return t


def predict_phase(models: list, data_path, cfg: dict, seed: int, out_path) -> xr.Dataset:
    """Logits of every member on the test samples (NaN elsewhere), with P(deconfined), the
    labels and the stored observables of the (centre-flipped) configurations."""
    ds = load_links(data_path)
    labels, split, slices = phase_split(ds, cfg, seed)
    shape = (ds.sizes["beta"], ds.sizes["sample"])
    x = links_array(ds, split.test, slices)
    logits = np.full((len(models), *shape), np.nan)
    for i, (pt, meta) in enumerate(models):
        model, _ = load_model(pt, meta, data_path=data_path)
        logits[i][split.test] = predict(model, x, transform=_identity)
    p = 1.0 / (1.0 + np.exp(-logits))
    mean, sem, n = ensemble_curve(p)
    every = tuple(a.ravel() for a in np.indices(shape))
    obs = compute_observables(links_array(ds, every, slices), STORED_OBSERVABLES, SYSTEM)
    is_test = np.zeros(shape, bool)
    is_test[split.test] = True
    betas = ds["beta"].values
    out = xr.Dataset(
        {
            "logit": (
                ("member", "beta", "sample"),
                logits,
                {
                    "long_name": "pre-sigmoid output of each member on test samples (NaN: not a test sample)"
                },
            ),
            "p_deconfined": (
                ("member", "beta", "sample"),
                p,
                {"long_name": "P(deconfined) = sigmoid(logit)"},
            ),
            "p_mean": (
                "beta",
                mean,
                {"long_name": "ensemble-mean P(deconfined), averaged over test samples"},
            ),
            "p_sem": ("beta", sem, {"long_name": "standard error of p_mean over samples"}),
            "n_test": ("beta", n),
            "is_test": (("beta", "sample"), is_test),
            "label": (
                "beta",
                labels,
                {"long_name": "training label: 0 confined, 1 deconfined, -1 between the windows"},
            ),
            "center_slice": (
                ("beta", "sample"),
                slices if slices is not None else np.full(shape, -1),
                {"long_name": "time slice whose time links were multiplied by -1 (-1: none)"},
            ),
            **{
                k: (
                    ("beta", "sample"),
                    obs[k].values.reshape(shape),
                    {"long_name": obs[k].attrs["description"]},
                )
                for k in STORED_OBSERVABLES
            },
        },
        coords={"beta": betas, "member": np.arange(len(models))},
        attrs=base_attrs(
            seed,
            models=[str(m[0]) for m in models],
            data_file=str(data_path),
            n_s=int(ds.sizes["x"]),
            n_t=int(ds.sizes["t"]),
            beta_c_crossing=half_crossing(betas, mean, rising=True),
            algorithm="su2_cnn ensemble on raw links, outputs on samples it was not trained on",
        ),
    )
    to_netcdf_atomic(out, out_path)
    return out


# --- beta_c ----------------------------------------------------------------------------------


def estimate_beta_c(pred_path, cfg: dict, seed: int, out_csv, out_headline, sizes=None) -> dict:
    """beta_c with its error (module docstring), a CSV of P(deconfined | beta) and headlines.

    `sizes`: every N_s of the config (None: this file's alone). beta_c is judged against the
    infinite-volume value only when there is one size (:func:`physlens.su2.checks.single_size_tolerance`);
    with several it is recorded and the extrapolation is judged (:mod:`physlens.su2.scaling`).
    """
    with xr.open_dataset(pred_path, engine="h5netcdf") as ds:
        ds = ds.load()
    betas, p = ds["beta"].values, ds["p_deconfined"].values
    est = ensemble_crossing(
        betas, p, rng(seed, STAGE, "beta_c"), cfg["beta_c"]["bootstrap"], rising=True
    )
    beta_c, members = est.value, est.per_member
    boot_err, member_sem, err = est.bootstrap_error, est.ensemble_error, est.error
    p_ens = ensemble_mean(p)
    labelled = ds["label"].values >= 0
    lab = np.broadcast_to(ds["label"].values[:, None], p_ens.shape)
    test = np.isfinite(p_ens) & labelled[:, None]
    accuracy = float(np.mean((p_ens[test] > 0.5) == (lab[test] == DECONFINED)))
    n_t, n_s = int(ds.attrs["n_t"]), int(ds.attrs["n_s"])
    spacing = float(np.min(np.diff(betas)))
    with atomic_path(out_csv, suffix=".csv.tmp") as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["beta", "p_mean", "p_sem", "n_test", "label"])
        w.writerows(
            zip(
                betas.round(6),
                ds["p_mean"].values,
                ds["p_sem"].values,
                ds["n_test"].values,
                ds["label"].values,
            )
        )
        fh.write(
            f"# beta_c = {beta_c:.5f} +- {err:.5f} (bootstrap {boot_err:.5f}, ensemble {member_sem:.5f}, "
            f"failed resamples {est.failed_resamples}); per-member {members.round(5).tolist()}\n"
        )
    tolerance = single_size_tolerance([n_s] if sizes is None else sizes, spacing)
    judged = n_t == 2 and tolerance is not None
    records = [
        headline(
            f"{STAGE}.beta_c",
            beta_c,
            stage=STAGE,
            uncertainty=err,
            ref=BETA_C_NT2_REF if judged else None,
            tolerance=tolerance if judged else None,
            tolerance_kind="absolute",
            description=(
                "P(deconfined | beta) = 1/2 crossing of the su2_cnn ensemble on raw links (error: "
                "bootstrap over test samples + ensemble spread), against the infinite-volume "
                "beta_c; tolerance = grid spacing + the finite-size allowance of the SU(2) checks "
                f"({FINITE_SIZE_ALLOWANCE}): at N_s = {n_s} the pseudo-critical coupling shifts by "
                "O(N_s^(-1/nu)), nu = 0.63, and the crossing depends on the training windows"
                if tolerance is not None
                else f"P(deconfined | beta) = 1/2 crossing of the su2_cnn ensemble at N_s = {n_s}, "
                "a pseudo-critical coupling (recorded; su2_learning.beta_c_extrapolated is judged)"
            ),
            N_s=n_s,
            N_t=n_t,
            bootstrap_error=boot_err,
            ensemble_error=member_sem,
            per_member=[float(m) for m in members],
        ),
        headline(
            f"{STAGE}.test_accuracy",
            accuracy,
            stage=STAGE,
            reference=0.95,
            tolerance=0.0,
            tolerance_kind="at_least",
            description="ensemble accuracy on the held-out samples of the labelled (training-window) betas",
            N_s=n_s,
            N_t=n_t,
        ),
    ]
    write_headlines(out_headline, records, seed=seed)
    return {
        "beta_c": beta_c,
        "beta_c_err": err,
        "bootstrap_error": boot_err,
        "ensemble_error": member_sem,
        "per_member": members,
        "accuracy": accuracy,
    }


# --- probing ------------------------------------------------------------------------------


def probe_logit(
    pred_path, data_path, cfg: dict, probing_cfg: dict, seed: int, out_ranking, out_headline
):
    """Bottleneck regression of the ensemble-mean logit on every test sample (all betas)
    against the candidate observables su2_learning.probing.observables."""
    pcfg = cfg["probing"]
    with xr.open_dataset(pred_path, engine="h5netcdf") as pred:
        logit = ensemble_mean(pred["logit"].values)
        slices = pred["center_slice"].values
    ds = load_links(data_path)
    idx = np.nonzero(np.isfinite(logit))
    obs = compute_observables(links_array(ds, idx, slices), pcfg["observables"], SYSTEM)
    ranking = rank_observables(
        logit[idx],
        obs,
        pcfg["observables"],
        **probing_kwargs(probing_cfg),
        seed=derive_seed(seed, STAGE, "probing"),
        strata=ds["beta"].values[idx[0]],  # each beta of the Monte Carlo is one stratum
        control="beta",
    )
    ranking.attrs.update(
        network="su2_cnn ensemble-mean logit", n_s=int(ds.sizes["x"]), n_t=int(ds.sizes["t"])
    )
    write_probing(ranking, out_ranking)
    records = ranking_headlines(
        ranking,
        f"{STAGE}.logit",
        pcfg["expected"],
        stage=STAGE,
        min_abs_spearman=pcfg["min_abs_spearman"],
        reference_source="the SU(2) classifier's output is a function of |P|",
        ref="ws2017_su2_polyakov",
    )
    write_headlines(out_headline, records, seed=seed)
    return ranking
