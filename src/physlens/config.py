"""Configuration: JSON-schema validation with defaults, semantic checks, generated docs; the
checks that relate keys of different stages are in :mod:`physlens.crosskeys`.

The Snakefile calls :func:`validate_config` before any job is scheduled; library code and
tests use the same function, so a bad key is reported the same way everywhere: one message
that names the key (as a dotted path) and the offending value.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
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


def _is_integer(checker, x) -> bool:
    """An integer is an int, never a float: 32.0 would crash the job that uses it."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_finite_number(checker, x) -> bool:
    """A number is finite: NaN collapses a grid, infinity overflows a computation."""
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, bool)
        and math.isfinite(x)
    )


def _strict_types(validator_class):
    checker = validator_class.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_finite_number}
    )
    return jsonschema.validators.extend(validator_class, type_checker=checker)


_DefaultingValidator = _with_defaults(_strict_types(jsonschema.Draft202012Validator))


def _format_error(err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        keys = ", ".join(_key_path(path + [k]) for k in extra)
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        return f"unknown key {keys} (allowed here: {allowed})"
    if err.validator == "required":
        return f"{_key_path(path)}: {err.message}"
    if err.validator == "maxItems":  # the list itself may be huge: give its length
        return (
            f"{_key_path(path)} has {len(err.instance)} items, more than the maximum of "
            f"{err.validator_value}"
        )
    if err.validator == "anyOf" and all(set(s) == {"required"} for s in err.validator_value):
        keys = " or ".join(k for s in err.validator_value for k in s["required"])
        return f"{_key_path(path)}: give {keys}"
    if err.validator == "type" and isinstance(err.instance, float):
        if not math.isfinite(err.instance):
            return f"{_key_path(path)} = {err.instance!r}: must be a finite number"
        if "integer" in np.atleast_1d(err.validator_value) and err.instance.is_integer():
            return (
                f"{_key_path(path)} = {err.instance!r}: must be an integer "
                f"(write {int(err.instance)}, not {err.instance!r})"
            )
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
    return errors


def memory_needed_mb(cfg: dict) -> float:
    """Peak memory (MB) of the largest job, from the data sizes: the Ising simulation holds
    int8 spins of its lattice, a training job float32 spins (and ~14x that in torch copies,
    the factor common.smk's resources use), the SU(2) learning jobs 5x the links."""
    ising = cfg.get("ising", {})
    if "temperatures" not in ising:
        return 0.0
    n_t = len(temperature_grid(ising))
    n = ising["samples_per_temperature"]
    need = [n_t * n * max(ising["sizes"]) ** 2 / 1e6]
    trained = {cfg.get(k, {}).get("L") for k in ("unsupervised",)} | {
        cfg.get("supervised", {}).get(k, {}).get("L") for k in ("classifier", "probes")
    }
    need += [600 + 14 * n_t * n * L * L * 4 / 1e6 for L in trained if L]
    if "beta" in cfg.get("su2", {}) and "samples_per_beta" in cfg["su2"]:
        need.append(600 + 5 * su2_data_mb(cfg, max(su2_sizes(cfg["su2"]))))
    return max(need)


def machine_memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def machine_errors(cfg: dict) -> list[str]:
    """Checks against the machine the workflow runs on (skipped for cluster submission)."""
    errors = []
    need_gb = memory_needed_mb(cfg) / 1024
    have_gb = cfg.get("memory_gb") or machine_memory_gb()
    if need_gb > have_gb:
        errors.append(
            f"this config needs about {need_gb:.3g} GB of memory for its largest job "
            f"(ising.samples_per_temperature = {cfg['ising']['samples_per_temperature']}, "
            f"ising.sizes = {cfg['ising']['sizes']}), more than the {have_gb:.3g} GB of "
            + ("memory_gb" if cfg.get("memory_gb") else "this machine")
        )
    if cfg.get("training", {}).get("device") == "cuda":
        import torch

        if not torch.cuda.is_available():
            errors.append("training.device = 'cuda': no CUDA device is available here")
    return errors


def validate_config(cfg: dict, schema: dict | None = None, machine: bool = False) -> dict:
    """Validate `cfg` in place (filling defaults) and return it; raise ConfigError otherwise.

    All schema violations are collected, so one run reports every bad key at once.
    `machine` adds the checks against this machine (memory, CUDA): the Snakefile asks for
    them at start-up of a local run.
    """
    schema = load_schema() if schema is None else schema
    if not isinstance(cfg, dict):
        raise ConfigError(f"config must be a mapping, got {type(cfg).__name__}")
    validator = _DefaultingValidator(schema)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    messages = [_format_error(e) for e in errors]
    if not messages:
        from physlens.crosskeys import cross_key_errors

        messages = _semantic_errors(cfg) + cross_key_errors(cfg)
    if not messages and machine:
        messages = machine_errors(cfg)
    if messages:
        raise ConfigError("invalid physlens config:\n  " + "\n  ".join(dict.fromkeys(messages)))
    _sort_keys_in_place(cfg)
    return cfg


def validate_sections(cfg: dict) -> dict:
    """Validate a config that holds only some top-level sections (a library call that needs
    one stage): defaults are filled in those sections only, so no other stage's defaults
    enter the cross-key checks."""
    full = load_schema()
    props = {k: v for k, v in full["properties"].items() if k in cfg}
    schema = {**full, "properties": props, "required": [k for k in full["required"] if k in cfg]}
    return validate_config(cfg, schema=schema)


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


def read_yaml(path: str | Path):
    """Parse a YAML (or JSON) config file; a syntax error names the file, line and column."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found")
    try:
        with open(path) as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None


def module_config(module_cfg: dict | None, defaults_file: str | Path) -> dict:
    """The config of physlens used as a Snakemake module: the embedded defaults
    (`defaults_file`, config/config.yaml) with the importing workflow's `module_cfg` merged on
    top, key by key at every level, as Snakemake merges config files; neither input is
    changed."""
    merged = read_yaml(defaults_file) or {}

    def merge(into: dict, new: dict) -> None:
        for k, v in new.items():
            if isinstance(v, dict) and isinstance(into.get(k), dict):
                merge(into[k], v)
            else:
                into[k] = copy.deepcopy(v)

    merge(merged, dict(module_cfg or {}))
    return merged


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    return validate_config(read_yaml(path) or {})


def configfiles_in(argv) -> list[str]:
    """The files given to snakemake's --configfile / --configfiles options in `argv`."""
    files, taking = [], False
    for arg in argv:
        if arg in ("--configfile", "--configfiles"):
            taking = True
        elif arg.startswith("--configfile=") or arg.startswith("--configfiles="):
            files.append(arg.split("=", 1)[1])
        elif arg.startswith("-"):
            taking = False
        elif taking:
            files.append(arg)
    return files


def linspace(spec: dict) -> np.ndarray:
    return np.linspace(spec["start"], spec["stop"], spec["num"])


def temperature_grid(ising_cfg: dict) -> np.ndarray:
    """Sorted union of the coarse and fine grids and the explicit values, duplicates (to
    1e-9) merged."""
    grids = ising_cfg["temperatures"]
    parts = [linspace(grids[k]) for k in ("coarse", "fine") if k in grids]
    parts.append(np.asarray(grids.get("values", []), float))
    temps = np.sort(np.concatenate(parts))
    keep = np.concatenate([[True], np.diff(temps) > 1e-9])
    return np.round(temps[keep], 12)


def model_names(unsup: dict) -> list[str]:
    """The autoencoders the unsupervised stage trains: 'ae1', 'vae2', ...: one model per
    variant and latent dimension."""
    ae = unsup["autoencoder"]
    return [f"{v}{d}" for v in ae["variants"] for d in ae["latent_dims"]]


def ising_data_mb(cfg: dict, L: int) -> float:
    """Size in MB of the L x L Ising data set held as float32 spins (T x samples x L x L).

    The memory of a rule that loads a whole data set grows with this, not with the file,
    whose bit-packed, compressed spins are ~10x smaller (Snakefile resources use it)."""
    n_t = len(temperature_grid(cfg["ising"]))
    return n_t * cfg["ising"]["samples_per_temperature"] * L * L * 4 / 1e6


def su2_sizes(su2: dict) -> list[int]:
    """Every spatial extent N_s the SU(2) stage simulates (`su2`: the config's su2 block):
    su2.sizes with su2.n_s, sorted."""
    return sorted(set(su2.get("sizes") or []) | {su2["n_s"]})


def su2_size_errors(su2: dict) -> list[str]:
    """What is wrong with the su2 block's N_s list: it must contain n_s and, if given, hold at
    least three sizes (two fix beta_c and the slope with nothing left to test the form), and
    the susceptibility peak's fit window must be odd and fit the beta grid."""
    sizes, n_s, num = list(su2.get("sizes") or []), su2.get("n_s"), su2["beta"]["num"]
    errors = []
    if sizes and n_s not in sizes:
        errors.append(f"su2.sizes = {sizes}: must contain su2.n_s = {n_s!r} (or be empty)")
    if len(set(sizes) | {n_s}) == 2:
        errors.append(
            f"su2.sizes = {sizes}: two sizes leave no check of beta_c + a N_s^(-1/nu); give at "
            "least three (or leave it empty for su2.n_s alone)"
        )
    points = su2.get("scaling", {}).get("peak_points", 3)
    if len(set(sizes)) >= 3 and (points % 2 == 0 or points > num):
        errors.append(
            f"su2.scaling.peak_points = {points}: must be odd and <= su2.beta.num = {num}"
        )
    return errors


def su2_data_mb(cfg: dict, n_s: int | None = None) -> float:
    """Size in MB of the SU(2) link data set as float32 (beta x samples x sites x 4 x 4), at
    spatial extent `n_s` (default su2.n_s)."""
    su2 = cfg["su2"]
    sites = (su2["n_s"] if n_s is None else n_s) ** 3 * su2["n_t"]
    return su2["beta"]["num"] * su2["samples_per_beta"] * sites * 4 * 4 * 4 / 1e6


def config_docs(schema: dict | None = None) -> str:
    """Markdown reference of every config key (physlens.config_docs renders it)."""
    from physlens.config_docs import render

    return render(load_schema() if schema is None else schema)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m physlens.config")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("docs", help="print config/README.md")
    chk = sub.add_parser("check", help="validate a config file")
    chk.add_argument("path")
    sub.add_parser("syntax", help="check the YAML syntax of snakemake's --configfile args")
    args, rest = parser.parse_known_args(argv)
    try:
        if args.cmd == "docs":
            print(config_docs(), end="")
        elif args.cmd == "syntax":
            for path in ["config/config.yaml", *configfiles_in(rest)]:
                read_yaml(path)
        else:
            load_config(args.path)
            print(f"{args.path}: valid")
    except ConfigError as exc:
        raise SystemExit(f"physlens: {exc}") from None


if __name__ == "__main__":
    main()
