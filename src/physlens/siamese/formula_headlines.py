"""Headline records of the physics-formula TNNR benchmark.

Judged, on each small data set (at most twin.formula.small_max points): TNNR competes with a
single network of the same size (Wetzel et al. 2022's claim), read as

    mean over repeats of [RMSE(TNNR) - RMSE(single)] <= JUDGE_SIGMAS x its standard error,

the difference taken per repeat on the same split, so that its standard error is the combined
uncertainty of both RMSEs, their correlation included. Met: TNNR is not worse by more than
two standard errors. Everything else (the RMSEs, their ratios, TNNR against the ensemble, the
rank correlations of the uncertainties with the actual error, calibrated coverages) is
recorded with status info.
"""

from __future__ import annotations

from physlens.summary import headline

STAGE = "twin"
JUDGE_SIGMAS = 2.0
COMPETES = "wetzel2022_tnnr_competes"
UNCERTAINTY_SIGNAL = "wetzel2022_tnnr_loop_uncertainty"


def is_small(n_points: int, small_max: int) -> bool:
    """A data set is small (its TNNR claim judged) with at most small_max points."""
    return n_points <= small_max


def competes_record(
    task: str, diff: float, se: float, n_points: int, repeats: int, small: bool, unit: str = ""
):
    """The judged record: TNNR's RMSE minus the single network's, at most 2 SE (small sets);
    recorded only (no reference, status info) on larger sets."""
    where = f"{task}, {n_points} points, {repeats} repeated splits"
    rule = (
        f"judged: met if <= {JUDGE_SIGMAS:g} standard errors"
        if small
        else "not judged (not a small data set)"
    )
    return headline(
        f"twin.{task}.rmse_diff_tnnr_single",
        diff,
        uncertainty=se,
        unit=unit,
        stage=STAGE,
        ref=COMPETES,
        reference=0.0 if small else None,
        tolerance=JUDGE_SIGMAS * se if small else None,
        tolerance_kind="at_most",
        description=(
            f"TNNR vs a single network of the same size ({where}): mean of RMSE(TNNR) - "
            f"RMSE(single) over the splits, paired; {rule}"
        ),
        n_points=n_points,
        repeats=repeats,
        small=small,
    )


def formula_headlines(
    summaries: dict[str, dict],
    n_points: dict[str, int],
    repeats: int,
    small_max: int,
    units: dict[str, str] | None = None,
) -> list[dict]:
    """Records of every formula task from :func:`formula_benchmark.summarise_task` output;
    `units` maps a task to its target's unit (RMSEs carry it)."""
    recs = []
    for task, s in summaries.items():
        n = int(n_points[task])
        small = is_small(n, small_max)
        unit = (units or {}).get(task, "")
        recs.append(competes_record(task, *s["rmse_diff_tnnr_single"], n, repeats, small, unit))

        def info(quantity: str, description: str, ref: str | None = None):
            value, se = s[quantity]
            recs.append(
                headline(
                    f"twin.{task}.{quantity}",
                    value,
                    uncertainty=se,
                    stage=STAGE,
                    unit=unit if quantity.startswith("rmse_") and "ratio" not in quantity else "",
                    ref=ref,
                    description=f"TNNR {task} ({n} points, {repeats} splits): {description}",
                )
            )

        for k in ("tnnr", "single", "ensemble"):
            info(f"rmse_{k}", f"test RMSE of the {k} estimator, mean over splits")
        info("rmse_ratio_tnnr_single", "RMSE(TNNR) / RMSE(single network); < 1: TNNR better")
        info("rmse_ratio_tnnr_ensemble", "RMSE(TNNR) / RMSE(ensemble)")
        for u in ("tnnr_spread", "loop_violation", "ensemble_spread"):
            info(
                f"spearman_{u}",
                f"Spearman rank correlation of the {u.replace('_', ' ')} with the actual "
                "|error|, within splits",
                ref=UNCERTAINTY_SIGNAL if u == "loop_violation" else None,
            )
            for level in ("68", "95"):
                info(
                    f"coverage{level}_{u}_calibrated",
                    f"coverage of the nominal {level}% interval from the {u.replace('_', ' ')} "
                    "after validation-set scaling",
                )
    return recs
