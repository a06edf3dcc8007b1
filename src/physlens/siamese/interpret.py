"""What did the siamese bottleneck learn? Answers in terms of the system's candidate invariants.

The bottleneck z of a siamese network is identifiable only up to a monotone map: the logit
a - b (z1 - z2)^2 is unchanged by shifts and sign flips, and a network that learned, say,
tanh(L_z) or L_z^3 classifies as well as one that learned L_z. So the interpretation never
asks "is z = L_z" but "is z a monotone function of L_z":

1. Rank correlation (Spearman) of z with every registered invariant I_k and with |I_k|
   (a net that learned |I| or I^2 correlates with |I|, not with I).
2. A monotone linearisation g(z) (alternating conditional expectations with an isotonic
   step): g is the monotone map of z that a degree-d polynomial of the inputs fits best.
   If z = f(I) with I a degree-2 polynomial and f monotone, g(z) is affine in I.
3. Sparse polynomial regression of g(z) on the raw inputs (PolynomialFeatures + LassoCV;
   raw inputs by default, as in the paper, so the weight share is measured on raw-input
   monomials), and the share of |coefficients| on the invariant's monomials.
4. The symbolic engine (physlens.symbolic.fit_formula) on the same (inputs, g(z)) data.
5. Both formulas compared with every invariant by physlens.symbolic.equivalent, up to a
   monotone map, on the data points.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import sympy
import torch
import xarray as xr
from scipy.stats import spearmanr
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LassoCV
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from physlens import symbolic
from physlens.io import to_netcdf_atomic, write_json
from physlens.modelfiles import load_model
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.siamese.pipeline import PAPER_ACCURACY_DATASETS, STAGE, load_pairs
from physlens.summary import headline, write_headlines

log = logging.getLogger(__name__)


# --- data -----------------------------------------------------------------------------------


def invariant_strings(ds: xr.Dataset) -> list[str]:
    """The registered candidate invariants (sympy strings), the paper's first."""
    return [s.strip() for s in str(ds.attrs["invariants"]).split(";") if s.strip()]


def evaluate_invariant(expr: str, X: np.ndarray, names) -> np.ndarray:
    return symbolic.evaluate(symbolic.as_expr(expr), X, names)


def held_out_points(ds: xr.Dataset, max_points: int, gen: np.random.Generator) -> np.ndarray:
    """Distinct points (rows) of the test pairs, at most `max_points`, in a seeded random order."""
    test = ds["split"].values == 1
    pts = ds["x"].values[test].reshape(-1, ds.sizes["feature"])
    pts = np.unique(pts, axis=0)  # negatives reuse the positives' members
    return pts[gen.permutation(len(pts))[:max_points]]


@torch.no_grad()
def bottleneck(model, X: np.ndarray) -> np.ndarray:
    """Bottleneck values z (n, k) of points X (n, features)."""
    model.eval()
    return model.encode(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


# --- monotone-invariant regression ---------------------------------------------------------------


def standardise(v: np.ndarray) -> np.ndarray:
    sd = np.std(v)
    return (v - np.mean(v)) / (sd if sd > 0 else 1.0)


def monotone_linearise(z: np.ndarray, design: np.ndarray, iterations: int = 5) -> np.ndarray:
    """The standardised monotone map g(z) that a linear model on `design` fits best (ACE).

    Alternates a least-squares fit p of g on the design with an isotonic regression of p on
    z (direction chosen by the data). Each step cannot lower corr(g, p); a z that is already
    affine in a design column returns (standardised) unchanged up to the isotonic steps.
    """
    A = np.column_stack([np.ones(len(z)), design])
    g = standardise(z)
    for _ in range(iterations):
        coef, *_ = np.linalg.lstsq(A, g, rcond=None)
        p = A @ coef
        g = standardise(
            IsotonicRegression(increasing="auto", out_of_bounds="clip").fit(z, p).predict(z)
        )
    if np.corrcoef(g, z)[0, 1] < 0:  # keep the orientation of z, for readable plots
        g = -g
    return g


def least_squares_r2(design: np.ndarray, target: np.ndarray) -> float:
    """R^2 of the ordinary least-squares fit target ~ 1 + design."""
    A = np.column_stack([np.ones(len(target)), design])
    resid = target - A @ np.linalg.lstsq(A, target, rcond=None)[0]
    return float(1 - np.var(resid) / np.var(target)) if np.var(target) > 0 else float("nan")


def monomial_name(exponents, names) -> str:
    """PolynomialFeatures' name of a monomial: 'x v_y', 'x^2' (features in input order)."""
    parts = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, exponents) if e]
    return " ".join(parts) if parts else "1"


