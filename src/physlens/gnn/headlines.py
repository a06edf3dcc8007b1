"""Headline records of one force law: energy conservation of its simulations, message
sparsity and messages vs force per network variant, the symbolic formula."""

from __future__ import annotations

from physlens.summary import headline

STAGE = "gnn"
SPARSITY_REF = "cranmer2020_message_sparsity"
LINEAR_REF = "cranmer2020_messages_linear_in_force"
SYMBOLIC_REF = "cranmer2020_symbolic_force_law"
# The median relative energy drift the default step sizes keep every law below (the bound
# tests/test_gnn_simulation.py asserts; measured 6e-9 to 1e-4, docs/gnn.md).
ENERGY_DRIFT_CRITERION = 1e-3


def law_headlines(report: dict, cfg: dict) -> list[dict]:
    """Per variant: significant components (== dim) and message-force R^2 (>= threshold),
    judged for the L1 and bottleneck models and recorded for the standard one (the paper's
    contrast); the symbolic formula of the dominant message, judged."""
    law, dim = report["law"], report["dim"]
    icfg = cfg["interpret"]
    sim = report["simulation"]
    out = [
        headline(
            f"gnn.{law}.median_energy_drift",
            sim["median_energy_drift"],
            stage=STAGE,
            reference=ENERGY_DRIFT_CRITERION,
            reference_source=(
                "energy is conserved by the dynamics; velocity Verlet's error stays bounded"
            ),
            tolerance=0,
            tolerance_kind="at_most",
            description=(
                f"{law}: median over simulations of max_t |E(t) - E(0)| / mean |E| over the "
                f"stored window (<= {ENERGY_DRIFT_CRITERION:g}); "
                f"{sim['fraction_above_max_energy_drift']:.1%} of the simulations drift more "
                f"than gnn.max_energy_drift = {cfg['max_energy_drift']} and are left out"
            ),
            fraction_dropped=sim["fraction_above_max_energy_drift"],
        )
    ]
    for variant, v in report["variants"].items():
        judged = variant != "standard"
        out.append(
            headline(
                f"gnn.{law}.{variant}.n_significant_messages",
                v["n_significant"],
                stage=STAGE,
                reference=dim if judged else None,
                reference_source=f"the spatial dimension, {dim}",
                ref=SPARSITY_REF if judged else None,
                tolerance=0,
                tolerance_kind="absolute",
                description=(
                    f"{law}, {variant} model: message components with std >= "
                    f"{icfg['significance']} x the largest (expected: {dim})"
                ),
                std_sorted=v["std_sorted"][:8],
                # rotation-invariant: directions the messages span (principal axes)
                n_significant_principal=v["n_significant_principal"],
            )
        )
        out.append(
            headline(
                f"gnn.{law}.{variant}.message_force_r2",
                v["force_r2_min"],
                stage=STAGE,
                reference=icfg["message_r2_threshold"] if judged else None,
                reference_source="the messages are a linear map of the pair force",
                ref=LINEAR_REF if judged else None,
                tolerance=0,
                tolerance_kind="at_least",
                description=(
                    f"{law}, {variant} model: smallest held-out R^2 of the {dim} most variable "
                    f"message components fitted as an affine map of the true pair force "
                    f"(>= {icfg['message_r2_threshold']})"
                ),
                per_component=[c["r2"] for c in v["per_component"]],
                force_target=v["force_target"],
            )
        )
    sym = report["symbolic"]
    out.append(
        headline(
            f"gnn.{law}.symbolic_force_r2",
            sym["force_r2"],
            stage=STAGE,
            reference=icfg["equivalence_r2"],
            reference_source="the formula equals the force law up to a linear map",
            ref=SYMBOLIC_REF,
            tolerance=0,
            tolerance_kind="at_least",
            description=(
                f"{law}: held-out R^2 of the symbolic formula for the dominant message "
                f"({sym['variant']} model, {sym['engine']}) fitted as an affine map of the true "
                f"pair force (>= {icfg['equivalence_r2']}: the formula is the force law)"
            ),
            formula=sym["expression"],
            engine=sym["engine"],
            variant=sym["variant"],
            force_target=sym["force_target"],
        )
    )
    return out
