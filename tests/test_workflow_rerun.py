"""Reproducibility of the workflow's rerun decisions, on the shared tiny run.

Nothing changed → nothing reruns; a changed parameter reruns exactly the rules whose
`params:` carry it and the rules downstream of them (from `snakemake --rulegraph`, so the
tests hold as stages are added). Decisions are read from Snakemake's
`--detailed-summary` (a TSV with one row per output: rule, status, plan), not from log prose.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml

from conftest import TINY_CONFIG, run_snakemake

pytestmark = pytest.mark.slow


def output_plans(workdir: Path, configfile: str | Path) -> list[dict]:
    """Rows of `snakemake --detailed-summary`: output_file, rule, status, plan, ..."""
    proc = run_snakemake(workdir, "--detailed-summary", "--configfile", configfile)
    text = proc.stdout
    start = text.find("output_file\t")
    assert start >= 0, f"no detailed summary table in:\n{text[-3000:]}"
    rows = list(csv.DictReader(io.StringIO(text[start:]), delimiter="\t"))
    assert rows, "detailed summary lists no outputs"
    return rows


def rules_to_rerun(rows: list[dict]) -> set[str]:
    return {r["rule"] for r in rows if r["plan"] != "no update"}


def rules_with_status(rows: list[dict], status: str) -> set[str]:
    return {r["rule"] for r in rows if r["status"] == status}


@pytest.fixture(scope="module")
def rule_edges(tiny_run) -> set[tuple[str, str]]:
    """(upstream, downstream) rule pairs of the tiny workflow, from `snakemake --rulegraph`."""
    dot = run_snakemake(tiny_run, "--rulegraph", "--configfile", TINY_CONFIG).stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, re.M))
    edges = {(names[a], names[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.M)}
    assert names and edges, dot
    return edges


def with_dependents(rule: str, edges: set[tuple[str, str]]) -> set[str]:
    """`rule` and every rule downstream of it, less the target rule `all` (no outputs)."""
    found, todo = {rule}, [rule]
    while todo:
        up = todo.pop()
        for a, b in edges:
            if a == up and b not in found:
                found.add(b)
                todo.append(b)
    return found - {"all"}


def edited_config(tmp_path: Path, tiny_run: Path, edit) -> Path:
    """A copy of the tiny config with `edit(cfg)` applied, key order kept."""
    cfg = yaml.safe_load((tiny_run / TINY_CONFIG).read_text())
    edit(cfg)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_unchanged_rerun_does_nothing(tiny_run):
    rows = output_plans(tiny_run, TINY_CONFIG)
    assert rules_to_rerun(rows) == set(), [r for r in rows if r["plan"] != "no update"]
    assert {r["status"] for r in rows} == {"ok"}
    # and the dry run agrees, in its own words
    proc = run_snakemake(tiny_run, "--dry-run", "--quiet", "rules", "--configfile", TINY_CONFIG)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changed_check_parameter_reruns_only_checks_and_dependents(tiny_run, tmp_path, rule_edges):
    def edit(cfg):
        cfg["ising"]["checks"]["sigma"] = cfg["ising"]["checks"]["sigma"] + 1

    rows = output_plans(tiny_run, edited_config(tmp_path, tiny_run, edit))
    assert rules_with_status(rows, "params changed") == {"ising_checks"}
    rerun = rules_to_rerun(rows)
    assert rerun == with_dependents("ising_checks", rule_edges)
    assert {"ising_checks", "summary"} <= rerun and "simulate_ising" not in rerun


def test_changed_sampling_parameter_reruns_simulation_and_dependents(
    tiny_run, tmp_path, rule_edges
):
    def edit(cfg):
        cfg["ising"]["samples_per_temperature"] = cfg["ising"]["samples_per_temperature"] + 1

    rows = output_plans(tiny_run, edited_config(tmp_path, tiny_run, edit))
    assert rules_with_status(rows, "params changed") == {"simulate_ising"}
    rerun = rules_to_rerun(rows)
    assert rerun == with_dependents("simulate_ising", rule_edges)
    assert {"simulate_ising", "ising_checks", "summary"} <= rerun


def _reversed_keys(value):
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    return value


def test_same_config_in_another_key_order_reruns_nothing(tiny_run, tmp_path):
    # Snakemake compares params by repr(); a dict param must not depend on YAML key order,
    # or reformatting a config would redo all the Monte Carlo.
    cfg = yaml.safe_load((tiny_run / TINY_CONFIG).read_text())
    path = tmp_path / "reordered.yaml"
    path.write_text(yaml.safe_dump(_reversed_keys(cfg), sort_keys=False))
    rows = output_plans(tiny_run, path)
    assert rules_to_rerun(rows) == set(), [
        (r["output_file"], r["status"]) for r in rows if r["plan"] != "no update"
    ]
