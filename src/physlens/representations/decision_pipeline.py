"""The representations stage's decision-neuron methods as functions of paths and config
slices; thin Snakemake scripts call these (models are loaded as in
:mod:`physlens.representations.pipeline`).

* **Activation maximisation**: the input each decision neuron wants ("ordered": maximise the
  logit; "disordered": minimise it; :mod:`physlens.representations.maximisation`), its
  observables (:mod:`physlens.representations.lattices`), and the top-k held-out
  configurations.
* **Parsimony**: the candidate explanations of each decision neuron (one monotone fit per
  observable group of the probing ranking, the symbolic formula) compared by BIC
  (:mod:`physlens.representations.parsimony`).

Seeds: derive_seed(config seed, "representations", model, method). Headlines:
:mod:`physlens.representations.headlines`. Method notes: docs/interpretation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from physlens.io import atomic_path, to_netcdf_atomic
from physlens.provenance import base_attrs
from physlens.representations.headlines import maximisation_headlines, parsimony_headlines
from physlens.representations.lattices import (
    OUTPUTS,
    UNIT_OBSERVABLES,
    kernel_directions,
    reference_lattices,
    unit_observables,
)
from physlens.representations.parsimony import explanation_candidates
from physlens.representations.pipeline import ModelSpec, load_spec, stage_seed
from physlens.summary import write_headlines

log = logging.getLogger(__name__)


def _logits(model, x) -> np.ndarray:
    """The decision logit of `model` on configurations x, as float32 inputs."""
    from physlens.modeldata import decision_logit

    return decision_logit(model, np.asarray(x, np.float32))


def run_maximisation(
    specs: Sequence[ModelSpec],
    split_cfg: dict,
    cfg: dict,
    seed: int,
    out_h5: Sequence,
    out_headline,
) -> list[xr.Dataset]:
    """Maximise and minimise each model's decision logit over spin lattices; top-k held-out
    configurations of each; one HDF5 file per model and the headline numbers."""
    from physlens.representations.maximisation import maximise_activation, top_k_examples

    mx = cfg["maximisation"]
    recs, results = [], []
    for spec, path in zip(specs, out_h5):
        md = load_spec(spec, split_cfg, seed)
        model = md.model
        for p in model.parameters():
            p.requires_grad_(False)
        x, T, _ = md.samples("test")
        L = x.shape[-1]
        logit = _logits(model, x)
        refs = reference_lattices(L)
        ref_logit = _logits(model, np.stack(list(refs.values())))
        dtype = next(model.parameters()).dtype
        runs, top = {}, {}
        for out, sign in OUTPUTS.items():
            s = stage_seed(seed, spec.name, "maximisation", out)
            res = maximise_activation(
                lambda v: model(v.to(dtype)),
                L,
                seed=s,
                n_starts=mx["n_starts"],
                steps=mx["steps"],
                lr=mx["lr"],
                penalty=mx["penalty"],
                init_scale=mx["init_scale"],
                sign=sign,
                normalise_gradient=mx["normalise_gradient"],
            )
            runs[out] = res
            top[out] = top_k_examples(sign * logit, mx["top_k"])
            log.info(
                "%s %s: logit %.4g, starts %s, observables %s",
                spec.name,
                out,
                res.activation,
                np.round(res.start_activations, 3),
                dict(zip(UNIT_OBSERVABLES, np.round(unit_observables(res.config), 3))),
            )
        outs = list(OUTPUTS)
        k = len(top["ordered"])
        ds = xr.Dataset(
            {
                "maximiser": (
                    ("output", "y", "x"),
                    np.stack([runs[o].config for o in outs]).astype(np.int8),
                    {"description": "rounded spin configuration that maximises sign * logit"},
                ),
                "relaxed": (
                    ("output", "y", "x"),
                    np.stack([runs[o].continuous for o in outs]).astype(np.float32),
                    {
                        "description": "continuous optimum tanh(u) of the best start, before rounding"
                    },
                ),
                "activation": (
                    "output",
                    [runs[o].activation for o in outs],
                    {"description": "decision logit of the maximiser"},
                ),
                "start_activation": (
                    ("output", "start"),
                    np.stack([runs[o].start_activations for o in outs]),
                ),
                "maximiser_observables": (
                    ("output", "observable"),
                    np.stack([unit_observables(runs[o].config) for o in outs]),
                ),
                "topk_config": (
                    ("output", "rank", "y", "x"),
                    np.stack([x[top[o]] for o in outs]).astype(np.int8),
                ),
                "topk_activation": (("output", "rank"), np.stack([logit[top[o]] for o in outs])),
                "topk_temperature": (("output", "rank"), np.stack([T[top[o]] for o in outs])),
                "topk_observables": (
                    ("output", "rank", "observable"),
                    np.stack([unit_observables(x[top[o]]) for o in outs]),
                ),
                "reference_activation": (
                    "reference",
                    ref_logit,
                    {"description": "decision logit of the bond-extreme lattices"},
                ),
                "sign": ("output", [OUTPUTS[o] for o in outs]),
            },
            coords={
                "output": np.array(outs, dtype=str),
                "observable": np.array(UNIT_OBSERVABLES, dtype=str),
                "reference": np.array(list(refs), dtype=str),
                "rank": np.arange(1, k + 1),
                "start": np.arange(mx["n_starts"]),
                "y": np.arange(L),
                "x": np.arange(L),
            },
            attrs=base_attrs(
                stage_seed(seed, spec.name, "maximisation"),
                algorithm="activation maximisation over tanh-relaxed spins with a ramped +-1 penalty, "
                "rounded (physlens.representations.maximisation); top-k held-out configurations",
                model=spec.name,
                kernel_directions=",".join(kernel_directions(md)),
                n_test=len(x),
                **{k_: (int(v) if isinstance(v, bool) else v) for k_, v in mx.items()},
            ),
        )
        to_netcdf_atomic(ds, path)
        results.append(ds)
        recs += maximisation_headlines(ds, md, mx)
    write_headlines(out_headline, recs, seed=seed)
    return results


def run_parsimony(
    specs: Sequence[ModelSpec],
    rankings: Mapping[str, str],
    symbolics: Mapping[str, str],
    split_cfg: dict,
    cfg: dict,
    symbolic_link: str,
    seed: int,
    out_csv,
    out_headline,
):
    """BIC comparison of every model's candidate explanations; one CSV table, headlines."""
    import pandas as pd

    from physlens.io import read_json
    from physlens.observables import compute_observables
    from physlens.representations.parsimony import explanation_table

    tables, recs = [], []
    for spec in specs:
        md = load_spec(spec, split_cfg, seed)
        x, _, _ = md.samples("test")
        with xr.open_dataset(rankings[spec.name], engine="h5netcdf") as r:
            ranking = r.load()
        sym = read_json(symbolics[spec.name]) if spec.name in symbolics else None
        names = list(
            dict.fromkeys(
                [str(o) for o in ranking.observable.values]
                + (list(sym["feature_names"]) if sym else [])
            )
        )
        obs = compute_observables(x, names)
        logit = _logits(md.model, x)
        # the scale the symbolic fit explained: the logit (link = logit) or the sigmoid output
        y = logit if symbolic_link == "logit" else 1.0 / (1.0 + np.exp(-logit))
        cands, info = explanation_candidates(
            y, {n: obs[n].values for n in names}, ranking, cfg, sym
        )
        t = explanation_table(y, cands, info, ("kind", "equivalent_to", "fit"))
        t.insert(0, "model", spec.name)
        t["n_samples"] = len(y)
        t["scale"] = "logit" if symbolic_link == "logit" else "probability"
        tables.append(t)
        recs += parsimony_headlines(t, md, sym)
        log.info(
            "%s parsimony:\n%s",
            spec.name,
            t[["candidate", "n_params", "r2", "delta_bic", "weight"]],
        )
    table = pd.concat(tables, ignore_index=True)
    cols = [
        "model",
        "candidate",
        "kind",
        "equivalent_to",
        "fit",
        "n_params",
        "r2",
        "bic",
        "delta_bic",
        "weight",
        "aic",
        "delta_aic",
        "akaike_weight",
        "n_samples",
        "scale",
    ]
    prov = base_attrs(
        stage_seed(seed, "parsimony"),
        algorithm="BIC model comparison (physlens.representations.parsimony)",
    )
    with atomic_path(out_csv, suffix=".csv.tmp") as tmp:
        with open(tmp, "w", newline="") as fh:
            fh.write("# " + "; ".join(f"{k}={v}" for k, v in prov.items()) + "\n")
            table[cols].to_csv(fh, index=False, float_format="%.10g")
    write_headlines(out_headline, recs, seed=seed)
    return table
