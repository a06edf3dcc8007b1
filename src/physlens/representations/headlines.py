"""Headline records of the representations stage: which observable the leading principal
components of the last hidden layer track, cross-seed similarity of the classifier's layers,
the observables of each decision neuron's maximiser (judged where physics fixes them) and the
explanation BIC prefers."""

from __future__ import annotations

from functools import partial

import numpy as np
import xarray as xr

from physlens.observables import ENERGY_GROUP
from physlens.representations import STAGE
from physlens.representations.lattices import (
    OUTPUTS,
    expected_bond_energy,
    kernel_directions,
    staggered_reference,
)
from physlens.summary import headline

# every headline of this module belongs to its stage
_headline = partial(headline, stage=STAGE)


def embedding_headlines(ds: xr.Dataset, last: np.ndarray, name: str) -> list[dict]:
    """The first two principal components of the last hidden layer: the observable each
    tracks best (|Spearman|), pooled over all temperatures and within each temperature
    (combined; pooled, every observable that tracks T looks alike), and their share of the
    variance."""
    from sklearn.decomposition import PCA

    from physlens.interpret.probing import spearman
    from physlens.stats import stratified_spearman

    layer = str(ds.layer.values[-1])
    X = last - last.mean(0)
    k = min(2, X.shape[1])
    pcs = PCA(k, svd_solver="full").fit_transform(X) if np.ptp(X) > 0 else np.zeros((len(X), k))
    recs = []
    for j in range(k):
        rho = {
            o: abs(spearman(np.asarray(pcs[:, j], float), np.asarray(ds[o].values, float)))
            for o in ds.attrs["colour_by"].split(",")
        }
        cond = {
            o: abs(
                stratified_spearman(
                    np.asarray(pcs[:, j], float),
                    np.asarray(ds[o].values, float),
                    ds.temperature.values,
                )
            )
            for o in rho
        }
        best = max(rho, key=rho.get)
        best_cond = max(cond, key=lambda o: np.nan_to_num(cond[o], nan=-1.0))
        share = float(ds.pca_variance_ratio.sel(layer=layer, pc=j + 1))
        what = f"PC{j + 1} ({share:.1%} of the variance) of {name}'s last hidden layer ({layer}, {ds.attrs['layer_view']})"
        recs.append(
            _headline(
                f"representations.embeddings.{name}.pc{j + 1}_abs_spearman[{best}]",
                rho[best],
                description=f"|Spearman| between {what} and {best}, pooled over all T, the best of "
                + ", ".join(f"{o} {v:.3f}" for o, v in rho.items()),
            )
        )
        recs.append(
            _headline(
                f"representations.embeddings.{name}.pc{j + 1}_abs_spearman_given_T[{best_cond}]",
                cond[best_cond],
                description=f"|Spearman| between {what} and {best_cond} within each T, combined "
                "(conditional ranking), the best of "
                + ", ".join(f"{o} {v:.3f}" for o, v in cond.items()),
            )
        )
    return recs


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
