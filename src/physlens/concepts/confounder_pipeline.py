"""The concepts stage's confounder experiment (right for the right reasons) as functions of
paths and config slices; thin Snakemake scripts call these. Method notes:
docs/interpretation.md.

The phase classifier's architecture and training code
(physlens.supervised.pipeline.train_phase_classifier) on a temperature band around Tc, clean
and with a fixed spin pattern stamped on the ordered samples (:func:`write_confounder_data`);
the accuracy of both models on every data set; the relevance check of
:mod:`physlens.concepts.confounders` over (model, data set).

Seeds: derive_seed(config seed, "concepts", ...).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.concepts import STAGE
from physlens.concepts.confounders import check_regions, confounder_band, expected_flag
from physlens.concepts.headlines import PHASE_NAMES, accuracy_headlines, check_headlines
from physlens.io import sha256sum, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import write_headlines
from physlens.supervised.data import DISORDERED, ORDERED, UNLABELLED

log = logging.getLogger(__name__)


def write_confounder_data(data_path, conf: dict, seed: int, outputs: dict) -> dict:
    """The classifier's Ising data restricted to the band concepts.confounders.temperatures,
    as data set variants (`outputs` maps a name of CONFOUNDER_DATASETS to its path): 'clean',
    'confounded' (marker on every sample of an ordered temperature, by
    concepts.confounders.windows), 'swapped' (marker on the disordered ones). Energies and
    magnetisations of marked samples are recomputed from their spins."""
    from physlens.concepts.confounders import add_marker
    from physlens.observables import energy, magnetization
    from physlens.supervised.data import load_ising, phase_labels

    ds = confounder_band(load_ising(data_path), conf["temperatures"])
    win = conf["windows"]
    labels = phase_labels(ds["temperature"].values, win["ordered_max"], win["disordered_min"])
    if not ((labels == ORDERED).any() and (labels == DISORDERED).any()):
        raise ValueError(
            f"concepts.confounders.temperatures = {conf['temperatures']} and windows = {win} leave no ordered or "
            f"no disordered temperature in {data_path} ({ds['temperature'].values.tolist()})"
        )
    spins = ds["spins"].values
    nT, nS, L = spins.shape[0], spins.shape[1], spins.shape[-1]
    region, pattern = tuple(conf["marker"]["region"]), conf["marker"]["pattern"]
    marked_class = {"clean": None, "confounded": ORDERED, "swapped": DISORDERED}
    written = {}
    for name, path in outputs.items():
        if name not in marked_class:
            raise ValueError(f"confounder data set {name!r}: use one of {list(marked_class)}")
        s, e, m = spins, ds["energy"].values, ds["magnetization"].values
        cls = marked_class[name]
        if cls is not None:
            per_sample = np.repeat((labels == cls).astype(int), nS)
            flat = add_marker(spins.reshape(-1, L, L), per_sample, region, pattern)
            s = flat.reshape(spins.shape)
            e = energy(flat).reshape(nT, nS)
            m = magnetization(flat).reshape(nT, nS)
        out = xr.Dataset(
            {
                "spins": (("temperature", "sample", "y", "x"), s.astype(np.int8)),
                "energy": (
                    ("temperature", "sample"),
                    np.asarray(e, float),
                    {"long_name": "energy per site (recomputed where marked)"},
                ),
                "magnetization": (
                    ("temperature", "sample"),
                    np.asarray(m, float),
                    {"long_name": "magnetisation per site (recomputed where marked)"},
                ),
                "label": (
                    "temperature",
                    labels.astype(np.int8),
                    {
                        "long_name": "1 ordered, 0 disordered, -1 unlabelled (concepts.confounders.windows)"
                    },
                ),
            },
            coords={
                "temperature": ds["temperature"].values,
                "sample": ds["sample"].values,
                "y": ds["y"].values,
                "x": ds["x"].values,
            },
            attrs=base_attrs(
                seed,
                L=int(L),
                source=str(data_path),
                source_sha256=sha256sum(data_path),
                variant=name,
                marked_class="none" if cls is None else PHASE_NAMES[cls],
                marker_region=list(map(int, region)),
                marker_pattern=pattern,
                temperature_band=[float(t) for t in conf["temperatures"]],
                algorithm="physlens.concepts.confounders.add_marker on the samples of the marked class",
            ),
        )
        to_netcdf_atomic(out, path)
        written[name] = out
    return written


def _test_samples(ds, labels, split, signs):
    """Labelled test samples: (configurations float32, labels, temperatures)."""
    from physlens.supervised.data import spins_array

    t_idx, s_idx = split.test
    keep = labels[t_idx] != UNLABELLED
    idx = (t_idx[keep], s_idx[keep])
    return spins_array(ds, idx, signs), labels[idx[0]], ds["temperature"].values[idx[0]]


def confounder_accuracy(
    models: dict, datasets: dict, split_cfg: dict, seed: int, out_h5, out_headline
) -> xr.Dataset:
    """Accuracy of each model (name -> (model.pt, model.json, training data)) on the labelled
    test samples of each data set (name -> path): the shared split, never trained on."""
    from physlens.modelfiles import load_model
    from physlens.supervised.data import load_ising
    from physlens.supervised.pipeline import phase_split
    from physlens.training import predict

    m_names, d_names = list(models), list(datasets)
    acc, acc_o, acc_d, n = (np.full((len(m_names), len(d_names)), np.nan) for _ in range(4))
    for i, mn in enumerate(m_names):
        pt, meta_path, train_data = models[mn]
        model, meta = load_model(pt, meta_path, data_path=train_data)
        for j, dn in enumerate(d_names):
            ds = load_ising(datasets[dn])
            labels, split, signs = phase_split(ds, split_cfg, seed, *meta["split_keys"])
            x, y, _ = _test_samples(ds, labels, split, signs)
            ok = (predict(model, x) >= 0.5) == (y == ORDERED)
            acc[i, j], acc_o[i, j], acc_d[i, j], n[i, j] = (
                ok.mean(),
                ok[y == ORDERED].mean(),
                ok[y == DISORDERED].mean(),
                len(y),
            )
    out = xr.Dataset(
        {
            "accuracy": (
                ("model", "dataset"),
                acc,
                {"long_name": "accuracy on the labelled test samples"},
            ),
            "accuracy_ordered": (("model", "dataset"), acc_o),
            "accuracy_disordered": (("model", "dataset"), acc_d),
            "n_test": (("model", "dataset"), n),
        },
        coords={"model": m_names, "dataset": d_names},
        attrs=base_attrs(
            seed,
            algorithm="phase classifiers of the confounder experiment on clean and marked test data",
        ),
    )
    to_netcdf_atomic(out, out_h5)
    write_headlines(out_headline, accuracy_headlines(acc, n, m_names, d_names), seed=seed)
    return out


def run_confounder_check(
    model_name: str,
    model: tuple,
    data_name: str,
    data_path,
    split_cfg: dict,
    conf: dict,
    attributions_cfg: dict,
    seed: int,
    out_h5,
    out_report,
    out_headline,
) -> xr.Dataset:
    """Relevance (each of concepts.confounders.explainers) of `model` = (model.pt, model.json,
    training data) on `samples_per_class` labelled test samples per class of `data_path`, and
    the confounder check of its |relevance| over the regions of concepts.confounders.patches."""
    from physlens.concepts.confounders import confounder_check, marker_mask, relevance_share
    from physlens.interpret import attributions
    from physlens.modelfiles import load_model
    from physlens.supervised.data import load_ising
    from physlens.supervised.pipeline import phase_split

    net, meta = load_model(*model)
    ds = load_ising(data_path)
    L = int(ds.sizes["x"])
    labels, split, signs = phase_split(ds, split_cfg, seed, *meta["split_keys"])
    x, y, T = _test_samples(ds, labels, split, signs)
    r = rng(seed, STAGE, "confounders", "check", data_name)  # the same samples for every model
    k = int(conf["samples_per_class"])
    sel = np.sort(
        np.concatenate(
            [
                r.choice(np.flatnonzero(y == c), size=min(k, int((y == c).sum())), replace=False)
                for c in (ORDERED, DISORDERED)
            ]
        )
    )
    x, y, T = x[sel], y[sel], T[sel]
    settings = attributions.attribution_settings(attributions_cfg)
    explainers = list(conf["explainers"])
    regions = check_regions(L, conf["patches"])
    marker = marker_mask(L, tuple(conf["marker"]["region"]))
    rel, reports = [], {}
    for e in explainers:
        a, _ = attributions.attribute(
            net, x, e, seed=derive_seed(seed, STAGE, "confounders", e), **settings[e]
        )
        a = a.numpy().astype(float)
        rel.append(a)
        rep = confounder_check(a, regions, threshold=float(conf["threshold"]))
        reports[e] = {
            "flagged": bool(rep.flagged),
            "region": rep.region,
            "share": rep.share,
            "area_fraction": rep.area_fraction,
            "enrichment": rep.enrichment,
            "message": rep.message(),
            "marker_share": relevance_share(a, marker),
            "marker_share_ordered": relevance_share(a[y == ORDERED], marker),
            "table": rep.table,
        }
    rel = np.stack(rel)
    import torch

    with torch.no_grad():
        logit = net(torch.as_tensor(x)).numpy().astype(float)
    names = list(regions)
    out = xr.Dataset(
        {
            "relevance": (
                ("explainer", "sample", "y", "x"),
                rel.astype(np.float32),
                {"long_name": "attribution of the decision logit to each spin"},
            ),
            "mean_abs_relevance": (
                ("explainer", "y", "x"),
                np.abs(rel).mean(1),
                {"long_name": "mean |relevance| over the samples"},
            ),
            "mean_relevance": (
                ("explainer", "y", "x"),
                rel.mean(1),
                {"long_name": "mean signed relevance (positive: evidence for ordered)"},
            ),
            "input": (("sample", "y", "x"), x.astype(np.int8)),
            "logit": ("sample", logit),
            "enrichment": (
                ("explainer", "region"),
                np.array([[reports[e]["table"][n] for n in names] for e in explainers]),
                {"long_name": "share of |relevance| in the region divided by its area fraction"},
            ),
            "region_area": ("region", np.array([regions[n].mean() for n in names])),
            "flagged": (
                "explainer",
                np.array([reports[e]["flagged"] for e in explainers], np.int8),
            ),
            "top_region": (
                "explainer",
                np.array([reports[e]["region"] for e in explainers], dtype=str),
            ),
            "top_share": ("explainer", np.array([reports[e]["share"] for e in explainers])),
            "top_enrichment": (
                "explainer",
                np.array([reports[e]["enrichment"] for e in explainers]),
            ),
            "marker_share": (
                "explainer",
                np.array([reports[e]["marker_share"] for e in explainers]),
                {
                    "long_name": "share of |relevance| on the experiment's marker region (not used by the check)"
                },
            ),
            "marker_share_ordered": (
                "explainer",
                np.array([reports[e]["marker_share_ordered"] for e in explainers]),
            ),
        },
        coords={
            "explainer": explainers,
            "region": np.array(names, dtype=str),
            "sample": np.arange(len(x)),
            "label": ("sample", y.astype(np.int8)),
            "temperature": ("sample", T),
        },
        attrs=base_attrs(
            seed,
            algorithm="physlens.concepts.confounders.confounder_check of captum attributions",
            model=model_name,
            dataset=data_name,
            threshold=float(conf["threshold"]),
            patches=[int(p) for p in conf["patches"]],
            marker_region=[int(v) for v in conf["marker"]["region"]],
            marker_area=float(marker.mean()),
            expected_flagged=int(expected_flag(model_name, data_name)),
        ),
    )
    to_netcdf_atomic(out, out_h5)
    for e in explainers:
        reports[e].pop("table")
    verdict = "FLAGGED" if any(reports[e]["flagged"] for e in explainers) else "passed"
    write_json(
        out_report,
        {
            "provenance": base_attrs(seed),
            "model": model_name,
            "dataset": data_name,
            "verdict": verdict,
            "threshold": float(conf["threshold"]),
            "patches": list(conf["patches"]),
            "n_samples": int(len(x)),
            "explainers": reports,
        },
    )
    write_headlines(out_headline, check_headlines(out, reports), seed=seed)
    for e in explainers:
        log.info("%s on %s, %s: %s", model_name, data_name, e, reports[e]["message"])
    return out
