"""Literature references as data: the values the workflow judges against, with their sources.

Every published number a headline is judged against lives in ``resources/references.yaml``,
keyed by a short name, with its uncertainty, unit, full citation, the table, figure or
equation it comes from, and whether it was checked against the source text. A reference that
was not checked is recorded beside the measurement but never decides a verdict.

Exact results computed in code (Onsager's Tc, Kaufman's finite-lattice energies, Yang's
magnetisation) are not references in this sense: they live in :mod:`physlens.ising.exact`
and :mod:`physlens.config` and are named as exact where they are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

REFERENCES_FILE = Path(__file__).resolve().parents[2] / "resources" / "references.yaml"

REQUIRED = ("authors", "title", "year", "locator", "checked")
OPTIONAL = ("value", "uncertainty", "unit", "journal", "arxiv", "claim", "note")


@dataclass(frozen=True)
class Reference:
    """One literature reference: a value (or a qualitative claim) and where it comes from."""

    key: str
    authors: str
    title: str
    year: int
    locator: str
    checked: bool
    value: float | None = None
    uncertainty: float | None = None
    unit: str = ""
    journal: str = ""
    arxiv: str = ""
    claim: str = ""
    note: str = ""

    @property
    def citation(self) -> str:
        """Authors, title, journal or arXiv id, year and the place in the source."""
        venue = ", ".join(
            v for v in (self.journal, f"arXiv:{self.arxiv}" if self.arxiv else "") if v
        )
        parts = [self.authors, f"'{self.title}'", venue, str(self.year), self.locator]
        text = ", ".join(p for p in parts if p)
        return text if self.checked else f"{text} [unverified against the source text]"


def _parse_entry(key: str, entry, path: Path) -> Reference:
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: reference {key!r} must be a mapping, got {type(entry).__name__}")
    missing = [f for f in REQUIRED if f not in entry]
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise ValueError(f"{path}: reference {key!r}: missing {missing}, unknown fields {unknown}")
    if not isinstance(entry["checked"], bool):
        raise ValueError(f"{path}: reference {key!r}: 'checked' must be true or false")
    for field in ("value", "uncertainty"):
        x = entry.get(field)
        if x is not None and (
            isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x)
        ):
            raise ValueError(f"{path}: reference {key!r}: {field} = {x!r} is not a finite number")
    if entry.get("value") is None and not entry.get("claim"):
        raise ValueError(f"{path}: reference {key!r} has neither a value nor a claim")
    return Reference(key=key, **{k: v for k, v in entry.items() if v is not None})


@cache
def load_references(path: str | Path = REFERENCES_FILE) -> dict[str, Reference]:
    """All references of a references file, validated, by key."""
    path = Path(path)
    with open(path) as fh:
        doc = yaml.safe_load(fh) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping of reference keys")
    return {key: _parse_entry(key, entry, path) for key, entry in doc.items()}


def reference(key: str, path: str | Path = REFERENCES_FILE) -> Reference:
    """The reference named `key`; a clear error naming the key and file where it is missing."""
    refs = load_references(path)
    if key not in refs:
        raise KeyError(f"reference {key!r} is not in {path} (known: {sorted(refs)})")
    return refs[key]
