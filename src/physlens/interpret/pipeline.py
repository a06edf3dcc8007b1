"""The interpretation stage as functions of paths and config slices (thin Snakemake scripts
call these): load a trained model and its held-out data -> run one method -> write the result.

Models are named ``probe_<ky>x<kx>`` (correlation-probing nets) or ``classifier_member<k>``
(phase-classifier ensemble member); their data, split and Z2 signs come from the supervised
stage (:func:`physlens.supervised.pipeline.phase_split`), so every method sees exactly the
samples the model was tested on. Seeds: derive_seed(config seed, "interpret", model, method).
"""

from __future__ import annotations

import csv
import logging
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from physlens.config import TC_EXACT
from physlens.io import to_netcdf_atomic
from physlens.modeldata import ModelData, decision_logit, per_temperature, pooled_hidden
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import headline, write_headlines
from physlens.supervised.data import ORDERED, UNLABELLED

# torch, captum, sympy and scikit-learn are imported where they are used: the figure rules
# import this module too, and on a loaded 2-core machine those imports cost ~10 s per job.
if TYPE_CHECKING:
    import torch.nn as nn

log = logging.getLogger(__name__)
STAGE = "interpret"
# Observables that are exact affine functions of the energy on any configuration.
ENERGY_GROUP = ("energy", "nn_correlation", "domain_wall_density")


def stage_seed(seed: int, model_name: str, *keys) -> int:
    return derive_seed(seed, STAGE, model_name, *keys)


# every headline of this module belongs to its stage
_headline = partial(headline, stage=STAGE)


# --- 1. bottleneck regression ---------------------------------------------------------------


