"""TNNR against a single network and an ensemble of networks of the same width.

Tasks are (X, y) arrays built from config: a smooth synthetic function and a physics task
(energy per site from Ising configurations of results/ising/L{L}.h5). For every task:

* full labels: single MLP, ensemble of K MLPs (spread = uncertainty), TNNR (anchor spread);
* few labels: TNNR trained on the labelled points only vs. TNNR whose loop-consistency loss
  also covers unlabelled points (semi-supervised), plus a single MLP for reference.

Scores on a held-out test set: RMSE, coverage of the nominal 68 % / 95 % intervals raw and
after one scale factor fitted on the validation set (calibrated), loop violation.

The physics-formula tasks (rcl_circuit, wheatstone_bridge) are read from their data files and
run over repeated splits instead (:mod:`physlens.siamese.formula_benchmark`).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import xarray as xr

from physlens.io import atomic_path, open_dataset
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.siamese import formula_benchmark as fb
from physlens.siamese import tnnr
from physlens.siamese.formula_headlines import formula_headlines
from physlens.siamese.formulas import FORMULA_TASKS, formula, load_formula_dataset
from physlens.siamese.regressor import TwinRegressor
from physlens.summary import headline, write_headlines
from physlens.training import TrainSettings
from physlens.validate import validate_ising

log = logging.getLogger(__name__)
STAGE = "twin"
Z68, Z95 = 1.0, 1.959963984540054


def synthetic_function(X: np.ndarray) -> np.ndarray:
    """Smooth test function on [-1, 1]^2: sin(pi x1) cos(pi x2 / 2) + x2 / 2."""
    return np.sin(np.pi * X[:, 0]) * np.cos(0.5 * np.pi * X[:, 1]) + 0.5 * X[:, 1]


def synthetic_task(n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = gen.uniform(-1.0, 1.0, (n, 2))
    return X, synthetic_function(X)


def ising_energy_task(path, n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n configurations drawn over all temperatures: flattened spins -> energy per site."""
    ds = validate_ising(open_dataset(path, required=("spins", "energy")), path)
    spins = ds["spins"].values  # (temperature, sample, y, x)
    energy = ds["energy"].values
    ds.close()
    flat = spins.reshape(-1, spins.shape[-2] * spins.shape[-1]).astype(np.float32)
    e = energy.reshape(-1).astype(np.float64)
    if n > len(e):
        raise ValueError(
            f"{path}: twin.n_points = {n} but the file holds only {len(e)} configurations"
        )
    pick = gen.permutation(len(e))[:n]
    return flat[pick], e[pick]


