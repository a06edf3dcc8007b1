"""The supervised stage's phase classifier and Tc, as functions of paths and config slices
(thin Snakemake scripts pass their rule's params straight in: `split` is
:func:`physlens.slices.split_slice`, `classifier` :func:`physlens.slices.classifier_slice` of
the stage's config); the correlation-probing nets are in :mod:`.probes`.

Seeds: every stream is derive_seed(config seed, "supervised", <model name>, ...), so adding a
lattice size or a receptive field never changes the others' weights or splits.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import xarray as xr

from physlens.config import TC_EXACT
from physlens.io import atomic_path, to_netcdf_atomic
from physlens.modelfiles import load_model
from physlens.phase import crossing
from physlens.phase.ensemble import ensemble_crossing, ensemble_curve, extrapolate_ensemble
from physlens.phase.labels import split_phase_data
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.slices import split_slice
from physlens.summary import headline, write_headlines
from physlens.supervised.data import load_ising, phase_labels, spins_array, z2_signs
from physlens.training import TrainSettings, predict, seeded_model, train_and_save

log = logging.getLogger(__name__)
STAGE = "supervised"


def train_settings(training: dict, overrides: dict) -> TrainSettings:
    """Stage-wide training defaults (config `training`) overridden by the model's own block."""
    return TrainSettings.from_config({**training, **overrides})


def phase_split(ds: xr.Dataset, split: dict, seed: int, name: str, *keys):
    """Labels, the train/val/test split and the Z2 signs (None if not symmetrising) for one
    data file, reproducible from the seed; `split` is the stage's split slice."""
    windows = split["windows"]
    labels = phase_labels(
        ds["temperature"].values, windows["ordered_max"], windows["disordered_min"]
    )
    indices = split_phase_data(
        labels,
        ds.sizes["sample"],
        split["val_fraction"],
        split["test_fraction"],
        rng(seed, STAGE, name, *keys, "split"),
    )
    shape = (ds.sizes["temperature"], ds.sizes["sample"])
    # Keyed by the lattice size only, so every model on the same file sees the same signs.
    signs = z2_signs(shape, rng(seed, STAGE, "z2", ds.sizes["x"])) if split["symmetrize"] else None
    return labels, indices, signs


def _xy(ds, labels, idx, signs):
    return spins_array(ds, idx, signs), labels[idx[0]].astype(np.float32)


def train_model(
    arch: dict,
    name: str,
    keys: tuple,
    split_keys: tuple,
    data_path,
    split: dict,
    settings: TrainSettings,
    seed: int,
    outputs: dict,
    config_slice: dict,
    resume_dir=None,
    callbacks=(),
):
    """Train one model of the stage; `keys` label its seed, `split_keys` its data split
    (shared by the models that must be tested on the same unseen samples)."""
    ds = load_ising(data_path)
    labels, indices, signs = phase_split(ds, split, seed, *split_keys)
    mseed = derive_seed(seed, STAGE, name, *keys)
    result, _ = train_and_save(
        seeded_model(arch, mseed),
        _xy(ds, labels, indices.train, signs),
        _xy(ds, labels, indices.val, signs),
        settings,
        mseed,
        outputs,
        data_path=data_path,
        master_seed=seed,
        config=config_slice,
        metadata={"name": name, "keys": list(keys), "split_keys": list(split_keys)},
        resume_dir=resume_dir,
        callbacks=callbacks,
        name="/".join([name, *map(str, keys)]),
    )
    log.info("%s %s: %s", name, keys, result.metrics)
    return result


def check_lattice(ds: xr.Dataset, L: int, data_path, key: str) -> None:
    if ds.sizes["x"] != L:
        raise ValueError(f"{data_path}: lattice is {ds.sizes['x']}x{ds.sizes['y']}, {key} = {L}")


# --- experiment 1: phase classifier and Tc --------------------------------------------------


def train_phase_classifier(
    data_path,
    member: int,
    split: dict,
    classifier: dict,
    training: dict,
    seed: int,
    outputs: dict,
    resume_dir=None,
    callbacks=(),
):
    """Train ensemble member `member` of the CNN on configurations of size classifier.L,
    labelled by phase, away from Tc. Members differ in initialisation and minibatch order
    only; they share the split so that all are tested on the same unseen samples.
    `classifier` is the classifier slice (the ensemble size is not part of a member)."""
    L = int(classifier["L"])
    check_lattice(load_ising(data_path), L, data_path, "supervised.classifier.L")
    config_slice = {**split_slice(split), "classifier": classifier, "training": training}
    return train_model(
        {"name": "phase_cnn", **classifier["architecture"]},
        "phase_cnn",
        (L, int(member)),
        ("phase_cnn", L),
        data_path,
        split,
        train_settings(training, classifier["train"]),
        seed,
        outputs,
        config_slice,
        resume_dir,
        callbacks,
    )


