"""A symbolic fit or neuron explanation written as JSON, with provenance."""

from __future__ import annotations

from physlens.symbolic.neuron import NeuronExplanation
from physlens.symbolic.regression import SymbolicResult


def write_symbolic(path, obj: SymbolicResult | NeuronExplanation, seed: int | None = None) -> None:
    """Write a fit (or a neuron explanation) as JSON, atomically, with provenance."""
    from physlens.io import write_json
    from physlens.provenance import base_attrs

    write_json(
        path, {"provenance": base_attrs(seed, algorithm="symbolic regression"), **obj.to_dict()}
    )
