"""TNNR against a single network of the same size on the physics-formula data sets, over
repeated random splits.

Each repeat draws its own split, as the authors' code does: the last test_fraction of a
random permutation is the test set, the val_fraction before it the validation set, the rest
the training set (the TNNR anchors). Per repeat and estimator:

* TNNR: one twin network per grid entry, the one with the lowest validation RMSE kept;
  uncertainties are the anchors' spread and the per-point loop violation;
* single network: one plain network per grid entry, the best on validation kept;
* ensemble: that network plus ensemble_size - 1 more with its settings; spread = uncertainty.

Scores per repeat: test RMSE, and for each uncertainty one scale factor fitted on the
validation set (tnnr.calibration_scale) and the coverage of the 68 % / 95 % intervals it
gives on the test set. Over repeats: means with standard errors, the paired difference
RMSE(TNNR) - RMSE(single), and Spearman's rank correlation of each uncertainty with the
actual absolute error, within repeats (stats.stratified_spearman).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import xarray as xr

from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.siamese import tnnr
from physlens.siamese.regressor import TwinRegressor
from physlens.stats import stratified_spearman_ci
from physlens.training import TrainSettings

log = logging.getLogger(__name__)
STAGE = "twin"
Z68, Z95 = 1.0, 1.959963984540054
# uncertainty estimate -> the estimator whose error it should rank
UNCERTAINTIES = {
    "tnnr_spread": "tnnr",
    "loop_violation": "tnnr",
    "ensemble_spread": "ensemble",
}
ESTIMATORS = ("tnnr", "single", "ensemble")


def fraction_split(
    n: int, val_fraction: float, test_fraction: float, gen: np.random.Generator
) -> dict[str, np.ndarray]:
    """Train / val / test indices: int(n val_fraction) validation and int(n test_fraction)
    test points at the end of a random permutation, the rest for training."""
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = n - n_val - n_test
    if n_val < 2 or n_test < 2 or n_train < 2:
        raise ValueError(
            f"twin.formula: {n} points give {n_train} train, {n_val} validation and {n_test} "
            "test points; each needs at least 2 (raise the task's points or the fractions)"
        )
    perm = gen.permutation(n)
    return {
        "train": perm[:n_train],
        "val": perm[n_train : n_train + n_val],
        "test": perm[n_train + n_val :],
    }


def _settings(training: dict, base: dict, override: dict) -> TrainSettings:
    return TrainSettings.from_config({**training, **base, **override})


def fit_twin(Xs, ys, cfg: dict, training: dict, seeds: list[int], name: str):
    """The grid's TNNR models on (Xs, ys)["train"]; returns the best on validation RMSE and
    its grid index."""
    f = cfg["formula"]
    best = (np.inf, None, -1)
    for g, (override, s) in enumerate(zip(f["grid"]["tnnr"], seeds)):
        reg = TwinRegressor(
            hidden=list(cfg["hidden"]),
            activation=cfg["activation"],
            n_triplets=f["triplets"],
            loop_weight=cfg["loop_weight"],
            train=_settings(training, cfg["train"], override),
            standardise=False,
            seed=s,
            name=f"{name}/tnnr{g}",
        ).fit(Xs["train"], ys["train"], Xs["val"], ys["val"])
        score = tnnr.rmse(reg.predict(Xs["val"]), ys["val"])
        if score < best[0]:
            best = (score, reg, g)
    return best[1], best[2]


def fit_networks(Xs, ys, cfg: dict, training: dict, seeds: list[int], member_seeds, name: str):
    """The grid's single networks, the best on validation RMSE first, then ensemble_size - 1
    more networks with its settings; returns (networks, grid index of the single one)."""
    f = cfg["formula"]
    arch = {"name": "mlp_regressor", "hidden": list(cfg["hidden"]), "activation": cfg["activation"]}

    def net(override, s, tag):
        settings = _settings(training, cfg["baseline_train"], override)
        return tnnr.train_regressor(
            Xs["train"], ys["train"], Xs["val"], ys["val"], arch, settings, s, name=tag
        ).model

    best = (np.inf, None, -1)
    for g, (override, s) in enumerate(zip(f["grid"]["single"], seeds)):
        model = net(override, s, f"{name}/single{g}")
        score = tnnr.rmse(tnnr.ensemble_predict([model], Xs["val"])[0], ys["val"])
        if score < best[0]:
            best = (score, model, g)
    override = f["grid"]["single"][best[2]]
    members = [net(override, s, f"{name}/member{k + 1}") for k, s in enumerate(member_seeds)]
    return [best[1], *members], best[2]


def run_repeat(task: str, X: np.ndarray, y: np.ndarray, cfg: dict, training: dict, seed, r: int):
    """One split of one task: per-point predictions and uncertainties on the validation and
    test sets (in units of y), and the grid entries chosen."""
    f = cfg["formula"]
    key = (seed, STAGE, task, "repeat", r)
    parts = fraction_split(len(y), f["val_fraction"], f["test_fraction"], rng(*key, "split"))
    std = tnnr.Standardiser(X[parts["train"]], y[parts["train"]])
    Xs = {k: std.x(X[v]) for k, v in parts.items()}
    ys = {k: std.y(y[v]) for k, v in parts.items()}
    name = f"{task}/repeat{r}"
    n_grid = {m: len(f["grid"][m]) for m in ("tnnr", "single")}
    reg, g_tnnr = fit_twin(
        Xs, ys, cfg, training, [derive_seed(*key, "tnnr", g) for g in range(n_grid["tnnr"])], name
    )
    nets, g_single = fit_networks(
        Xs,
        ys,
        cfg,
        training,
        [derive_seed(*key, "single", g) for g in range(n_grid["single"])],
        [derive_seed(*key, "member", k) for k in range(1, f["ensemble_size"])],
        name,
    )
    out = {"grid_tnnr": g_tnnr, "grid_single": g_single, "n_train": len(parts["train"])}
    for part in ("val", "test"):
        t_mean, t_std = reg.predict(Xs[part], return_std=True)
        loops = tnnr.point_loop_violation(
            reg.model_, Xs[part], Xs["train"], f["loop_pairs"], rng(*key, "loops", part)
        )
        e_mean, e_std = tnnr.ensemble_predict(nets, Xs[part])
        single, _ = tnnr.ensemble_predict(nets[:1], Xs[part])
        out[part] = {
            "y": y[parts[part]],
            "x": X[parts[part]],
            "prediction": {
                k: std.y_back(v)
                for k, v in (("tnnr", t_mean), ("single", single), ("ensemble", e_mean))
            },
            "sigma": {
                k: std.y_back(v, scale_only=True)
                for k, v in (
                    ("tnnr_spread", t_std),
                    ("loop_violation", loops),
                    ("ensemble_spread", e_std),
                )
            },
        }
    return out


def repeat_rows(task: str, r: int, rep: dict) -> list[dict]:
    """Score rows of one repeat: RMSE per estimator, calibrated coverage per uncertainty."""
    test, val = rep["test"], rep["val"]
    rows = [
        {
            "task": task,
            "repeat": r,
            "estimator": k,
            "n_train": rep["n_train"],
            "n_test": len(test["y"]),
            "rmse": tnnr.rmse(test["prediction"][k], test["y"]),
        }
        for k in ESTIMATORS
    ]
    for u, est in UNCERTAINTIES.items():
        s = tnnr.calibration_scale(val["prediction"][est], val["sigma"][u], val["y"])
        pred, sigma = test["prediction"][est], s * test["sigma"][u]
        rows.append(
            {
                "task": task,
                "repeat": r,
                "estimator": u,
                "n_train": rep["n_train"],
                "n_test": len(test["y"]),
                "calibration_scale": s,
                "coverage68_calibrated": tnnr.coverage(pred, sigma, test["y"], Z68),
                "coverage95_calibrated": tnnr.coverage(pred, sigma, test["y"], Z95),
            }
        )
    return rows


def predictions_dataset(task: str, reps: list[dict], seed: int, cfg: dict) -> xr.Dataset:
    """Test-set predictions and uncertainties of every repeat: dims (estimator|uncertainty,
    repeat, point)."""
    tests = [rep["test"] for rep in reps]

    def stack(field, names):
        return np.stack([np.stack([t[field][k] for t in tests]) for k in names])

    return xr.Dataset(
        {
            "y": (("repeat", "point"), np.stack([t["y"] for t in tests])),
            "x": (("repeat", "point", "feature"), np.stack([t["x"] for t in tests])),
            "prediction": (("estimator", "repeat", "point"), stack("prediction", ESTIMATORS)),
            "sigma": (("uncertainty", "repeat", "point"), stack("sigma", list(UNCERTAINTIES))),
            "grid_tnnr": ("repeat", np.array([rep["grid_tnnr"] for rep in reps])),
            "grid_single": ("repeat", np.array([rep["grid_single"] for rep in reps])),
        },
        coords={
            "estimator": list(ESTIMATORS),
            "uncertainty": list(UNCERTAINTIES),
            "repeat": np.arange(len(reps)),
            "point": np.arange(len(tests[0]["y"])),
        },
        attrs=base_attrs(
            seed,
            task=task,
            algorithm="TNNR vs single network vs ensemble, repeated splits",
            val_fraction=float(cfg["formula"]["val_fraction"]),
            test_fraction=float(cfg["formula"]["test_fraction"]),
        ),
    )


def run_formula_task(task: str, X, y, cfg: dict, training: dict, seed: int):
    """Every repeat of one task: (score rows, test predictions Dataset)."""
    reps, rows = [], []
    for r in range(cfg["formula"]["repeats"]):
        log.info("twin %s: repeat %d", task, r)
        reps.append(run_repeat(task, X, y, cfg, training, seed, r))
        rows += repeat_rows(task, r, reps[-1])
    return rows, predictions_dataset(task, reps, seed, cfg)


# --- summaries over repeats -------------------------------------------------------------------


def mean_and_standard_error(x) -> tuple[float, float]:
    """Mean over repeats and its standard error (sample standard deviation / sqrt(n))."""
    x = np.asarray(x, float)
    se = float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")
    return float(np.mean(x)), se


def ratio_of_means(a, b) -> tuple[float, float]:
    """mean(a) / mean(b) of paired per-repeat values, with its delta-method standard error
    (the covariance of the pairs included)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = len(a)
    ma, mb = a.mean(), b.mean()
    ratio = ma / mb
    if n < 2:
        return float(ratio), float("nan")
    cov = np.cov(a, b, ddof=1) / n
    var = ratio**2 * (cov[0, 0] / ma**2 + cov[1, 1] / mb**2 - 2 * cov[0, 1] / (ma * mb))
    return float(ratio), float(np.sqrt(max(var, 0.0)))


