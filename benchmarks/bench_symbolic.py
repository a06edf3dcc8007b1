"""Wall time of the symbolic-regression engine on the three synthetic problems of the tests.

Baseline, measured in the same run on the same data: scikit-learn PolynomialFeatures
(degree 2, with interactions) + Lasso -- the "polynomial regression on the latent variable"
of the siamese-network interpretation. Printed per problem: median wall time of each method
over --repeats runs, the ratio engine / baseline, how many runs recovered the formula
(physlens.symbolic.equivalent: exact to 1e-5 for noise-free data, up to a constant factor to
1e-2 for the noisy ideal gas law) and the median relative deviation from the truth. PySR is
timed too when its Julia runtime is available.

    .venv/bin/python benchmarks/bench_symbolic.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import sympy
from sklearn.linear_model import Lasso
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from physlens import symbolic as S
from physlens.seeding import rng

BUDGET = dict(population_size=300, generations=40, max_complexity=25, unary_operators=[])
PROBLEMS = [
    ("x0*x3 - x1*x2", ["x0", "x1", "x2", "x3"], (-2, 2), 0.0, "exact"),
    ("x0*x1 + x2*x3 + x4*x5", [f"x{i}" for i in range(6)], (-2, 2), 0.0, "exact"),
    ("N*T/V", ["N", "T", "V"], (1, 5), 0.01, "scale"),
]


def make_data(truth, names, box, noise, n=300, seed=2026):
    X = rng(seed, "bench_symbolic", truth).uniform(*box, size=(n, len(names)))
    expr = sympy.sympify(truth, locals={v: sympy.Symbol(v) for v in names})
    y = S.evaluate(expr, X, names)
    return X, y * (1 + noise * rng(seed, "bench_symbolic", truth, "noise").standard_normal(n))


def polynomial_lasso(X, y, names):
    """Baseline fit; returns (seconds, sympy expression of the fitted polynomial)."""
    t0 = time.perf_counter()
    model = make_pipeline(
        PolynomialFeatures(2, include_bias=False),
        StandardScaler(),
        Lasso(alpha=1e-4, max_iter=50_000),
    ).fit(X, y)
    seconds = time.perf_counter() - t0
    poly, scaler, lasso = model
    syms = sympy.symbols(names)
    terms = [sympy.prod([s**p for s, p in zip(syms, powers)]) for powers in poly.powers_]
    coef = lasso.coef_ / scaler.scale_
    expr = sum(float(c) * t for c, t in zip(coef, terms)) + float(
        lasso.intercept_ - coef @ scaler.mean_
    )
    return seconds, expr


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    engines = ["operon"] + (["pysr"] if S.pysr_available()[0] else [])
    print(
        f"# symbolic regression benchmark -- {platform.processor() or platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}, repeats={args.repeats}"
    )
    print(f"# PySR: {S.pysr_available()[1]}")
    print(f"# engine budget: {BUDGET}; n = 300 samples")
    header = f"{'problem':24s} {'method':12s} {'median s':>9s} {'ratio':>7s}  {'recovered':9s} {'rel.dev':>8s}  formula"
    print(header)
    for truth, names, box, noise, relation in PROBLEMS:
        X, y = make_data(truth, names, box, noise)
        tol = 1e-2 if noise else 1e-5
        # the baseline takes milliseconds: more repeats so its median is stable
        base = [polynomial_lasso(X, y, names) for _ in range(max(25, args.repeats))]
        t_base = statistics.median(b[0] for b in base)
        ok = S.equivalent(base[0][1], truth, relation, tol=tol)
        print(
            f"{truth:24s} {'poly2+Lasso':12s} {t_base:9.4f} {1.0:7.1f}  {int(bool(ok))}/1       "
            f"{ok.score:8.1e}  (degree-2 polynomial, {len(base[0][1].args)} terms)"
        )
        for engine in engines:
            runs = [
                S.fit_formula(X, y, names, engine=engine, seed=k, **BUDGET)
                for k in range(args.repeats)
            ]
            t = statistics.median(r.wall_time_s for r in runs)
            verdicts = [S.equivalent(r.sympy_expr, truth, relation, tol=tol) for r in runs]
            hits = sum(map(bool, verdicts))
            dev = statistics.median(v.score for v in verdicts)
            print(
                f"{truth:24s} {engine:12s} {t:9.4f} {t / t_base:7.1f}  {hits}/{len(runs):<7d} "
                f"{dev:8.1e}  {runs[0].expression}"
            )


if __name__ == "__main__":
    main()
