"""Autoencoder names and the config slices of the unsupervised stage: the data every rule
reads, and what each model depends on (pure Python: the Snakefile imports this while
building the DAG, so nothing heavy may be imported here). The list of names a config trains
is :func:`physlens.config.model_names`."""

from __future__ import annotations

import re

MODEL_NAME = re.compile(r"(ae|vae)(\d+)")


def parse_model_name(name: str) -> tuple[str, int]:
    m = MODEL_NAME.fullmatch(name)
    if not m:
        raise ValueError(f"autoencoder name {name!r}: expected ae<d> or vae<d>, e.g. ae1, vae2")
    return m.group(1), int(m.group(2))


def model_config_slice(unsup: dict, name: str) -> dict:
    """What shapes this model's weights besides the data: adding a variant or a latent
    dimension changes no other model's slice, and beta only the VAEs'."""
    variant, _ = parse_model_name(name)
    ae = {k: v for k, v in unsup["autoencoder"].items() if k not in ("variants", "latent_dims")}
    if variant != "vae":
        ae.pop("beta", None)
    return {"val_fraction": unsup["val_fraction"], "autoencoder": ae}


def data_slice(unsup: dict) -> dict:
    """What fixes the (symmetrised) data every unsupervised rule reads, besides the seed."""
    return {"L": unsup["L"], "symmetrize": unsup["symmetrize"]}
