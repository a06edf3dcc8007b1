"""The userdata stage's analyses of an evaluated model (outputs.h5 of
:func:`physlens.userdata.pipeline.evaluate_model`) against the candidate observables
(observables.h5): the ranking of the decision neuron with linear probes and parsimony (the
interpret and representations stages' methods), the representation's principal components,
the transition the classifier places, concept knobs, and the confounder check (the concepts
stage's). Every analysis uses the samples marked `analysed`.

Seeds: derive_seed(config seed, "userdata", <name>, <analysis>).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.io import atomic_path, load_dataset, to_netcdf_atomic
from physlens.provenance import base_attrs
from physlens.seeding import rng
from physlens.summary import write_headlines
from physlens.userdata import STAGE
from physlens.userdata.pipeline import stage_seed

log = logging.getLogger(__name__)


def _analysed(outputs_h5, observables_h5):
    """(outputs, observables) restricted to the analysed samples; observables as a dict in
    the file's order."""
    out = load_dataset(outputs_h5, required=("logit", "analysed", "label", "control"))
    obs = load_dataset(observables_h5)
    keep = np.flatnonzero(out["analysed"].values == 1)
    order = obs.attrs.get("order", ",".join(obs.data_vars)).split(",")
    return out.isel(sample=keep), {k: obs[k].values[keep] for k in order}, obs


def run_probing(
    outputs_h5,
    observables_h5,
    probing_cfg: dict,
    parsimony_cfg: dict,
    reference: dict,
    name: str,
    seed: int,
    out_ranking,
    out_linear,
    out_parsimony,
    out_headline,
):
    """Rank every candidate for the decision logit (bottleneck regression, with the Spearman
    within each control value beside it), probe the hidden representation linearly, and
    compare the explanations by BIC."""
    from physlens.interpret import probing
    from physlens.representations.parsimony import explanation_candidates, explanation_table

    out, obs, _ = _analysed(outputs_h5, observables_h5)
    names = list(obs)
    f = out["logit"].values
    s = stage_seed(seed, name, "probing")
    ranking = probing.rank_observables(
        f,
        obs,
        names,
        seed=s,
        strata=out["control"].values,
        control=str(out.attrs.get("control_name", "control")),
        **probing.probing_kwargs(probing_cfg),
    )
    ranking.attrs.update(model=out.attrs.get("model", ""), explained="decision logit")
    probing.write_probing(ranking, out_ranking)
    linear = None
    if "hidden" in out:
        linear = probing.linear_probe(
            out["hidden"].values, obs, names, cv_folds=probing_cfg.get("cv_folds", 5), seed=s
        )
        linear.attrs.update(layer="hidden representation the head reads")
    else:
        linear = xr.Dataset(
            coords={"observable": names},
            attrs={"skipped": "the model shows no hidden representation (docs/userdata.md)"},
        )
    probing.write_probing(linear, out_linear)
    cands, info = explanation_candidates(f, obs, ranking, parsimony_cfg)
    table = explanation_table(f, cands, info)
    with atomic_path(out_parsimony, suffix=".csv.tmp") as tmp, open(tmp, "w", newline="") as fh:
        prov = base_attrs(s, algorithm="BIC model comparison (physlens.representations.parsimony)")
        fh.write("# " + "; ".join(f"{k}={v}" for k, v in prov.items()) + "\n")
        table.to_csv(fh, index=False, float_format="%.10g")
    from physlens.userdata.headlines import probing_headlines

    recs = probing_headlines(ranking, linear if "hidden" in out else None, table, reference, name)
    write_headlines(out_headline, recs, seed=seed)
    log.info("ranking:\n%s", ranking[["abs_spearman", "rank"]].to_dataframe())
    return ranking, table


