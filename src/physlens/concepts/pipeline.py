"""The concepts stage's counterfactuals and concept knobs as functions of paths and config
slices; thin Snakemake scripts call these (the confounder experiment's are in
:mod:`physlens.concepts.confounder_pipeline`). Method notes: docs/interpretation.md.

Counterfactuals (Liu et al., actionable attribution maps) of the phase classifier in the
latent space of an autoencoder of the unsupervised stage: the decoded configurations and the
branch-wise concept directions are :mod:`physlens.concepts.decoded`, the latent search and the
knob sweeps :mod:`physlens.concepts.counterfactuals`, the records and judged headlines
:mod:`physlens.concepts.headlines`.

Seeds: derive_seed(config seed, "concepts", ...).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.concepts import STAGE
from physlens.concepts.decoded import (
    CONCEPTS,
    ORDER_SIGN,
    branch_concept_directions,
    expected_spin_decoder,
    mean_field_observables,
    sampled_p_ordered,
    z2_branch,
)
from physlens.concepts.headlines import counterfactual_headlines, describe_all
from physlens.io import load_dataset, read_json, sha256sum, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import write_headlines
from physlens.supervised.data import DISORDERED, ORDERED

log = logging.getLogger(__name__)


def run_counterfactuals(
    classifier: tuple,
    autoencoder: tuple,
    data_path,
    latent_path,
    split_cfg: dict,
    cfg: dict,
    seed: int,
    out_h5,
    out_knobs,
    out_json,
    out_headline,
    names: dict,
) -> xr.Dataset:
    """Counterfactuals of the phase classifier in the autoencoder's latent space, and knob sweeps.

    `classifier` and `autoencoder` are (model.pt, model.json) pairs; `data_path` is the
    classifier's Ising file (also the autoencoder's: the sizes must agree); `latent_path` the
    unsupervised stage's latent.h5 of the autoencoder (codes of its data, for the concept
    regressions); `names` = {"classifier": ..., "autoencoder": ...} for labels.
    """
    import torch

    from physlens.concepts.counterfactuals import find_counterfactual, knob_sweep
    from physlens.modeldata import load_model_data
    from physlens.modelfiles import load_model
    from physlens.models import autoencoder as _autoencoder  # noqa: F401  (registers "vae")

    md = load_model_data(names["classifier"], *classifier, data_path, split_cfg, seed)
    L = int(md.ds.sizes["x"])
    L_ae = int(read_json(autoencoder[1])["architecture"]["L"])
    if L_ae != L:
        raise ValueError(
            f"{autoencoder[0]} decodes {L_ae}x{L_ae} lattices (unsupervised.L) but the classifier "
            f"{classifier[0]} is trained on {L}x{L} (supervised.classifier.L); set both keys equal"
        )
    ae, _ = load_model(*autoencoder, data_path=data_path)
    decode = expected_spin_decoder(ae)
    clf = md.model

    lat = load_dataset(latent_path)
    T_lat = np.broadcast_to(lat["temperature"].values[:, None], lat["magnetization"].shape)
    concept_values = {
        "abs_magnetization": np.abs(lat["magnetization"].values),
        "energy": lat["energy"].values,
        "temperature": T_lat,
    }
    codes = lat["code"].values.reshape(-1, lat.sizes["latent"]).astype(float)
    dirs = branch_concept_directions(codes, concept_values, lat["magnetization"].values)

    # starting configurations: unseen (test) samples of the labelled temperatures, per phase
    x, T, lab = md.samples("test")
    r = rng(seed, STAGE, "counterfactuals", "starts")
    n = int(cfg["samples_per_phase"])
    starts = []
    for phase in (DISORDERED, ORDERED):
        pool = np.flatnonzero(lab == phase)
        starts.append(np.sort(r.choice(pool, size=min(n, len(pool)), replace=False)))
    idx = np.concatenate(starts)
    x, T, lab = x[idx], T[idx], lab[idx]
    target = (lab == DISORDERED).astype(int)  # flip the decision: disordered -> ordered and back
    with torch.no_grad():
        z0 = ae.encode(torch.as_tensor(x)).numpy().astype(np.float64)
        p_data = torch.sigmoid(clf(torch.as_tensor(x))).numpy().astype(float)

    kw = {k: cfg[k] for k in ("lam", "lr", "max_steps", "margin")}
    cfs = [
        find_counterfactual(z0[i], decode, clf, target=int(target[i]), **kw)
        for i in range(len(idx))
    ]
    z_before = np.array([c.z0 for c in cfs], float)
    z_after = np.array([c.z for c in cfs], float)
    with torch.no_grad():
        before = decode(torch.as_tensor(z_before, dtype=torch.float32)).numpy()
        after = decode(torch.as_tensor(z_after, dtype=torch.float32)).numpy()
    ob, oa = mean_field_observables(before), mean_field_observables(after)
    branch = np.array([z2_branch(a, b) for a, b in zip(ob["magnetization"], oa["magnetization"])])
    t_before = np.array([dirs[b]["temperature"].value(z) for b, z in zip(branch, z_before)])
    t_after = np.array([dirs[b]["temperature"].value(z) for b, z in zip(branch, z_after)])
    gen = torch.Generator().manual_seed(
        derive_seed(seed, STAGE, "counterfactuals", "spins") % 2**63
    )
    p_sampled = sampled_p_ordered(clf, after, int(cfg["spin_samples"]), gen)

    case = np.arange(len(idx))
    ds = xr.Dataset(
        {
            "configuration": (
                ("case", "y", "x"),
                x.astype(np.int8),
                {"long_name": "starting configuration (classifier test sample)"},
            ),
            "decoded_before": (
                ("case", "y", "x"),
                before,
                {"long_name": "expected spins of the decoded starting code"},
            ),
            "decoded_after": (
                ("case", "y", "x"),
                after,
                {"long_name": "expected spins of the decoded counterfactual"},
            ),
            "z_before": (
                ("case", "latent"),
                z_before,
                {"long_name": "latent code of the start (encoder mean)"},
            ),
            "z_after": (
                ("case", "latent"),
                z_after,
                {"long_name": "latent code of the counterfactual"},
            ),
            "target": (
                "case",
                target.astype(np.int8),
                {"long_name": "decision sought: 1 ordered, 0 disordered"},
            ),
            "p_data": (
                "case",
                p_data,
                {"long_name": "P(ordered) of the starting configuration itself"},
            ),
            "p_before": (
                "case",
                np.array([c.p0 for c in cfs]),
                {"long_name": "P(ordered) of the decoded start"},
            ),
            "p_after": (
                "case",
                np.array([c.p for c in cfs]),
                {"long_name": "P(ordered) of the decoded counterfactual"},
            ),
            "p_after_sampled": (
                "case",
                p_sampled,
                {
                    "long_name": f"mean P(ordered) of {cfg['spin_samples']} +-1 configurations drawn from the decoder at the counterfactual"
                },
            ),
            "flipped": ("case", np.array([c.flipped for c in cfs], np.int8)),
            "steps": ("case", np.array([c.steps for c in cfs], np.int32)),
            "branch": (
                "case",
                branch.astype(np.int8),
                {"long_name": "Z2 branch (sign of M) whose concept directions apply"},
            ),
            "temperature_estimate_before": (
                "case",
                t_before,
                {"long_name": "temperature the branch regression assigns to the start code"},
            ),
            "temperature_estimate_after": (
                "case",
                t_after,
                {
                    "long_name": "temperature the branch regression assigns to the counterfactual code"
                },
            ),
            **{
                f"{k}_before": (
                    "case",
                    ob[k],
                    {"long_name": f"{k} of the decoded start (expected spins)"},
                )
                for k in ob
            },
            **{
                f"{k}_after": (
                    "case",
                    oa[k],
                    {"long_name": f"{k} of the decoded counterfactual (expected spins)"},
                )
                for k in oa
            },
            **_direction_vars(dirs),
        },
        coords={
            "case": case,
            "temperature": ("case", T),
            "label": ("case", lab.astype(np.int8)),
            "concept": list(CONCEPTS),
            "branch_sign": [1, -1],
        },
        attrs=base_attrs(
            seed,
            algorithm="argmin_z |z - z0|^2 + lam BCE(classifier(decoder(z)), target) by Adam, stopped at the flip "
            "(physlens.concepts.counterfactuals.find_counterfactual); concept directions by branch-wise linear regression",
            classifier=names["classifier"],
            autoencoder=names["autoencoder"],
            L=L,
            decoded_configuration="expected spins tanh(logit / 2) of the decoder's site-factorised distribution",
            **{k: float(v) for k, v in kw.items()},
            data_sha256=sha256sum(data_path),
        ),
    )
    to_netcdf_atomic(ds, out_h5)

    knobs = _knob_sweeps(
        ds, dirs, codes, lat["magnetization"].values, decode, clf, cfg, knob_sweep, seed, names
    )
    to_netcdf_atomic(knobs, out_knobs)
    write_json(
        out_json,
        {
            "provenance": base_attrs(seed),
            "classifier": names["classifier"],
            "autoencoder": names["autoencoder"],
            "counterfactuals": describe_all(ds),
        },
    )
    write_headlines(out_headline, counterfactual_headlines(ds, knobs, names), seed=seed)
    log.info(
        "flip rate %.3f; knob responses %s",
        float(ds.flipped.mean()),
        {c: float(knobs["response"].sel(concept=c).median()) for c in CONCEPTS},
    )
    return ds


def _direction_vars(dirs: dict) -> dict:
    b = [1, -1]
    return {
        "direction": (
            ("branch_sign", "concept", "latent"),
            np.array([[dirs[s][c].direction for c in CONCEPTS] for s in b]),
            {"long_name": "unit concept direction in latent space (per Z2 branch)"},
        ),
        "slope": (
            ("branch_sign", "concept"),
            np.array([[dirs[s][c].slope for c in CONCEPTS] for s in b]),
            {"long_name": "concept change per unit latent step along the direction"},
        ),
        "intercept": (
            ("branch_sign", "concept"),
            np.array([[dirs[s][c].intercept for c in CONCEPTS] for s in b]),
        ),
        "r2": (
            ("branch_sign", "concept"),
            np.array([[dirs[s][c].r2 for c in CONCEPTS] for s in b]),
            {"long_name": "R^2 of the linear regression of the concept on the codes"},
        ),
    }


def _knob_sweeps(
    ds, dirs, codes, magnetization, decode, clf, cfg, knob_sweep, seed, names
) -> xr.Dataset:
    """P(ordered) along each concept knob from `knob_starts` starts per phase. The knob moves
    the code along the concept direction between quantiles of the projections of the codes of
    the start's branch; its setting is reported in the concept's units (branch regression)."""
    k = int(cfg["knob_starts"])
    sel = np.concatenate(
        [np.flatnonzero(ds["label"].values == ph)[:k] for ph in (DISORDERED, ORDERED)]
    )
    q_lo, q_hi = cfg["knob_quantiles"]
    K = int(cfg["knob_points"])
    m = np.asarray(magnetization, float).reshape(-1)
    P = np.full((len(CONCEPTS), len(sel), K), np.nan)
    V, AM, EN = (np.full_like(P, np.nan) for _ in range(3))
    for j, i in enumerate(sel):
        z0 = ds["z_before"].values[i]
        b = z2_branch(float(ds["magnetization_before"].values[i]))
        on_branch = m >= 0 if b == 1 else m <= 0
        for ci, c in enumerate(CONCEPTS):
            d = dirs[b][c]
            # the knob spans the branch's data along the direction (a setting beyond it would
            # cross the Z2 mirror plane onto the other branch, where the concepts turn back)
            proj = codes[on_branch] @ d.direction
            s = np.linspace(*np.quantile(proj, [q_lo, q_hi]), K)
            p, xs = knob_sweep(z0, d.direction, s - z0 @ d.direction, decode, clf)
            v = d.intercept + d.slope * s
            o = mean_field_observables(xs)
            P[ci, j], V[ci, j], AM[ci, j], EN[ci, j] = p, v, o["abs_magnetization"], o["energy"]
    # ordered end of the knob minus its disordered end
    resp = np.stack([(P[ci, :, -1] - P[ci, :, 0]) * ORDER_SIGN[c] for ci, c in enumerate(CONCEPTS)])
    return xr.Dataset(
        {
            "knob_value": (
                ("concept", "start", "knob"),
                V,
                {"long_name": "concept value the knob is set to (branch regression)"},
            ),
            "p_ordered": (
                ("concept", "start", "knob"),
                P,
                {"long_name": "P(ordered) of the decoded configuration"},
            ),
            "abs_magnetization": (
                ("concept", "start", "knob"),
                AM,
                {"long_name": "|M| per site of the decoded configuration"},
            ),
            "energy": (
                ("concept", "start", "knob"),
                EN,
                {"long_name": "energy per site of the decoded configuration"},
            ),
            "response": (
                ("concept", "start"),
                resp,
                {"long_name": "P(ordered) at the knob's ordered end minus at its disordered end"},
            ),
        },
        coords={
            "concept": list(CONCEPTS),
            "start": np.arange(len(sel)),
            "case": ("start", sel),
            "temperature": ("start", ds["temperature"].values[sel]),
            "label": ("start", ds["label"].values[sel]),
        },
        attrs=base_attrs(
            seed,
            algorithm="physlens.concepts.counterfactuals.knob_sweep along branch-wise concept directions",
            classifier=names["classifier"],
            autoencoder=names["autoencoder"],
            quantiles=[float(q_lo), float(q_hi)],
        ),
    )
