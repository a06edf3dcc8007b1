"""The interpretation stage as functions of paths and config slices (thin Snakemake scripts
call these): load a trained model and its held-out data -> run one method -> write the result.

Models are named ``probe_<ky>x<kx>`` (correlation-probing nets) or ``classifier_member<k>``
(phase-classifier ensemble member); their data, split and Z2 signs come from the supervised
stage (:func:`physlens.supervised.pipeline.phase_split`), so every method sees exactly the
samples the model was tested on. The methods are :mod:`physlens.interpret.probing`,
:mod:`~physlens.interpret.ablation`, :mod:`~physlens.interpret.influence`,
:mod:`~physlens.interpret.attributions` and :mod:`physlens.symbolic`; the headline records
:mod:`physlens.interpret.headlines`. Seeds: derive_seed(config seed, "interpret", model,
method).
"""

from __future__ import annotations

import csv
import logging

import numpy as np
import xarray as xr

from physlens.config import TC_EXACT
from physlens.interpret import STAGE
from physlens.interpret.headlines import (
    attribution_headlines,
    capacity_headlines,
    influence_headlines,
    probing_headlines,
    symbolic_headlines,
    window_headlines,
)
from physlens.io import to_netcdf_atomic
from physlens.modeldata import ModelData, decision_logit, per_temperature, pooled_hidden
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import write_headlines
from physlens.supervised.data import ORDERED, UNLABELLED

# torch, captum, sympy and scikit-learn are imported where they are used: on a loaded 2-core
# machine those imports cost ~10 s per job.

log = logging.getLogger(__name__)


def stage_seed(seed: int, model_name: str, *keys) -> int:
    return derive_seed(seed, STAGE, model_name, *keys)


def run_probing(md: ModelData, probing_cfg: dict, seed: int, out_ranking, out_linear, out_headline):
    """Ranking of candidate observables for the decision neuron, linear probes of the pooled
    hidden layer, and headline records."""
    from physlens.interpret import probing
    from physlens.observables import compute_observables

    x, T, _ = md.samples("test")
    names = list(
        probing_cfg.get("observables", {}).get("ising") or compute_observables(x[:1]).data_vars
    )
    obs = compute_observables(x, names)
    logit = decision_logit(md.model, x)
    s = stage_seed(seed, md.name, "probing")
    # each temperature of the Monte Carlo is one stratum of the conditional ranking
    ranking = probing.rank_observables(
        logit, obs, names, seed=s, strata=T, control="T", **probing.probing_kwargs(probing_cfg)
    )
    ranking.attrs.update(model=md.name, explained="pre-sigmoid logit of the decision neuron")
    probing.write_probing(ranking, out_ranking)
    H = pooled_hidden(md.model, x)
    if H is None:
        raise ValueError(
            f"{md.name}: no hidden layer to probe (architecture {md.meta['architecture']})"
        )
    lin = probing.linear_probe(H, obs, names, cv_folds=probing_cfg.get("cv_folds", 5), seed=s)
    lin.attrs.update(model=md.name, layer="lattice average of the last hidden layer")
    probing.write_probing(lin, out_linear)
    write_headlines(out_headline, probing_headlines(ranking, lin, md), seed=seed)
    return ranking, lin


