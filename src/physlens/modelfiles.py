"""Trained models on disk: a state dict (.pt) plus JSON metadata (architecture, checksums of
the weights and the training data, provenance). :func:`load_model` checks the weights' and
the data's checksums and the architecture, and fails with a clear message naming the file.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import xarray as xr

from physlens.io import (
    DataFileError,
    atomic_path,
    read_json,
    sha256sum,
    to_netcdf_atomic,
    write_json,
)
from physlens.models import build_model
from physlens.provenance import base_attrs


class ModelFileError(DataFileError):
    """A saved model does not match its metadata, its architecture or its training data."""


def save_model(
    model: nn.Module,
    pt_path,
    json_path,
    *,
    metadata: dict,
    history: xr.Dataset | None = None,
    history_path=None,
) -> dict:
    """State dict to `pt_path`, metadata (architecture, checksums, ...) to `json_path`, atomically."""
    with atomic_path(pt_path, suffix=".pt.tmp") as tmp:
        # through a file object: torch.save names the zip's inner folder after a path, and the
        # temporary path is random, so saving by path would make identical models differ in bytes
        with open(tmp, "wb") as fh:
            torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, fh)
    meta = {
        "architecture": model.arch,
        "weights_file": Path(pt_path).name,
        "weights_sha256": sha256sum(pt_path),
        "provenance": base_attrs(metadata.get("seed")),
        **metadata,
    }
    if history is not None and history_path is not None:
        to_netcdf_atomic(history, history_path)
    write_json(json_path, meta)
    return meta


def load_model(pt_path, json_path=None, data_path=None) -> tuple[nn.Module, dict]:
    """Rebuild and load a saved model; check checksums (weights, optional data) and architecture."""
    pt_path = Path(pt_path)
    json_path = Path(json_path) if json_path is not None else pt_path.with_suffix(".json")
    meta = read_json(json_path)
    if not pt_path.exists():
        raise ModelFileError(f"{pt_path}: model weights not found")
    if sha256sum(pt_path) != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{pt_path}: checksum differs from {json_path} (weights replaced or corrupted)"
        )
    if data_path is not None:
        recorded = meta.get("data_sha256")
        if recorded is None or sha256sum(data_path) != recorded:
            raise ModelFileError(
                f"{data_path}: checksum differs from the data {pt_path} was trained on "
                f"(recorded in {json_path}); retrain the model"
            )
    model = build_model(meta["architecture"])
    state = torch.load(pt_path, map_location="cpu", weights_only=True)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelFileError(
            f"{pt_path}: weights do not fit architecture {meta['architecture']!r} from {json_path}: {exc}"
        ) from exc
    return model.eval(), meta