def run_representations(
    outputs_h5, observables_h5, n_components: int, name: str, seed: int, out_h5, out_headline
):
    """Principal components of the hidden representation and the |Spearman| of each with
    every candidate (recorded; nothing to record for a model without one)."""
    from sklearn.decomposition import PCA

    from physlens.interpret.probing import spearman
    from physlens.userdata.headlines import representation_headlines

    out, obs, _ = _analysed(outputs_h5, observables_h5)
    names = list(obs)
    recs = []
    if "hidden" not in out:
        ds = xr.Dataset(attrs=base_attrs(seed, skipped="the model shows no hidden representation"))
    else:
        H = out["hidden"].values
        k = min(n_components, H.shape[1])
        pca = PCA(k, svd_solver="full").fit(H)
        pcs = pca.transform(H)
        rho = np.array([[abs(spearman(pcs[:, j], obs[o])) for o in names] for j in range(k)])
        ds = xr.Dataset(
            {
                "pc": (("sample", "component"), pcs),
                "variance_ratio": ("component", pca.explained_variance_ratio_),
                "abs_spearman": (("component", "observable"), rho),
                "control": ("sample", out["control"].values),
            },
            coords={"component": np.arange(1, k + 1), "observable": np.array(names, dtype=str)},
            attrs=base_attrs(seed, algorithm="PCA of the hidden representation (scikit-learn)"),
        )
        recs = representation_headlines(rho[:2], pca.explained_variance_ratio_, names, name)
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, recs, seed=seed)
    return ds


