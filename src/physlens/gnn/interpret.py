"""What the messages learned: sparsity, linear relation to the true force, a symbolic formula.

On the test simulations' edges (receiver i, sender j):

* sparsity -- the standard deviation of every message component, sorted; a component is
  significant when its std is at least ``significance`` x the largest. Claim: with L1 or the
  bottleneck the count equals the spatial dimension.
* messages vs force -- each of the `dim` most variable components is fitted by least squares
  as a.F_ij + b on the true pair force (an affine map of the force vector); R^2 per component
  on held-out edges, the minimum over components reported. Pairs in the top
  ``1 - force_quantile`` of |F| (close passes through the softened core) are left out of fit
  and score alike, so a handful of extreme forces cannot decide the number (counted).
* symbolic regression -- the most variable component of the best judged variant, as a
  function of dx, (dy, dz), r and the pair's masses (charges), with physlens.symbolic's
  engine (PySR where Julia runs, pyoperon otherwise). Criterion "the formula equals the
  force law up to a linear map": on held-out edges, an affine fit of the formula's output on
  the true force vector, formula ~ a.F + b, has R^2 >= ``equivalence_r2``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
import xarray as xr

from physlens.gnn.data import graph_data, node_parameter_names
from physlens.gnn.forces import pair_forces
from physlens.gnn.simulate import load_simulations
from physlens.modelfiles import load_model
from physlens.models.gnn import complete_graph
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.symbolic import fit_formula

log = logging.getLogger(__name__)


def edge_table(nodes: np.ndarray, law: str, dim: int, softening: float) -> dict[str, np.ndarray]:
    """Per-edge geometry, pair parameters and the true force on the receiver, for snapshots
    (N, n, F): flat arrays over (snapshot, ordered pair), receiver-major like the model."""
    n = nodes.shape[1]
    recv, send = (t.numpy() for t in complete_graph(n))
    x = nodes[..., :dim]
    params = node_parameter_names(law)
    m = nodes[..., 2 * dim]
    q = nodes[..., 2 * dim + 1] if "q" in params else np.zeros_like(m)
    F = pair_forces(law, x, m, q, softening)[:, recv, send]  # (N, E, dim)
    dx = x[:, recv] - x[:, send]
    axes = "xyz"[:dim]
    table = {f"d{a}": dx[..., k].ravel() for k, a in enumerate(axes)}
    table["r"] = np.sqrt(np.sum(dx**2, axis=-1)).ravel()
    for p, vals in (("m", m), ("q", q)):
        if p in params:
            table[f"{p}1"] = vals[:, recv].ravel()
            table[f"{p}2"] = vals[:, send].ravel()
    for k, a in enumerate(axes):
        table[f"F{a}"] = F[..., k].ravel()
    return table


@torch.no_grad()
def messages(model, nodes: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Messages (N * E, message_dim) in the edge order of :func:`edge_table`."""
    X = torch.as_tensor(nodes, dtype=torch.float32)
    out = [
        model.messages(X[s : s + batch]).reshape(-1, model.edge_fn[-1].out_features)
        for s in range(0, len(X), batch)
    ]
    return torch.cat(out).double().numpy()