def run_capacity(loss_table, ablation_cfg: dict, seed: int, out_h5, out_headline):
    """Where the probes' validation loss drops as the receptive field shrinks."""
    from physlens.interpret.ablation import capacity_drop, receptive_field_size

    with open(loss_table, newline="") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    if not rows:
        raise ValueError(f"{loss_table}: no rows")
    names = [r["receptive_field"] for r in rows]
    cap = [receptive_field_size(n) for n in names]
    val = [float(r["val_loss"]) for r in rows]
    res = capacity_drop(
        cap,
        val,
        names,
        factor=ablation_cfg["capacity_factor"],
        atol=ablation_cfg["capacity_atol"],
        jump_factor=ablation_cfg["jump_factor"],
        jump_atol=ablation_cfg["jump_atol"],
    )
    drop = res["drop"] or {}
    ds = xr.Dataset(
        {
            "val_loss": ("receptive_field", val, {"units": "nats per sample"}),
            "train_loss": (
                "receptive_field",
                [float(r["train_loss"]) for r in rows],
                {"units": "nats per sample"},
            ),
            "capacity": ("receptive_field", cap, {"long_name": "sites in the receptive field"}),
        },
        coords={"receptive_field": np.array(names, dtype=str)},
        attrs=base_attrs(
            seed,
            algorithm="capacity ablation: physlens.interpret.ablation.capacity_drop on validation losses",
            best=res["best"],
            sufficient=res["sufficient"],
            drop_from=drop.get("from", ""),
            drop_to=drop.get("to", ""),
            drop_ratio=drop.get("ratio", float("nan")),
            source=str(loss_table),
            **{
                k: float(v) for k, v in ablation_cfg.items() if k.startswith(("capacity_", "jump_"))
            },
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, capacity_headlines(res, names), seed=seed)
    return res


def run_ablation(
    md: ModelData,
    ablation_cfg: dict,
    samples_per_temperature: int,
    seed: int,
    out_units,
    out_occlusion,
):
    """Unit ablation of every listed layer on the labelled test samples; occlusion maps of
    `samples_per_temperature` test samples per temperature."""
    from physlens.interpret import ablation

    x, T, lab = md.samples("test")
    keep = lab != UNLABELLED
    s = stage_seed(seed, md.name, "ablation")
    tables = []
    for layer in ablation.ablation_layers(md.model, ablation_cfg["layers"]):
        d = ablation.unit_ablation(
            md.model,
            layer,
            x[keep],
            (lab[keep] == ORDERED).astype(np.float32),
            mode=ablation_cfg["mode"],
            seed=s,
            model_name=md.name,
        )
        tables.append(d.expand_dims(layer=[layer]).assign_attrs(d.attrs))
    units = xr.concat(tables, dim="layer", join="outer", combine_attrs="drop_conflicts")
    units = units.assign_coords(layer=np.array(units.layer.values, dtype=str))
    units.attrs.update(
        base_attrs(
            s,
            algorithm=f"unit ablation ({ablation_cfg['mode']}) via forward hook",
            model=md.name,
            n_samples=int(keep.sum()),
        )
    )
    to_netcdf_atomic(units, out_units)
    idx = per_temperature(T, samples_per_temperature)
    occ = ablation.input_occlusion(
        md.model,
        x[idx],
        patch=ablation_cfg["occlusion_patch"],
        stride=ablation_cfg["occlusion_stride"],
        seed=s,
        model_name=md.name,
    )
    occ = occ.assign_coords(temperature=("sample", T[idx]))
    to_netcdf_atomic(occ, out_occlusion)
    return units, occ


def run_influence(md: ModelData, influence_cfg: dict, seed: int, out_h5, out_headline):
    """Influence of training points on the test loss of a small model (float64, at the optimum
    of the L2-regularised loss on a training subset), validated by real leave-one-out
    retraining of `loo_points` points spread over the range of predicted effects."""
    import torch

    from physlens.interpret import ablation, influence

    cfg = influence_cfg
    s = stage_seed(seed, md.name, "influence")
    gen = rng(seed, STAGE, md.name, "influence", "subset")
    x_tr, _, lab_tr = md.samples("train")
    x_te, _, lab_te = md.samples("test")
    keep = np.flatnonzero(lab_te != UNLABELLED)
    tr = np.sort(gen.permutation(len(x_tr))[: cfg["train_points"]])
    te = np.sort(gen.permutation(keep)[: cfg["test_points"]])
    X, y = (
        torch.as_tensor(x_tr[tr], dtype=torch.float64),
        torch.as_tensor(lab_tr[tr] == ORDERED, dtype=torch.float64),
    )
    Xt, yt = (
        torch.as_tensor(x_te[te], dtype=torch.float64),
        torch.as_tensor(lab_te[te] == ORDERED, dtype=torch.float64),
    )
    model = md.model.double().eval()
    loss_fn = ablation.bce_with_logits
    influence.fit_to_optimum(model, loss_fn, X, y, cfg["l2"])
    solver = {}
    if cfg["method"] == "lissa":
        solver = dict(
            depth=cfg["lissa_depth"],
            repeats=cfg["lissa_repeats"],
            batch_size=min(cfg["lissa_batch_size"], len(X)),
        )
    common = dict(l2=cfg["l2"], method=cfg["method"], damping=cfg["damping"], seed=s, **solver)
    inf = influence.influence_on_test_loss(
        model, loss_fn, X, y, Xt, yt, model_name=md.name, **common
    )
    removed = influence.spread_points(inf["predicted_delta_test_loss"].values, cfg["loo_points"])
    val = influence.validate_against_retraining(model, loss_fn, X, y, Xt, yt, removed, **common)
    ds = xr.merge([inf, val], combine_attrs="override")
    ds.attrs.update(
        base_attrs(
            s,
            algorithm=val.attrs["algorithm"],
            model=md.name,
            pearson_r=val.attrs["pearson_r"],
            l2=float(cfg["l2"]),
            method=cfg["method"],
            n_train=len(X),
            n_test=len(Xt),
            test_loss=inf.attrs["test_loss"],
            n_params=inf.attrs["n_params"],
        )
    )
    to_netcdf_atomic(ds, out_h5)
    r = val.attrs["pearson_r"]
    write_headlines(out_headline, influence_headlines(md, r, len(removed), cfg), seed=seed)
    return ds


def run_windows(
    md: ModelData,
    probes_cfg: dict,
    training_cfg: dict,
    influence_cfg: dict,
    seed: int,
    out_h5,
    out_headline,
):
    """Retrain the model without the training samples of each temperature window (same
    initialisation, same settings, epochs capped by interpret.influence.window_epochs);
    record the change of the validation loss (full validation set) and of Tc (the 1/2
    crossing of the mean P(ordered) over the test samples) against a retrained reference."""
    from physlens.interpret import influence
    from physlens.supervised import tc as sup_tc
    from physlens.supervised.pipeline import train_settings
    from physlens.training import predict, seeded_model, train

    x_tr, T_tr, lab_tr = md.samples("train")
    x_va, _, lab_va = md.samples("val")
    x_te, T_te, _ = md.samples("test")
    y_tr, y_va = (lab_tr == ORDERED).astype(np.float32), (lab_va == ORDERED).astype(np.float32)
    over = dict(probes_cfg.get("train", {}))
    over["epochs"] = min(
        int(over.get("epochs", training_cfg.get("epochs", 20))), int(influence_cfg["window_epochs"])
    )
    settings = train_settings(training_cfg, over)
    s = stage_seed(seed, md.name, "windows")
    temps = md.ds["temperature"].values

    def fit(mask):
        model = seeded_model(md.meta["architecture"], s)
        res = train(
            model, (x_tr[mask], y_tr[mask]), (x_va, y_va), settings, s, name=f"{md.name} windows"
        )
        p = predict(res.model, x_te)
        table = np.full((len(temps), len(x_te)), np.nan)
        table[np.searchsorted(temps, T_te), np.arange(len(x_te))] = p
        return res.metrics["val_loss"], sup_tc.half_crossing(
            temps, sup_tc.mean_by_temperature(table)[0]
        )

    masks = influence.temperature_window_masks(T_tr, influence_cfg["temperature_windows"])
    vl_full, tc_full = fit(np.ones(len(x_tr), bool))
    vl, tcs = [], []
    for w in masks.window.values:
        keep = ~masks.sel(window=w).values
        classes = set(y_tr[keep].tolist())
        if len(classes) < 2:  # one class left: nothing to learn, say so instead of training
            log.warning("%s: window %d leaves one class; not retrained", md.name, w)
            vl.append(np.nan), tcs.append(np.nan)
            continue
        v, t = fit(keep)
        vl.append(v), tcs.append(t)
    ds = influence.window_effect_table(masks, vl_full, vl, tc_full, tcs)
    ds.attrs.update(
        base_attrs(
            s,
            algorithm="leave-one-temperature-window-out retraining (physlens.training.train)",
            model=md.name,
            epochs=settings.epochs,
            n_train=len(x_tr),
            tc_exact=TC_EXACT,
            val_loss_full=float(vl_full),
            tc_full=float(tc_full),
        )
    )
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, window_headlines(ds, md, tc_full), seed=seed)
    return ds


