"""Concept knobs, counterfactuals and confounders as functions of paths
and config slices (thin Snakemake scripts call these). Method notes: docs/interpretation.md.

Counterfactuals (Liu et al., actionable attribution maps). The generative model is the
decoder of an autoencoder of the unsupervised stage. It returns per-site logits of
P(s = +1); a decoded configuration is the vector of *expected spins* m_i = tanh(logit_i / 2)
of that site-factorised distribution, and it is what the phase classifier is shown. On it
the magnetisation per site and the energy per site are exact expectations under the
decoder's distribution (linear in m, resp. bilinear in m at distinct sites), computed by
:func:`mean_field_observables`. Concept directions (|M|, energy, temperature) are linear
regressions of the concept on the latent codes of the unsupervised stage's data, fitted on
each Z2 branch separately (see :func:`branch_concept_directions`).

Confounders (right for the right reasons). The phase classifier's architecture and training
code (physlens.supervised.pipeline.train_phase_classifier) on a temperature band around Tc,
clean and with a fixed spin pattern stamped on the ordered samples; the relevance check of
physlens.concepts.confounders over (model, data set).

Seeds: derive_seed(config seed, "concepts", ...).
"""

from __future__ import annotations

import logging
from functools import partial

import numpy as np
import xarray as xr

from physlens.io import load_dataset, read_json, sha256sum, to_netcdf_atomic, write_json
from physlens.observables import local_bond_energy
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import headline, write_headlines
from physlens.supervised.data import DISORDERED, ORDERED, UNLABELLED

log = logging.getLogger(__name__)
STAGE = "concepts"
CONCEPTS = ("abs_magnetization", "energy", "temperature")
# +1: the concept grows towards the ordered phase; -1: it falls (energy, temperature).
ORDER_SIGN = {"abs_magnetization": 1, "energy": -1, "temperature": -1}
LABELS = {
    "abs_magnetization": "|M| per site",
    "energy": "energy per site",
    "temperature": "temperature",
}
PHASE_NAMES = {ORDERED: "ordered", DISORDERED: "disordered"}
# Criteria of the judged headlines (docs/interpretation.md, "Concept knobs and counterfactuals").
MIN_FLIP_RATE = 0.9
MIN_DIRECTION_CONSISTENCY = 0.9
MIN_KNOB_RESPONSE = 0.5
MIN_ACCURACY_DROP = 0.05


# every headline of this module belongs to its stage
_headline = partial(headline, stage=STAGE)


# --- decoded configurations -------------------------------------------------------------------


def mean_field_observables(m) -> dict[str, np.ndarray]:
    """Observables of decoded configurations given as expected spins m (n, L, L) in [-1, 1].

    For a site-factorised distribution with E[s_i] = m_i: magnetisation per site M/N = mean m
    and energy per site E/N = -(1/N) sum_i m_i (m_{i+x} + m_{i+y}) (J = 1, periodic) are the
    exact expectations (distinct sites are independent). ``abs_magnetization`` is |E[M]|/N,
    which differs from E|M|/N by O(1/sqrt N) where E[M] is near 0. On +-1 configurations all
    three equal physlens.observables' values.
    """
    m = np.asarray(m, float)
    if m.ndim == 2:
        m = m[None]
    M = m.mean(axis=(-2, -1))
    E = local_bond_energy(m).mean(axis=(-2, -1))
    return {"magnetization": M, "abs_magnetization": np.abs(M), "energy": E}


def expected_spin_decoder(autoencoder):
    """z (n, d) -> expected spins tanh(logits / 2) (n, L, L) of the autoencoder's decoder."""
    import torch

    def decode(z):
        return torch.tanh(0.5 * autoencoder.decode(z))

    return decode


def branch_concept_directions(codes, concepts: dict, magnetization) -> dict:
    """Concept directions fitted on each Z2 branch: {+1: {name: ConceptDirection}, -1: ...}.

    The data are Z2 symmetric and the codes of M > 0 and M < 0 configurations lie on opposite
    sides of latent space, so an even concept (|M|, energy, temperature) has no single linear
    direction (on vae2 of the default run a global fit reaches R^2 = 0.17 for |M|, per branch
    0.98). Branch +1 holds the samples with M >= 0, branch -1 those with M <= 0.
    """
    from physlens.concepts.counterfactuals import concept_directions

    Z = np.asarray(codes, float).reshape(len(codes), -1)
    m = np.asarray(magnetization, float).reshape(-1)
    out = {}
    for branch, sel in ((1, m >= 0), (-1, m <= 0)):
        out[branch] = concept_directions(
            Z[sel], {k: np.asarray(v, float).reshape(-1)[sel] for k, v in concepts.items()}
        )
    return out