def invariant_coefficients(expr: str, names, degree: int) -> dict[str, float] | None:
    """The invariant as {monomial name: coefficient}, or None if it is no polynomial of degree <= `degree`."""
    syms = [sympy.Symbol(n, real=True) for n in names]
    e = symbolic.as_expr(expr).xreplace(
        {sympy.Symbol(n, real=True): s for n, s in zip(names, syms)}
    )
    try:
        poly = sympy.Poly(sympy.expand(e), *syms)
    except sympy.PolynomialError:
        return None
    if poly.total_degree() > degree:
        return None
    return {
        monomial_name(m, names): float(c) for m, c in zip(poly.monoms(), poly.coeffs()) if any(m)
    }


def polynomial_fit(
    X: np.ndarray,
    target: np.ndarray,
    names,
    degree: int,
    standardise_features: bool,
    cv: int,
    seed: int,
):
    """Sparse polynomial regression target ~ sum_t c_t m_t(X) (LassoCV, seeded folds).

    Returns (coefficients by monomial name, intercept, R^2 on the data, sympy expression in
    the raw inputs). With `standardise_features` the coefficients refer to standardised
    monomials (the expression is still mapped back to raw inputs).
    """
    pf = PolynomialFeatures(degree, include_bias=False)
    D = pf.fit_transform(X)
    terms = list(pf.get_feature_names_out(list(names)))
    scaler = StandardScaler().fit(D) if standardise_features else None
    Dn = scaler.transform(D) if scaler is not None else D
    folds = np.random.default_rng(seed).permutation(len(target)) % cv  # seeded, balanced folds
    splits = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(cv)]
    lasso = LassoCV(cv=splits, max_iter=50_000, alphas=60).fit(Dn, target)
    coef = dict(zip(terms, lasso.coef_.astype(float)))
    r2 = float(lasso.score(Dn, target))
    raw_coef = lasso.coef_ / scaler.scale_ if scaler is not None else lasso.coef_
    intercept = float(
        lasso.intercept_ - (np.sum(raw_coef * scaler.mean_) if scaler is not None else 0.0)
    )
    syms = [sympy.Symbol(n, real=True) for n in names]
    expr = sympy.Float(intercept, 6)
    for powers, c in zip(pf.powers_, raw_coef):
        if c != 0:
            expr += sympy.Float(float(c), 6) * sympy.Mul(
                *[s ** int(p) for s, p in zip(syms, powers)]
            )
    return coef, float(lasso.intercept_), r2, expr


def weight_share(coef: dict[str, float], invariant_terms) -> float:
    """Share of the total |coefficient| on the invariant's monomials (1 = nothing else)."""
    total = sum(abs(c) for c in coef.values())
    on = sum(abs(coef.get(t, 0.0)) for t in invariant_terms)
    return on / total if total > 0 else float("nan")


def coefficient_cosine(coef: dict[str, float], inv_coef: dict[str, float]) -> float:
    """|cosine| between the fitted and the invariant's coefficient vectors: 1 means the fit
    is the invariant up to scale and constant (sign is irrelevant, as for the bottleneck)."""
    terms = sorted(set(coef) | set(inv_coef))
    a = np.array([coef.get(t, 0.0) for t in terms])
    b = np.array([inv_coef.get(t, 0.0) for t in terms])
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(abs(a @ b) / (na * nb)) if na > 0 and nb > 0 else float("nan")


