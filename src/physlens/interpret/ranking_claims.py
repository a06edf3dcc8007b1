"""Headline records of a bottleneck ranking, shared by every stage that ranks a neuron
(interpret, su2_learning, unsupervised): how well the expected observable is tracked, and
whether it ranks first.

Which observable ranks first is judged on the ranking conditional on the control parameter
(temperature, beta) when the table has one (headline names ending in ``given_T`` or
``given_beta``). Pooled over the control parameter every candidate that tracks it on average
looks alike, so the pooled "ranks first" is recorded but not judged. The |Spearman|
criterion stays on the pooled ranking: that F is a monotone function of Q over the whole
data is the claim of Wetzel 2017; within one temperature the observable spans a small range
and a finite network's noise weighs more, so no threshold is set there.
"""

from __future__ import annotations

from physlens.interpret.probing import top_observables


def conditional_suffix(ranking) -> str | None:
    """Headline-name suffix of claims judged on the conditional ranking ("given_T",
    "given_beta"); None when the ranking has no conditional columns."""
    if "spearman_cond" not in ranking:
        return None
    return f"given_{ranking.attrs['control_parameter']}"


def conditional_abs_spearman(ranking, observable: str, name: str, stage: str, what: str) -> dict:
    """Headline record (recorded, not judged) of |Spearman| between a neuron and `observable`
    within each value of the control parameter, combined; `what` names the neuron."""
    from physlens.summary import headline

    row = ranking.sel(observable=observable)
    control = ranking.attrs["control_parameter"]
    return headline(
        name,
        float(row.abs_spearman_cond),
        stage=stage,
        uncertainty=float(row.spearman_cond_se),
        description=(
            f"|Spearman| between {what} and {observable} within each {control}, combined "
            f"(conditional ranking); top given {control}: "
            f"{', '.join(top_observables(ranking, conditional=True)) or 'none'}"
        ),
        ci=[float(row.spearman_cond_lo), float(row.spearman_cond_hi)],
        rank_given_control=int(row.rank_cond),
        n_strata_used=int(ranking.attrs["n_strata_used"]),
    )


def ranking_headlines(
    ranking,
    network: str,
    expected: str,
    stage: str = "interpret",
    min_abs_spearman: float = 0.95,
    reference_source: str = "bottleneck neuron F(S) = sigmoid(w Q(S) + b)",
    ref: str | None = "ws2017_decision_function",
) -> list[dict]:
    """Headline records for one neuron's ranking: |rho| of the observable the physics expects
    (pooled over the control parameter; met when >= min_abs_spearman), and whether it (or an
    exact equivalent) ranks first. Which observable ranks first is judged on the conditional
    ranking when the table has one (suffix ``given_<control>``): pooled, every candidate that
    tracks the control parameter looks alike, so the pooled "ranks first" is only recorded."""
    from physlens.summary import headline

    if expected not in ranking.observable.values:
        raise KeyError(f"expected observable {expected!r} is not in the ranking")
    row = ranking.sel(observable=expected)
    suffix = conditional_suffix(ranking)
    control = ranking.attrs.get("control_parameter")
    pooled = "" if suffix is None else f", pooled over all {control}"
    first = dict(
        reference=1.0,
        tolerance=0.0,
        tolerance_kind="at_least",
        reference_source=reference_source,
        ref=ref,
    )
    records = [
        headline(
            f"{network}.abs_spearman[{expected}]",
            float(row.abs_spearman),
            stage=stage,
            uncertainty=float(row.spearman_se),
            reference=min_abs_spearman,
            tolerance=0.0,
            tolerance_kind="at_least",
            reference_source=reference_source,
            ref=ref,
            description=f"|Spearman| between the {network} neuron and {expected}{pooled}",
        ),
        headline(
            f"{network}.ranks_first[{expected}]",
            float(int(row["rank"]) == 1),
            stage=stage,
            **(first if suffix is None else {}),
            description=(
                f"{expected} (or an exactly equivalent observable) ranks first for the "
                f"{network} neuron{pooled}; top: {', '.join(top_observables(ranking))}"
                + (
                    ""
                    if suffix is None
                    else f" (recorded, not judged: pooled, it is confounded by {control}; "
                    f"judged in ranks_first_{suffix})"
                )
            ),
        ),
    ]
    if suffix is None:
        return records
    return records + [
        conditional_abs_spearman(
            ranking,
            expected,
            f"{network}.abs_spearman_{suffix}[{expected}]",
            stage,
            f"the {network} neuron",
        ),
        headline(
            f"{network}.ranks_first_{suffix}[{expected}]",
            float(int(row["rank_cond"]) == 1),
            stage=stage,
            **first,
            description=(
                f"{expected} (or an exactly equivalent observable) ranks first for the "
                f"{network} neuron within each {control} (conditional ranking); top given "
                f"{control}: {', '.join(top_observables(ranking, conditional=True)) or 'none'}"
            ),
        ),
    ]