def _branch(m_a: float, m_b: float = 0.0) -> int:
    return 1 if m_a + m_b >= 0 else -1


def sampled_p_ordered(classifier, expected, n: int, generator) -> np.ndarray:
    """Mean P(ordered) over n +-1 configurations drawn from the decoder's site-factorised
    distribution with expected spins `expected` (cases, L, L)."""
    import torch

    out = []
    with torch.no_grad():
        for m in torch.as_tensor(np.asarray(expected, np.float32)):
            u = torch.rand((n, *m.shape), generator=generator)
            s = torch.where(u < (1 + m) / 2, 1.0, -1.0)
            out.append(float(torch.sigmoid(classifier(s)).mean()))
    return np.array(out)


# --- 3. counterfactuals and knob sweeps -------------------------------------------------------


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
    from physlens.models import autoencoder as _autoencoder  # noqa: F401  (registers "vae")
    from physlens.training import load_model

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
    branch = np.array([_branch(a, b) for a, b in zip(ob["magnetization"], oa["magnetization"])])
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
        b = _branch(float(ds["magnetization_before"].values[i]))
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


def _change(ds, i, key: str) -> dict:
    b, a = float(ds[f"{key}_before"][i]), float(ds[f"{key}_after"][i])
    return {"before": b, "after": a, "change": a - b}


def describe_all(ds: xr.Dataset) -> list[dict]:
    """One record per counterfactual, with a sentence in physical terms."""
    from physlens.concepts.counterfactuals import describe_counterfactual

    out = []
    for i in range(ds.sizes["case"]):
        goal = "ordered" if int(ds["target"][i]) == 1 else "disordered"
        start = PHASE_NAMES[int(ds["label"][i])]
        ch = {
            "|M|": _change(ds, i, "abs_magnetization"),
            "energy per site": _change(ds, i, "energy"),
            "temperature (latent estimate)": _change(ds, i, "temperature_estimate"),
        }
        head = f"T = {float(ds['temperature'][i]):.3g} ({start}; decoded P(ordered) = {float(ds['p_before'][i]):.2f}): "
        if int(ds["flipped"][i]):
            e, t = ch["energy per site"], ch["temperature (latent estimate)"]
            text = (
                head
                + describe_counterfactual({"|M|": ch["|M|"]}, goal)
                + f" (energy per site {e['before']:.2f} -> {e['after']:.2f}, latent temperature estimate "
                f"{t['before']:.2f} -> {t['after']:.2f}; P(ordered) -> {float(ds['p_after'][i]):.2f})"
            )
        else:
            text = (
                head
                + f"no decision flip within max_steps (P(ordered) reached {float(ds['p_after'][i]):.2f})"
            )
        out.append(
            {
                "case": i,
                "temperature": float(ds["temperature"][i]),
                "start_phase": start,
                "target": goal,
                "flipped": bool(ds["flipped"][i]),
                "p_data": float(ds["p_data"][i]),
                "p_before": float(ds["p_before"][i]),
                "p_after": float(ds["p_after"][i]),
                "p_after_sampled": float(ds["p_after_sampled"][i]),
                "latent_distance": float(
                    np.linalg.norm(ds["z_after"].values[i] - ds["z_before"].values[i])
                ),
                "changes": ch,
                "description": text,
            }
        )
    return out


