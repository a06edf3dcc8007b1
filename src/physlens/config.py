"""Configuration: JSON-schema validation with defaults, semantic checks, generated docs.

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


def _windows_errors(key: str, w: dict, low: str, high: str, grid=None, unit="T") -> list[str]:
    """A (low, high) labelling window pair: ordered, and (given the grid) each side non-empty."""
    if not w or low not in w or high not in w:
        return []
    if not w[low] < w[high]:
        return [f"{key}.{low} = {w[low]!r}: must be below {key}.{high} = {w[high]!r}"]
    if grid is None or len(grid) == 0:
        return []
    if not (grid <= w[low] + 1e-12).any() or not (grid >= w[high] - 1e-12).any():
        return [
            f"{key} = {{{low}: {w[low]!r}, {high}: {w[high]!r}}}: leave no {unit} of the grid "
            f"{np.round(grid, 4).tolist()} on one side (both classes need samples)"
        ]
    return []


def _size_errors(cfg: dict, sizes) -> list[str]:
    """Every lattice size a stage trains or analyses must be one the Ising stage simulates."""
    wanted = {
        "supervised.classifier.L": cfg.get("supervised", {}).get("classifier", {}).get("L"),
        "supervised.probes.L": cfg.get("supervised", {}).get("probes", {}).get("L"),
        "unsupervised.L": cfg.get("unsupervised", {}).get("L"),
    }
    twin = cfg.get("twin", {})
    if "ising_energy" in twin.get("tasks", []):
        wanted["twin.ising_L"] = twin.get("ising_L")
    return [
        f"{key} = {L!r}: not in ising.sizes = {sorted(sizes)} (add it there to simulate "
        f"that lattice)"
        for key, L in wanted.items()
        if L is not None and L not in sizes
    ]


def _supervised_errors(cfg: dict, grid) -> list[str]:
    sup = cfg.get("supervised")
    if not sup:
        return []
    errors = _windows_errors(
        "supervised.windows", sup.get("windows", {}), "ordered_max", "disordered_min", grid
    )
    probes = sup.get("probes", {})
    L = probes.get("L")
    for ky, kx in probes.get("receptive_fields", []):
        if L is not None and (ky > L or kx > L):
            errors.append(
                f"supervised.probes.receptive_fields: [{ky}, {kx}] is larger than the "
                f"supervised.probes.L = {L} lattice"
            )
    arch = sup.get("classifier", {}).get("architecture", {})
    if arch.get("z2_odd") and arch.get("activation") not in (None, "tanh", "softsign"):
        errors.append(
            f"supervised.classifier.architecture.activation = {arch['activation']!r}: "
            "z2_odd needs an odd activation (tanh or softsign)"
        )
    n = cfg.get("ising", {}).get("samples_per_temperature")
    vf, tf = sup.get("val_fraction"), sup.get("test_fraction")
    if n is not None and vf is not None and tf is not None:
        n_val, n_test = int(round(vf * n)), int(round(tf * n))
        if n - n_val - n_test < 1 or n_val < 1:
            errors.append(
                f"ising.samples_per_temperature = {n}: cannot be split with "
                f"supervised.val_fraction = {vf} and test_fraction = {tf} "
                "(need at least one training and one validation sample)"
            )
    return errors


def _model_name_errors(cfg: dict) -> list[str]:
    sup, interp = cfg.get("supervised", {}), cfg.get("interpret", {})
    if not sup or not interp:
        return []
    known = {f"probe_{ky}x{kx}" for ky, kx in sup.get("probes", {}).get("receptive_fields", [])}
    known |= {f"classifier_member{k}" for k in range(sup.get("classifier", {}).get("members", 0))}
    asked = list(interp.get("models", [])) + [interp.get("influence_model")]
    unknown = [m for m in asked if m is not None and m not in known]
    if not unknown:
        return []
    return [
        f"interpret.models / interpret.influence_model: {unknown} are not trained by the "
        f"supervised stage (known: {sorted(known)}; see supervised.probes.receptive_fields "
        "and supervised.classifier.members)"
    ]


def _su2_errors(cfg: dict) -> list[str]:
    su2 = cfg.get("su2")
    if not su2 or "beta" not in su2:
        return []
    g = su2["beta"]
    if g["stop"] < g["start"] or (g["num"] > 1 and g["stop"] == g["start"]):
        return [
            f"su2.beta.stop = {g['stop']!r}: must be > start = {g['start']!r} "
            "(or equal to it with num = 1)"
        ]
    learn = cfg.get("su2_learning", {})
    errors = _windows_errors(
        "su2_learning.windows",
        learn.get("windows", {}),
        "confined_max",
        "deconfined_min",
        np.round(linspace(g), 12),
        unit="beta",
    )
    probing = learn.get("probing", {})
    if probing and probing.get("expected") not in probing.get("observables", []):
        errors.append(
            f"su2_learning.probing.expected = {probing.get('expected')!r}: not among "
            f"su2_learning.probing.observables = {probing.get('observables')}"
        )
    return errors


def _twin_errors(cfg: dict) -> list[str]:
    t = cfg.get("twin")
    if not t or "n_points" not in t:
        return []
    errors = []
    if t["n_train"] + t["n_val"] >= t["n_points"]:
        errors.append(
            f"twin.n_train + twin.n_val = {t['n_train'] + t['n_val']}: leaves no test points "
            f"out of twin.n_points = {t['n_points']}"
        )
    if t["few_labels"] > t["n_train"]:
        errors.append(f"twin.few_labels = {t['few_labels']}: more than n_train = {t['n_train']}")
    return errors


def _concepts_errors(cfg: dict) -> list[str]:
    """The concepts stage's relations to the supervised, unsupervised and Ising keys."""
    if not all(k in cfg for k in ("concepts", "supervised", "unsupervised", "ising")):
        return []
    from physlens.concepts.settings import concepts_config_errors

    return concepts_config_errors(cfg)


def _gnn_errors(cfg: dict) -> list[str]:
    """The graph-network stage's relations between its own keys."""
    if "n_simulations" not in cfg.get("gnn", {}):
        return []
    from physlens.gnn.settings import gnn_config_errors

    return gnn_config_errors(cfg)


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
        need.append(600 + 5 * su2_data_mb(cfg))
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


def cross_key_errors(cfg: dict) -> list[str]:
    """Every check that relates two or more keys, so none waits for the job that needs it."""
    ising = cfg.get("ising", {})
    grid = temperature_grid(ising) if "temperatures" in ising else None
    errors = _size_errors(cfg, ising["sizes"]) if "sizes" in ising else []
    return (
        errors
        + _supervised_errors(cfg, grid)
        + _model_name_errors(cfg)
        + _su2_errors(cfg)
        + _twin_errors(cfg)
        + _concepts_errors(cfg)
        + _gnn_errors(cfg)
        + _windows_errors(
            "unsupervised.clusters",
            cfg.get("unsupervised", {}).get("clusters", {}),
            "ordered_max",
            "disordered_min",
        )
    )


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
