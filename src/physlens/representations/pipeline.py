"""The representations stage as functions of paths and config slices; thin Snakemake
scripts call these.

* **Embeddings**: hidden activations of every hidden layer on held-out configurations,
  embedded in 2D by PCA, t-SNE (scikit-learn) and UMAP (umap-learn), labelled with the
  temperature and candidate observables.
* **Similarity**: linear CKA, RBF CKA and SVCCA (:mod:`physlens.representations.similarity`)
  between the correlation-probing nets of different receptive fields (their hidden layer),
  and between phase-classifier ensemble members (same architecture, different seeds), layer
  by layer.
* **Activation maximisation**: the input each decision neuron wants ("ordered": maximise the
  logit; "disordered": minimise it), its observables, and the top-k held-out configurations.
* **Parsimony**: the candidate explanations of each decision neuron (one monotone fit per
  observable group of the probing ranking, the symbolic formula) compared by BIC.

Models and their data come from :func:`physlens.modeldata.load_model_data`, so
every method sees the samples the model was tested on. Seeds: derive_seed(config seed,
"representations", model, method). Method notes: docs/interpretation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from physlens.io import atomic_path, to_netcdf_atomic
from physlens.observables import local_bond_energy
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed
from physlens.summary import headline, write_headlines

if TYPE_CHECKING:
    import torch.nn as nn

log = logging.getLogger(__name__)
STAGE = "representations"
LAYER_VIEWS = ("pooled", "flat")
EMBEDDING_METHODS = ("pca", "tsne", "umap")
MEASURES = ("linear_cka", "rbf_cka", "svcca")
OUTPUTS = {"ordered": 1.0, "disordered": -1.0}  # sign of the decision logit that is maximised
# Observables of maximisers and top-k examples (energy per site; bond energies per direction).
UNIT_OBSERVABLES = (
    "magnetization",
    "abs_magnetization",
    "energy",
    "bond_energy_x",
    "bond_energy_y",
)
ENERGY_GROUP = ("energy", "nn_correlation", "domain_wall_density")


def stage_seed(seed: int, *keys) -> int:
    return derive_seed(seed, STAGE, *keys)


# every headline of this module belongs to its stage
_headline = partial(headline, stage=STAGE)


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


def _load(spec: ModelSpec, split_cfg: dict, seed: int):
    from physlens.modeldata import load_model_data

    return load_model_data(spec.name, spec.pt, spec.meta, spec.data, split_cfg, seed)


# --- activations ------------------------------------------------------------------------------


def hidden_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The hidden layers of a physlens Ising net, in forward order: every nonlinearity (the
    output of each convolution after its activation). ProbeNet: ``act``; PhaseCNN:
    ``features.1``, ``features.3``, ... An empty dict for nets without one (the constant
    baseline)."""
    from physlens.models.ising import ACTIVATIONS

    kinds = tuple(ACTIVATIONS.values())
    return {name: m for name, m in model.named_modules() if name and isinstance(m, kinds)}


def layer_activations(
    model: nn.Module,
    x,
    layers: Mapping[str, nn.Module] | None = None,
    view: str = "pooled",
    batch_size: int = 512,
) -> dict[str, np.ndarray]:
    """(n, features) activations of each hidden layer on the configurations x (n, L, L).

    view="pooled": the lattice average of each channel (n, channels), the translation-
    invariant summary the head reads (signed: a Z2-odd classifier's head takes |.| after);
    view="flat": the whole activation map, flattened (n, channels * L * L).
    """
    import torch

    if view not in LAYER_VIEWS:
        raise ValueError(f"representations.layer_view = {view!r}: choose one of {LAYER_VIEWS}")
    layers = hidden_layers(model) if layers is None else dict(layers)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no hidden layer to record")
    store: dict[str, list] = {name: [] for name in layers}

    def hook(name):
        def f(_m, _i, out):
            out = out.detach()
            if view == "pooled" and out.dim() >= 3:
                out = out.mean(dim=(-2, -1))
            store[name].append(out.reshape(len(out), -1).double())

        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in layers.items()]
    try:
        X = torch.as_tensor(np.asarray(x), dtype=next(model.parameters()).dtype)
        with torch.no_grad():
            for chunk in torch.split(X, batch_size):
                model(chunk)
    finally:
        for h in handles:
            h.remove()
    return {n: torch.cat(v).numpy() for n, v in store.items()}