def counterfactual_headlines(ds: xr.Dataset, knobs: xr.Dataset, names: dict) -> list[dict]:
    """Judged where physics fixes the answer for any phase classifier (the decoder spans both
    phases, so every decision can be flipped; order rises with |M| and falls with energy and
    temperature); recorded only where it does not (which of |M| and energy "matters more":
    on this decoder the two knobs are nearly parallel, see docs/interpretation.md)."""
    pre = "concepts.counterfactuals"
    who = f"{names['classifier']} in the latent space of {names['autoencoder']}"
    flipped = ds["flipped"].values.astype(bool)
    tgt = ds["target"].values
    sign = np.where(tgt == 1, 1.0, -1.0)  # +1: towards order
    recs = [
        _headline(
            f"{pre}.flip_rate",
            flipped.mean(),
            reference=1.0,
            tolerance=1.0 - MIN_FLIP_RATE,
            tolerance_kind="at_least",
            reference_source="the decoder spans both phases, so a decision flip exists for every start",
            description=f"fraction of decisions of {who} flipped by a latent move (>= {MIN_FLIP_RATE})",
            n=int(len(flipped)),
        ),
    ]
    for goal, t in (("to_ordered", 1), ("to_disordered", 0)):
        if (tgt == t).any():
            recs.append(
                _headline(
                    f"{pre}.{goal}.flip_rate",
                    flipped[tgt == t].mean(),
                    description=f"fraction of {goal.replace('_', ' ')} decisions flipped",
                )
            )
    keys = {
        "abs_magnetization": "abs_magnetization",
        "energy": "energy",
        "temperature": "temperature_estimate",
    }
    for c, key in keys.items():
        d = ds[f"{key}_after"].values - ds[f"{key}_before"].values
        ok = (sign * ORDER_SIGN[c] * d > 0)[flipped]
        recs.append(
            _headline(
                f"{pre}.direction_consistent[{c}]",
                ok.mean() if ok.size else None,
                reference=1.0,
                tolerance=1.0 - MIN_DIRECTION_CONSISTENCY,
                tolerance_kind="at_least",
                reference_source=f"physics: {LABELS[c]} {'rises' if ORDER_SIGN[c] > 0 else 'falls'} towards the ordered phase",
                description=f"fraction of flipped decisions whose counterfactual moves {LABELS[c]} towards the new phase "
                f"({'up' if ORDER_SIGN[c] > 0 else 'down'} for 'ordered', >= {MIN_DIRECTION_CONSISTENCY})",
            )
        )
        for goal, t in (("to_ordered", 1), ("to_disordered", 0)):
            sel = flipped & (tgt == t)
            if sel.any():
                recs.append(
                    _headline(
                        f"{pre}.{goal}.median_change[{c}]",
                        np.median(d[sel]),
                        description=f"median change of {LABELS[c]} in the flips {goal.replace('_', ' ')} "
                        "(decoded configurations; temperature: latent regression estimate)",
                    )
                )
    for goal, t in (("to_ordered", 1), ("to_disordered", 0)):
        sel = flipped & (tgt == t)
        if sel.any():
            recs.append(
                _headline(
                    f"{pre}.{goal}.median_after[abs_magnetization]",
                    np.median(ds["abs_magnetization_after"].values[sel]),
                    description=f"median |M| per site at which the decoded configuration is called "
                    f"{goal.split('_')[1]} (decision flipped with the margin)",
                )
            )
    holds = np.where(
        tgt == 1, ds["p_after_sampled"].values >= 0.5, ds["p_after_sampled"].values < 0.5
    )[flipped]
    recs.append(
        _headline(
            f"{pre}.sampled_flip_rate",
            holds.mean() if holds.size else None,
            description="fraction of flips that hold on +-1 configurations drawn from the decoder's "
            "site-factorised distribution (it lacks the short-range correlations of real "
            "configurations, so this is not a criterion)",
        )
    )
    for _ci, c in enumerate(CONCEPTS):
        recs.append(
            _headline(
                f"{pre}.knob_response[{c}]",
                np.median(knobs["response"].sel(concept=c).values),
                reference=MIN_KNOB_RESPONSE,
                tolerance=0.0,
                tolerance_kind="at_least",
                reference_source="a phase classifier calls the ordered end of every concept knob ordered",
                description=f"median over starts of P(ordered) at the ordered end of the {LABELS[c]} knob minus at its "
                f"disordered end (>= {MIN_KNOB_RESPONSE})",
            )
        )
        recs.append(
            _headline(
                f"{pre}.concept_r2[{c}]",
                float(ds["r2"].sel(concept=c).min()),
                description=f"R^2 of the linear regression of {LABELS[c]} on the latent codes (worse Z2 branch)",
            )
        )
    cos = [
        abs(
            float(
                ds["direction"].sel(branch_sign=b, concept="abs_magnetization")
                @ ds["direction"].sel(branch_sign=b, concept="energy")
            )
        )
        for b in (1, -1)
    ]
    recs.append(
        _headline(
            f"{pre}.knob_cosine[abs_magnetization-energy]",
            float(np.mean(cos)),
            description="|cos| of the angle between the |M| and energy directions in latent space (mean "
            "of the two branches; near 1: the decoder cannot move one without the other)",
        )
    )
    return recs


# --- 4. confounders --------------------------------------------------------------------------


