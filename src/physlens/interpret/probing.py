"""Bottleneck regression and linear probes: which physical quantity does a neuron compute?

Bottleneck interpretation (Wetzel): if a neuron's output F(S) carries one observable Q(S),
then F = f(Q) for a bijective f. For a neuron output F (n,) and candidate observables
Q_k (n,) we measure

* the Spearman rank correlation rho(F, Q_k): |rho| = 1 exactly when F is a strictly
  monotone function of Q_k, whatever f is; and
* the held-out R^2 of a fitted monotone f (isotonic regression) or of a low-order
  polynomial, from K-fold cross-validated predictions, so a flexible f cannot score by
  memorising the data.

Observables are ranked by |rho| (default) or by held-out R^2 (``rank_by="r2"``), with
percentile-bootstrap confidence intervals of rho (paired resamples, seeded). Observables that
are exact monotone functions of each other *on the data* (energy, nn_correlation and
domain_wall_density; abs_magnetization and magnetization_squared) cannot be told apart by
any probe: they form one equivalence group, share a rank and are listed as equivalent.

Pooled over the control parameter (temperature, beta), every candidate that tracks it on
average correlates with every neuron that tracks it, so the pooled ranking partly measures
"does Q track T". Given the control parameter of each sample (``strata``), the table also
holds the conditional ranking: Spearman's rho within each temperature (or beta), combined
over them (:func:`physlens.stats.stratified_spearman`), with a within-stratum bootstrap. Only
the sample-to-sample variation at fixed T is left there, which tells apart observables that
the pooled ranking ties.

Linear probes regress a whole hidden layer (n, d) on each observable with standardised
ridge regression (RidgeCV) and report the held-out R^2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physlens.provenance import base_attrs
from physlens.seeding import derive_seed
from physlens.seeding import rng as seeded_rng
from physlens.stats import bootstrap_ci, stratified_spearman_cis

FIT_KINDS = ("isotonic", "polynomial")
RANK_BY = ("spearman", "r2")
RIDGE_ALPHAS = np.logspace(-4, 4, 17)


# --- inputs ------------------------------------------------------------------------------


def as_columns(observables, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """name -> (n,) float arrays from a dict, a pandas DataFrame or an xarray Dataset."""
    keys = list(observables.keys()) if names is None else list(names)
    out = {}
    for k in keys:
        if k not in observables:
            raise KeyError(
                f"observable {k!r} not among the inputs ({', '.join(map(str, observables.keys()))})"
            )
        out[k] = np.asarray(observables[k], dtype=float).ravel()
    return out


def _check_lengths(n: int, columns: Mapping[str, np.ndarray], what: str) -> None:
    for k, v in columns.items():
        if len(v) != n:
            raise ValueError(f"{what}: observable {k!r} has {len(v)} samples, activations have {n}")
        if not np.isfinite(v).all():
            raise ValueError(f"{what}: observable {k!r} has non-finite values")


# --- single-pair statistics ----------------------------------------------------------------


def spearman(f: np.ndarray, q: np.ndarray) -> float:
    """Spearman rank correlation; 0 when either input is constant (no information)."""
    if np.ptp(f) == 0 or np.ptp(q) == 0:
        return 0.0
    return float(spearmanr(f, q).statistic)


def _polynomial_predict(q_train, f_train, q_test, degree):
    mu, sd = q_train.mean(), q_train.std() or 1.0  # standardise for a well-conditioned fit
    coef = np.polynomial.polynomial.polyfit((q_train - mu) / sd, f_train, degree)
    return np.polynomial.polynomial.polyval((q_test - mu) / sd, coef)


def heldout_r2(
    f: np.ndarray,
    q: np.ndarray,
    kind: str = "isotonic",
    degree: int = 3,
    cv_folds: int = 5,
    seed: int = 0,
) -> float:
    """R^2 of F predicted from Q by f fitted on the other folds (K-fold, shuffled, seeded).

    kind="isotonic": monotone f (direction chosen on the training folds);
    kind="polynomial": polynomial of degree `degree` in standardised Q.
    """
    if kind not in FIT_KINDS:
        raise ValueError(f"monotone fit kind {kind!r}: choose one of {FIT_KINDS}")
    f, q = np.asarray(f, float), np.asarray(q, float)
    pred = np.empty_like(f)
    folds = KFold(cv_folds, shuffle=True, random_state=derive_seed(seed, "cv") % 2**32)
    for train, test in folds.split(q):
        if kind == "isotonic":
            # direction from the training folds' rank correlation (no peeking at the test fold)
            increasing = spearman(f[train], q[train]) >= 0
            model = IsotonicRegression(increasing=increasing, out_of_bounds="clip")
            pred[test] = model.fit(q[train], f[train]).predict(q[test])
        else:
            pred[test] = _polynomial_predict(q[train], f[train], q[test], degree)
    ss_tot = np.sum((f - f.mean()) ** 2)
    return float(1.0 - np.sum((f - pred) ** 2) / ss_tot) if ss_tot > 0 else float("nan")


def equivalence_groups(columns: Mapping[str, np.ndarray], tol: float = 1e-9) -> list[int]:
    """Group label per observable: same label <=> exact monotone functions of each other on
    the data (identical rank vectors, up to reversal). Labels follow first appearance."""
    names = list(columns)
    ranks = {k: rankdata(v) for k, v in columns.items()}
    n = len(next(iter(ranks.values()))) if ranks else 0
    labels: list[int] = []
    for i, a in enumerate(names):
        label = None
        for j in range(i):
            ra, rb = ranks[a], ranks[names[j]]
            if np.ptp(ra) == 0 or np.ptp(rb) == 0:
                same = np.ptp(ra) == np.ptp(rb)
            else:
                same = (
                    np.max(np.abs(ra - rb)) <= tol * n
                    or np.max(np.abs(ra - (n + 1 - rb))) <= tol * n
                )
            if same:
                label = labels[j]
                break
        labels.append(max(labels, default=-1) + 1 if label is None else label)
    return labels


# --- ranking table -------------------------------------------------------------------------


def rank_observables(
    activation: np.ndarray,
    observables,
    names: Sequence[str] | None = None,
    rank_by: str = "spearman",
    monotone_fit: str = "isotonic",
    polynomial_degree: int = 3,
    cv_folds: int = 5,
    bootstrap_resamples: int = 200,
    ci_level: float = 0.68,
    seed: int = 0,
    strata: np.ndarray | None = None,
    min_stratum_size: int = 8,
    control: str = "T",
):
    """Ranking table (xarray Dataset, dimension ``observable``) for one neuron's output.

    Variables: spearman (+ _se, _lo, _hi bootstrap CI), abs_spearman, r2_heldout (isotonic
    or polynomial), r2_heldout_polynomial, r2_heldout_isotonic, group (equivalence label),
    equivalent_to (comma-separated names), rank (1 = best; equivalent observables tie).
    Rows are sorted by rank; inside a group they keep the order of `names`.

    With `strata` (the control parameter `control`, e.g. T or beta, of each sample) the
    conditional ranking is added beside the pooled one, which it leaves unchanged:
    spearman_cond (+ _se, _lo, _hi), abs_spearman_cond and rank_cond (by |spearman_cond|,
    equivalent observables tie; NaN scores rank last), from the strata with at least
    `min_stratum_size` samples.
    """
    if rank_by not in RANK_BY:
        raise ValueError(f"interpret.probing.rank_by = {rank_by!r}: choose one of {RANK_BY}")
    if monotone_fit not in FIT_KINDS:
        raise ValueError(
            f"interpret.probing.monotone_fit = {monotone_fit!r}: choose one of {FIT_KINDS}"
        )
    f = np.asarray(activation, float).ravel()
    cols = as_columns(observables, names)
    _check_lengths(len(f), cols, "rank_observables")
    if not np.isfinite(f).all():
        raise ValueError("rank_observables: the activation has non-finite values")
    if strata is not None and len(strata) != len(f):
        raise ValueError(
            f"rank_observables: {len(strata)} {control} labels (strata) for {len(f)} samples"
        )

    rows = []
    for k, q in cols.items():
        # the same resample indices for every observable (paired bootstrap): same stream key
        est, se, lo, hi = bootstrap_ci(
            spearman,
            f,
            q,
            n_resamples=bootstrap_resamples,
            level=ci_level,
            rng=seeded_rng(seed, "probing", "bootstrap"),
        )
        r2 = {
            kind: heldout_r2(
                f, q, kind, polynomial_degree, cv_folds, seed=derive_seed(seed, "probing")
            )
            for kind in FIT_KINDS
        }
        rows.append(
            {
                "observable": k,
                "spearman": est,
                "spearman_se": se,
                "spearman_lo": lo,
                "spearman_hi": hi,
                "abs_spearman": abs(est),
                "r2_heldout": r2[monotone_fit],
                "r2_heldout_isotonic": r2["isotonic"],
                "r2_heldout_polynomial": r2["polynomial"],
            }
        )
    table = pd.DataFrame(rows)
    table["group"] = equivalence_groups(cols)
    table["equivalent_to"] = [
        ",".join(o for o, g in zip(table.observable, table.group) if g == grp and o != name)
        for name, grp in zip(table.observable, table.group)
    ]
    key = "abs_spearman" if rank_by == "spearman" else "r2_heldout"
    table["rank"] = _group_rank(table, key)
    if strata is not None:
        table = _with_conditional(
            table,
            f,
            cols,
            strata,
            min_stratum_size,
            bootstrap_resamples,
            ci_level,
            seeded_rng(seed, "probing", "bootstrap", "conditional"),
        )
    table["order"] = np.arange(len(table))
    table = table.sort_values(["rank", "order"], kind="stable").drop(columns="order")

    ds = table.set_index("observable").to_xarray()
    ds.attrs = base_attrs(
        seed,
        algorithm=(
            "bottleneck regression: Spearman rank correlation (percentile bootstrap, "
            f"{bootstrap_resamples} paired resamples, level {ci_level}); held-out R^2 of "
            f"{monotone_fit} fit ({cv_folds}-fold CV; polynomial degree {polynomial_degree})"
        ),
        rank_by=rank_by,
        ci_level=float(ci_level),
        n_samples=int(len(f)),
    )
    if strata is not None:
        sizes = np.unique(np.asarray(strata), return_counts=True)[1]
        ds.attrs.update(
            control_parameter=control,
            conditional=(
                f"Spearman within each {control} (strata with >= {min_stratum_size} samples), "
                "averaged with weights n; bootstrap within strata, "
                f"{bootstrap_resamples} paired resamples"
            ),
            n_strata=int(len(sizes)),
            n_strata_used=int(np.sum(sizes >= min_stratum_size)),
            min_stratum_size=int(min_stratum_size),
        )
    return ds


def _group_rank(table: pd.DataFrame, key: str) -> np.ndarray:
    """Dense rank by `key` (1 = largest); a group's score is its best member's, because
    members differ only by floating-point noise. NaN scores rank last."""
    group_score = table.groupby("group")[key].transform("max").fillna(-np.inf)
    return rankdata(-group_score.to_numpy(), method="dense").astype(int)


def _with_conditional(table, f, cols, strata, min_size, n_resamples, level, generator):
    """`table` with the ranking conditional on the control parameter (see rank_observables)."""
    cis = stratified_spearman_cis(
        f,
        cols,
        np.asarray(strata),
        n_resamples=n_resamples,
        level=level,
        min_size=min_size,
        rng=generator,
    )
    est, se, lo, hi = (np.array([cis[k][i] for k in table.observable]) for i in range(4))
    table = table.assign(
        spearman_cond=est,
        spearman_cond_se=se,
        spearman_cond_lo=lo,
        spearman_cond_hi=hi,
        abs_spearman_cond=np.abs(est),
    )
    # 0 = not ranked: no stratum had enough non-constant samples
    table["rank_cond"] = np.where(np.isfinite(est), _group_rank(table, "abs_spearman_cond"), 0)
    return table


def rank_units(layer: np.ndarray, observables, names: Sequence[str] | None = None, **kwargs):
    """Bottleneck regression of every unit of a layer (n, d): a Dataset over (unit, observable)
    in the order of `names` (use .sel(unit=k).sortby("rank") for one unit's table).
    Constant (dead) units get Spearman 0 and NaN R^2. `kwargs` as for rank_observables."""
    import xarray as xr

    H = np.asarray(layer, float)
    H = H.reshape(len(H), -1)
    cols = as_columns(observables, names)
    tables = [
        rank_observables(H[:, k], cols, **kwargs).sel(observable=list(cols))
        for k in range(H.shape[1])
    ]
    ds = xr.concat(tables, dim="unit", combine_attrs="override")
    return ds.assign_coords(unit=np.arange(H.shape[1]))


def top_observables(ranking, conditional: bool = False) -> list[str]:
    """Names with rank 1 (one observable, or an equivalence group), in the pooled ranking
    or, with `conditional`, in the one conditional on the control parameter."""
    rank = ranking["rank_cond" if conditional else "rank"].values
    return [str(o) for o in ranking.observable.values[rank == 1]]


# --- linear probes of whole layers ---------------------------------------------------------


def linear_probe(
    layer: np.ndarray,
    observables,
    names: Sequence[str] | None = None,
    cv_folds: int = 5,
    alphas: Sequence[float] = RIDGE_ALPHAS,
    seed: int = 0,
):
    """Held-out R^2 of a standardised ridge regression (RidgeCV) from a layer (n, d) to each
    observable; K-fold predictions (seeded shuffle), alpha chosen inside each training fold.
    Returns an xarray Dataset over ``observable`` with r2_heldout and alpha (full-data fit)."""
    H = np.asarray(layer, float)
    if H.ndim == 1:
        H = H[:, None]
    H = H.reshape(len(H), -1)  # conv feature maps flatten to one vector per sample
    if not np.isfinite(H).all():
        raise ValueError("linear_probe: the layer activations have non-finite values")
    cols = as_columns(observables, names)
    _check_lengths(len(H), cols, "linear_probe")
    folds = KFold(
        cv_folds, shuffle=True, random_state=derive_seed(seed, "probing", "linear") % 2**32
    )

    def model():
        return make_pipeline(StandardScaler(), RidgeCV(alphas=alphas))

    r2, alpha = [], []
    for _k, q in cols.items():
        pred = np.empty_like(q)
        for train, test in folds.split(H):
            pred[test] = model().fit(H[train], q[train]).predict(H[test])
        ss_tot = np.sum((q - q.mean()) ** 2)
        r2.append(1.0 - np.sum((q - pred) ** 2) / ss_tot if ss_tot > 0 else np.nan)
        alpha.append(float(model().fit(H, q)[-1].alpha_))
    import xarray as xr

    return xr.Dataset(
        {"r2_heldout": ("observable", np.asarray(r2)), "alpha": ("observable", np.asarray(alpha))},
        coords={"observable": list(cols)},
        attrs=base_attrs(
            seed,
            algorithm=f"linear probe: StandardScaler + RidgeCV, {cv_folds}-fold held-out R^2",
            n_samples=int(len(H)),
            n_features=int(H.shape[1]),
        ),
    )


# --- config + files ------------------------------------------------------------------------


def probing_kwargs(probing_cfg: Mapping) -> dict:
    """rank_observables keyword arguments from config interpret.probing (validated)."""
    keys = (
        "rank_by",
        "monotone_fit",
        "polynomial_degree",
        "cv_folds",
        "bootstrap_resamples",
        "ci_level",
        "min_stratum_size",
    )
    return {k: probing_cfg[k] for k in keys if k in probing_cfg}


def write_probing(ds, path) -> None:
    """Write a ranking or probe table atomically as HDF5 (netCDF4 via h5netcdf)."""
    from physlens.io import to_netcdf_atomic

    ds = ds.copy()
    if "observable" in ds.coords:  # fixed-width unicode is readable by h5py and xarray
        ds = ds.assign_coords(observable=ds.observable.values.astype(str))
    if "equivalent_to" in ds:
        ds["equivalent_to"] = ds["equivalent_to"].astype(str)
    to_netcdf_atomic(ds, path)