def predict_phase(
    models: list,
    train_data_path,
    data_path,
    L: int,
    split: dict,
    seed: int,
    out_path,
    beta_over_nu: float = 0.0,
) -> xr.Dataset:
    """P(ordered) of each ensemble member on the samples of `data_path` (size L) it never saw.

    `models` lists (model.pt, model.json) pairs. With `beta_over_nu` > 0 the nets' pooled
    order-parameter features are multiplied by (L / L_train)^(beta/nu) (see
    crossing.order_parameter_scale); 0 applies the nets unchanged. On the training file the
    unseen samples are the test samples of the shared split; on any other file (another L)
    every sample is. NaN marks samples not evaluated.
    """
    loaded = [load_model(pt, meta, data_path=train_data_path) for pt, meta in models]
    ds = load_ising(data_path)
    split_keys = {tuple(meta["split_keys"]) for _, meta in loaded}
    if len(split_keys) != 1:
        raise ValueError(f"ensemble members were trained on different splits: {sorted(split_keys)}")
    labels, indices, signs = phase_split(ds, split, seed, *split_keys.pop())
    same_file = Path(data_path).resolve() == Path(train_data_path).resolve()
    shape = (ds.sizes["temperature"], ds.sizes["sample"])
    idx = indices.test if same_file else tuple(a.ravel() for a in np.indices(shape))
    p = np.full((len(loaded), *shape), np.nan)
    x = spins_array(ds, idx, signs)
    for i, (model, meta) in enumerate(loaded):
        if beta_over_nu and not getattr(model, "z2_odd", False):
            raise ValueError(
                f"supervised.tc.beta_over_nu = {beta_over_nu} rescales an order-parameter feature; "
                f"model {meta['name']} {meta['keys']} is not a z2_odd PhaseCNN (set it to 0)"
            )
        if beta_over_nu:
            model.order_scale = crossing.order_parameter_scale(
                L, int(meta["keys"][0]), beta_over_nu
            )
        p[i][idx] = predict(model, x)
    mean, sem, n = ensemble_curve(p)
    out = xr.Dataset(
        {
            "p_ordered": (
                ("member", "temperature", "sample"),
                p,
                {
                    "long_name": "P(ordered) of unseen samples per ensemble member (NaN: not evaluated)"
                },
            ),
            "p_mean": (
                "temperature",
                mean,
                {"long_name": "ensemble-mean P(ordered), averaged over evaluated samples"},
            ),
            "p_sem": ("temperature", sem, {"long_name": "standard error of p_mean over samples"}),
            "n_test": ("temperature", n),
            "label": (
                "temperature",
                labels,
                {
                    "long_name": "phase label by the training windows: 1 ordered, 0 disordered, -1 between"
                },
            ),
        },
        coords={"temperature": ds["temperature"].values, "member": np.arange(len(loaded))},
        attrs=base_attrs(
            seed,
            L=int(L),
            models=[str(m[0]) for m in models],
            trained_on=str(train_data_path),
            tc_crossing=crossing.half_crossing(ds["temperature"].values, mean),
            algorithm="phase CNN ensemble, P(ordered) on samples it was not trained on",
        ),
    )
    to_netcdf_atomic(out, out_path)
    return out


# With lattices up to L = 64 (the paper preset) the extrapolated Tc is judged at the papers'
# precision: within 0.3 % of Onsager's Tc and with an error of at most 0.005. Smaller sets of
# sizes keep the 1 % tolerance (the L^(-1/nu) fit over L <= 32 carries O(L^-2) corrections
# and a wider bootstrap error) and put no bound on the error.
PAPER_SCALE_L = 64
PAPER_SCALE_TOLERANCE = 0.003
PAPER_SCALE_MAX_ERROR = 0.005
SMALL_SCALE_TOLERANCE = 0.01