def probing_expectation(md: ModelData) -> tuple[tuple[str, ...], float | None]:
    """Observables the physics expects first, and the |rho| a pass needs (None: record only).

    1x2 probe: the energy group (it can only average nearest-neighbour products); the phase
    classifier: |M| or the energy group. Other probes are recorded without a criterion.
    """
    if md.kernel() == (1, 2):
        return ENERGY_GROUP, 0.9
    if md.kernel() is None:
        return ("abs_magnetization",) + ENERGY_GROUP, 0.9
    return ENERGY_GROUP, None


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
    ranking = probing.rank_observables(
        logit, obs, names, seed=s, **probing.probing_kwargs(probing_cfg)
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


def _abs_ci(row) -> tuple[float, float]:
    """Bootstrap CI of |rho| from that of rho (reflected for negative correlations)."""
    lo, hi = float(row.spearman_lo), float(row.spearman_hi)
    return (
        (min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
        if lo * hi > 0
        else (0.0, max(abs(lo), abs(hi)))
    )


def probing_headlines(ranking: xr.Dataset, linear: xr.Dataset, md: ModelData) -> list[dict]:
    from physlens.interpret import probing

    expected, min_rho = probing_expectation(md)
    expected = [o for o in expected if o in ranking.observable.values]
    top = probing.top_observables(ranking)
    net = f"interpret.{md.name}"
    recs = []
    if expected:
        best = max(expected, key=lambda o: float(ranking.sel(observable=o).abs_spearman))
        row = ranking.sel(observable=best)
        crit = (
            {}
            if min_rho is None
            else dict(
                reference=min_rho,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="F(S) = sigmoid(w Q(S) + b)",
                ref="ws2017_decision_function",
            )
        )
        recs.append(
            _headline(
                f"{net}.abs_spearman[{best}]",
                row.abs_spearman,
                uncertainty=float(row.spearman_se),
                description=f"|Spearman| between the {md.name} decision neuron and {best} "
                f"(best of the expected {', '.join(expected)})",
                **crit,
            )
        )
        first = any(o in top for o in expected)
        crit1 = (
            {} if min_rho is None else dict(reference=1.0, tolerance=0.0, tolerance_kind="at_least")
        )
        recs.append(
            _headline(
                f"{net}.expected_ranks_first",
                float(first),
                **crit1,
                description=f"one of {', '.join(expected)} (or an exact equivalent) ranks first; "
                f"top: {', '.join(top)}",
                top=top,
            )
        )
        # a statistical tie: the expected observable's CI of |rho| reaches the top one's
        lead = ranking.isel(observable=0)
        tie = _abs_ci(row)[1] >= _abs_ci(lead)[0]
        recs.append(
            _headline(
                f"{net}.expected_within_ci_of_first",
                float(tie),
                **crit1,
                description=f"{best}'s bootstrap CI of |Spearman| overlaps that of the top observable "
                f"{str(lead.observable.values)} ({float(lead.abs_spearman):.4f})",
            )
        )
    for o in ("energy", "abs_magnetization"):
        if o in linear.observable.values:
            recs.append(
                _headline(
                    f"{net}.linear_probe_r2[{o}]",
                    linear.r2_heldout.sel(observable=o),
                    description=f"held-out R^2 of a ridge probe from the pooled hidden layer to {o}",
                )
            )
    return recs


# --- 2a. capacity ---------------------------------------------------------------------------


def receptive_field_size(name: str) -> int:
    """Sites seen by one kernel application ('constant': 0)."""
    if name == "constant":
        return 0
    ky, kx = (int(k) for k in name.split("x"))
    return ky * kx


def run_capacity(loss_table, ablation_cfg: dict, seed: int, out_h5, out_headline):
    """Where the probes' validation loss drops as the receptive field shrinks."""
    from physlens.interpret.ablation import capacity_drop

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
    recs = []
    if "1x2" in names:
        recs.append(
            _headline(
                "interpret.capacity.sufficient_is_1x2",
                float(res["sufficient"] == "1x2"),
                reference=1.0,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="the minimal receptive field",
                ref="ws2017_ising_energy",
                description=f"smallest sufficient receptive field is 1x2 (found {res['sufficient']})",
            )
        )
        recs.append(
            _headline(
                "interpret.capacity.drop_below_1x2",
                float(drop.get("from") == "1x2"),
                reference=1.0,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="the capacity cliff below 1x2",
                ref="ws2017_ising_energy",
                description=f"performance drops from 1x2 to a smaller field (found {drop.get('from')} -> {drop.get('to')})",
            )
        )
    recs.append(
        _headline(
            "interpret.capacity.drop_ratio",
            drop.get("ratio"),
            description=f"loss ratio across the drop {drop.get('from')} -> {drop.get('to')}",
        )
    )
    write_headlines(out_headline, recs, seed=seed)
    return res


# --- 2b. unit ablation and occlusion --------------------------------------------------------


def ablation_layers(model: nn.Module, layers) -> list[str]:
    """Module names to ablate; the keyword 'conv' means every convolution of the model."""
    import torch.nn as nn

    from physlens.interpret import ablation

    names = []
    for layer in layers:
        if layer == "conv":
            names += [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        else:
            ablation.resolve_layer(model, layer)  # clear error for an unknown name
            names.append(layer)
    if not names:
        raise ValueError(
            f"interpret.ablation.layers = {list(layers)}: no such layer in {type(model).__name__}"
        )
    return list(dict.fromkeys(names))


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
    for layer in ablation_layers(md.model, ablation_cfg["layers"]):
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


# --- 2c. influence functions -----------------------------------------------------------------


def spread_points(predicted: np.ndarray, k: int) -> np.ndarray:
    """k training indices whose predicted effects are evenly spaced over their whole range
    (extremes included), one per distinct predicted value: removing one of several identical
    copies (common among ordered lattices) says nothing new, and a spread of effects is what
    a correlation between predicted and actual changes can test."""
    _, first = np.unique(np.float32(predicted), return_index=True)  # sorted by value
    pick = np.unique(np.round(np.linspace(0, len(first) - 1, min(k, len(first)))).astype(int))
    return np.sort(first[pick])


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
    removed = spread_points(inf["predicted_delta_test_loss"].values, cfg["loo_points"])
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
    write_headlines(
        out_headline,
        [
            _headline(
                f"interpret.{md.name}.influence_pearson_r",
                r,
                reference=0.8,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="influence functions vs leave-one-out retraining",
                ref="koh_liang_2017_influence",
                description=f"Pearson r between predicted and actual test-loss changes, {len(removed)} leave-one-out "
                f"retrainings ({cfg['method']} inverse Hessian, l2 = {cfg['l2']})",
            ),
        ],
        seed=seed,
    )
    return ds


# --- 2d. leave-one-temperature-window-out ----------------------------------------------------


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
    dv = ds["delta_val_loss"].values
    worst = int(np.nanargmax(dv)) if np.isfinite(dv).any() else 0
    write_headlines(
        out_headline,
        [
            _headline(
                f"interpret.{md.name}.window_max_delta_val_loss",
                np.nanmax(dv) if np.isfinite(dv).any() else None,
                description=f"largest validation-loss increase when one temperature window is left out of training "
                f"(window [{float(ds.T_lo[worst]):.3g}, {float(ds.T_hi[worst]):.3g}))",
            ),
            # one lattice size, no extrapolation: the finite-size shift of the crossing is O(1/L)
            _headline(
                f"interpret.{md.name}.window_reference_tc",
                tc_full,
                reference=TC_EXACT,
                reference_source="exact result: Onsager 1944, Tc = 2 / ln(1 + sqrt 2)",
                tolerance=0.05,
                tolerance_kind="relative",
                description="1/2 crossing of the retrained reference model's mean P(ordered) at one size, no "
                "extrapolation (within 5%: finite-size shift ~1/L)",
            ),
        ],
        seed=seed,
    )
    return ds


# --- 3. attributions -------------------------------------------------------------------------


def attribution_settings(cfg: dict) -> dict:
    """Per-method keyword arguments of attributions.attribution_dataset from the config."""
    return {
        "lrp": {"rule": cfg["lrp_rule"], "epsilon": cfg["lrp_epsilon"], "gamma": cfg["lrp_gamma"]},
        "saliency": {},
        "integrated_gradients": {"baseline": cfg["baseline"], "n_steps": cfg["ig_steps"]},
        "smoothgrad": {"nt_samples": cfg["smoothgrad_samples"], "stdev": cfg["smoothgrad_stdev"]},
        "deeplift": {"baseline": cfg["baseline"]},
    }


def bond_directions(md: ModelData, directions) -> tuple[str, ...]:
    """Bond directions a probing net can see (a 1x2 kernel: x only); the config's otherwise."""
    k = md.kernel()
    if k is None:
        return tuple(directions)
    seen = tuple(d for d in directions if (d == "x" and k[1] > 1) or (d == "y" and k[0] > 1))
    return seen or tuple(directions)


def conservation(ds: xr.Dataset, model: nn.Module, baseline: float) -> xr.DataArray:
    """Median relative leftover per explainer: |delta| / |explained quantity| (LRP: the output;
    IG, DeepLIFT: f(x) - f(baseline)); NaN for methods without a summation property."""
    import torch

    with torch.no_grad():
        x0 = torch.full(
            (1, *ds["input"].shape[1:]), float(baseline), dtype=next(model.parameters()).dtype
        )
        f0 = float(model(x0).reshape(-1)[0])
    out = ds["output"].values.astype(float)
    vals = []
    for e in ds.explainer.values:
        d = ds["delta"].sel(explainer=e).values
        ref = np.abs(out) if e == "lrp" else np.abs(out - f0)
        vals.append(
            float(np.nanmedian(np.abs(d) / np.maximum(ref, 1e-12)))
            if np.isfinite(d).any()
            else np.nan
        )
    return xr.DataArray(
        vals,
        dims="explainer",
        coords={"explainer": ds.explainer.values},
        name="median_relative_leftover",
        attrs={"description": "median over samples of |delta| / |explained output|"},
    )


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
        settings=attribution_settings(cfg),
        sample_coords={"temperature": T[idx]},
        model_name=md.name,
    )
    dirs = bond_directions(md, cfg["bond_directions"])
    corr = attributions.bond_energy_correlations(ds, dirs, tc=TC_EXACT)
    ds["relevance_bond_energy_r"] = corr.assign_coords(phase=np.array(corr.phase.values, dtype=str))
    ds["median_relative_leftover"] = conservation(ds, md.model, cfg["baseline"])
    ds = ds.assign_coords(explainer=np.array(ds.explainer.values, dtype=str))
    ds.attrs["bond_directions"] = ",".join(dirs)
    to_netcdf_atomic(ds, out_h5)
    write_headlines(out_headline, attribution_headlines(ds, md), seed=seed)
    return ds


def attribution_headlines(ds: xr.Dataset, md: ModelData) -> list[dict]:
    net = f"interpret.{md.name}"
    recs = []
    for e in ds.explainer.values:
        r = float(ds["relevance_bond_energy_r"].sel(explainer=e, phase="all"))
        crit = {}
        if md.kernel() == (1, 2) and e == "lrp":
            # ordered = 1: the logit is evidence for order, domain walls (high e_i) against it
            crit = dict(
                reference=0.0,
                tolerance=0.0,
                tolerance_kind="at_most",
                reference_source="hand-set 1x2 net: relevance on domain walls, r = -1 (docs/interpretation.md)",
            )
        recs.append(
            _headline(
                f"{net}.relevance_bond_energy_r[{e}]",
                r,
                **crit,
                description=f"Pearson r between {e} relevance and local bond energy "
                f"(directions {ds.attrs['bond_directions']}; expected < 0)",
            )
        )
    if "lrp" in ds.explainer.values:
        recs.append(
            _headline(
                f"{net}.lrp_median_relative_leftover",
                ds["median_relative_leftover"].sel(explainer="lrp"),
                description="LRP conservation: median |output - sum(relevance)| / |output| "
                "(bias and epsilon absorption)",
            )
        )
    return recs


# --- 4. symbolic fits ------------------------------------------------------------------------


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
    energy_like = [o for o in ex.monotone_equivalent_to if o in ENERGY_GROUP]
    crit = (
        dict(
            reference=1.0,
            tolerance=0.0,
            tolerance_kind="at_least",
            reference_source="the 1x2 net computes the energy",
            ref="ws2017_ising_energy",
        )
        if md.kernel() == (1, 2)
        else {}
    )
    write_headlines(
        out_headline,
        [
            _headline(
                f"interpret.{md.name}.formula_is_function_of_energy",
                float(bool(energy_like)),
                **crit,
                description=f"fitted formula {ex.result.expression} is a monotone map of the energy "
                f"(monotone: {ex.monotone_equivalent_to}, affine: {ex.affine_equivalent_to})",
                engine=f"{ex.result.engine} {ex.result.engine_version}",
            ),
            _headline(
                f"interpret.{md.name}.formula_heldout_r2",
                ex.heldout_r2,
                description=f"held-out R^2 of the fitted formula {ex.result.expression}",
            ),
        ],
        seed=seed,
    )
    return ex
