"""Headline numbers: one home for every number the workflow claims to reproduce.

Each stage calls :func:`headline` for each number it measures and writes the records with
:func:`write_headlines` to a JSON file under ``results/``; the ``summary`` rule merges all of
them into ``results/summary.json`` (and a CSV), from which the report and the README table
are generated. A record carries its reference value and source, the tolerance that decides
whether it is met, and the status so decided, so nobody has to re-derive the verdict.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

import numpy as np

from physlens.io import atomic_path, read_json, write_json
from physlens.provenance import base_attrs
from physlens.references import reference as literature_reference

TOLERANCE_KINDS = ("relative", "absolute", "sigma", "at_least", "at_most")
STATUSES = ("met", "missed", "info")


def judge(
    value: float,
    reference: float | None,
    tolerance: float | None,
    kind: str,
    uncertainty: float | None = None,
    reference_uncertainty: float | None = None,
) -> str:
    """Decide 'met' / 'missed' for a value against its reference; 'info' when there is none.

    relative: |v - ref| <= tol * |ref|;  absolute: |v - ref| <= tol;
    sigma:    |v - ref| <= tol * sqrt(dv^2 + dref^2)  (tol standard errors);
    at_least: v >= ref - tol;            at_most: v <= ref + tol.
    """
    if kind not in TOLERANCE_KINDS:
        raise ValueError(f"tolerance kind {kind!r} is not one of {TOLERANCE_KINDS}")
    if reference is None:
        return "info"
    if value is None or not math.isfinite(value):
        return "missed"
    tol = 0.0 if tolerance is None else float(tolerance)
    diff = value - reference
    if kind == "relative":
        ok = abs(diff) <= tol * abs(reference)
    elif kind == "absolute":
        ok = abs(diff) <= tol
    elif kind == "sigma":
        sigma = math.hypot(uncertainty or 0.0, reference_uncertainty or 0.0)
        ok = abs(diff) <= tol * sigma if sigma > 0 else diff == 0
    elif kind == "at_least":
        ok = value >= reference - tol
    else:
        ok = value <= reference + tol
    return "met" if ok else "missed"


def finite_or_none(x) -> float | None:
    """x as a float, or None where it is missing or not finite (NaN, inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _json_safe(x):
    """Context labels: non-finite floats, also inside lists, become None."""
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return finite_or_none(x)
    return x


def headline(
    name: str,
    value: float,
    *,
    stage: str,
    uncertainty: float | None = None,
    unit: str = "",
    reference: float | None = None,
    reference_uncertainty: float | None = None,
    reference_source: str = "",
    tolerance: float | None = None,
    tolerance_kind: str = "relative",
    description: str = "",
    ref: str | None = None,
    **context,
) -> dict:
    """One headline record with its verdict. `context` holds small extra labels (L, T, ...).

    `ref` names a literature reference in ``resources/references.yaml``
    (:mod:`physlens.references`): its value, uncertainty and full citation become the record's
    reference, unless `reference` is given too (a threshold derived from the reference). A
    reference value not checked against its source text is recorded but not judged ('info').
    A qualitative reference (a `claim`, no value) only motivates a criterion the caller sets
    with `reference=`: that criterion is ours and is judged, and the citation says whether the
    claim was checked.

    JSON has no NaN or infinity: a number that could not be measured (NaN, inf) is recorded
    as null, and a null value with a reference is judged 'missed'.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]=]+", name):
        raise ValueError(f"headline name {name!r}: use letters, digits and _ . - [ ] =")
    checked = True
    if ref is not None:
        lit = literature_reference(ref)
        # a claim has no value to trust or distrust: the caller's own criterion judges
        checked = lit.checked or lit.value is None
        if reference is None:
            reference, reference_uncertainty = lit.value, lit.uncertainty
        reference_source = (
            lit.citation if not reference_source else f"{reference_source} ({lit.citation})"
        )
    record = {
        "name": name,
        "stage": stage,
        "value": finite_or_none(value),
        "uncertainty": finite_or_none(uncertainty),
        "unit": unit,
        "reference": finite_or_none(reference),
        "reference_uncertainty": finite_or_none(reference_uncertainty),
        "reference_source": reference_source,
        "tolerance": finite_or_none(tolerance),
        "tolerance_kind": tolerance_kind,
        "description": description,
        "reference_key": ref,
        "context": {k: _json_safe(v) for k, v in context.items()},
    }
    unsound = any(x is not None and not math.isfinite(float(x)) for x in (value, uncertainty))
    record["status"] = (
        "info"
        if not checked
        else "missed"
        if unsound and record["reference"] is not None
        else judge(
            record["value"],
            record["reference"],
            record["tolerance"],
            tolerance_kind,
            record["uncertainty"],
            record["reference_uncertainty"],
        )
    )
    return record


def write_headlines(path, records: list[dict], seed: int | None = None) -> None:
    """Write one stage's headline records (atomically) with provenance."""
    names = [r["name"] for r in records]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate headline names in {path}: {sorted(dup)}")
    write_json(path, {"provenance": base_attrs(seed), "records": records})


def merge_headlines(paths) -> dict:
    """Merge per-stage headline files into one summary; a name may appear only once."""
    records, sources = [], {}
    for p in paths:
        doc = read_json(p)
        for rec in doc["records"]:
            if rec["name"] in sources:
                raise ValueError(
                    f"headline {rec['name']!r} recorded twice: {sources[rec['name']]} and {p}"
                )
            sources[rec["name"]] = str(p)
            records.append({**rec, "source_file": str(p)})
    records.sort(key=lambda r: (r["stage"], r["name"]))
    counts = {s: sum(r["status"] == s for r in records) for s in STATUSES}
    return {"provenance": base_attrs(timestamp=True), "counts": counts, "records": records}


CSV_FIELDS = (
    "stage",
    "name",
    "value",
    "uncertainty",
    "unit",
    "reference",
    "reference_source",
    "tolerance",
    "tolerance_kind",
    "status",
    "description",
)


def write_summary(paths, json_out, csv_out=None) -> dict:
    summary = merge_headlines(paths)
    write_json(json_out, summary)
    if csv_out is not None:
        with atomic_path(csv_out, suffix=".csv.tmp") as tmp:
            with open(tmp, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
                w.writeheader()
                w.writerows(summary["records"])
    return summary


def format_value(value, uncertainty=None, unit="") -> str:
    """'2.2701 ± 0.0043' with digits set by the uncertainty (two significant digits)."""
    if value is None:
        return "n/a"
    if uncertainty is None or not uncertainty or not math.isfinite(uncertainty):
        text = f"{value:.6g}"
    else:
        digits = max(0, 1 - int(math.floor(math.log10(abs(uncertainty)))))
        text = f"{value:.{digits}f} ± {uncertainty:.{digits}f}"
    return f"{text} {unit}".strip()


def describe(record: dict) -> str:
    """One sentence for captions: measured value, reference, verdict."""
    measured = format_value(record["value"], record["uncertainty"], record["unit"])
    if record["reference"] is None:
        return f"{record['name']} = {measured} (recorded, no reference)"
    ref = format_value(record["reference"], record.get("reference_uncertainty"))
    if record["status"] == "info":
        return (
            f"{record['name']} = {measured}; reference {ref} ({record['reference_source']}); "
            "recorded, not judged: the reference value was not checked against its source"
        )
    tol = record["tolerance"]
    kind = record["tolerance_kind"]
    crit = {
        "relative": f"within {tol:.3g} relative" if tol is not None else "",
        "absolute": f"within ±{tol:.3g}" if tol is not None else "",
        "sigma": f"within {tol:g} standard errors" if tol is not None else "",
        "at_least": "at least the reference",
        "at_most": "at most the reference",
    }[kind]
    return (
        f"{record['name']} = {measured}; reference {ref} ({record['reference_source']}); "
        f"criterion {crit}: {record['status'].upper()}"
    )


def rst_escape(text: str) -> str:
    """Escape reStructuredText markup characters (|M| would be a substitution reference)."""
    text = text.replace("\\", "\\\\")
    for ch in "*`|_[]":
        text = text.replace(ch, "\\" + ch)
    return text


class Claims:
    """Report-caption helper: the measured numbers behind a figure, read at report time.

    Pass ``Claims(path, ...)`` as a rule param and write in the caption template
    ``{{ snakemake.params.claims.line("name") }}`` or ``{{ snakemake.params.claims.bullets() }}``.
    The headline files are read only when the report is rendered, after the jobs ran. For
    the rule's script the object pickles to its path string, and Snakemake's params rerun
    trigger ignores it, so it never causes reruns.
    """

    def __init__(self, *paths):
        self._paths = paths  # paths, or callables returning lists of paths (resolved late)

    @property
    def paths(self) -> list[str]:
        out = []
        for p in self._paths:
            out.extend(map(str, p() if callable(p) else [p]))
        return out

    def __reduce__(self):
        return (str, (" ".join(self.paths),))

    def _records(self) -> dict:
        out = {}
        for p in self.paths:
            if Path(p).exists():
                for rec in read_json(p)["records"]:
                    out[rec["name"]] = rec
        return out

    def line(self, name: str) -> str:
        rec = self._records().get(name)
        return describe(rec) if rec else f"{name}: not measured in this run"

    def bullets(self, prefix: str = "") -> str:
        """An RST bullet list of every record whose name starts with `prefix`."""
        recs = [r for n, r in sorted(self._records().items()) if n.startswith(prefix)]
        if not recs:
            return "(no headline numbers recorded)"
        return "\n".join(f"* {rst_escape(describe(r))}" for r in recs)


def markdown_table(summary: dict, include_info: bool = True) -> str:
    """Markdown table of the records; `include_info=False` keeps only judged ones (met/missed)."""
    lines = [
        "| stage | quantity | measured | reference | criterion | status |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in summary["records"]:
        if not include_info and r["status"] == "info":
            continue
        ref = (
            "—"
            if r["reference"] is None
            else f"{format_value(r['reference'], r.get('reference_uncertainty'))} ({r['reference_source']})"
        )
        crit = "—" if r["tolerance"] is None else f"{r['tolerance_kind']} {r['tolerance']:g}"
        cells = [
            r["stage"],
            r["description"] or r["name"],
            format_value(r["value"], r["uncertainty"], r["unit"]),
            ref,
            crit,
            r["status"],
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


BEGIN, END = "<!-- summary:begin -->", "<!-- summary:end -->"


def update_readme(readme, summary: dict) -> None:
    """Replace the README's block between the summary markers with the generated table."""
    readme = Path(readme)
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme}: markers {BEGIN} ... {END} not found")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    prov = summary.get("provenance", {})
    counts = summary.get("counts", {})
    block = (
        f"{BEGIN}\n_Generated from `results/summary.json` by `make readme-table` "
        f"(physlens {prov.get('physlens_version', '?')}, {prov.get('created_utc', '?')}): "
        f"{counts.get('met', 0)} met, {counts.get('missed', 0)} missed; the "
        f"{counts.get('info', 0)} numbers recorded without a reference (Tc(L), tau_int, "
        f"coefficients, ...) are in results/summary.csv._\n\n"
        f"{markdown_table(summary, include_info=False)}\n{END}"
    )
    with atomic_path(readme) as tmp:
        tmp.write_text(head + block + tail)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m physlens.summary")
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge", help="merge headline files into summary.json")
    m.add_argument("json_out")
    m.add_argument("inputs", nargs="+")
    m.add_argument("--csv")
    r = sub.add_parser("readme", help="regenerate the README's results table")
    r.add_argument("summary")
    r.add_argument("readme")
    args = parser.parse_args(argv)
    if args.cmd == "merge":
        write_summary(args.inputs, args.json_out, args.csv)
    else:
        update_readme(args.readme, read_json(args.summary))


if __name__ == "__main__":
    main()
