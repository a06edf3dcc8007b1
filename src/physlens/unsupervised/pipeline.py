"""The unsupervised stage as functions of paths and config slices (thin Snakemake scripts pass
their rule's params straight in). Nothing here uses labels for fitting: PCA and the
autoencoders see configurations from all temperatures; temperatures and magnetisations are
used only for the analysis.

Slices (see :mod:`physlens.unsupervised.names`): `data` is :func:`~.names.data_slice` (L,
symmetrize), `model` a model's :func:`~.names.model_config_slice` (val_fraction, autoencoder);
`pca`, `clusters` and `tc` are the blocks of `unsupervised` of those names.

Seeds: every stream is derive_seed(config seed, "unsupervised", ...): the symmetrising flips
are shared by PCA and all models (key "symmetrize"), the validation split by all models
(key "split"), and each model's weights, shuffles and bootstraps are keyed by its name.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.config import TC_EXACT
from physlens.interpret.probing import probing_kwargs, rank_observables, write_probing
from physlens.interpret.ranking_claims import conditional_abs_spearman
from physlens.io import sha256sum, to_netcdf_atomic
from physlens.modelfiles import load_model
from physlens.models import autoencoder as _autoencoder  # noqa: F401  (registers "autoencoder", "vae")
from physlens.observables import compute_observables
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.summary import headline, write_headlines
from physlens.training import TrainSettings, seeded_model, train_and_save
from physlens.unsupervised.data import flat_spins, load_lattices, symmetrize, validation_mask
from physlens.unsupervised.latent import (
    DISORDERED,
    cluster_silhouette,
    encode_and_score,
    latent_parameter,
    loss_for,
    phase_groups,
)
from physlens.unsupervised.names import parse_model_name
from physlens.unsupervised.pca import component_signs, fit_pca, pearson, uniform_overlap
from physlens.unsupervised.tc import tc_with_bootstrap

log = logging.getLogger(__name__)
STAGE = "unsupervised"
LATENT_CLAIM = "wetzel2017_latent_magnetization"  # resources/references.yaml
ONSAGER = "exact result: Onsager 1944, Tc = 2 / ln(1 + sqrt 2)"
# Observables the latent parameter is ranked against when interpret.probing.observables.ising
# names none (magnetization is always added: the paper's claim is about it).
DEFAULT_OBSERVABLES = ("magnetization", "abs_magnetization", "energy")
# Criteria (see docs in the headline descriptions): a latent that *is* a monotone function of
# M has |Spearman| = 1 and R^2 = 1; 0.9 leaves room for the disordered samples, whose M is
# near 0 and whose rank order is mostly noise.
MIN_LATENT_SPEARMAN = 0.9
MIN_LATENT_R2 = 0.9
# PC1 is the uniform mode by symmetry (see physlens.unsupervised.pca), so its projection is
# sqrt(N) M up to sampling noise in the component: 0.95 is a loose bound on that noise.
MIN_PC1_PEARSON = 0.95
MIN_PC1_UNIFORM = 0.95
# Silhouette >= 0.5 is the conventional threshold for a "reasonable" cluster structure.
MIN_SILHOUETTE = 0.5


# --- names and config slices ------------------------------------------------------------------


def architecture(name: str, L: int, autoencoder: dict) -> dict:
    """The network of model `name` on L x L lattices (`autoencoder`: its config block)."""
    variant, dim = parse_model_name(name)
    return {
        "name": "vae" if variant == "vae" else "autoencoder",
        "L": int(L),
        "latent_dim": dim,
        "hidden": [int(h) for h in autoencoder["hidden"]],
        "activation": autoencoder["activation"],
    }


def train_settings(training: dict, overrides: dict) -> TrainSettings:
    """Stage-wide defaults overridden by unsupervised.autoencoder.train. No spin-flip
    augmentation: the loop flips inputs only, and here the target is the input itself."""
    return TrainSettings.from_config({**training, **overrides, "augment_spin_flip": False})


def prepare_data(data_path, data: dict, seed: int) -> xr.Dataset:
    """The L x L data, symmetrised under s -> -s if configured (same flips for every model)."""
    ds = load_lattices(data_path, int(data["L"]))
    if data["symmetrize"]:
        ds = symmetrize(ds, rng(seed, STAGE, "symmetrize"))
    return ds


def _tc_headline(name: str, result: dict, tc: dict, L: int, description: str, **context) -> dict:
    tol = tc["tolerance"]
    return headline(
        name,
        result["tc"],
        stage=STAGE,
        uncertainty=result["tc_err"],
        unit="J/k_B",
        reference=TC_EXACT,
        reference_source=ONSAGER,
        tolerance=tol,
        tolerance_kind="relative",
        description=f"{description} (steepest change; within {tol:.0%} of Tc: a finite-L pseudo-critical point)",
        L=int(L),
        **context,
    )


# --- PCA --------------------------------------------------------------------------------------


def run_pca(
    data_path, data: dict, pca_cfg: dict, tc_cfg: dict, seed: int, out_h5, out_headline
) -> xr.Dataset:
    """PCA of all configurations; the first component against the magnetisation; Tc from the
    steepest change of the mean |first projection| (= sqrt(N) <|M|> when PC1 is uniform)."""
    ds = prepare_data(data_path, data, seed)
    temps = ds["temperature"].values
    n_t, n_s, L = ds.sizes["temperature"], ds.sizes["sample"], int(data["L"])
    X = flat_spins(ds).reshape(n_t * n_s, -1)
    pca = fit_pca(X, pca_cfg["n_components"])
    signs = component_signs(pca.components_)
    components = pca.components_ * signs[:, None]
    proj = pca.transform(X) * signs[None, :]
    m = ds["magnetization"].values
    r = pearson(proj[:, 0], m.ravel())
    overlap = uniform_overlap(components)
    order = np.abs(proj[:, 0]).reshape(n_t, n_s) / np.sqrt(L * L)
    tc = tc_with_bootstrap(temps, order, rng(seed, STAGE, "pca", "tc"), tc_cfg["bootstrap"])
    k = len(components)
    out = xr.Dataset(
        {
            "components": (
                ("component", "y", "x"),
                components.reshape(k, L, L),
                {"long_name": "principal components (sign: non-negative weight sum)"},
            ),
            "explained_variance_ratio": ("component", pca.explained_variance_ratio_),
            "uniform_overlap": ("component", overlap, {"long_name": "|<w_k, 1/sqrt(N)>|"}),
            "projection": (
                ("temperature", "sample", "component"),
                proj.reshape(n_t, n_s, k),
                {"long_name": "projection of each configuration on each component"},
            ),
            "magnetization": (
                ("temperature", "sample"),
                m,
                {"long_name": "magnetisation per site (after symmetrisation)"},
            ),
            "mean_abs_pc1": (
                "temperature",
                tc["mean"],
                {"long_name": "mean |PC1 projection| / sqrt(N)"},
            ),
            "mean_abs_pc1_sem": ("temperature", tc["sem"]),
            "tc_replicates": ("replicate", tc["replicates"]),
        },
        coords={"temperature": temps, "component": np.arange(1, k + 1)},
        attrs=base_attrs(
            seed,
            algorithm="sklearn PCA (full SVD) of the flattened configurations",
            L=L,
            pearson_pc1_magnetization=r,
            tc=tc["tc"],
            tc_err=tc["tc_err"],
            symmetrized=int(bool(data["symmetrize"])),
            data_sha256=sha256sum(data_path),
        ),
    )
    to_netcdf_atomic(out, out_h5)
    src = "PC1 = uniform mode (translation invariance, ferromagnetic correlations)"
    records = [
        headline(
            "unsupervised.pca.pc1_magnetization_abs_pearson",
            abs(r),
            stage=STAGE,
            reference=MIN_PC1_PEARSON,
            reference_source=src,
            tolerance=0.0,
            tolerance_kind="at_least",
            description=f"|Pearson| of the first principal projection with M (>= {MIN_PC1_PEARSON})",
            L=L,
        ),
        headline(
            "unsupervised.pca.pc1_uniform_overlap",
            overlap[0],
            stage=STAGE,
            reference=MIN_PC1_UNIFORM,
            reference_source=src,
            tolerance=0.0,
            tolerance_kind="at_least",
            description=f"overlap of the first principal component with the uniform mode (>= {MIN_PC1_UNIFORM})",
            L=L,
        ),
        headline(
            "unsupervised.pca.pc1_explained_variance_ratio",
            pca.explained_variance_ratio_[0],
            stage=STAGE,
            description="fraction of the variance explained by the first principal component",
            L=L,
            next_components=[float(v) for v in pca.explained_variance_ratio_[1:4]],
        ),
        _tc_headline(
            "unsupervised.pca.tc", tc, tc_cfg, L, "Tc from the mean |first principal projection|"
        ),
    ]
    write_headlines(out_headline, records, seed=seed)
    log.info(
        "PCA: |r(PC1, M)| = %.4f, overlap = %.4f, Tc = %.4f +- %.4f",
        abs(r),
        overlap[0],
        tc["tc"],
        tc["tc_err"],
    )
    return out


# --- autoencoders -----------------------------------------------------------------------------


def train_autoencoder(
    data_path,
    name: str,
    data: dict,
    model_slice: dict,
    training: dict,
    seed: int,
    outputs: dict,
    resume_dir=None,
    callbacks=(),
):
    """Train one autoencoder (reconstruction target = input) on all temperatures."""
    ds = prepare_data(data_path, data, seed)
    n_t, n_s = ds.sizes["temperature"], ds.sizes["sample"]
    val_fraction, ae = model_slice["val_fraction"], model_slice["autoencoder"]
    val = validation_mask(n_t, n_s, val_fraction, rng(seed, STAGE, "split"))
    X = ds["spins"].values.astype(np.float32)
    Xtr, Xva = X[~val], X[val]
    arch = architecture(name, data["L"], ae)
    settings = train_settings(training, ae["train"])
    beta = ae.get("beta", 1.0)  # absent from a plain autoencoder's slice
    mseed = derive_seed(seed, STAGE, name)
    config_slice = {
        "L": data["L"],
        "symmetrize": data["symmetrize"],
        "val_fraction": val_fraction,
        "architecture": arch,
        "beta": beta if arch["name"] == "vae" else None,
        "train": ae["train"],
        "training": training,
    }
    model = seeded_model(arch, mseed)
    result, _ = train_and_save(
        model,
        (Xtr, Xtr),
        (Xva, Xva),
        settings,
        mseed,
        outputs,
        data_path=data_path,
        master_seed=seed,
        config=config_slice,
        metadata={
            "name": name,
            "loss": "Bernoulli NLL summed over sites"
            + (f" + {beta} * KL" if arch["name"] == "vae" else ""),
        },
        loss_fn=loss_for(model, beta),
        resume_dir=resume_dir,
        callbacks=callbacks,
        name=f"{STAGE}/{name}",
    )
    log.info("%s: %s", name, result.metrics)
    return result


def analyse_autoencoder(
    model_path,
    meta_path,
    data_path,
    name: str,
    data: dict,
    clusters: dict,
    tc_cfg: dict,
    probing_cfg: dict,
    seed: int,
    out_h5,
    out_ranking,
    out_headline,
) -> xr.Dataset:
    """Latent codes and reconstruction losses of every configuration; the latent parameter
    ranked against physical observables (bottleneck regression); phase clusters; Tc."""
    model, meta = load_model(model_path, meta_path, data_path=data_path)
    ds = prepare_data(data_path, data, seed)
    temps = ds["temperature"].values
    n_t, n_s, L = ds.sizes["temperature"], ds.sizes["sample"], int(data["L"])
    X = flat_spins(ds)
    codes, nll = encode_and_score(model, X)
    m = ds["magnetization"].values
    groups = phase_groups(temps, m, clusters["ordered_max"], clusters["disordered_min"])
    u = latent_parameter(codes, groups.ravel() == DISORDERED, m.ravel())

    names = list(probing_cfg.get("observables", {}).get("ising", DEFAULT_OBSERVABLES))
    if "magnetization" not in names:
        names.insert(0, "magnetization")
    observables = compute_observables(X.astype(np.int8), names)
    ranking = rank_observables(
        u,
        observables,
        names,
        seed=derive_seed(seed, STAGE, name, "probing"),
        strata=np.repeat(temps, n_s),  # X is temperature-major
        **probing_kwargs(probing_cfg),
    )
    ranking.attrs.update(
        model=name, activation="latent parameter (leading principal axis of the code)"
    )
    write_probing(ranking, out_ranking)
    rho = float(ranking["spearman"].sel(observable="magnetization"))
    r2 = float(ranking["r2_heldout"].sel(observable="magnetization"))

    silhouette = cluster_silhouette(codes, groups.ravel())
    n_boot = tc_cfg["bootstrap"]
    abs_u = np.abs(u).reshape(n_t, n_s)
    tc_latent = tc_with_bootstrap(temps, abs_u, rng(seed, STAGE, name, "tc", "latent"), n_boot)
    tc_loss = tc_with_bootstrap(
        temps, nll.reshape(n_t, n_s), rng(seed, STAGE, name, "tc", "loss"), n_boot
    )
    # fluctuation of the order parameter |u| (like chi ~ <M^2> - <|M|>^2): peaks near Tc
    spread = abs_u.std(axis=1, ddof=1)

    variant, dim = parse_model_name(name)
    out = xr.Dataset(
        {
            "code": (
                ("temperature", "sample", "latent"),
                codes.reshape(n_t, n_s, -1),
                {"long_name": "latent code (VAE: posterior mean)"},
            ),
            "latent_parameter": (
                ("temperature", "sample"),
                u.reshape(n_t, n_s),
                {
                    "long_name": "code on its leading principal axis, origin at the disordered median, sign along M"
                },
            ),
            "reconstruction_loss": (
                ("temperature", "sample"),
                nll.reshape(n_t, n_s),
                {"long_name": "reconstruction NLL", "units": "nats per site"},
            ),
            "magnetization": (("temperature", "sample"), m),
            "energy": (("temperature", "sample"), ds["energy"].values),
            "phase_group": (
                ("temperature", "sample"),
                groups,
                {"long_name": "0 ordered M>0, 1 ordered M<0, 2 disordered, -1 not used"},
            ),
            "mean_abs_latent": ("temperature", tc_latent["mean"]),
            "mean_abs_latent_sem": ("temperature", tc_latent["sem"]),
            "latent_spread": (
                "temperature",
                spread,
                {"long_name": "standard deviation of |latent parameter| over the samples"},
            ),
            "mean_loss": ("temperature", tc_loss["mean"], {"units": "nats per site"}),
            "mean_loss_sem": ("temperature", tc_loss["sem"]),
            "tc_latent_replicates": ("replicate", tc_latent["replicates"]),
            "tc_loss_replicates": ("replicate", tc_loss["replicates"]),
        },
        coords={"temperature": temps},
        attrs=base_attrs(
            meta["seed"],
            model=name,
            variational=int(variant == "vae"),
            latent_dim=dim,
            L=L,
            algorithm="dense autoencoder codes; Tc at the steepest change (GCV smoothing spline), bootstrap errors",
            tc_latent=tc_latent["tc"],
            tc_latent_err=tc_latent["tc_err"],
            tc_loss=tc_loss["tc"],
            tc_loss_err=tc_loss["tc_err"],
            spearman_magnetization=rho,
            r2_magnetization=r2,
            silhouette=silhouette,
        ),
    )
    to_netcdf_atomic(out, out_h5)

    label = f"{'VAE' if variant == 'vae' else 'autoencoder'}, latent dim {dim}"
    src = "latent = f(M)"
    records = [
        headline(
            f"unsupervised.{name}.latent_magnetization_abs_spearman",
            abs(rho),
            stage=STAGE,
            uncertainty=float(ranking["spearman_se"].sel(observable="magnetization")),
            reference=MIN_LATENT_SPEARMAN,
            reference_source=src,
            ref=LATENT_CLAIM,
            tolerance=0.0,
            tolerance_kind="at_least",
            description=f"{label}: |Spearman| of the latent parameter with M, pooled over all T (>= {MIN_LATENT_SPEARMAN})",
            L=L,
            ci=[
                float(ranking["spearman_lo"].sel(observable="magnetization")),
                float(ranking["spearman_hi"].sel(observable="magnetization")),
            ],
            top_observables=[
                str(o) for o in ranking.observable.values[ranking["rank"].values == 1]
            ],
        ),
        conditional_abs_spearman(
            ranking,
            "magnetization",
            f"unsupervised.{name}.latent_magnetization_abs_spearman_given_T",
            STAGE,
            f"the {label} latent parameter",
        ),
        headline(
            f"unsupervised.{name}.latent_magnetization_r2",
            r2,
            stage=STAGE,
            reference=MIN_LATENT_R2,
            reference_source=src,
            ref=LATENT_CLAIM,
            tolerance=0.0,
            tolerance_kind="at_least",
            description=f"{label}: held-out R^2 of a monotone fit latent = f(M) (>= {MIN_LATENT_R2})",
            L=L,
        ),
        headline(
            f"unsupervised.{name}.phase_silhouette",
            silhouette,
            stage=STAGE,
            reference=MIN_SILHOUETTE,
            reference_source="three phase clusters (M > 0, M < 0, disordered)",
            tolerance=0.0,
            tolerance_kind="at_least",
            description=f"{label}: silhouette of the ordered(+), ordered(-) and disordered latent clusters (>= {MIN_SILHOUETTE})",
            L=L,
        ),
        _tc_headline(
            f"unsupervised.{name}.tc_latent",
            tc_latent,
            tc_cfg,
            L,
            f"{label}: Tc from the mean |latent parameter|",
        ),
        _tc_headline(
            f"unsupervised.{name}.tc_reconstruction",
            tc_loss,
            tc_cfg,
            L,
            f"{label}: Tc from the mean reconstruction loss",
        ),
        headline(
            f"unsupervised.{name}.val_loss",
            meta["metrics"]["val_loss"],
            stage=STAGE,
            unit="nats per configuration",
            description=f"{label}: validation loss (reconstruction NLL{' + KL' if variant == 'vae' else ''})",
            L=L,
            epochs=meta["metrics"]["epochs_run"],
        ),
    ]
    write_headlines(out_headline, records, seed=seed)
    log.info(
        "%s: rho = %.3f, R2 = %.3f, silhouette = %.3f, Tc(latent) = %.3f +- %.3f, Tc(loss) = %.3f +- %.3f",
        name,
        rho,
        r2,
        silhouette,
        tc_latent["tc"],
        tc_latent["tc_err"],
        tc_loss["tc"],
        tc_loss["tc_err"],
    )
    return out
