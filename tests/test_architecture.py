"""The package's shape (docs/architecture.md), read from the source with ``ast``: every module
is short, the shared lower layer never reaches up into a stage package or the figures (not
even through another module), and only the figure modules (physlens.plots) load matplotlib."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "physlens"
MAX_LINES = 500
# The shared lower layer of docs/architecture.md: every stage builds on it, it builds on none.
LOWER_LAYER = (
    "physlens.config",
    "physlens.config_docs",
    "physlens.crosskeys",
    "physlens.slices",
    "physlens.io",
    "physlens.validate",
    "physlens.seeding",
    "physlens.training",
    "physlens.modelfiles",
    "physlens.modeldata",
    "physlens.models",
    "physlens.observables",
    "physlens.phase",
    "physlens.stats",
    "physlens.symbolic",
    "physlens.formula",
    "physlens.references",
    "physlens.summary",
    "physlens.provenance",
)
STAGES = (
    "physlens.interpret",
    "physlens.representations",
    "physlens.concepts",
    "physlens.supervised",
    "physlens.unsupervised",
    "physlens.su2",
    "physlens.ising",
    "physlens.siamese",
    "physlens.invariants",
    "physlens.userdata",
)
FIGURE_LIBRARIES = ("matplotlib", "seaborn")
PLOTS = "physlens.plots"
# The middle tier: shared by the interpretation-type stages and built on the stage that
# trains their models (modeldata rebuilds the supervised split). It may import the producing
# stages, never a consuming one.
MIDDLE = {"physlens.modeldata": ("physlens.supervised",)}
CONSUMERS = ("physlens.interpret", "physlens.representations", "physlens.concepts")


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@cache
def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


@cache
def imported(module: str) -> frozenset[str]:
    """Every name `module` imports, at module level or inside functions, as dotted paths
    (``from a import b`` gives both ``a`` and ``a.b``; relative imports resolved). A package's
    lazy ``_EXPORTS`` map (physlens._lazy) counts: its modules are imported on first use."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["_EXPORTS"]
            and isinstance(node.value, ast.Dict)
        ):
            for v in node.value.values:
                target = v.value
                names.add(package + target if target.startswith(".") else target)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return frozenset(names)


def internal_dependencies(module: str) -> set[str]:
    """The package modules `module` imports (an import of a.b.c also runs a and a.b)."""
    out = set()
    for name in imported(module):
        parts = name.split(".")
        out.update(
            ".".join(parts[:i])
            for i in range(2, len(parts) + 1)
            if ".".join(parts[:i]) in modules()
        )
    out.discard(module)
    return out


def import_chain(start: str, bad) -> list[str] | None:
    """The shortest chain of imports from `start` to a module for which `bad` holds."""
    parent, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for m in frontier:
            for d in sorted(internal_dependencies(m)):
                if d in parent:
                    continue
                parent[d] = m
                if bad(d):
                    chain = [d]
                    while parent[chain[-1]] is not None:
                        chain.append(parent[chain[-1]])
                    return chain[::-1]
                nxt.append(d)
        frontier = nxt
    return None


def test_the_walk_sees_the_package():
    names = modules()
    assert {"physlens.config", "physlens.plots", "physlens.interpret.pipeline"} <= set(names)
    for layer in LOWER_LAYER + STAGES:
        assert any(_within(m, [layer]) for m in names), f"{layer} is not in src/physlens"
    # the import reader resolves relative and function-level imports
    assert "physlens.interpret.probing" in imported("physlens.interpret")
    assert "physlens.crosskeys.cross_key_errors" in imported("physlens.config")


def test_every_module_is_short():
    long = {
        m: n
        for m, path in modules().items()
        if (n := len(path.read_text().splitlines())) >= MAX_LINES
    }
    assert long == {}, long


@pytest.mark.parametrize("layer", LOWER_LAYER)
def test_lower_layers_never_import_a_stage_or_a_figure(layer):
    """Directly or through any chain of imports: a stage package or physlens.plots."""
    found = [m for m in modules() if _within(m, [layer])]
    assert found, f"{layer} is not in src/physlens"
    for m in found:
        allowed = MIDDLE.get(layer, ())
        chain = import_chain(
            m,
            lambda d, allowed=allowed: _within(d, STAGES + (PLOTS,)) and not _within(d, allowed),
        )
        assert chain is None, " -> ".join(chain)


def test_the_middle_tier_never_imports_a_consuming_stage():
    for middle in MIDDLE:
        chain = import_chain(middle, lambda d: _within(d, CONSUMERS + (PLOTS,)))
        assert chain is None, " -> ".join(chain)


def test_only_figure_modules_load_matplotlib():
    def draws(m: str) -> bool:
        names = imported(m)
        return any(_within(n, FIGURE_LIBRARIES) or _within(n, [PLOTS]) for n in names)

    found = {m for m in modules() if not _within(m, [PLOTS]) and draws(m)}
    assert found == set(), sorted(found)