def sorted_std(msg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, std): components by decreasing standard deviation."""
    std = msg.std(axis=0)
    order = np.argsort(-std, kind="stable")
    return order, std[order]


def principal_std(msg: np.ndarray) -> np.ndarray:
    """Standard deviations along the principal axes of the messages, decreasing: how many
    directions the messages span, whether or not they are aligned with the components."""
    ev = np.linalg.eigvalsh(np.cov(msg, rowvar=False).reshape(msg.shape[1], msg.shape[1]))
    return np.sqrt(np.clip(ev[::-1], 0.0, None))


def n_significant(std_sorted: np.ndarray, significance: float) -> int:
    return int(np.sum(std_sorted >= significance * std_sorted[0])) if std_sorted[0] > 0 else 0


def affine_fit(
    F: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, float]:
    """Least squares y ~ F a + b on rows `fit`; (coefficients [a..., b], R^2 on rows `score`)."""
    A = np.column_stack([F, np.ones(len(F))])
    coef, *_ = np.linalg.lstsq(A[fit], y[fit], rcond=None)
    resid = y[score] - A[score] @ coef
    ss = np.sum((y[score] - y[score].mean()) ** 2)
    return coef, float(1 - np.sum(resid**2) / ss) if ss > 0 else float("nan")


def force_r2(msg: np.ndarray, F: np.ndarray, order, dim: int, fit, score) -> list[dict]:
    """Affine fit of each of the `dim` most variable components on the force vector."""
    rows = []
    for rank, comp in enumerate(order[:dim]):
        coef, r2 = affine_fit(F, msg[:, comp], fit, score)
        rows.append({"rank": rank, "component": int(comp), "coefficients": coef.tolist(), "r2": r2})
    return rows


def force_targets(table: dict, dim: int) -> dict[str, np.ndarray]:
    """The pair force F_ij and the force per receiving mass F_ij / m_i: the sum over senders
    commutes with dividing by m_i, which the node function sees, so a message linear in
    either carries the force law (for 1/r^2, F_ij / m_i = -m_j dx / r^3 is the simpler)."""
    F = np.column_stack([table[f"F{a}"] for a in "xyz"[:dim]])
    return {"force": F, "force_per_receiver_mass": F / table["m1"][:, None]}


def formula_force_r2(out: np.ndarray, table: dict, rows: np.ndarray, dim: int) -> dict:
    """How well a formula's output on edges `rows` is an affine map of the force: the held-out
    R^2 of out ~ a.F + b for each force target, the better one named. Non-finite outputs are
    left out (counted)."""
    ok = np.isfinite(out)
    idx = np.arange(int(ok.sum()))
    checks = {}
    for name, F in force_targets(table, dim).items():
        coef, r2 = affine_fit(F[rows][ok], out[ok], idx, idx)
        checks[name] = {"r2": r2, "coefficients": coef.tolist()}
    best = max(checks, key=lambda k: -np.inf if np.isnan(checks[k]["r2"]) else checks[k]["r2"])
    return {
        "force_target": best,
        "force_r2": checks[best]["r2"],
        "checks": checks,
        "n_heldout": int(ok.sum()),
    }


def symbolic_formula(table, target, fit, hold, dim, symbolic_cfg, seed, law):
    """Fit the message component `target` on the pair features (rows `fit`); judge the formula
    against the force on the held-out rows (:func:`formula_force_r2`)."""
    names = [k for k in table if not k.startswith("F")]
    X = np.column_stack([table[k] for k in names])
    cfg = dict(symbolic_cfg)
    engine = cfg.pop("engine", "auto")
    res = fit_formula(
        X[fit],
        target[fit],
        names,
        engine=engine,
        seed=derive_seed(seed, "gnn", law, "symbolic"),
        **cfg,
    )
    return res, formula_force_r2(res.predict(X[hold]), table, hold, dim)


def edge_split(n_edges: int, table: dict, cfg: dict, gen) -> tuple[np.ndarray, np.ndarray, int]:
    """(fit rows, held-out rows, rows left out as extreme forces) of at most max_edges edges."""
    Fn = np.sqrt(sum(v**2 for k, v in table.items() if k.startswith("F")))
    keep = np.flatnonzero(Fn <= np.quantile(Fn, cfg["force_quantile"]))
    rows = gen.permutation(keep)[: int(cfg["max_edges"])]
    half = len(rows) // 2
    return np.sort(rows[:half]), np.sort(rows[half:]), int(n_edges - len(keep))


def message_analysis(msg, table, fit, hold, dim, significance) -> dict:
    """Sparsity and message-force R^2 of messages (edges, components) in the edge order of
    `table`; the force target (F or F / m_i) whose fit is better is kept."""
    order, std = sorted_std(msg)
    principal = principal_std(msg)
    per = {
        name: force_r2(msg, F, order, dim, fit, hold)
        for name, F in force_targets(table, dim).items()
    }
    r2_min = {name: float(min(r["r2"] for r in rows)) for name, rows in per.items()}
    best = max(r2_min, key=lambda k: -np.inf if np.isnan(r2_min[k]) else r2_min[k])
    return {
        "messages": msg,
        "order": order,
        "std_sorted": std,
        "n_significant": n_significant(std, significance),
        "principal_std_sorted": principal,
        "n_significant_principal": n_significant(principal, significance),
        "force_target": best,
        "per_component": per[best],
        "force_r2_min": r2_min[best],
        "force_r2_min_by_target": r2_min,
    }


def analyse_variant(model, nodes, table, fit, hold, dim, significance) -> dict:
    """:func:`message_analysis` of one trained network's messages on `nodes`."""
    return message_analysis(messages(model, nodes), table, fit, hold, dim, significance)