def build_tasks(cfg: dict, seed: int, ising_path=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The configured tasks as (X, y) arrays, each drawn from its own seeded stream; the
    physics-formula tasks come from their data files instead (:func:`load_formula_tasks`)."""
    tasks = {}
    for name in cfg["tasks"]:
        gen = rng(seed, STAGE, name, "data")
        if name in FORMULA_TASKS:
            continue
        if name == "synthetic":
            tasks[name] = synthetic_task(cfg["n_points"], gen)
        elif name == "ising_energy":
            if ising_path is None:
                raise ValueError(
                    "twin.tasks includes ising_energy but no Ising data file was given"
                )
            tasks[name] = ising_energy_task(ising_path, cfg["n_points"], gen)
        else:
            known = ", ".join(("synthetic", "ising_energy", *FORMULA_TASKS))
            raise ValueError(f"twin.tasks: unknown task {name!r} ({known})")
    return tasks


def load_formula_tasks(cfg: dict, paths) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The configured physics-formula tasks from their data files (any order), by task."""
    loaded = {}
    for path in paths:
        task, X, y = load_formula_dataset(path)
        loaded[task] = (X, y)
    wanted = [t for t in cfg["tasks"] if t in FORMULA_TASKS]
    missing = [t for t in wanted if t not in loaded]
    if missing:
        raise ValueError(f"twin.tasks includes {missing} but no data file for them was given")
    return {t: loaded[t] for t in wanted}


def split_indices(
    n: int, n_train: int, n_val: int, gen: np.random.Generator
) -> dict[str, np.ndarray]:
    """Disjoint train / val / test indices; the rest of the points are the test set."""
    if n_train + n_val >= n:
        raise ValueError(
            f"twin: n_train + n_val = {n_train + n_val} leaves no test points out of {n}"
        )
    perm = gen.permutation(n)
    return {
        "train": perm[:n_train],
        "val": perm[n_train : n_train + n_val],
        "test": perm[n_train + n_val :],
    }


def _scores(
    task, method, labelled, pred, sigma, y, val_pred=None, val_sigma=None, y_val=None, **extra
) -> dict:
    row = {
        "task": task,
        "estimator": method,
        "n_labelled": int(labelled),
        "rmse": tnnr.rmse(pred, y),
    }
    if sigma is not None:
        row["coverage68"] = tnnr.coverage(pred, sigma, y, Z68)
        row["coverage95"] = tnnr.coverage(pred, sigma, y, Z95)
        row["mean_sigma"] = float(np.mean(sigma))
        s = tnnr.calibration_scale(val_pred, val_sigma, y_val)
        row["calibration_scale"] = s
        row["coverage68_calibrated"] = tnnr.coverage(pred, s * sigma, y, Z68)
        row["coverage95_calibrated"] = tnnr.coverage(pred, s * sigma, y, Z95)
    return {**row, **extra}


def run_task(task: str, X: np.ndarray, y: np.ndarray, cfg: dict, training: dict, seed: int):
    """All methods on one task; returns (score rows, predictions Dataset for plots)."""
    gen = rng(seed, STAGE, task, "split")
    parts = split_indices(len(y), cfg["n_train"], cfg["n_val"], gen)
    std = tnnr.Standardiser(X[parts["train"]], y[parts["train"]])
    Xs = {k: std.x(X[v]) for k, v in parts.items()}
    ys = {k: std.y(y[v]) for k, v in parts.items()}
    y_true = {k: y[v] for k, v in parts.items()}
    twin_arch = {"name": "twin_mlp", "hidden": list(cfg["hidden"]), "activation": cfg["activation"]}
    mlp_arch = {
        "name": "mlp_regressor",
        "hidden": list(cfg["hidden"]),
        "activation": cfg["activation"],
    }
    tset = TrainSettings.from_config({**training, **cfg["train"]})
    bset = TrainSettings.from_config({**training, **cfg["baseline_train"]})
    back = std.y_back
    rows, preds, times = [], {}, {}

    def mlp_models(labelled, k_models, tag):
        return [
            tnnr.train_regressor(
                Xs["train"][:labelled],
                ys["train"][:labelled],
                Xs["val"],
                ys["val"],
                mlp_arch,
                bset,
                derive_seed(seed, STAGE, task, tag, k),
                name=f"{task}/{tag}{k}",
            ).model
            for k in range(k_models)
        ]

    def twin_model(labelled, unlabelled, semi, tag):
        # on the task's standardised data: few-label runs share the full training set's scale
        reg = TwinRegressor(
            hidden=twin_arch["hidden"],
            activation=twin_arch["activation"],
            n_triplets=cfg["triplets"],
            loop_weight=cfg["loop_weight"],
            semi_fraction=semi,
            train=tset,
            standardise=False,
            seed=derive_seed(seed, STAGE, task, tag),
            name=f"{task}/{tag}",
        )
        unl = Xs["train"][labelled : labelled + unlabelled]
        return reg.fit(Xs["train"][:labelled], ys["train"][:labelled], Xs["val"], ys["val"], unl)

    def twin_scores(reg, labelled, method):
        m, s = reg.predict(Xs["test"], return_std=True)
        vm, vs = reg.predict(Xs["val"], return_std=True)
        loops = reg.loop_violation(Xs["test"], 2000, rng(seed, STAGE, task, method, "loops"))
        preds[method] = (back(m), back(s, scale_only=True))
        return _scores(
            task,
            method,
            labelled,
            back(m),
            back(s, True),
            y_true["test"],
            back(vm),
            back(vs, True),
            y_true["val"],
            loop_violation=loops * std.y_std,
            seconds=times[method],
        )

    n_all, n_few, n_unl = cfg["n_train"], cfg["few_labels"], cfg["n_train"] - cfg["few_labels"]

    def single_net_scores(n_labelled, method):
        """Train one plain network on n_labelled points and score it (no uncertainty)."""
        t0 = time.perf_counter()
        net = mlp_models(n_labelled, 1, method)[0]
        times[method] = time.perf_counter() - t0
        m, _ = tnnr.ensemble_predict([net], Xs["test"])
        preds[method] = (back(m), None)
        rows.append(
            _scores(task, method, n_labelled, back(m), None, y_true["test"], seconds=times[method])
        )

    single_net_scores(n_all, "single")

    t0 = time.perf_counter()
    ens = mlp_models(n_all, cfg["ensemble_size"], "ensemble")
    times["ensemble"] = time.perf_counter() - t0
    m, s = tnnr.ensemble_predict(ens, Xs["test"])
    vm, vs = tnnr.ensemble_predict(ens, Xs["val"])
    preds["ensemble"] = (back(m), back(s, True))
    rows.append(
        _scores(
            task,
            "ensemble",
            n_all,
            back(m),
            back(s, True),
            y_true["test"],
            back(vm),
            back(vs, True),
            y_true["val"],
            seconds=times["ensemble"],
            members=cfg["ensemble_size"],
        )
    )

    for method, labelled, unl, semi in (
        ("tnnr", n_all, 0, 0.0),
        ("tnnr_few", n_few, 0, 0.0),
        ("tnnr_few_loop_unlabelled", n_few, n_unl, cfg["semi_fraction"]),
    ):
        t0 = time.perf_counter()
        model = twin_model(labelled, unl, semi, method)
        times[method] = time.perf_counter() - t0
        rows.append(twin_scores(model, labelled, method))
        if method == "tnnr_few":
            rows[-1]["n_unlabelled"] = 0
        if unl:
            rows[-1]["n_unlabelled"] = int(unl)

    single_net_scores(n_few, "single_few")

    methods = list(preds)
    nan = np.full(len(y_true["test"]), np.nan)
    pred_ds = xr.Dataset(
        {
            "y": ("point", y_true["test"]),
            "prediction": (("estimator", "point"), np.stack([preds[k][0] for k in methods])),
            "sigma": (
                ("estimator", "point"),
                np.stack([nan if preds[k][1] is None else preds[k][1] for k in methods]),
            ),
        },
        # "estimator", not "method": ds.sel(method=...) is xarray's own keyword
        coords={"estimator": methods, "point": np.arange(len(y_true["test"]))},
        attrs=base_attrs(seed, task=task, algorithm="TNNR vs single MLP vs ensemble"),
    )
    if X.shape[1] <= 4:  # low-dimensional inputs are kept for plotting along a coordinate
        pred_ds["x"] = (("point", "feature"), X[parts["test"]])
    return rows, pred_ds


def run_benchmark(
    tasks: dict,
    cfg: dict,
    training: dict,
    seed: int,
    table_path,
    predictions_path,
    headline_path,
    formula_tasks: dict | None = None,
    formula_outputs: dict | None = None,
) -> pd.DataFrame | None:
    """Run every task; write the CSV table, the predictions (one HDF5 group per task), headlines.

    `formula_tasks` (task -> (X, y)) run the repeated-split protocol of
    :mod:`physlens.siamese.formula_benchmark`; their per-repeat table and test predictions go
    to `formula_outputs` ("table", "predictions"), their records into the same headline file.
    Returns the table of `tasks` (None when there are none: then nothing is written for them).
    """
    records, table = [], None
    if tasks:
        table = run_tasks(tasks, cfg, training, seed, table_path, predictions_path)
        records += benchmark_headlines(table)
    if formula_tasks:
        records += run_formula_benchmark(formula_tasks, cfg, training, seed, formula_outputs)
    write_headlines(headline_path, records, seed=seed)
    return table


def run_tasks(tasks: dict, cfg: dict, training: dict, seed: int, table_path, predictions_path):
    """The single-split tasks (synthetic, ising_energy): table and predictions written."""
    all_rows, preds = [], {}
    for name, (X, y) in tasks.items():
        log.info("twin benchmark: task %s, %d points, %d features", name, len(y), X.shape[1])
        rows, preds[name] = run_task(name, X, y, cfg, training, seed)
        all_rows += rows
    write_groups(preds, predictions_path)
    table = pd.DataFrame(all_rows)
    log.info(
        "training seconds per method (not in the table, which must not depend on the machine):\n%s",
        table[["task", "estimator", "seconds"]].to_string(index=False),
    )
    table = table.drop(columns="seconds")
    with atomic_path(table_path, suffix=".csv.tmp") as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return table


def run_formula_benchmark(tasks: dict, cfg: dict, training: dict, seed: int, outputs: dict):
    """The physics-formula tasks: per-repeat table and predictions written; headline records."""
    rows, preds, summaries = [], {}, {}
    for task, (X, y) in tasks.items():
        log.info("twin benchmark: formula task %s, %d points", task, len(y))
        task_rows, preds[task] = fb.run_formula_task(task, X, y, cfg, training, seed)
        rows += task_rows
        summaries[task] = fb.summarise_task(
            pd.DataFrame(task_rows), preds[task], rng(seed, STAGE, task, "spearman")
        )
    write_groups(preds, outputs["predictions"])
    with atomic_path(outputs["table"], suffix=".csv.tmp") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g")
    f = cfg["formula"]
    units = {t: formula(t, f["variant"]).unit for t in tasks}
    sizes = {t: len(y) for t, (_, y) in tasks.items()}
    return formula_headlines(summaries, sizes, f["repeats"], f["small_max"], units)


def write_groups(datasets: dict[str, xr.Dataset], path) -> None:
    """Several Datasets as HDF5 groups of one file, written atomically."""
    with atomic_path(path, suffix=".h5.tmp") as tmp:
        for i, (group, ds) in enumerate(datasets.items()):
            ds.to_netcdf(tmp, engine="h5netcdf", group=group, mode="w" if i == 0 else "a")


def benchmark_headlines(table: pd.DataFrame) -> list[dict]:
    """Per task: RMSE ratios TNNR/single and TNNR/ensemble, coverages, loop-consistency gain."""
    recs = []
    for task, t in table.groupby("task", sort=False):
        r = t.set_index("estimator")
        recs.append(
            headline(
                f"twin.{task}.rmse_tnnr",
                r.loc["tnnr", "rmse"],
                stage=STAGE,
                description=f"TNNR {task}: test RMSE",
            )
        )
        recs.append(
            headline(
                f"twin.{task}.rmse_ratio_tnnr_single",
                r.loc["tnnr", "rmse"] / r.loc["single", "rmse"],
                stage=STAGE,
                description=f"TNNR {task}: RMSE(TNNR) / RMSE(single MLP); < 1: TNNR better",
            )
        )
        recs.append(
            headline(
                f"twin.{task}.rmse_ratio_tnnr_ensemble",
                r.loc["tnnr", "rmse"] / r.loc["ensemble", "rmse"],
                stage=STAGE,
                description=f"TNNR {task}: RMSE(TNNR) / RMSE(ensemble)",
            )
        )
        for method in ("tnnr", "ensemble"):
            recs.append(
                headline(
                    f"twin.{task}.coverage68_{method}",
                    r.loc[method, "coverage68"],
                    stage=STAGE,
                    description=f"{method} {task}: coverage of the nominal 68% interval (raw spread)",
                )
            )
            recs.append(
                headline(
                    f"twin.{task}.coverage95_{method}_calibrated",
                    r.loc[method, "coverage95_calibrated"],
                    stage=STAGE,
                    description=f"{method} {task}: coverage of the nominal 95% interval after validation-set scaling",
                )
            )
        recs.append(
            headline(
                f"twin.{task}.loop_gain_few_labels",
                r.loc["tnnr_few", "rmse"] / r.loc["tnnr_few_loop_unlabelled", "rmse"],
                stage=STAGE,
                description=f"TNNR {task}: RMSE without / with loop consistency on unlabelled points ({int(r.loc['tnnr_few', 'n_labelled'])} labels); > 1: gain",
            )
        )
    return recs
