"""Configuration: JSON-schema validation with defaults, semantic checks, generated docs.

The Snakefile calls :func:`validate_config` before any job is scheduled; library code and
tests use the same function, so a bad key is reported the same way everywhere: one message
that names the key (as a dotted path) and the offending value.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import jsonschema
import numpy as np
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"

TC_EXACT = 2.0 / np.log1p(np.sqrt(2.0))  # Onsager: 2 / ln(1 + sqrt 2) = 2.269185...


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and the value."""


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def _key_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _with_defaults(validator_class):
    """Extend a jsonschema validator so that 'default' values are filled in, as Snakemake does."""
    validate_props = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def _format_error(err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        keys = ", ".join(_key_path(path + [k]) for k in extra)
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        return f"unknown key {keys} (allowed here: {allowed})"
    if err.validator == "required":
        return f"{_key_path(path)}: {err.message}"
    return f"{_key_path(path)} = {err.instance!r}: {err.message}"


def _semantic_errors(cfg: dict) -> list[str]:
    """Checks a JSON schema cannot express (orderings between keys)."""
    errors = []
    ising = cfg.get("ising", {})
    for part in ("coarse", "fine"):
        grid = ising.get("temperatures", {}).get(part)
        if grid and grid["stop"] < grid["start"]:
            errors.append(
                f"ising.temperatures.{part}.stop = {grid['stop']!r}: must be >= start = {grid['start']!r}"
            )
    window = ising.get("algorithm", {}).get("wolff_window", [])
    if len(window) not in (0, 2):
        errors.append(
            f"ising.algorithm.wolff_window = {window!r}: give [T_lo, T_hi] or [] to disable Wolff"
        )
    elif len(window) == 2 and window[1] < window[0]:
        errors.append(f"ising.algorithm.wolff_window = {window!r}: T_hi must be >= T_lo")
    colour_by = cfg.get("representations", {}).get("embeddings", {}).get("colour_by", [])
    if colour_by:
        from physlens.observables import list_observables

        unknown = [o for o in colour_by if o not in list_observables("ising")]
        if unknown:
            errors.append(
                f"representations.embeddings.colour_by = {colour_by!r}: {unknown} not registered "
                f"(known: {', '.join(list_observables('ising'))})"
            )
    from physlens.ccnn.ensembles import ccnn_config_errors

    errors.extend(ccnn_config_errors(cfg))
    return errors


def validate_config(cfg: dict, schema: dict | None = None) -> dict:
    """Validate `cfg` in place (filling defaults) and return it; raise ConfigError otherwise.

    All schema violations are collected, so one run reports every bad key at once.
    """
    schema = load_schema() if schema is None else schema
    if not isinstance(cfg, dict):
        raise ConfigError(f"config must be a mapping, got {type(cfg).__name__}")
    validator = _DefaultingValidator(schema)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    messages = [_format_error(e) for e in errors]
    if not messages:
        messages = _semantic_errors(cfg)
    if messages:
        raise ConfigError("invalid physlens config:\n  " + "\n  ".join(dict.fromkeys(messages)))
    _sort_keys_in_place(cfg)
    return cfg


def _sort_keys_in_place(value) -> None:
    """Sort dict keys at every level, in place.

    Snakemake compares rule params by repr(), which depends on key order: without this, the
    same config written in another order would rerun every rule.
    """
    if isinstance(value, dict):
        items = sorted(value.items())
        value.clear()
        for k, v in items:
            _sort_keys_in_place(v)
            value[k] = v
    elif isinstance(value, list):
        for v in value:
            _sort_keys_in_place(v)


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found")
    with open(path) as fh:
        cfg = yaml.safe_load(fh) or {}
    return validate_config(cfg)


def linspace(spec: dict) -> np.ndarray:
    return np.linspace(spec["start"], spec["stop"], spec["num"])


def temperature_grid(ising_cfg: dict) -> np.ndarray:
    """Sorted union of the coarse and fine grids, duplicates (to 1e-9) merged."""
    parts = [linspace(ising_cfg["temperatures"]["coarse"])]
    if "fine" in ising_cfg["temperatures"]:
        parts.append(linspace(ising_cfg["temperatures"]["fine"]))
    temps = np.sort(np.concatenate(parts))
    keep = np.concatenate([[True], np.diff(temps) > 1e-9])
    return np.round(temps[keep], 12)


def ising_data_mb(cfg: dict, L: int) -> float:
    """Size in MB of the L x L Ising data set held as float32 spins (T x samples x L x L).

    The memory of a rule that loads a whole data set grows with this, not with the file,
    whose bit-packed, compressed spins are ~10x smaller (Snakefile resources use it)."""
    n_t = len(temperature_grid(cfg["ising"]))
    return n_t * cfg["ising"]["samples_per_temperature"] * L * L * 4 / 1e6


def su2_data_mb(cfg: dict) -> float:
    """Size in MB of the SU(2) link data set as float32 (beta x samples x sites x 4 x 4)."""
    su2 = cfg["su2"]
    sites = su2["n_s"] ** 3 * su2["n_t"]
    return su2["beta"]["num"] * su2["samples_per_beta"] * sites * 4 * 4 * 4 / 1e6


# --- documentation ---------------------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged
    return node


def _type_text(node: dict) -> str:
    t = node.get("type", "")
    if "enum" in node:
        return " | ".join(map(str, node["enum"]))
    if t == "array" and "items" in node:
        return f"list of {node['items'].get('type', 'value')}"
    return t if isinstance(t, str) else " | ".join(t)


def _rows(schema: dict, node: dict, prefix: str):
    node = _resolve(schema, node)
    for name, sub in node.get("properties", {}).items():
        sub = _resolve(schema, sub)
        key = f"{prefix}.{name}" if prefix else name
        limits = []
        for word, sym in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<=")):
            if word in sub:
                limits.append(f"{sym} {sub[word]}")
        if "minItems" in sub:
            limits.append(f"at least {sub['minItems']} item(s)")
        if "items" in sub:
            for word, sym in (("minimum", ">="), ("exclusiveMinimum", ">")):
                if word in sub["items"]:
                    limits.append(f"each {sym} {sub['items'][word]}")
        default = (
            f"`{yaml.safe_dump(sub['default'], default_flow_style=True).removesuffix(chr(10)).removesuffix('...').strip()}`"
            if "default" in sub and sub.get("type") != "object"
            else ""
        )
        required = name in node.get("required", [])
        desc = " ".join(str(sub.get("description", "")).split())
        yield (key, _type_text(sub), "yes" if required else "", default, ", ".join(limits), desc)
        if sub.get("type") == "object":
            yield from _rows(schema, sub, key)


def config_docs(schema: dict | None = None) -> str:
    """Markdown reference of every config key, generated from the schema's descriptions."""
    schema = load_schema() if schema is None else schema
    lines = [
        "# physlens configuration keys",
        "",
        "<!-- Generated by `python -m physlens.config docs > config/README.md`; edit the",
        "     descriptions in workflow/schemas/config.schema.yaml, not this file. -->",
        "",
        " ".join(schema.get("description", "").split()),
        "",
        "Presets: `config/config.yaml` (embedded default, laptop CPU), `config/test.yaml` (tiny, for",
        "the test suite), `config/paper.yaml` (the papers' scale, for a GPU node or a cluster).",
        "Select one with `snakemake --configfile config/paper.yaml`.",
        "",
        "| key | type | required | default | allowed | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in _rows(schema, schema, ""):
        lines.append(
            "| `" + row[0] + "` | " + " | ".join(c.replace("|", "\\|") for c in row[1:]) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m physlens.config")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("docs", help="print config/README.md")
    chk = sub.add_parser("check", help="validate a config file")
    chk.add_argument("path")
    args = parser.parse_args(argv)
    if args.cmd == "docs":
        print(config_docs(), end="")
    else:
        load_config(args.path)
        print(f"{args.path}: valid")


if __name__ == "__main__":
    main()