def interpret_law(
    sims_path, models: dict, cfg: dict, seed: int, law: str
) -> tuple[dict, xr.Dataset, pd.DataFrame]:
    """Interpret every variant of one law. `models` maps variant -> (model.pt, model.json).
    Returns the report (JSON-able), the message Dataset for the figures, and the Pareto front."""
    icfg = cfg["interpret"]
    dim = int(cfg["dim"])
    ds = load_simulations(sims_path)
    test = graph_data(ds, cfg, seed)[0]["test"]
    table = edge_table(test.nodes, law, dim, float(ds.attrs["softening"]))
    n_edges = len(table["r"])
    fit, hold, n_extreme = edge_split(n_edges, table, icfg, rng(seed, "gnn", law, "edges"))
    variants = {}
    for variant, (pt, meta) in models.items():
        model, _ = load_model(pt, meta, data_path=sims_path)
        variants[variant] = analyse_variant(
            model, test.nodes, table, fit, hold, dim, icfg["significance"]
        )
        log.info(
            "%s/%s: %d significant, min R^2 %.4f",
            law,
            variant,
            variants[variant]["n_significant"],
            variants[variant]["force_r2_min"],
        )
    judged = [v for v in models if v != "standard"] or list(models)
    best = max(judged, key=lambda v: variants[v]["force_r2_min"])
    top = variants[best]["order"][0]
    sym_rows = rng(seed, "gnn", law, "symbolic").permutation(fit)[: int(icfg["symbolic_edges"])]
    res, check = symbolic_formula(
        table, variants[best]["messages"][:, top], sym_rows, hold, dim, icfg["symbolic"], seed, law
    )
    drift = ds["energy_drift"].values
    report = {
        "law": law,
        "dim": dim,
        "simulation": {
            "median_energy_drift": float(np.median(drift)),
            "fraction_above_max_energy_drift": float(np.mean(drift > cfg["max_energy_drift"])),
        },
        "n_edges": int(n_edges),
        "n_fit_edges": int(len(fit)),
        "n_heldout_edges": int(len(hold)),
        "n_extreme_force_edges": n_extreme,
        "significance": icfg["significance"],
        "variants": {
            v: {
                "n_significant": a["n_significant"],
                "std_sorted": a["std_sorted"].tolist(),
                "n_significant_principal": a["n_significant_principal"],
                "principal_std_sorted": a["principal_std_sorted"].tolist(),
                "per_component": a["per_component"],
                "force_r2_min": a["force_r2_min"],
                "force_target": a["force_target"],
                "force_r2_min_by_target": a["force_r2_min_by_target"],
            }
            for v, a in variants.items()
        },
        "symbolic": {"variant": best, "component": int(top), **res.to_dict(), **check},
    }
    return report, message_dataset(variants, table, hold, dim, seed, law), res.pareto


def message_dataset(variants, table, hold, dim, seed, law, max_points: int = 3000) -> xr.Dataset:
    """What the figures need: sorted stds per variant, and the `dim` most variable messages
    with their fitted force combination a.F + b on held-out edges."""
    rows = hold[:max_points]
    targets = force_targets(table, dim)
    F = targets["force"]
    names = list(variants)
    width = max(len(a["std_sorted"]) for a in variants.values())
    std = np.full((len(names), width), np.nan)
    msg = np.empty((len(names), len(rows), dim))
    comb = np.empty_like(msg)
    for k, v in enumerate(names):
        a = variants[v]
        std[k, : len(a["std_sorted"])] = a["std_sorted"]
        A = np.column_stack([targets[a["force_target"]][rows], np.ones(len(rows))])
        for rank, rec in enumerate(a["per_component"]):
            msg[k, :, rank] = a["messages"][rows, rec["component"]]
            comb[k, :, rank] = A @ np.asarray(rec["coefficients"])
    return xr.Dataset(
        {
            "std_sorted": (("variant", "component_rank"), std),
            "message": (
                ("variant", "edge", "rank"),
                msg,
                {"long_name": "most variable message components"},
            ),
            "force_combination": (
                ("variant", "edge", "rank"),
                comb,
                {"long_name": "affine fit a.F + b"},
            ),
            "force": (("edge", "dim"), F[rows]),
            "r": ("edge", table["r"][rows]),
        },
        coords={
            "variant": names,
            "component_rank": np.arange(width),
            "edge": np.arange(len(rows)),
            "rank": np.arange(dim),
            "dim": list("xyz"[:dim]),
        },
        attrs=base_attrs(seed, stage="gnn", law=law),
    )
