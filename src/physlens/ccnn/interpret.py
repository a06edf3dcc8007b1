"""Interpretation entry point of the ccnn stage: correlator features of the trained CCNN,
the L1 regularisation path over its classifier, the first-entering correlator and the shape
of its filter, and the judged headline numbers (physlens.summary.headline).
"""

from __future__ import annotations

import json
import logging

import numpy as np
import xarray as xr

from physlens.ccnn.ensembles import SPLIT_CODES
from physlens.ccnn.path import l1_logistic_path, shape_check
from physlens.io import DataFileError, load_dataset, read_json, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.summary import headline, write_headlines

log = logging.getLogger(__name__)
STAGE = "ccnn"
# What the train rule's features file records besides the arrays (pipeline.features_dataset).
FEATURE_ATTRS = (
    "pair",
    "kind",
    "label_1",
    "label_0",
    "expected_order",
    "expected_patterns",
    "recursion_relative_error",
)


def path_dataset(path, filters, first, seed, pair) -> xr.Dataset:
    n_filters = len(filters)
    shape = (n_filters, len(path.score) // n_filters)
    return xr.Dataset(
        {
            "coef": (
                ("lam", "filter", "order"),
                path.coefs.reshape(len(path.lambdas), *shape),
                {"long_name": "coefficient of the standardised feature"},
            ),
            "intercept": ("lam", path.intercepts),
            "entry_lambda": (("filter", "order"), path.entry_lambda.reshape(shape)),
            "score": (
                ("filter", "order"),
                path.score.reshape(shape),
                {"long_name": "|x_j.(y - mean y)|/n"},
            ),
            "filters": (
                ("filter", "wy", "wx"),
                filters,
                {"long_name": "unit-norm learned filters"},
            ),
        },
        coords={
            "lam": path.lambdas,
            "filter": np.arange(n_filters),
            "order": np.arange(1, shape[1] + 1),
        },
        attrs=base_attrs(seed, pair=pair, first_filter=int(first[0]), first_order=int(first[1])),
    )


def low_order_check(statistics: dict, expected_order: int) -> tuple[float, list[str]]:
    """Largest |z| of the ensemble difference over the statistics below the expected order."""
    rows = {k: v for k, v in statistics["statistics"].items() if v["order"] < expected_order}
    if not rows:
        return float("nan"), []
    return float(max(abs(v["z"]) for v in rows.values())), sorted(rows)


def interpret_pair(
    features_path, metas: dict, statistics_path, name: str, cfg: dict, seed: int, out: dict
) -> dict:
    """Path, first-entering correlator, filter shape and headlines for one ensemble pair.

    `features_path` is the trained CCNN's features file (:func:`physlens.ccnn.pipeline.
    train_models`); `metas` maps ccnn_meta and cnn_meta to the models' metadata; `cfg` is
    :func:`physlens.slices.ccnn_path_slice`; `out` maps path, report and headline to paths.
    """
    ds = load_dataset(
        features_path,
        required=("feature", "label", "split", "filters"),
        dims={"feature": ("sample", "filter", "order")},
    )
    missing = [a for a in FEATURE_ATTRS if a not in ds.attrs]
    if missing:
        raise DataFileError(
            f"{features_path}: attribute(s) {missing} missing (not a ccnn features file)"
        )
    meta, cnn_meta = read_json(metas["ccnn_meta"]), read_json(metas["cnn_meta"])
    feats = ds["feature"].values
    n_filters, max_order = feats.shape[1:]
    train = ds["split"].values == SPLIT_CODES["train"]
    path = l1_logistic_path(
        feats[train].reshape(train.sum(), -1),
        ds["label"].values[train],
        n_lambdas=int(cfg["path"]["n_lambdas"]),
        min_ratio=float(cfg["path"]["min_ratio"]),
    )
    order = path.entry_order()
    first_filter, first_order = int(order[0]) // max_order, int(order[0]) % max_order + 1
    filters = ds["filters"].values
    expected_order = int(ds.attrs["expected_order"])
    patterns = json.loads(ds.attrs["expected_patterns"])
    shapes = shape_check(filters[first_filter], patterns)
    stats = read_json(statistics_path)
    max_z, low_names = low_order_check(stats, expected_order)

    to_netcdf_atomic(
        path_dataset(path, filters, (first_filter, first_order), seed, name), out["path"]
    )
    report = {
        "pair": name,
        "kind": ds.attrs["kind"],
        "labels": {"1": ds.attrs["label_1"], "0": ds.attrs["label_0"]},
        "expected_order": expected_order,
        "expected_patterns": patterns,
        "first_filter": first_filter,
        "first_order": first_order,
        "entry": [
            {
                "filter": int(j // max_order),
                "order": int(j % max_order + 1),
                "entry_lambda": float(path.entry_lambda[j]),
                "score": float(path.score[j]),
            }
            for j in order
        ],
        "first_filter_shapes": shapes,
        "ccnn_test_accuracy": meta["metrics"]["test_accuracy"],
        "cnn_test_accuracy": cnn_meta["metrics"]["test_accuracy"],
        "ccnn_parameters": meta["metrics"]["n_parameters"],
        "cnn_parameters": cnn_meta["metrics"]["n_parameters"],
        "n_test": int((ds["split"].values == SPLIT_CODES["test"]).sum()),
        "low_order_statistics": low_names,
        "low_order_max_abs_z": max_z,
        "recursion_relative_error": float(ds.attrs["recursion_relative_error"]),
        "statistics": stats["statistics"],
    }
    write_json(out["report"], report)
    write_headlines(out["headline"], pair_headlines(report, cfg), seed=seed)
    log.info(
        "%s: first order %d (expected %d), filter %d support %s, accuracy %.3f vs CNN %.3f",
        name,
        first_order,
        expected_order,
        first_filter,
        shapes["support"],
        report["ccnn_test_accuracy"],
        report["cnn_test_accuracy"],
    )
    return report


def shape_headline(rep: dict, known: str) -> dict:
    """Whether the support of the first-entering filter (its n cells of largest |f|, n the
    known order) is the known pattern. Judged where the pattern is sharp (block parity: only
    the constrained cells carry the label). For the Ising phases it is recorded only: the Boltzmann weight
    singles out the nearest-neighbour bonds, but near Tc every short-range two-point function
    separates the temperatures about as well (the measured separations are in the
    description), so a sparse filter may settle on a diagonal pair as well."""
    exp, shapes = rep["expected_order"], rep["first_filter_shapes"]
    judged = rep["kind"] != "ising"
    note = ""
    if not judged:
        sep = {
            k: v["separation"]
            for k, v in rep["statistics"].items()
            if v["order"] == exp and np.isfinite(v["separation"])
        }
        note = "; recorded only, two-point separations (Cohen's d) " + ", ".join(
            f"{k} {abs(v):.2f}" for k, v in sep.items()
        )
    return headline(
        f"ccnn.{rep['pair']}.filter_shape",
        float(shapes["support_matches"]),
        stage=STAGE,
        reference=1 if judged else None,
        reference_source=f"{known}: pattern(s) {rep['expected_patterns']}" if judged else "",
        ref="miles2021_ccnn_distinguishing_correlators" if judged else None,
        tolerance=0 if judged else None,
        tolerance_kind="at_least",
        description=(
            f"{rep['pair']}: the {exp} largest cells of the first-entering filter form the "
            f"known pattern up to translation (found {shapes['support']}; heaviest "
            f"{exp}-point shape of its correlator {shapes['top'][0]['shape']}, share "
            f"{shapes['top'][0]['share']:.2f}){note}"
        ),
    )


def pair_headlines(rep: dict, cfg: dict) -> list[dict]:
    name, exp = rep["pair"], rep["expected_order"]
    known = f"known by construction of {name} ({rep['labels']['1']} vs {rep['labels']['0']})"
    margin = float(cfg["accuracy_margin"])
    shapes = rep["first_filter_shapes"]
    # binomial standard error of a test accuracy
    acc_err = np.sqrt(rep["ccnn_test_accuracy"] * (1 - rep["ccnn_test_accuracy"]) / rep["n_test"])
    records = [
        headline(
            f"ccnn.{name}.first_order",
            rep["first_order"],
            stage=STAGE,
            reference=exp,
            reference_source=known,
            ref="miles2021_ccnn_regularisation_path",
            tolerance=0,
            tolerance_kind="absolute",
            description=(
                f"{name}: order of the first correlator feature entering the L1 regularisation "
                f"path (filter {rep['first_filter']}; known order {exp})"
            ),
        ),
        headline(
            f"ccnn.{name}.test_accuracy",
            rep["ccnn_test_accuracy"],
            stage=STAGE,
            uncertainty=acc_err,
            reference=rep["cnn_test_accuracy"],
            reference_source=(
                f"plain CNN of similar size ({rep['cnn_parameters']} vs {rep['ccnn_parameters']} "
                f"weights) on the same split; criterion: at least its accuracy - {margin:g}"
            ),
            ref="miles2021_ccnn_accuracy",
            tolerance=margin,
            tolerance_kind="at_least",
            description=f"{name}: CCNN test accuracy against a plain CNN of similar size",
        ),
        shape_headline(rep, known),
        headline(
            f"ccnn.{name}.known_shape_share",
            shapes["known_share"],
            stage=STAGE,
            description=(
                f"{name}: share of the first-entering filter's order-{exp} correlator weight "
                "on the known pattern"
            ),
        ),
        headline(
            f"ccnn.{name}.recursion_error",
            rep["recursion_relative_error"],
            stage=STAGE,
            reference=0,
            reference_source="the tuple sum over window subsets (the definition), float64",
            ref="miles2021_ccnn_recursion",
            tolerance=1e-9,
            tolerance_kind="at_most",
            description=(
                f"{name}: largest relative difference between the recursive correlator maps of "
                "the learned filters and the brute-force tuple sum"
            ),
        ),
    ]
    if rep["low_order_statistics"]:
        z_max = float(cfg["low_order_z_max"])
        records.append(
            headline(
                f"ccnn.{name}.low_order_max_z",
                rep["low_order_max_abs_z"],
                stage=STAGE,
                reference=z_max,
                reference_source=(
                    "the ensembles agree below the distinguishing order (exactly by "
                    "construction, or by the Z2 symmetrisation of the Ising data)"
                ),
                tolerance=0,
                tolerance_kind="at_most",
                description=(
                    f"{name}: largest |difference| / standard error between the ensembles of "
                    f"{', '.join(rep['low_order_statistics'])} (orders below {exp}; <= {z_max:g})"
                ),
            )
        )
    return records