def held_out(md, samples_per_temperature: int):
    """The first `samples_per_temperature` test samples at every temperature (the split is
    random already): configurations, temperatures, labels and their (T index, sample index)."""
    from physlens.modeldata import per_temperature

    x, T, lab = md.samples("test")
    idx = per_temperature(T, samples_per_temperature)
    ti, si = (np.asarray(a)[idx] for a in md.split.test)
    return x[idx], T[idx], lab[idx], ti, si


# --- embeddings -------------------------------------------------------------------------------


def _umap(X: np.ndarray, seed: int, n_neighbors: int, min_dist: float) -> np.ndarray:
    """UMAP on the exact k-nearest-neighbour graph (scikit-learn). The same graph UMAP builds
    itself for small data, passed in precomputed: that skips compiling umap's parallel
    neighbour search (numba), seconds per job on a loaded 2-core machine."""
    try:
        import umap
    except ImportError as exc:  # pragma: no cover - installed with the workflow extra
        raise ImportError(
            "UMAP embeddings need umap-learn: pip install -c constraints.txt umap-learn "
            "(part of physlens[workflow]), or drop 'umap' from representations.embeddings.methods"
        ) from exc
    import warnings

    from sklearn.neighbors import NearestNeighbors

    dist, idx = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
    with warnings.catch_warnings():
        # "n_jobs overridden to 1 by setting random_state", transform() unavailable, ...
        warnings.simplefilter("ignore", UserWarning)
        model = umap.UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            random_state=seed % 2**32,
            n_jobs=1,
            precomputed_knn=(idx, dist),
            force_approximation_algorithm=True,
        )
        return model.fit_transform(X)


