"""The representations stage as functions of paths and config slices; thin Snakemake
scripts call these. This module loads the models and holds the embeddings and similarity
entry points; activation maximisation and parsimony are in
:mod:`physlens.representations.decision_pipeline`.

* **Embeddings**: hidden activations of every hidden layer on held-out configurations
  (:mod:`physlens.representations.activations`), embedded in 2D by PCA, t-SNE and UMAP
  (:mod:`physlens.representations.embeddings`), labelled with the temperature and candidate
  observables.
* **Similarity**: linear CKA, RBF CKA and SVCCA (:mod:`physlens.representations.similarity`)
  between the correlation-probing nets of different receptive fields (their hidden layer),
  and between phase-classifier ensemble members (same architecture, different seeds), layer
  by layer.

Models and their data come from :func:`physlens.modeldata.load_model_data`, so
every method sees the samples the model was tested on. Seeds: derive_seed(config seed,
"representations", model, method). Headlines: :mod:`physlens.representations.headlines`.
Method notes: docs/interpretation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from physlens.io import to_netcdf_atomic
from physlens.provenance import base_attrs
from physlens.representations import STAGE
from physlens.representations.activations import hidden_layers, layer_activations
from physlens.representations.embeddings import embed
from physlens.representations.headlines import embedding_headlines, similarity_headlines
from physlens.representations.similarity import (
    cross_seed_summary,
    measure_functions,
    similarity_table,
)
from physlens.seeding import derive_seed
from physlens.summary import write_headlines

log = logging.getLogger(__name__)


def stage_seed(seed: int, *keys) -> int:
    return derive_seed(seed, STAGE, *keys)


@dataclass
class ModelSpec:
    """Where a trained model lives: its name, weights, metadata and data file."""

    name: str
    pt: str
    meta: str
    data: str


def model_specs(
    names: Sequence[str], pts: Sequence, metas: Sequence, data: Mapping[str, str]
) -> list[ModelSpec]:
    """ModelSpecs from the parallel lists a rule passes (models, their .pt and .json files)."""
    if not len(names) == len(pts) == len(metas):
        raise ValueError(
            f"{len(names)} model names but {len(pts)} weight and {len(metas)} metadata files"
        )
    return [ModelSpec(n, str(p), str(m), str(data[n])) for n, p, m in zip(names, pts, metas)]


def load_spec(spec: ModelSpec, split_cfg: dict, seed: int):
    """The model of `spec` with its data, split and Z2 signs (physlens.modeldata)."""
    from physlens.modeldata import load_model_data

    return load_model_data(spec.name, spec.pt, spec.meta, spec.data, split_cfg, seed)


def held_out(md, samples_per_temperature: int):
    """The first `samples_per_temperature` test samples at every temperature (the split is
    random already): configurations, temperatures, labels and their (T index, sample index)."""
    from physlens.modeldata import per_temperature

    x, T, lab = md.samples("test")
    idx = per_temperature(T, samples_per_temperature)
    ti, si = (np.asarray(a)[idx] for a in md.split.test)
    return x[idx], T[idx], lab[idx], ti, si


def run_embeddings(
    specs: Sequence[ModelSpec],
    split_cfg: dict,
    cfg: dict,
    seed: int,
    out_h5: Sequence,
    out_headline,
    threads: int = 1,
) -> list[xr.Dataset]:
    """Embeddings of every hidden layer of every model; one HDF5 file per model and the
    headline numbers (which observable PC1 and PC2 of the last hidden layer track)."""
    from physlens.observables import compute_observables

    if len(out_h5) != len(specs):
        raise ValueError(f"{len(specs)} models but {len(out_h5)} output files")
    e = cfg["embeddings"]
    colour_by = list(dict.fromkeys(e["colour_by"]))
    recs, results = [], []
    for spec, path in zip(specs, out_h5):
        md = load_spec(spec, split_cfg, seed)
        x, T, lab, ti, si = held_out(md, cfg["samples_per_temperature"])
        acts = layer_activations(md.model, x, view=cfg["layer_view"])
        obs = compute_observables(x, colour_by)
        s = stage_seed(seed, spec.name, "embeddings")
        layers = list(acts)
        width = max(a.shape[1] for a in acts.values())
        A = np.full((len(layers), len(x), width), np.nan, np.float32)
        coords = np.full((len(layers), len(e["methods"]), len(x), 2), np.nan)
        ratios = np.full((len(layers), 10), np.nan)
        for i, name in enumerate(layers):
            A[i, :, : acts[name].shape[1]] = acts[name]
            emb, r = embed(
                acts[name],
                e["methods"],
                seed=derive_seed(s, name),
                perplexity=e["perplexity"],
                n_neighbors=e["n_neighbors"],
                min_dist=e["min_dist"],
                pca_dims=e["pca_dims"],
                threads=threads,
            )
            coords[i] = np.stack([emb[m] for m in e["methods"]])
            ratios[i, : len(r)] = r
            log.info(
                "%s %s: %d features, PCA variance ratios %s",
                spec.name,
                name,
                acts[name].shape[1],
                np.round(r[:3], 3),
            )
        ds = xr.Dataset(
            {
                "embedding": (
                    ("layer", "embedding_method", "sample", "component"),
                    coords,
                    {"description": "2D embedding of the layer's activations"},
                ),
                "activation": (
                    ("layer", "sample", "feature"),
                    A,
                    {
                        "description": f"hidden activations ({cfg['layer_view']} view; NaN-padded to the widest layer)"
                    },
                ),
                "n_features": ("layer", np.array([acts[n].shape[1] for n in layers])),
                "pca_variance_ratio": (("layer", "pc"), ratios),
                "label": (
                    "sample",
                    lab.astype(np.int8),
                    {"description": "1 ordered, 0 disordered, -1 unlabelled"},
                ),
                "temperature_index": ("sample", ti.astype(np.int32)),
                "sample_index": ("sample", si.astype(np.int32)),
                **{o: ("sample", obs[o].values, dict(obs[o].attrs)) for o in colour_by},
            },
            coords={
                "layer": np.array(layers, dtype=str),
                "embedding_method": np.array(e["methods"], dtype=str),
                "temperature": ("sample", T.astype(float)),
                "sample": np.arange(len(x)),
                "component": [1, 2],
                "pc": np.arange(1, 11),
            },
            attrs=base_attrs(
                s,
                algorithm="hidden-layer embeddings: PCA (exact), t-SNE (scikit-learn), UMAP (umap-learn)",
                model=spec.name,
                layer_view=cfg["layer_view"],
                colour_by=",".join(colour_by),
                perplexity=float(e["perplexity"]),
                n_neighbors=int(e["n_neighbors"]),
                min_dist=float(e["min_dist"]),
                pca_dims=int(e["pca_dims"]),
                data_file=spec.data,
            ),
        )
        to_netcdf_atomic(ds, path)
        results.append(ds)
        recs += embedding_headlines(ds, acts[layers[-1]], spec.name)
    write_headlines(out_headline, recs, seed=seed)
    return results


def _same_samples(loaded: list, what: str) -> None:
    ref = loaded[0]
    for other in loaded[1:]:
        if other[0].data != ref[0].data or not (
            np.array_equal(other[1], ref[1]) and np.array_equal(other[2], ref[2])
        ):
            raise ValueError(
                f"{what}: {other[0].name} and {ref[0].name} were not tested on the same samples "
                "(different data file or split); their representations cannot be compared"
            )


def _group_activations(specs, split_cfg, cfg, seed):
    """[(spec, T index, sample index, temperatures, {layer: activations})] on held-out samples."""
    out = []
    for spec in specs:
        md = load_spec(spec, split_cfg, seed)
        if not hidden_layers(md.model):
            log.info("%s has no hidden layer: left out of the similarity analysis", spec.name)
            continue
        x, T, _, ti, si = held_out(md, cfg["samples_per_temperature"])
        out.append((spec, ti, si, T, layer_activations(md.model, x, view=cfg["layer_view"])))
    if len(out) > 1:
        _same_samples(out, "representations.similarity")
    return out


def run_similarity(
    probes: Sequence[ModelSpec],
    members: Sequence[ModelSpec],
    split_cfg: dict,
    cfg: dict,
    seed: int,
    out_h5,
    out_headline,
) -> xr.Dataset:
    """CKA/SVCCA between the probing nets' hidden layers and between the classifier ensemble
    members' layers (every layer against every layer)."""
    sim = cfg["similarity"]
    measures = measure_functions(sim)
    names = list(measures)
    P = _group_activations(probes, split_cfg, cfg, seed)
    # a probe has one hidden layer; compare the last one of each net
    prep = {spec.name: acts[list(acts)[-1]] for spec, *_, acts in P}
    C = _group_activations(members, split_cfg, cfg, seed)
    crep = {f"{spec.name}/{layer}": a for spec, *_, acts in C for layer, a in acts.items()}
    rep_member = np.array([k.split("/")[0] for k in crep], dtype=str)
    rep_layer = np.array([k.split("/", 1)[1] for k in crep], dtype=str)
    Sp = similarity_table(prep, measures) if prep else np.zeros((len(names), 0, 0))
    Sc = similarity_table(crep, measures) if crep else np.zeros((len(names), 0, 0))
    ulayers = list(dict.fromkeys(rep_layer))
    matching = np.full((len(names), len(ulayers)), np.nan)
    ident = np.full(len(names), np.nan)
    for k in range(len(names)):
        if crep:
            matching[k], ident[k] = cross_seed_summary(Sc[k], rep_member, rep_layer)
    s = stage_seed(seed, "similarity")
    ds = xr.Dataset(
        {
            "probes": (
                ("measure", "probe_a", "probe_b"),
                Sp,
                {
                    "description": "similarity of the probing nets' hidden layers (last hidden layer of each)"
                },
            ),
            "members": (
                ("measure", "rep_a", "rep_b"),
                Sc,
                {
                    "description": "similarity between every (ensemble member, layer) pair of the phase classifier"
                },
            ),
            "cross_seed_matching": (
                ("measure", "layer"),
                matching,
                {"description": "mean similarity of the same layer in two different members"},
            ),
            "layer_identification": (
                "measure",
                ident,
                {
                    "description": "share of (member, layer, other member) whose most similar layer "
                    "in the other member is the same layer (Kornblith et al. 2019)"
                },
            ),
        },
        coords={
            "measure": np.array(names, dtype=str),
            "probe_a": np.array(list(prep), dtype=str),
            "probe_b": np.array(list(prep), dtype=str),
            "rep_a": np.array(list(crep), dtype=str),
            "rep_b": np.array(list(crep), dtype=str),
            "member_a": ("rep_a", rep_member),
            "layer_a": ("rep_a", rep_layer),
            "member_b": ("rep_b", rep_member),
            "layer_b": ("rep_b", rep_layer),
            "layer": np.array(ulayers, dtype=str),
        },
        attrs=base_attrs(
            s,
            algorithm="linear CKA, RBF CKA (Kornblith et al. 2019), SVCCA (Raghu et al. 2017)",
            layer_view=cfg["layer_view"],
            debiased=int(sim["debiased"]),
            rbf_bandwidth=float(sim["rbf_bandwidth"]),
            svcca_keep_variance=float(sim["svcca_keep_variance"]),
            n_samples_probes=len(P[0][1]) if P else 0,
            n_samples_members=len(C[0][1]) if C else 0,
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, similarity_headlines(ds), seed=seed)
    return ds