def summarise_task(rows: pd.DataFrame, preds: xr.Dataset, gen: np.random.Generator) -> dict:
    """Quantity -> (value, standard error) over the repeats of one task."""
    rmse = {
        k: rows[rows["estimator"] == k].sort_values("repeat")["rmse"].to_numpy() for k in ESTIMATORS
    }
    out = {f"rmse_{k}": mean_and_standard_error(v) for k, v in rmse.items()}
    out["rmse_diff_tnnr_single"] = mean_and_standard_error(rmse["tnnr"] - rmse["single"])
    out["rmse_ratio_tnnr_single"] = ratio_of_means(rmse["tnnr"], rmse["single"])
    out["rmse_ratio_tnnr_ensemble"] = ratio_of_means(rmse["tnnr"], rmse["ensemble"])
    strata = np.broadcast_to(preds["repeat"].values[:, None], preds["y"].shape).ravel()
    for u, est in UNCERTAINTIES.items():
        err = np.abs(preds["prediction"].sel(estimator=est) - preds["y"]).values.ravel()
        sigma = preds["sigma"].sel(uncertainty=u).values.ravel()
        rho, se, _, _ = stratified_spearman_ci(sigma, err, strata, rng=gen, min_size=5)
        out[f"spearman_{u}"] = (rho, se)
        sel = rows[rows["estimator"] == u]
        for level in ("68", "95"):
            out[f"coverage{level}_{u}_calibrated"] = mean_and_standard_error(
                sel[f"coverage{level}_calibrated"]
            )
    return out