def embed(
    X,
    methods: Sequence[str] = EMBEDDING_METHODS,
    *,
    seed: int,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    pca_dims: int = 50,
    threads: int = 1,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """2D embeddings of the rows of X by each method, and the PCA explained-variance ratios.

    PCA is exact (centred SVD). t-SNE and UMAP see the data reduced to its first `pca_dims`
    principal components when it has more features (the usual denoising step); t-SNE's
    perplexity and UMAP's neighbour count are capped for small samples. Seeded.

    Every OpenMP/BLAS pool (scikit-learn's, numba's, torch's) and numba's own are limited to
    `threads` meanwhile: on a loaded 2-core machine t-SNE's Barnes-Hut loop otherwise spun
    idle threads and took 10x the CPU time (measured: 1 s -> 10 s per layer).
    """
    from threadpoolctl import threadpool_limits

    from physlens.parallel import numba_threads

    with threadpool_limits(limits=int(threads)), numba_threads(int(threads)):
        return _embed(
            X,
            methods,
            seed=seed,
            perplexity=perplexity,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            pca_dims=pca_dims,
        )


def _embed(X, methods, *, seed, perplexity, n_neighbors, min_dist, pca_dims):
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    unknown = [m for m in methods if m not in EMBEDDING_METHODS]
    if unknown:
        raise ValueError(
            f"representations.embeddings.methods: unknown {unknown} (known: {EMBEDDING_METHODS})"
        )
    X = np.asarray(X, np.float64)
    X = X.reshape(len(X), -1) - X.reshape(len(X), -1).mean(0)
    n = len(X)
    if n < 5:
        raise ValueError(f"{n} samples are too few to embed (need >= 5)")
    if X.shape[1] < 2:  # t-SNE's PCA initialisation and the 2D PCA need two columns
        X = np.c_[X, np.zeros((n, 2 - X.shape[1]))]
    k = min(X.shape[1], n, 10)
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    ratio = np.nan_to_num(pca.explained_variance_ratio_, nan=0.0)
    out = {}
    Z = X if X.shape[1] <= pca_dims else PCA(pca_dims, svd_solver="full").fit_transform(X)
    for m in methods:
        if m == "pca":
            out[m] = pca.transform(X)[:, :2]
        elif m == "tsne":
            p = float(min(perplexity, (n - 1) / 3.0))
            out[m] = TSNE(
                2, perplexity=p, init="pca", learning_rate="auto", random_state=seed % 2**32
            ).fit_transform(Z)
        else:
            out[m] = _umap(Z, seed, int(min(n_neighbors, n - 1)), min_dist)
    return {m: np.asarray(v, np.float64) for m, v in out.items()}, ratio


def _spearman(a, b) -> float:
    from physlens.interpret.probing import spearman

    return spearman(np.asarray(a, float), np.asarray(b, float))


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
        md = _load(spec, split_cfg, seed)
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


def embedding_headlines(ds: xr.Dataset, last: np.ndarray, name: str) -> list[dict]:
    """The first two principal components of the last hidden layer: the observable each
    tracks best (|Spearman|) and their share of the variance."""
    from sklearn.decomposition import PCA

    layer = str(ds.layer.values[-1])
    X = last - last.mean(0)
    k = min(2, X.shape[1])
    pcs = PCA(k, svd_solver="full").fit_transform(X) if np.ptp(X) > 0 else np.zeros((len(X), k))
    recs = []
    for j in range(k):
        rho = {o: abs(_spearman(pcs[:, j], ds[o].values)) for o in ds.attrs["colour_by"].split(",")}
        best = max(rho, key=rho.get)
        share = float(ds.pca_variance_ratio.sel(layer=layer, pc=j + 1))
        recs.append(
            _headline(
                f"representations.embeddings.{name}.pc{j + 1}_abs_spearman[{best}]",
                rho[best],
                description=f"|Spearman| between PC{j + 1} ({share:.1%} of the variance) of {name}'s last hidden layer "
                f"({layer}, {ds.attrs['layer_view']}) and {best}, the best of "
                + ", ".join(f"{o} {v:.3f}" for o, v in rho.items()),
            )
        )
    return recs


# --- similarity -------------------------------------------------------------------------------


def measure_functions(cfg: dict) -> dict:
    """name -> f(X, Y) for the configured measures (NaN when either input is constant)."""
    from physlens.representations import similarity as R

    funcs = {
        "linear_cka": lambda X, Y: R.linear_cka(X, Y, debiased=cfg["debiased"]),
        "rbf_cka": lambda X, Y: R.rbf_cka(
            X, Y, bandwidth=cfg["rbf_bandwidth"], debiased=cfg["debiased"]
        ),
        "svcca": lambda X, Y: R.svcca(X, Y, keep_variance=cfg["svcca_keep_variance"]),
    }
    unknown = [m for m in cfg["measures"] if m not in funcs]
    if unknown:
        raise ValueError(
            f"representations.similarity.measures: unknown {unknown} (known: {MEASURES})"
        )

    def guard(f):
        return lambda X, Y: f(X, Y) if np.ptp(X) > 0 and np.ptp(Y) > 0 else float("nan")

    return {m: guard(funcs[m]) for m in cfg["measures"]}


def similarity_table(reps: Mapping[str, np.ndarray], measures: Mapping) -> np.ndarray:
    """(measure, rep, rep) matrix of every measure between every pair of representations."""
    from physlens.representations.similarity import similarity_matrix

    return np.stack([similarity_matrix(dict(reps), f)[1] for f in measures.values()])


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
        md = _load(spec, split_cfg, seed)
        if not hidden_layers(md.model):
            log.info("%s has no hidden layer: left out of the similarity analysis", spec.name)
            continue
        x, T, _, ti, si = held_out(md, cfg["samples_per_temperature"])
        out.append((spec, ti, si, T, layer_activations(md.model, x, view=cfg["layer_view"])))
    if len(out) > 1:
        _same_samples(out, "representations.similarity")
    return out


def cross_seed_summary(
    S: np.ndarray, members: np.ndarray, layers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """From a (rep, rep) matrix over (member, layer) representations: the mean similarity of
    matching layers across different members, per layer, and the layer-identification
    accuracy (Kornblith et al. 2019): the share of (member i, layer l, member j != i) for
    which layer l of member j is the most similar of j's layers to layer l of member i."""
    ulayers = list(dict.fromkeys(layers))
    umembers = list(dict.fromkeys(members))
    mean = np.full(len(ulayers), np.nan)
    for k, layer in enumerate(ulayers):
        idx = np.flatnonzero(layers == layer)
        vals = [S[a, b] for a in idx for b in idx if members[a] != members[b]]
        mean[k] = np.nanmean(vals) if vals and np.isfinite(vals).any() else np.nan
    hits, total = 0, 0
    if len(ulayers) > 1:
        for i in umembers:
            for j in umembers:
                if i == j:
                    continue
                rows, cols = np.flatnonzero(members == i), np.flatnonzero(members == j)
                for a in rows:
                    sims = S[a, cols]
                    if not np.isfinite(sims).any():
                        continue
                    total += 1
                    hits += layers[cols[int(np.nanargmax(sims))]] == layers[a]
    return mean, np.array(hits / total if total else np.nan)


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


def similarity_headlines(ds: xr.Dataset) -> list[dict]:
    recs = []
    n_members = len(set(ds.member_a.values.tolist()))
    for m in ds.measure.values:
        for layer in ds.layer.values:
            v = ds.cross_seed_matching.sel(measure=m, layer=layer)
            vals = ds.members.sel(measure=m).values[
                np.ix_(ds.layer_a.values == layer, ds.layer_b.values == layer)
            ]
            off = vals[~np.eye(len(vals), dtype=bool)] if len(vals) > 1 else np.array([])
            recs.append(
                _headline(
                    f"representations.similarity.cross_seed_{m}[{layer}]",
                    v if n_members > 1 else None,
                    description=f"mean {m} between layer {layer} of two phase-classifier ensemble members "
                    f"({n_members} seeds"
                    + (
                        f"; pairs range {np.nanmin(off):.3f}-{np.nanmax(off):.3f})"
                        if off.size and np.isfinite(off).any()
                        else ")"
                    ),
                )
            )
    if ds.sizes["layer"] > 1 and n_members > 1:
        recs.append(
            _headline(
                "representations.similarity.layer_identification[linear_cka]",
                ds.layer_identification.sel(measure="linear_cka")
                if "linear_cka" in ds.measure
                else None,
                description="share of the classifier's layers whose most similar layer in another seed's "
                "net (linear CKA) is the same layer (Kornblith et al. 2019: ~1; chance "
                f"1/{ds.sizes['layer']})",
            )
        )
    if "linear_cka" in ds.measure.values:
        probes = list(ds.probe_a.values)
        for i, a in enumerate(probes):
            for b in probes[i + 1 :]:
                ka, kb = a.removeprefix("probe_"), b.removeprefix("probe_")
                recs.append(
                    _headline(
                        f"representations.similarity.probes.linear_cka[{ka}-{kb}]",
                        ds.probes.sel(measure="linear_cka", probe_a=a, probe_b=b),
                        description=f"linear CKA between the hidden layers of the {ka} and {kb} probing nets",
                    )
                )
    return recs


# --- activation maximisation and top-k examples ---------------------------------------------


def bond_energy(configs, direction: str) -> np.ndarray:
    """Energy per site of the bonds along one direction, -(1/N) sum_i s_i s_{i+d} (J = 1,
    periodic), in [-1, 1]: -1 all aligned, +1 all anti-aligned; E/N is the sum over x and y."""
    return local_bond_energy(configs, (direction,)).mean(axis=(-2, -1))


def unit_observables(configs) -> np.ndarray:
    """(n, len(UNIT_OBSERVABLES)) observables of spin configurations (n, L, L)."""
    s = np.asarray(configs, float)
    ex, ey = bond_energy(s, "x"), bond_energy(s, "y")
    m = s.mean(axis=(-2, -1))
    return np.stack([m, np.abs(m), ex + ey, ex, ey], axis=-1)


def reference_lattices(L: int) -> dict[str, np.ndarray]:
    """Bond-extreme lattices: aligned up and down, staggered along x (every x bond broken),
    along y, and the checkerboard (every bond broken)."""
    iy, ix = np.indices((L, L))
    return {
        "uniform": np.ones((L, L)),
        "uniform_down": -np.ones((L, L)),
        "stagger_x": (-1.0) ** ix,
        "stagger_y": (-1.0) ** iy,
        "checkerboard": (-1.0) ** (ix + iy),
    }


def kernel_directions(md) -> tuple[str, ...]:
    """Bond directions a probing net's receptive field spans (1x2: x); () for a 1x1 field,
    both for any other model."""
    k = md.kernel()
    if k is None:
        return ("x", "y")
    return tuple(d for d, size in (("x", k[1]), ("y", k[0])) if size > 1)


def _logits(model, x) -> np.ndarray:
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
        md = _load(spec, split_cfg, seed)
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


def staggered_reference(directions: Sequence[str]) -> str:
    """The reference lattice whose bonds along `directions` are all broken (and the others aligned)."""
    return "checkerboard" if len(directions) == 2 else f"stagger_{directions[0]}"


def expected_bond_energy(ds: xr.Dataset, directions: Sequence[str], sign: float) -> float:
    """The bond energy per site along `directions` that maximising sign * logit should reach,
    by the net's own weights: -1 when its best aligned lattice (up or down) beats the lattice
    staggered along those directions, +1 otherwise."""
    ref = sign * ds.reference_activation
    aligned = max(float(ref.sel(reference="uniform")), float(ref.sel(reference="uniform_down")))
    return -1.0 if aligned >= float(ref.sel(reference=staggered_reference(directions))) else 1.0


def maximisation_headlines(ds: xr.Dataset, md, mx: dict) -> list[dict]:
    """Per output: the bond energy along the probe's kernel (a probing net with bonds in its
    field; judged for the 1x2 probe's 'ordered' output), |M| otherwise (judged for a phase
    classifier's 'ordered' output). The other observables are in the descriptions."""
    name = md.name
    pre = f"representations.maximisation.{name}"
    dirs = kernel_directions(md)
    recs = []
    for out in ds.output.values:
        o = ds.maximiser_observables.sel(output=out)
        short = {
            "abs_magnetization": "|M|/N",
            "energy": "E/N",
            "bond_energy_x": "Ex/N",
            "bond_energy_y": "Ey/N",
        }
        obs = ", ".join(f"{v} {float(o.sel(observable=k)):.3f}" for k, v in short.items())
        found = f"logit {float(ds.activation.sel(output=out)):.4g}; {obs}"
        if md.kernel() is None or not dirs:
            crit = {}
            if md.kernel() is None and out == "ordered":
                crit = dict(
                    reference=1.0,
                    tolerance=float(mx["abs_magnetization_tolerance"]),
                    tolerance_kind="absolute",
                    reference_source="physics: a phase classifier's 'ordered' output is maximised by a fully "
                    "aligned lattice (|M| = 1)",
                )
            recs.append(
                _headline(
                    f"{pre}.{out}.abs_magnetization",
                    o.sel(observable="abs_magnetization"),
                    **crit,
                    description=f"|M| per site of the spin lattice that maximises {name}'s '{out}' output "
                    f"({found})",
                )
            )
            continue
        expected = expected_bond_energy(
            ds, dirs, OUTPUTS[str(out)]
        )  # -1 all aligned, +1 all broken
        value = float(np.mean([o.sel(observable=f"bond_energy_{d}") for d in dirs]))
        judged = md.kernel() == (1, 2) and out == "ordered"
        crit = (
            dict(
                reference=expected,
                tolerance=float(mx["bond_energy_tolerance"]),
                tolerance_kind="absolute",
                reference_source="the 1x2 net is a function of the nearest-neighbour bond "
                "energy; the sign follows its weights",
                ref="ws2017_ising_energy",
            )
            if judged
            else {}
        )
        stag = staggered_reference(dirs)
        ref = ds.reference_activation
        recs.append(
            _headline(
                f"{pre}.{out}.kernel_bond_energy",
                value,
                **crit,
                description=f"bond energy per site along the bonds {name}'s receptive field spans ({', '.join(dirs)}) of the "
                f"lattice that maximises its '{out}' output ({found}); its weights favour bond "
                f"{'order' if expected < 0 else 'disorder'} there (logit aligned up/down "
                f"{float(ref.sel(reference='uniform')):.3g}/{float(ref.sel(reference='uniform_down')):.3g} vs "
                f"{stag} {float(ref.sel(reference=stag)):.3g}), so expected {expected:+.0f}"
                + ("" if judged else " (recorded only)"),
            )
        )
    return recs


# --- parsimony --------------------------------------------------------------------------------


def polynomial_candidate(y, q, degree: int) -> np.ndarray:
    """In-sample least-squares polynomial of `degree` in standardised q (degree + 1 parameters)."""
    q = np.asarray(q, float)
    z = (q - q.mean()) / (q.std() or 1.0)
    coef = np.polynomial.polynomial.polyfit(z, np.asarray(y, float), degree)
    return np.polynomial.polynomial.polyval(z, coef)


def isotonic_candidate(y, q) -> tuple[np.ndarray, int]:
    """Monotone (isotonic) fit in the direction of the rank correlation; its effective number
    of parameters is the number of constant blocks (Meyer & Woodroofe 2000)."""
    from sklearn.isotonic import IsotonicRegression

    y, q = np.asarray(y, float), np.asarray(q, float)
    pred = IsotonicRegression(increasing=_spearman(y, q) >= 0).fit_transform(q, y)
    return pred, int(len(np.unique(pred)))


def formula_candidate(
    symbolic: dict, observables: Mapping[str, np.ndarray], penalty: str
) -> tuple[np.ndarray, int, str]:
    """Prediction of a symbolic fit (physlens.symbolic JSON) on the data, its parameter count
    (`penalty`: 'complexity' = expression nodes of the chosen Pareto member, 'constants' =
    fitted numbers in it) and the formula."""
    import sympy

    from physlens.symbolic import evaluate, parse_formula

    names = list(symbolic["feature_names"])
    missing = [n for n in names if n not in observables]
    if missing:
        raise KeyError(
            f"symbolic formula uses {missing}, not among the observables {list(observables)}"
        )
    expr = parse_formula(symbolic["expression_full"], names)
    X = np.column_stack([np.asarray(observables[n], float) for n in names])
    pred = evaluate(expr, X, names)
    if penalty == "complexity":
        k = int(symbolic["pareto"][int(symbolic["selected"])]["complexity"])
    elif penalty == "constants":
        k = max(1, len(expr.atoms(sympy.Float)))
    else:
        raise ValueError(
            f"representations.parsimony.formula_penalty = {penalty!r}: choose complexity or constants"
        )
    return pred, k, str(symbolic["expression"])


def explanation_candidates(
    y,
    observables: Mapping[str, np.ndarray],
    ranking: xr.Dataset,
    cfg: dict,
    symbolic: dict | None = None,
) -> tuple[dict, dict]:
    """Candidates {name: (prediction, n_params)} for parsimony.compare_explanations: one per
    equivalence group of the probing ranking (its best-ranked member; exact monotone
    equivalents cannot be told apart) and the symbolic formula; and {name: description}."""
    cands, info = {}, {}
    seen = set()
    for o in ranking.observable.values:
        row = ranking.sel(observable=o)
        g = int(row.group)
        if g in seen:
            continue
        seen.add(g)
        q = observables[str(o)]
        if cfg["fit"] == "polynomial":
            pred, k = polynomial_candidate(y, q, cfg["degree"]), cfg["degree"] + 1
        else:
            pred, k = isotonic_candidate(y, q)
        cands[str(o)] = (pred, k)
        eq = [
            str(e)
            for e in ranking.observable.values
            if int(ranking.sel(observable=e).group) == g and e != o
        ]
        info[str(o)] = {
            "kind": "observable",
            "equivalent_to": ",".join(eq),
            "fit": f"{cfg['fit']}"
            + (f" degree {cfg['degree']}" if cfg["fit"] == "polynomial" else ""),
        }
    if symbolic is not None:
        pred, k, text = formula_candidate(symbolic, observables, cfg["formula_penalty"])
        cands["formula"] = (pred, k)
        info["formula"] = {
            "kind": "formula",
            "equivalent_to": ",".join(symbolic.get("monotone_equivalent_to", [])),
            "fit": text,
        }
    return cands, info


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
    from physlens.representations.parsimony import compare_explanations

    tables, recs = [], []
    for spec in specs:
        md = _load(spec, split_cfg, seed)
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
        t = compare_explanations(y, cands)
        ss = float(np.sum((y - y.mean()) ** 2)) or float("nan")
        t["r2"] = [1 - float(np.sum((y - cands[c][0]) ** 2)) / ss for c in t.candidate]
        for col in ("kind", "equivalent_to", "fit"):
            t[col] = [info[c][col] for c in t.candidate]
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


def _is_energy(candidate: str, equivalents: str) -> bool:
    names = {candidate, *[e for e in str(equivalents).split(",") if e]}
    return bool(names & set(ENERGY_GROUP))


def parsimony_headlines(t, md, sym: dict | None) -> list[dict]:
    best = t.iloc[0]
    pre = f"representations.parsimony.{md.name}"
    eq = (
        f" (= {best.equivalent_to.replace(',', ', ')})"
        if best.equivalent_to and best.kind == "observable"
        else ""
    )
    what = f"the formula {best.fit}" if best.kind == "formula" else f"{best.candidate}{eq}"
    runner = (
        f"; runner-up {t.iloc[1].candidate} at dBIC {t.iloc[1].delta_bic:.3g}" if len(t) > 1 else ""
    )
    recs = [
        _headline(
            f"{pre}.preferred_weight",
            best.weight,
            description=f"Schwarz (BIC) weight of the preferred explanation of {md.name}'s decision logit: "
            f"{what}, R^2 {best.r2:.4f}, {best.n_params} parameters, Akaike weight "
            f"{best.akaike_weight:.3g}, among {len(t)} candidates{runner}",
            preferred=str(best.candidate),
        )
    ]
    if md.kernel() != (1, 2):  # physics names the winner only for the 1x2 probe
        return recs
    energy = (
        _is_energy(best.candidate, best.equivalent_to)
        if best.kind == "observable"
        else any(e in ENERGY_GROUP for e in str(best.equivalent_to).split(","))
    )
    recs.append(
        _headline(
            f"{pre}.energy_preferred",
            float(energy),
            reference=1.0,
            tolerance=0.0,
            tolerance_kind="at_least",
            reference_source="the 1x2 net computes the energy",
            ref="ws2017_ising_energy",
            description=f"BIC prefers the energy (or an exact equivalent, or a formula that is a monotone map "
            f"of it) as the explanation of {md.name}'s decision logit (preferred: {what})",
        )
    )
    return recs