def confounder_band(ds: xr.Dataset, temperatures) -> xr.Dataset:
    lo, hi = temperatures
    T = ds["temperature"].values
    return ds.isel(temperature=np.flatnonzero((T >= lo - 1e-9) & (T <= hi + 1e-9)))


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
    from physlens.supervised.data import load_ising
    from physlens.supervised.pipeline import phase_split
    from physlens.training import load_model, predict

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
    pre = "concepts.confounders"
    recs = [
        _headline(
            f"{pre}.accuracy[{mn}_model-{dn}_data]",
            acc[i, j],
            description=f"accuracy of the {mn} model on {dn} test data ({int(n[i, j])} samples)",
        )
        for i, mn in enumerate(m_names)
        for j, dn in enumerate(d_names)
    ]
    if {"clean", "confounded"} <= set(d_names):
        jc, jm = d_names.index("clean"), d_names.index("confounded")
        for i, mn in enumerate(m_names):
            crit = {}
            if mn == "confounded":
                crit = dict(
                    reference=MIN_ACCURACY_DROP,
                    tolerance=0.0,
                    tolerance_kind="at_least",
                    reference_source="a model that leans on the marker loses accuracy when it is removed",
                )
            recs.append(
                _headline(
                    f"{pre}.accuracy_drop_without_marker[{mn}_model]",
                    acc[i, jm] - acc[i, jc],
                    **crit,
                    description=f"{mn} model: accuracy on confounded minus on clean test data"
                    + (f" (>= {MIN_ACCURACY_DROP})" if crit else ""),
                )
            )
    write_headlines(out_headline, recs, seed=seed)
    return out


def check_regions(L: int, patches) -> dict:
    """Union of the partitions of the lattice into p x p squares, for every p in `patches`."""
    from physlens.concepts.confounders import patch_regions

    regions = {}
    for p in patches:
        regions.update(patch_regions(L, int(p)))
    return regions


def expected_flag(model: str, dataset: str) -> bool:
    """The verdict physics and the experiment's design predict: only the confounded model, on
    data that carry the marker, concentrates its relevance on one fixed region (a
    translation-invariant net cannot single out a region of data that have none)."""
    return model == "confounded" and dataset in ("confounded", "swapped")


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
    from physlens.interpret.pipeline import attribution_settings
    from physlens.supervised.data import load_ising
    from physlens.supervised.pipeline import phase_split
    from physlens.training import load_model

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
    settings = attribution_settings(attributions_cfg)
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


def check_headlines(ds: xr.Dataset, reports: dict) -> list[dict]:
    """The verdict of the check (flagged when any explainer flags) judged against
    :func:`expected_flag`; each explainer's verdict, enrichment and marker share recorded.

    Any, not every: explainers have different blind spots. Measured on the default band over
    three seeds, integrated gradients flagged the confounded model every time (enrichment
    2.4-2.8), LRP-epsilon once (1.35-2.6: for this Z2-odd net it spreads the marker's relevance
    more widely), while the clean model stayed at <= 1.6 with both."""
    model, data = ds.attrs["model"], ds.attrs["dataset"]
    expect = bool(ds.attrs["expected_flagged"])
    pre = f"concepts.confounders.check.{model}_model-{data}_data"
    why = (
        "the marker is the confounded model's shortcut and sits at a fixed place"
        if expect
        else "relevance of a translation-invariant net that does not use the marker has no preferred region"
    )
    crit = (
        dict(reference=1.0, tolerance=0.0, tolerance_kind="at_least")
        if expect
        else dict(reference=0.0, tolerance=0.0, tolerance_kind="at_most")
    )
    flagged_by = [e for e, rep in reports.items() if rep["flagged"]]
    top = max(reports, key=lambda e: reports[e]["enrichment"])
    recs = [
        _headline(
            f"{pre}.flagged",
            float(bool(flagged_by)),
            reference_source=why,
            **crit,
            description=f"confounder check of the {model} model on {data} data: "
            f"{'FLAGGED by ' + ', '.join(flagged_by) if flagged_by else 'passed'}; largest "
            f"enrichment {reports[top]['enrichment']:.2f} ({top}, region {reports[top]['region']}, "
            f"threshold {float(ds.attrs['threshold']):g}; expected: {'flagged' if expect else 'passed'})",
            region=reports[top]["region"],
            share=reports[top]["share"],
        )
    ]
    for e, rep in reports.items():
        recs.append(
            _headline(
                f"{pre}.flagged[{e}]",
                float(rep["flagged"]),
                description=f"{model} model on {data} data, {e}: {rep['message']}",
                region=rep["region"],
                share=rep["share"],
            )
        )
        recs.append(
            _headline(
                f"{pre}.top_enrichment[{e}]",
                rep["enrichment"],
                description=f"{model} model on {data} data, {e}: largest |relevance| enrichment of a "
                f"fixed square ({rep['region']})",
            )
        )
        recs.append(
            _headline(
                f"{pre}.marker_share[{e}]",
                rep["marker_share"],
                description=f"{model} model on {data} data: share of {e} |relevance| on the marker "
                f"region ({float(ds.attrs['marker_area']):.1%} of the lattice)",
            )
        )
    return recs