def tc_criteria(sizes) -> tuple[float, float | None]:
    """(relative tolerance, largest accepted uncertainty or None) of the extrapolated Tc for
    a classifier evaluated at `sizes` (see PAPER_SCALE_L)."""
    if max(sizes) >= PAPER_SCALE_L:
        return PAPER_SCALE_TOLERANCE, PAPER_SCALE_MAX_ERROR
    return SMALL_SCALE_TOLERANCE, None


def analyse_tc(prediction_paths: dict, tc: dict, seed: int, out_csv, out_headline) -> dict:
    """Tc(L) from the 1/2 crossings of the ensemble-mean P(ordered), extrapolated to L -> oo
    (`tc`: the stage's `tc` block).

    Errors (:mod:`physlens.phase.ensemble`): bootstrap over the evaluated samples (resampled
    within each temperature, all members alike), combined in quadrature with the standard
    error over ensemble members of the extrapolated Tc (the spread of the classifiers'
    decision thresholds).
    """
    sizes = sorted(int(L) for L in prediction_paths)
    n_boot, nu = tc["bootstrap"], tc["nu"]
    rows, estimates = [], []
    for L in sizes:
        with xr.open_dataset(prediction_paths[L], engine="h5netcdf") as ds:
            temps, p = ds["temperature"].values, ds["p_ordered"].values
        est = ensemble_crossing(temps, p, rng(seed, STAGE, "tc", L), n_boot)
        estimates.append(est)
        rows.append(
            {
                "L": L,
                "tc": est.value,
                "tc_err": est.bootstrap_error,
                "failed_resamples": est.failed_resamples,
            }
        )
    ex = extrapolate_ensemble(sizes, estimates, nu)
    used, members = ex["used"], ex["per_member"]
    if not used.all():
        log.warning(
            "no P(ordered) = 1/2 crossing at L = %s; left out of the extrapolation",
            np.array(sizes)[~used].tolist(),
        )
    member_sem, tc_err = ex["ensemble_error"], ex["tc_err"]
    tolerance, max_error = tc_criteria(sizes)
    with atomic_path(out_csv, suffix=".csv.tmp") as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["L", "tc", "tc_err", "failed_resamples"])
        w.writeheader()
        w.writerows(rows)
        fh.write(
            f"# extrapolated Tc = {ex['tc']:.6f} +- {tc_err:.6f} (bootstrap {ex['bootstrap_error']:.6f}, ensemble {member_sem:.6f}); "
            f"slope a = {ex['slope']:.4f}; nu = {nu}; per-member Tc = {[round(m, 5) for m in members]}\n"
        )
    records = [
        headline(
            "supervised.tc_extrapolated",
            ex["tc"],
            stage=STAGE,
            uncertainty=tc_err,
            reference=TC_EXACT,
            reference_source="exact result: Onsager 1944, Tc = 2 / ln(1 + sqrt 2)",
            tolerance=tolerance,
            tolerance_kind="relative",
            description=(
                "Tc from the phase-classifier ensemble, Tc(L) = Tc + a L^(-1/nu) extrapolated; "
                f"within {tolerance:.1%} of Onsager's Tc"
                + (f" (sizes up to L = {PAPER_SCALE_L})" if max_error is not None else "")
            ),
            slope=ex["slope"],
            nu=nu,
            sizes=sizes,
            bootstrap_error=ex["bootstrap_error"],
            ensemble_error=member_sem,
            per_member=members,
            sizes_used=np.array(sizes)[used].tolist(),
            chi2=ex["chi2"],
            dof=ex["dof"],
        )
    ]
    if max_error is not None:
        records.append(
            headline(
                "supervised.tc_extrapolated_error",
                tc_err,
                stage=STAGE,
                reference=max_error,
                reference_source=(
                    f"our criterion: with sizes up to L = {PAPER_SCALE_L} the extrapolated Tc is "
                    f"known to {max_error} or better"
                ),
                tolerance=0.0,
                tolerance_kind="at_most",
                description="uncertainty of supervised.tc_extrapolated (bootstrap and ensemble spread)",
                sizes=sizes,
            )
        )
    records += [
        headline(
            f"supervised.tc_L{r['L']}",
            r["tc"],
            stage=STAGE,
            uncertainty=r["tc_err"],
            description=f"P(ordered) = 1/2 crossing at L = {r['L']}",
            L=r["L"],
        )
        for r in rows
    ]
    write_headlines(out_headline, records, seed=seed)
    return {
        "rows": rows,
        **ex,
    }