def rank_correlations(z: np.ndarray, invariants: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for name, vals in invariants.items():
        rows.append(
            {
                "invariant": name,
                "spearman": float(spearmanr(z, vals).statistic),
                "spearman_abs": float(spearmanr(z, np.abs(vals)).statistic),
            }
        )
    return pd.DataFrame(rows)


def monotone_matches(expr, invariants: list[str], data: dict, tol: float) -> list[dict]:
    """Compare `expr` with every invariant up to a monotone map on `data` (name -> values)."""
    out = []
    for inv in invariants:
        eq = symbolic.equivalent(expr, inv, "monotone", data=data, tol=tol)
        out.append(
            {"invariant": inv, "holds": bool(eq.holds), "score": eq.score, "detail": eq.detail}
        )
    return out


# --- the stage -------------------------------------------------------------------------------


def interpret_siamese(
    pairs_path, model_path, meta_path, cfg: dict, seed: int, dataset: str, metrics: dict, out: dict
) -> dict:
    """Interpret one trained siamese network; write latent table, coefficients, report, headlines."""
    icfg = cfg["interpret"]
    ds = load_pairs(pairs_path)
    model, _ = load_model(model_path, meta_path, data_path=pairs_path)
    names = [str(n) for n in ds["feature"].values]
    invs = invariant_strings(ds)
    X = held_out_points(ds, icfg["max_points"], rng(seed, STAGE, dataset, "interpret"))
    z_all = bottleneck(model, X)
    z = z_all[:, 0]
    inv_vals = {inv: evaluate_invariant(inv, X, names) for inv in invs}
    ranks = rank_correlations(z, inv_vals)

    degree = icfg["degree"]
    design = PolynomialFeatures(degree, include_bias=False).fit_transform(X)
    g = monotone_linearise(z, design, icfg["monotone_iterations"])
    r2_raw = least_squares_r2(design, z)
    coef, intercept, r2, poly_expr = polynomial_fit(
        X,
        g,
        names,
        degree,
        icfg["standardise_features"],
        icfg["cv_folds"],
        derive_seed(seed, STAGE, dataset, "lasso"),
    )
    data = {n: X[:, k] for k, n in enumerate(names)}
    tol = icfg["equivalence_tol"]
    poly_matches = monotone_matches(poly_expr, invs, data, tol)

    budget = dict(icfg["symbolic"])
    engine = budget.pop("engine")
    n_sym = min(len(g), icfg["symbolic_points"])
    sym = symbolic.fit_formula(
        X[:n_sym],
        g[:n_sym],
        names,
        engine=engine,
        seed=derive_seed(seed, STAGE, dataset, "symbolic"),
        **budget,
    )
    sym_matches = monotone_matches(sym.sympy_expr, invs, data, tol)

    per_inv = []
    for k, inv in enumerate(invs):
        inv_coef = invariant_coefficients(inv, names, degree)
        per_inv.append(
            {
                "invariant": inv,
                "polynomial_terms": sorted(inv_coef) if inv_coef else None,
                "weight_share": weight_share(coef, inv_coef) if inv_coef else None,
                "coefficient_cosine": coefficient_cosine(coef, inv_coef) if inv_coef else None,
                **ranks.iloc[k].drop("invariant").to_dict(),
                "polynomial_monotone": poly_matches[k],
                "symbolic_monotone": sym_matches[k],
            }
        )
    best = int(np.argmax([abs(r["spearman"]) for r in per_inv]))
    report = {
        "dataset": dataset,
        "features": names,
        "invariants": invs,
        "n_points": int(len(X)),
        "bottleneck_neurons": int(z_all.shape[1]),
        "learned_invariant": invs[best],
        "polynomial": {
            "degree": degree,
            "inputs": "standardised monomials"
            if icfg["standardise_features"]
            else "raw inputs (no scaling)",
            "target": "monotone-linearised bottleneck g(z), standardised",
            "r2_of_raw_bottleneck": r2_raw,
            "r2": r2,
            "intercept": intercept,
            "coefficients": coef,
            "expression": str(poly_expr),
        },
        "symbolic": sym.to_dict(),
        "per_invariant": per_inv,
        "metrics": metrics,
    }
    write_json(out["report"], report)
    pd.DataFrame(
        {
            "term": list(coef),
            "coefficient": list(coef.values()),
            "in_invariant": [t in (per_inv[best]["polynomial_terms"] or []) for t in coef],
        }
    ).to_csv(out["coefficients"], index=False)
    latent = xr.Dataset(
        {
            "x": (("point", "feature"), X),
            "z": ("point", z),
            "g": ("point", g, {"meaning": "monotone-linearised bottleneck"}),
            "invariant": (("point", "candidate"), np.column_stack([inv_vals[i] for i in invs])),
            "polynomial": ("point", symbolic.evaluate(poly_expr, X, names)),
            "symbolic": ("point", sym.predict(X)),
        },
        coords={"feature": names, "candidate": invs},
        attrs=base_attrs(seed, dataset=dataset, algorithm="siamese bottleneck on held-out points"),
    )
    to_netcdf_atomic(latent, out["latent"])
    write_headlines(out["headline"], dataset_headlines(report), seed=seed)
    return report


def dataset_headlines(report: dict) -> list[dict]:
    """Accuracies, rank correlation, weight share and the sympy verdicts of one data set."""
    ds = report["dataset"]
    m = report["metrics"]
    first = report["per_invariant"][0]
    learned = next(
        r for r in report["per_invariant"] if r["invariant"] == report["learned_invariant"]
    )
    acc_ref = f"wetzel2020_siamese_accuracy_{ds}" if ds in PAPER_ACCURACY_DATASETS else None
    recs = [
        headline(
            f"siamese.{ds}.train_accuracy",
            m["train_accuracy"],
            stage=STAGE,
            description=f"siamese {ds}: train accuracy",
        ),
        headline(
            f"siamese.{ds}.test_accuracy",
            m["test_accuracy"],
            stage=STAGE,
            ref=acc_ref,
            tolerance=0.05 if acc_ref else None,
            tolerance_kind="at_least",
            description=f"siamese {ds}: test accuracy (criterion: >= paper - 0.05)",
        ),
        headline(
            f"siamese.{ds}.spearman_bottleneck",
            abs(learned["spearman"]),
            stage=STAGE,
            reference=1.0,
            reference_source="a perfect invariant: |Spearman| = 1",
            tolerance=0.1,
            tolerance_kind="at_least",
            description=f"siamese {ds}: |Spearman| of bottleneck with {report['learned_invariant']}",
            invariant=report["learned_invariant"],
        ),
    ]
    if learned["weight_share"] is not None:
        recs.append(
            headline(
                f"siamese.{ds}.weight_share",
                learned["weight_share"],
                stage=STAGE,
                reference=1.0,
                reference_source="the invariant's terms dominate the degree-2 fit",
                ref="wetzel2020_siamese_invariant",
                tolerance=0.2,
                tolerance_kind="at_least",
                description=f"siamese {ds}: share of |Lasso coefficients| (raw inputs) on the terms of {report['learned_invariant']}",
                invariant=report["learned_invariant"],
            )
        )
    for kind in ("polynomial", "symbolic"):
        hit = [r["invariant"] for r in report["per_invariant"] if r[f"{kind}_monotone"]["holds"]]
        recs.append(
            headline(
                f"siamese.{ds}.{kind}_recovers_invariant",
                1.0 if hit else 0.0,
                stage=STAGE,
                reference=1.0,
                reference_source="registered invariants of the system",
                tolerance=0.0,
                tolerance_kind="at_least",
                description=f"siamese {ds}: {kind} formula is a monotone map of a registered invariant (sympy/numeric check)",
                matched=", ".join(hit) or "none",
                paper_invariant_matched=bool(first[f"{kind}_monotone"]["holds"]),
            )
        )
    return recs
