"""Interpretation entry point: run physlens.gnn.interpret on one law, write its files and
its headline numbers (message sparsity, messages vs force, the symbolic formula)."""

from __future__ import annotations

from physlens.gnn.interpret import interpret_law
from physlens.io import atomic_path, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.summary import headline, write_headlines

STAGE = "gnn"
SOURCE = (
    "Cranmer, Sanchez-Gonzalez, Battaglia, Xu, Cranmer, Spergel, Ho, Discovering Symbolic "
    "Models from Deep Learning with Inductive Biases, NeurIPS 2020, arXiv:2006.11287"
)


def law_headlines(report: dict, cfg: dict) -> list[dict]:
    """Per variant: significant components (== dim) and message-force R^2 (>= threshold,
    judged for the L1 and bottleneck models, recorded for the standard one); the formula."""
    law, dim = report["law"], report["dim"]
    icfg = cfg["interpret"]
    out = []
    for variant, v in report["variants"].items():
        judged = variant != "standard"
        out.append(
            headline(
                f"gnn.{law}.{variant}.n_significant_messages",
                v["n_significant"],
                stage=STAGE,
                reference=dim if judged else None,
                reference_source=f"spatial dimension; sparsity claim of {SOURCE}",
                tolerance=0,
                tolerance_kind="absolute",
                description=(
                    f"message components with std >= {icfg['significance']} x the largest "
                    f"({variant} model)"
                ),
                std_sorted=v["std_sorted"][:8],
            )
        )
        out.append(
            headline(
                f"gnn.{law}.{variant}.message_force_r2",
                v["force_r2_min"],
                stage=STAGE,
                reference=icfg["message_r2_threshold"] if judged else None,
                reference_source=f"criterion of this project; linearity claim of {SOURCE}",
                tolerance=0,
                tolerance_kind="at_least",
                description=(
                    f"smallest held-out R^2 of the {dim} most variable message components fitted "
                    f"as an affine map of the true pair force ({variant} model)"
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
            reference_source=f"criterion of this project ('formula equals the force law up to a linear map'); {SOURCE}",
            tolerance=0,
            tolerance_kind="at_least",
            description=(
                "held-out R^2 of the symbolic formula for the dominant message fitted as an "
                "affine map of the true pair force: the formula equals the force law when >= the reference"
            ),
            formula=sym["expression"],
            engine=sym["engine"],
            variant=sym["variant"],
            force_target=sym["force_target"],
        )
    )
    return out


def interpret_and_write(sims_path, models: dict, cfg: dict, seed: int, law: str, out: dict) -> dict:
    """Interpret one law; write report / messages / pareto / headline (paths in `out`)."""
    report, messages, pareto = interpret_law(sims_path, models, cfg, seed, law)
    to_netcdf_atomic(messages, out["messages"])
    with atomic_path(out["pareto"], suffix=".csv.tmp") as tmp:
        pareto.to_csv(tmp, index=False)
    write_json(out["report"], {"provenance": base_attrs(seed, stage=STAGE, law=law), **report})
    write_headlines(out["headline"], law_headlines(report, cfg), seed=seed)
    return report
