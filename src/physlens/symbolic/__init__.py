"""Symbolic regression: fit a closed-form formula, pick it from the Pareto front, compare it.

Two engines behind one call, :func:`fit_formula` (:mod:`.regression`; the engines in
:mod:`.engines`: PySR where its Julia runtime starts, pyoperon otherwise); the formula is
chosen from the front by the same criterion for both (:func:`select_model`). Expressions are
parsed, renamed, simplified and evaluated in :mod:`.expressions`; :func:`equivalent`
(:mod:`.equivalence`) decides numerically whether a formula is a known expression up to an
identity, a constant factor, an affine or a monotone map; :func:`explain_neuron`
(:mod:`.neuron`) explains one neuron by the candidate observables; :func:`write_symbolic`
(:mod:`.output`) writes a result as JSON.
"""

from physlens._lazy import lazy_exports

# The package's public API, imported on first use: sympy and pandas load with the first name.
_EXPORTS = {
    "ENGINES": ".engines",
    "BINARY_OPERATORS": ".engines",
    "UNARY_OPERATORS": ".engines",
    "pysr_available": ".engines",
    "resolve_engine": ".engines",
    "parse_expression": ".expressions",
    "rename": ".expressions",
    "evaluate": ".expressions",
    "as_expr": ".expressions",
    "RELATIONS": ".equivalence",
    "Equivalence": ".equivalence",
    "equivalent": ".equivalence",
    "DEFAULT_BUDGET": ".regression",
    "SymbolicResult": ".regression",
    "pareto_filter": ".regression",
    "select_model": ".regression",
    "fit_formula": ".regression",
    "LINKS": ".neuron",
    "NeuronExplanation": ".neuron",
    "explain_kwargs": ".neuron",
    "explain_neuron": ".neuron",
    "write_symbolic": ".output",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