def run_attributions(md: ModelData, cfg: dict, seed: int, out_h5, out_headline):
    """Attribution maps of every method for `samples_per_temperature` test samples per T,
    their conservation check and their correlation with the local bond energy."""
    from physlens.interpret import attributions

    x, T, _ = md.samples("test")
    idx = per_temperature(T, cfg["samples_per_temperature"])
    s = stage_seed(seed, md.name, "attributions")
    ds = attributions.attribution_dataset(
        md.model,
        x[idx],
        cfg["methods"],
        seed=s,
        settings=attributions.attribution_settings(cfg),
        sample_coords={"temperature": T[idx]},
        model_name=md.name,
    )
    dirs = attributions.bond_directions(md, cfg["bond_directions"])
    corr = attributions.bond_energy_correlations(ds, dirs, tc=TC_EXACT)
    ds["relevance_bond_energy_r"] = corr.assign_coords(phase=np.array(corr.phase.values, dtype=str))
    ds["median_relative_leftover"] = attributions.conservation(ds, md.model, cfg["baseline"])
    ds = ds.assign_coords(explainer=np.array(ds.explainer.values, dtype=str))
    ds.attrs["bond_directions"] = ",".join(dirs)
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, attribution_headlines(ds, md), seed=seed)
    return ds


def run_symbolic(
    md: ModelData,
    symbolic_cfg: dict,
    observables: list[str],
    seed: int,
    out_json,
    out_pareto,
    out_headline,
):
    """The decision neuron as a formula of the candidate observables (physlens.symbolic).

    The models return the pre-sigmoid logit, so link='logit' is applied exactly: the logit
    itself is fitted (no clipping of saturated probabilities)."""
    from physlens.observables import compute_observables
    from physlens.symbolic import explain_kwargs, explain_neuron, write_symbolic

    x, _, _ = md.samples("test")
    obs = compute_observables(x, observables)
    kw = explain_kwargs(symbolic_cfg)
    link = kw.pop("link", "identity")
    logit = decision_logit(md.model, x)
    y = logit if link == "logit" else 1.0 / (1.0 + np.exp(-logit))
    s = stage_seed(seed, md.name, "symbolic")
    ex = explain_neuron(y, obs, observables, seed=s, link="identity", **kw)
    write_symbolic(out_json, ex, seed=s)
    p = ex.result.pareto
    ds = xr.Dataset(
        {
            "complexity": ("candidate", p["complexity"].to_numpy()),
            "loss": ("candidate", p["loss"].to_numpy()),
            "expression": ("candidate", p["expression"].astype(str).to_numpy()),
            "selected": ("candidate", p["selected"].to_numpy().astype(np.int8)),
        },
        coords={"candidate": np.arange(len(p))},
        attrs=base_attrs(
            s,
            algorithm=f"symbolic regression ({ex.result.engine} {ex.result.engine_version})",
            model=md.name,
            explained="pre-sigmoid logit" if link == "logit" else "sigmoid output",
            formula=ex.result.expression,
            latex=ex.result.latex,
            heldout_r2=ex.heldout_r2,
            monotone_equivalent_to=",".join(ex.monotone_equivalent_to),
            affine_equivalent_to=",".join(ex.affine_equivalent_to),
        ),
    )
    to_netcdf_atomic(ds, out_pareto)
    write_headlines(out_headline, symbolic_headlines(ex, md), seed=seed)
    return ex