def run_phase(
    outputs_h5, n_resamples: int, reference: dict, name: str, seed: int, out_h5, out_headline
):
    """Mean P(class 1) per control value over the analysed samples and its 1/2 crossing."""
    from physlens.userdata.analysis import class1_rises, critical_control
    from physlens.userdata.headlines import phase_headlines

    full = load_dataset(outputs_h5, required=("logit", "analysed", "label", "control"))
    out = full.isel(sample=np.flatnonzero(full["analysed"].values == 1))
    labelled = full["label"].values >= 0
    rising = class1_rises(full["control"].values[labelled], full["label"].values[labelled])
    p = 1.0 / (1.0 + np.exp(-out["logit"].values))
    res = critical_control(
        out["control"].values, p, rising, rng(seed, STAGE, name, "phase"), n_resamples
    )
    ds = xr.Dataset(
        {
            "p_class1": ("control", res["mean"], {"long_name": "mean P(class 1)"}),
            "p_sem": ("control", res["sem"]),
            "n": ("control", res["n"]),
        },
        coords={"control": res["grid"]},
        attrs=base_attrs(
            seed,
            algorithm="P(class 1) = 1/2 crossing, bootstrap over samples (physlens.phase.crossing)",
            critical=res["value"],
            critical_error=res["error"],
            class1_rises=int(rising),
            control_name=full.attrs.get("control_name", "control"),
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    recs = phase_headlines(res, reference, ds.attrs["control_name"], name)
    write_headlines(out_headline, recs, seed=seed)
    return ds


def run_concepts(
    outputs_h5,
    observables_h5,
    model_cfg,
    model_files,
    check_json,
    reference,
    name,
    seed,
    out_h5,
    out_headline,
):
    """Concept knobs in the hidden representation, turned through the model's head."""
    from physlens.io import read_json
    from physlens.userdata.analysis import concept_knobs, data_signs
    from physlens.userdata.headlines import concept_headlines
    from physlens.userdata.models import load_user_model

    out, obs, _ = _analysed(outputs_h5, observables_h5)
    full = load_dataset(outputs_h5, required=("label",))
    all_obs = load_dataset(observables_h5)
    labelled = np.flatnonzero(full["label"].values >= 0)
    signs = data_signs(
        {k: all_obs[k].values[labelled] for k in obs}, full["label"].values[labelled]
    )
    recs, knobs = [], {}
    if "hidden" in out and read_json(check_json)["head"]:
        model = load_user_model(model_cfg, model_files)
        H = out["hidden"].values
        knobs = concept_knobs(H, model.head, obs, out["label"].values)
        recs = concept_headlines(knobs, signs, reference, name)
    names = list(knobs)
    if names:
        amounts = np.stack([knobs[o]["amounts"] for o in names])
        ds = xr.Dataset(
            {
                "r2": ("observable", [knobs[o]["r2"] for o in names]),
                "separation": (
                    "observable",
                    [knobs[o]["separation"] for o in names],
                    {"long_name": "class-1 minus class-0 mean of the observable"},
                ),
                "effect_mean": ("observable", [knobs[o]["effect_mean"] for o in names]),
                "effect_positive_fraction": (
                    "observable",
                    [knobs[o]["effect_positive_fraction"] for o in names],
                ),
                "data_sign": ("observable", [signs[o] for o in names]),
                "shift": (("observable", "step"), amounts),
                "logit_from_class1": (
                    ("observable", "step"),
                    np.stack([knobs[o]["sweep_class1"] for o in names]),
                ),
                "logit_from_class0": (
                    ("observable", "step"),
                    np.stack([knobs[o]["sweep_class0"] for o in names]),
                ),
                "flip_from_class1": ("observable", [knobs[o]["flip_from_class1"] for o in names]),
                "flip_from_class0": ("observable", [knobs[o]["flip_from_class0"] for o in names]),
            },
            coords={"observable": np.array(names, dtype=str)},
            attrs=base_attrs(
                seed,
                algorithm="concept knobs in the hidden representation (physlens.userdata.analysis)",
            ),
        )
    else:
        ds = xr.Dataset(
            attrs=base_attrs(seed, skipped="the model shows no hidden representation with a head")
        )
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, recs, seed=seed)
    return ds


def run_confounder(
    model_cfg,
    model_files,
    data_path,
    variables,
    outputs_h5,
    cfg,
    attributions_cfg,
    reference,
    name,
    seed,
    out_h5,
    out_headline,
):
    """The concepts stage's confounder check on the user's model: does the relevance of the
    decision (each explainer of userdata.confounder.explainers, |.| summed over channels) pile
    up on one fixed square of the lattice? Square 2D lattices only; recorded as skipped
    otherwise."""
    from physlens.concepts.confounders import check_regions, confounder_check
    from physlens.interpret import attributions
    from physlens.userdata.dataset import load_user_dataset
    from physlens.userdata.headlines import confounder_headlines
    from physlens.userdata.models import load_user_model

    data = load_user_dataset(data_path, variables)
    spatial = data.spatial_shape
    if len(spatial) != 2 or spatial[0] != spatial[1]:
        ds = xr.Dataset(attrs=base_attrs(seed, skipped=f"lattice {spatial} is not square 2D"))
        to_netcdf_atomic(ds, out_h5)
        write_headlines(out_headline, [], seed=seed)
        return ds
    L = int(spatial[0])
    out = load_dataset(outputs_h5, required=("analysed", "label"))
    lab = out["label"].values
    pool = (out["analysed"].values == 1) & (lab >= 0)
    r = rng(seed, STAGE, name, "confounder")
    k = int(cfg["samples_per_class"])
    idx = np.sort(
        np.concatenate(
            [
                r.choice(c, size=min(k, len(c)), replace=False)
                for c in (np.flatnonzero(pool & (lab == cls)) for cls in (1, 0))
            ]
        )
    )
    model = load_user_model(model_cfg, model_files)
    x = data.inputs(idx)
    settings = attributions.attribution_settings(attributions_cfg)
    regions = check_regions(L, [p for p in cfg["patches"] if p <= L])
    maps, reports = [], {}
    for e in cfg["explainers"]:
        a, _ = attributions.attribute(
            model.module, x, e, seed=stage_seed(seed, name, "confounder", e), **settings[e]
        )
        a = np.abs(a.numpy().astype(float))
        a = a.sum(axis=1) if data.has_channel else a
        maps.append(a.mean(axis=0))
        reports[e] = confounder_check(a, regions, threshold=float(cfg["threshold"]))
    worst = max(reports.values(), key=lambda rep: rep.enrichment)
    names = list(regions)
    ds = xr.Dataset(
        {
            "mean_abs_relevance": (("explainer", "y", "x"), np.stack(maps)),
            "enrichment": (
                ("explainer", "region"),
                np.array([[reports[e].table[n] for n in names] for e in cfg["explainers"]]),
                {"long_name": "share of |relevance| in the region divided by its area fraction"},
            ),
            "flagged": (
                "explainer",
                np.array([reports[e].flagged for e in cfg["explainers"]], np.int8),
            ),
        },
        coords={"explainer": list(cfg["explainers"]), "region": np.array(names, dtype=str)},
        attrs=base_attrs(
            seed,
            algorithm="physlens.concepts.confounders.confounder_check of captum attributions",
            threshold=float(cfg["threshold"]),
            n_samples=int(len(idx)),
            message=worst.message(),
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, confounder_headlines(worst, reference, name), seed=seed)
    log.info("%s", worst.message())
    return ds
