"""Headline records of the userdata stage: recorded always, judged where the config's
userdata.reference supplies the answer (the observable the decision should track, the
control value of the transition, whether the model should be free of confounders).

Every name is ``userdata.<name>.<quantity>``, <name> being config userdata.name.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from physlens.summary import headline
from physlens.userdata import STAGE

_headline = partial(headline, stage=STAGE)


def _net(name: str) -> str:
    return f"{STAGE}.{name}"


def _source(reference: dict, key: str) -> str:
    """Why the reference holds (userdata.reference.<key>_source), else the config key."""
    return reference.get(f"{key}_source") or f"userdata.reference.{key}"


def probing_headlines(ranking, linear, parsimony, reference: dict, name: str) -> list[dict]:
    """The top observable of the decision neuron (recorded), the expected one's |rho| and
    rank (judged when userdata.reference.observable is set), linear probes and the
    explanation BIC prefers (recorded)."""
    from physlens.interpret.probing import top_observables

    net = _net(name)
    top = top_observables(ranking)
    lead = ranking.isel(observable=0)
    recs = [
        _headline(
            f"{net}.top_abs_spearman",
            float(lead.abs_spearman),
            uncertainty=float(lead.spearman_se),
            description=f"|Spearman| of the decision neuron and its best observable ({', '.join(top)})",
            top=top,
        )
    ]
    expected = reference.get("observable")
    if expected:
        row = ranking.sel(observable=expected)
        src = _source(reference, "observable")
        recs += [
            _headline(
                f"{net}.abs_spearman[{expected}]",
                float(row.abs_spearman),
                uncertainty=float(row.spearman_se),
                reference=float(reference["min_abs_spearman"]),
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source=src,
                description=f"|Spearman| between the decision neuron and {expected}",
                spearman_given_control=float(row.spearman_cond),
            ),
            _headline(
                f"{net}.expected_ranks_first",
                float(expected in top),
                reference=1.0,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source=src,
                description=f"{expected} (or an exact equivalent) ranks first; top: {', '.join(top)}",
                top=top,
            ),
        ]
    if linear is not None:
        for o in dict.fromkeys([*top[:1], *([expected] if expected else [])]):
            recs.append(
                _headline(
                    f"{net}.linear_probe_r2[{o}]",
                    float(linear.r2_heldout.sel(observable=o)),
                    description=f"held-out R^2 of a ridge probe from the hidden representation to {o}",
                )
            )
    best = parsimony.iloc[0]
    recs.append(
        _headline(
            f"{net}.bic_weight[{best.candidate}]",
            float(best.weight),
            description=f"Schwarz weight of {best.candidate}, the explanation of the decision "
            f"neuron BIC prefers ({best.fit}, R^2 {best.r2:.4f})",
        )
    )
    return recs


def representation_headlines(abs_rho, variance_ratio, names, name: str) -> list[dict]:
    """The observable each leading principal component of the hidden representation tracks."""
    recs = []
    for j in range(abs_rho.shape[0]):
        k = int(np.nanargmax(abs_rho[j]))
        recs.append(
            _headline(
                f"{_net(name)}.pc{j + 1}_abs_spearman[{names[k]}]",
                float(abs_rho[j, k]),
                description=f"|Spearman| between PC{j + 1} ({variance_ratio[j]:.1%} of the variance) "
                f"of the hidden representation and {names[k]}, the best candidate",
            )
        )
    return recs


def phase_headlines(result: dict, reference: dict, control_name: str, name: str) -> list[dict]:
    """The control value where P(class 1) crosses 1/2 (judged against
    userdata.reference.critical when given)."""
    crit = {}
    if reference.get("critical") is not None:
        crit = dict(
            reference=float(reference["critical"]),
            tolerance=float(reference["critical_tolerance"]),
            tolerance_kind=reference["critical_tolerance_kind"],
            reference_source=_source(reference, "critical"),
        )
    return [
        _headline(
            f"{_net(name)}.critical_{control_name}",
            result["value"],
            uncertainty=result["error"],
            description=f"{control_name} where the classifier's mean P(class 1) crosses 1/2",
            failed_resamples=result["failed_resamples"],
            **crit,
        )
    ]


def concept_headlines(knobs: dict, signs: dict, reference: dict, name: str) -> list[dict]:
    """dlogit/dQ of each knob (recorded); for the expected observable, whether turning it up
    moves the decision the way the data do (judged when userdata.reference.observable is set)."""
    net = _net(name)
    recs = [
        _headline(
            f"{net}.knob_effect[{o}]",
            k["effect_mean"],
            description=f"mean dlogit/d{o} along {o}'s data direction in the hidden "
            f"representation (R^2 {k['r2']:.3f}; positive on {k['effect_positive_fraction']:.0%} "
            f"of the samples; decision flips {k['flip_from_class0']:.4g} from the class-0 mean, "
            f"classes {k['separation']:.4g} apart)",
        )
        for o, k in knobs.items()
    ]
    expected = reference.get("observable")
    if expected and expected in knobs:
        k = knobs[expected]
        agree = float(np.sign(k["effect_mean"]) == signs[expected] != 0)
        recs.append(
            _headline(
                f"{net}.knob_follows_data[{expected}]",
                agree,
                reference=1.0,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="sign of the class-1 minus class-0 mean of the observable in the data",
                description=f"turning {expected} up moves the decision towards the class in which "
                f"{expected} is larger in the data",
            )
        )
    return recs


def confounder_headlines(report, reference: dict, name: str) -> list[dict]:
    """Whether the relevance piles up on one fixed region (judged when
    userdata.reference.confounder_free is set)."""
    crit = {}
    if reference.get("confounder_free"):
        crit = dict(
            reference=0.0,
            tolerance=0.0,
            tolerance_kind="at_most",
            reference_source="translation invariance of the data: no region may matter more than its area",
        )
    return [
        _headline(
            f"{_net(name)}.confounder_flagged",
            float(report.flagged),
            description=report.message(),
            enrichment=report.enrichment,
            region=report.region,
            **crit,
        )
    ]
