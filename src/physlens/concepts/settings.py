"""Cross-key checks of the ``concepts`` config section (pure Python and numpy: the Snakefile
calls this while building the DAG, so nothing heavy may be imported here).

Each message names the offending key(s) as dotted paths, like :mod:`physlens.config`.
"""

from __future__ import annotations

import numpy as np

from physlens.config import temperature_grid
from physlens.unsupervised.names import model_names

# The three data sets of the confounder experiment: the marker on no sample, on the ordered
# samples (as in training), or on the disordered ones (the marker "swapped" to the other class).
CONFOUNDER_DATASETS = ("clean", "confounded", "swapped")
# The two models of the experiment: same architecture, settings, seed and split; one trained
# on the clean band, one on the confounded band.
CONFOUNDER_MODELS = ("clean", "confounded")


def band_temperatures(config: dict) -> np.ndarray:
    """Temperatures of the Ising grid inside concepts.confounders.temperatures [lo, hi]."""
    lo, hi = config["concepts"]["confounders"]["temperatures"]
    grid = temperature_grid(config["ising"])
    return grid[(grid >= lo - 1e-9) & (grid <= hi + 1e-9)]


def concepts_config_errors(config: dict) -> list[str]:
    """Everything about `concepts` that the JSON schema cannot check (relations to other
    stages' keys). An empty list means the section is usable."""
    errors = []
    concepts = config["concepts"]
    cf, conf = concepts["counterfactuals"], concepts["confounders"]
    sup, unsup = config["supervised"], config["unsupervised"]
    L_clf, L_ae = int(sup["classifier"]["L"]), int(unsup["L"])

    # counterfactuals: the decoder's configurations must be inputs the classifier was built for
    names = model_names(unsup)
    if cf["autoencoder"] not in names:
        errors.append(
            f"concepts.counterfactuals.autoencoder = {cf['autoencoder']!r} is not trained by the "
            f"unsupervised stage (trained: {names}; see unsupervised.autoencoder.variants and "
            "unsupervised.autoencoder.latent_dims)"
        )
    if L_ae != L_clf:
        errors.append(
            f"concepts.counterfactuals: the autoencoder is trained on unsupervised.L = {L_ae} "
            f"lattices but the phase classifier on supervised.classifier.L = {L_clf}; the "
            "decoder's configurations must have the classifier's size (set both keys equal)"
        )
    members = int(sup["classifier"]["members"])
    if not 0 <= cf["classifier_member"] < members:
        errors.append(
            f"concepts.counterfactuals.classifier_member = {cf['classifier_member']}: the "
            f"ensemble has supervised.classifier.members = {members} (0 .. {members - 1})"
        )
    lo_q, hi_q = cf["knob_quantiles"]
    if not lo_q < hi_q:
        errors.append(
            f"concepts.counterfactuals.knob_quantiles = {cf['knob_quantiles']!r}: need lo < hi"
        )

    # confounders
    y0, x0, h, w = conf["marker"]["region"]
    if not (y0 + h <= L_clf and x0 + w <= L_clf):
        errors.append(
            f"concepts.confounders.marker.region = {conf['marker']['region']!r} (y0, x0, height, "
            f"width) does not fit the supervised.classifier.L = {L_clf} lattice"
        )
    bad = [p for p in conf["patches"] if p > L_clf]
    if bad:
        errors.append(
            f"concepts.confounders.patches = {conf['patches']!r}: {bad} larger than the "
            f"supervised.classifier.L = {L_clf} lattice"
        )
    lo, hi = conf["temperatures"]
    win = conf["windows"]
    if not lo <= hi:
        errors.append(f"concepts.confounders.temperatures = {[lo, hi]!r}: need lo <= hi")
    elif not win["ordered_max"] < win["disordered_min"]:
        errors.append(
            f"concepts.confounders.windows: ordered_max = {win['ordered_max']} must be below "
            f"disordered_min = {win['disordered_min']}"
        )
    else:
        band = band_temperatures(config)
        n_ord = int((band <= win["ordered_max"]).sum())
        n_dis = int((band >= win["disordered_min"]).sum())
        if n_ord == 0 or n_dis == 0:
            errors.append(
                f"concepts.confounders.temperatures = {[lo, hi]!r} with concepts.confounders."
                f"windows = {dict(win)!r} leave {n_ord} ordered and {n_dis} disordered "
                f"temperatures of the Ising grid ({band.tolist()}); need at least one of each"
            )
    return errors


def check_concepts_config(config: dict) -> None:
    """Raise ValueError with every message of :func:`concepts_config_errors`."""
    errors = concepts_config_errors(config)
    if errors:
        raise ValueError("invalid concepts config:\n  " + "\n  ".join(errors))
