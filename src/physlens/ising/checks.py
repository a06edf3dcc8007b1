"""Checks of the Ising samples against exact results, as headline numbers, a table and a figure.

* At the largest L, <E/N> (all T) and <|M|> (T < Tc) at temperatures at least
  ``min_distance_from_tc`` from Tc against Onsager's infinite lattice (finite-size effects
  are exponentially small there for E; for <|M|> they are O(chi / N), well below the errors
  of the default config); the worst temperature decides, within ``sigma`` standard errors.
* At every L, <E/N> at every T against Kaufman's exact finite torus (valid even at Tc).
* tau_int of |M| and E at the temperature closest to Tc, for every L (recorded only).

Statistical errors come from tau_int: see :func:`physlens.stats.thinned_mean_error`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from physlens.io import atomic_path, open_dataset
from physlens.ising.exact import TC_EXACT, kaufman_energy, onsager_energy, spontaneous_magnetization
from physlens.stats import thinned_mean_error
from physlens.summary import headline, write_headlines
from physlens.validate import validate_ising

log = logging.getLogger(__name__)
STAGE = "ising"
REQUIRED = (
    "energy",
    "magnetization",
    "tau_int_abs_m",
    "tau_int_energy",
    "thinning_sweeps",
    "algorithm",
)


def observables_table(paths) -> pd.DataFrame:
    """Tidy table: one row per (L, temperature, observable) with mean, error and exact values."""
    rows = []
    for path in paths:
        with open_dataset(path, required=REQUIRED) as ds:
            validate_ising(ds, path)
            L = int(ds.attrs["L"])
            meanings = str(ds["algorithm"].attrs.get("flag_meanings", "metropolis wolff")).split()
            for i, T in enumerate(ds["temperature"].values):
                T = float(T)
                spacing = int(ds["thinning_sweeps"][i])
                common = {
                    "L": L,
                    "temperature": T,
                    "algorithm": meanings[int(ds["algorithm"][i])],
                    "n_samples": int(ds.sizes["sample"]),
                    "thinning_sweeps": spacing,
                }
                series = {
                    "energy": (ds["energy"][i].values, float(ds["tau_int_energy"][i])),
                    "abs_magnetization": (
                        np.abs(ds["magnetization"][i].values),
                        float(ds["tau_int_abs_m"][i]),
                    ),
                }
                for observable, (values, tau) in series.items():
                    is_energy = observable == "energy"
                    rows.append(
                        {
                            **common,
                            "observable": observable,
                            "mean": float(values.mean()),
                            "error": thinned_mean_error(values, tau, spacing),
                            "tau_int": tau,
                            "onsager": float(
                                onsager_energy(T) if is_energy else spontaneous_magnetization(T)
                            ),
                            "kaufman": kaufman_energy(T, L) if is_energy else np.nan,
                        }
                    )
    table = pd.DataFrame(rows).sort_values(["L", "observable", "temperature"], ignore_index=True)
    table["deviation_sigma_onsager"] = (table["mean"] - table["onsager"]) / table["error"]
    table["deviation_sigma_kaufman"] = (table["mean"] - table["kaufman"]) / table["error"]
    return table


def mark_onsager_comparisons(table: pd.DataFrame, min_distance_from_tc: float) -> pd.DataFrame:
    """Add `compared_with_onsager`: largest L, |T - Tc| >= the distance, |M| only below Tc."""
    far = (table["temperature"] - TC_EXACT).abs() >= min_distance_from_tc
    below = table["temperature"] < TC_EXACT
    ok_observable = (table["observable"] == "energy") | below
    return table.assign(
        compared_with_onsager=far & ok_observable & (table["L"] == table["L"].max())
    )


def _worst(rows: pd.DataFrame, reference: str) -> pd.Series:
    """The row furthest from the reference in errors; a NaN or infinite mean or error is the
    worst of all (it is never skipped, nor read as a deviation of 0)."""
    dev = ((rows["mean"] - rows[reference]) / rows["error"]).abs()
    unsound = ~np.isfinite(rows[["mean", "error"]].to_numpy(float)).all(axis=1)
    return rows.loc[dev.mask(unsound, np.inf).fillna(np.inf).idxmax()]


def headline_records(table: pd.DataFrame, sigma: float) -> list[dict]:
    """Aggregated headline records (worst temperature decides) plus tau_int near Tc."""
    records = []
    L_max = int(table["L"].max())
    sources = {
        "energy": "exact result, computed in code: Onsager 1944 (physlens.ising.exact)",
        "abs_magnetization": "exact result, computed in code: Yang 1952 (physlens.ising.exact)",
    }
    for observable, source in sources.items():
        rows = table[table["compared_with_onsager"] & (table["observable"] == observable)]
        if rows.empty:
            log.warning(
                "no temperature qualifies for the Onsager check of %s at L=%d", observable, L_max
            )
            continue
        w = _worst(rows, "onsager")
        what = "energy per site" if observable == "energy" else "mean |M| per site"
        records.append(
            headline(
                f"ising.{'energy' if observable == 'energy' else 'abs_magnetization'}_vs_onsager.L{L_max}",
                w["mean"],
                stage=STAGE,
                uncertainty=w["error"],
                reference=w["onsager"],
                reference_source=source,
                tolerance=sigma,
                tolerance_kind="sigma",
                description=(
                    f"Ising {what} at L={L_max} vs exact L=inf, worst of {len(rows)} temperatures "
                    f"(T={w['temperature']:.4g})"
                ),
                L=L_max,
                T=float(w["temperature"]),
                n_temperatures=int(len(rows)),
            )
        )
    for L, rows in table[table["observable"] == "energy"].groupby("L"):
        w = _worst(rows, "kaufman")
        records.append(
            headline(
                f"ising.energy_vs_kaufman.L{L}",
                w["mean"],
                stage=STAGE,
                uncertainty=w["error"],
                reference=w["kaufman"],
                reference_source="exact result, computed in code: Kaufman 1949 (physlens.ising.exact)",
                tolerance=sigma,
                tolerance_kind="sigma",
                description=(
                    f"Ising energy per site at L={L} vs exact finite torus, worst of {len(rows)} "
                    f"temperatures (T={w['temperature']:.4g})"
                ),
                L=int(L),
                T=float(w["temperature"]),
                n_temperatures=int(len(rows)),
            )
        )
    for L, rows in table.groupby("L"):
        at_tc = rows[
            (rows["temperature"] - TC_EXACT).abs() == (rows["temperature"] - TC_EXACT).abs().min()
        ]
        for observable, short in (("abs_magnetization", "abs_m"), ("energy", "energy")):
            r = at_tc[at_tc["observable"] == observable].iloc[0]
            records.append(
                headline(
                    f"ising.tau_int_{short}.L{L}",
                    r["tau_int"],
                    stage=STAGE,
                    unit="sweeps",
                    description=(
                        f"tau_int of {'|M|' if short == 'abs_m' else 'E'} at T={r['temperature']:.4g} "
                        f"(closest to Tc), L={L}, {r['algorithm']}"
                    ),
                    L=int(L),
                    T=float(r["temperature"]),
                    algorithm=r["algorithm"],
                )
            )
    return records


def write_table(table: pd.DataFrame, path) -> None:
    with atomic_path(path, suffix=".csv.tmp") as tmp:
        table.to_csv(tmp, index=False, float_format="%.10g")


def run_checks(
    inputs, headline_path, table_path, checks: dict, seed=None
) -> tuple[pd.DataFrame, list[dict]]:
    """The ising_checks rule's numbers: the table and the headline records from the per-L
    files (the rule's script draws the figure from the table)."""
    table = mark_onsager_comparisons(observables_table(inputs), checks["min_distance_from_tc"])
    records = headline_records(table, checks["sigma"])
    write_table(table, table_path)
    write_headlines(headline_path, records, seed=seed)
    for r in records:
        log.info("%s = %s (%s)", r["name"], r["value"], r["status"])
    return table, records
