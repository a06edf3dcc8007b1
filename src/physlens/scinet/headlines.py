"""Headline numbers of the SciNet stage, from an interpretation report (physlens.summary).

Judged: the number of active latent units (= the system's degrees of freedom), the score of
each parameter's assigned unit (|Spearman| or R^2, against the config's threshold), the
one-to-one assignment, and (heliocentric) the ratio of the learned angular increments against
the ratio of the orbital periods the data were generated with. Recorded: the symbolic formulas,
the single increments with their update's eigenvalue modulus and singular-value ratio, the
heliocentric fit of the pairs' unnormalised means, the answers' errors.
"""

from __future__ import annotations

import math

from physlens.summary import headline

STAGE = "scinet"
# resources/references.yaml: the paper's claim for each system
CLAIMS = {"pendulum": "iten2020_pendulum_latents", "heliocentric": "iten2020_heliocentric_angles"}
DOF = {
    "pendulum": "the spring constant kappa and the damping factor b",
    "heliocentric": "the heliocentric angles of Earth and Mars",
}


def _score(report: dict, j: int) -> float:
    scores = report["assigned_scores"]
    return scores[j] if scores else math.nan


def common_headlines(report: dict) -> list[dict]:
    system, crit = report["system"], report["criteria"]
    n_par = len(report["parameters"])
    kind = "|Spearman|" if system == "pendulum" else "R^2 of the direction's (cos, sin) fit"
    threshold = crit["min_spearman"] if system == "pendulum" else crit["min_r2"]
    unit = "latent neuron" if system == "pendulum" else "latent pair"
    kl = ", ".join(f"{k:.3g}" for k in report["mean_kl"])
    records = [
        headline(
            f"scinet.{system}.active_latents",
            report["n_active"],
            stage=STAGE,
            reference=n_par,
            reference_source=f"one active latent per degree of freedom ({DOF[system]})",
            ref=CLAIMS[system],
            tolerance=0,
            tolerance_kind="absolute",
            description=f"SciNet {system}: active {unit}s (mean KL > {crit['kl_threshold']} nats; KL per unit {kl})",
            mean_kl=kl,
        ),
        headline(
            f"scinet.{system}.one_to_one",
            float(report["assignment_ok"] and report["exclusive"]),
            stage=STAGE,
            reference=1,
            reference_source="each active latent a function of one parameter",
            ref=CLAIMS[system],
            tolerance=0,
            tolerance_kind="at_least",
            description=(
                f"SciNet {system}: the active {unit}s map one-to-one onto the parameters, each with "
                f"{kind} >= {threshold} for its own parameter and below for the other"
            ),
            assignment=str(report["assignment"]),
        ),
    ]
    for j, par in enumerate(report["parameters"]):
        u = report["assignment"][j] if report["assignment"] else None
        records.append(
            headline(
                f"scinet.{system}.score[{par}]",
                _score(report, j),
                stage=STAGE,
                reference=threshold,
                reference_source=f"the latent stores {par} (threshold chosen by us)",
                ref=CLAIMS[system],
                tolerance=0,
                tolerance_kind="at_least",
                description=f"SciNet {system}: {kind} of {unit} {u} (assigned) with {par} (>= {threshold})",
                unit_index=u,
            )
        )
    return records


def pendulum_headlines(report: dict) -> list[dict]:
    ans = report["answers"]
    records = [
        headline(
            f"scinet.pendulum.formula_r2[{fit['parameter']}]",
            fit["r2"],
            stage=STAGE,
            description=(
                f"SciNet pendulum: latent neuron {fit['unit']} ~ {fit['expression']} "
                f"({fit['engine']}), R^2 on the test observations"
            ),
            engine=fit["engine"],
            expression=fit["expression"],
        )
        for fit in report["symbolic"]
    ]
    records.append(
        headline(
            "scinet.pendulum.answer_rms_error",
            ans["rms_error"],
            stage=STAGE,
            unit="m",
            description=(
                f"SciNet pendulum: RMS error of the answers x(t') against the exact solution, "
                f"{ans['n_answers']} test questions (RMS of x(t') itself {ans['rms_answer']:.3g} m)"
            ),
        )
    )
    return records


def heliocentric_headlines(report: dict) -> list[dict]:
    upd, ans = report["time_update"], report["answers"]
    tol = report["criteria"]["ratio_tolerance"]
    records = [
        headline(
            "scinet.heliocentric.increment_ratio",
            upd["ratio"],
            stage=STAGE,
            reference=upd["true_ratio"],
            reference_source="T_Mars / T_Earth, the orbital periods the data were generated with",
            tolerance=tol,
            tolerance_kind="relative",
            description=(
                "SciNet heliocentric: ratio of the learned angular increments per step "
                f"(Earth's latent pair over Mars's; within {tol:.0%} of the period ratio)"
            ),
        )
    ]
    for row in upd["per_planet"]:
        records.append(
            headline(
                f"scinet.heliocentric.increment[{row['planet']}]",
                row["increment"],
                stage=STAGE,
                unit="rad/step",
                description=(
                    f"SciNet heliocentric: learned angular increment of latent pair {row['unit']} "
                    f"(true {row['true_increment']:.5g} rad/step, relative error {row['relative_error']:+.3f}; "
                    f"its update's eigenvalue modulus {row['eigen_moduli'][1]:.4f} and singular-value "
                    f"ratio {row['singular_value_ratio']:.4f}, both 1 for a rotation)"
                ),
                true_increment=row["true_increment"],
            )
        )
    means = report["score_matrix_means"]
    for j, par in enumerate(report["parameters"]):
        u = report["assignment"][j] if report["assignment"] else None
        records.append(
            headline(
                f"scinet.heliocentric.score_means[{par}]",
                means[u][j] if u is not None else math.nan,
                stage=STAGE,
                description=(
                    f"SciNet heliocentric: R^2 of the (cos, sin) fit of latent pair {u}'s posterior "
                    f"mean itself with {par} (its length, which the decoder does not read, included)"
                ),
                unit_index=u,
            )
        )
    for body in ("sun", "mars"):
        records.append(
            headline(
                f"scinet.heliocentric.answer_rms_error[{body}]",
                ans[f"rms_error_{body}"],
                stage=STAGE,
                unit="rad",
                description=(
                    f"SciNet heliocentric: RMS error of the predicted direction of the {body} seen "
                    f"from Earth over {ans['n_steps']} steps (last step {ans[f'rms_error_{body}_last_step']:.3g} rad)"
                ),
            )
        )
    return records


def system_headlines(report: dict, seed: int | None = None) -> list[dict]:
    extra = pendulum_headlines if report["system"] == "pendulum" else heliocentric_headlines
    return common_headlines(report) + extra(report)
