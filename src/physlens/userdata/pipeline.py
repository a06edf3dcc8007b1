"""The userdata stage's data and model steps as functions of paths and config slices (thin
Snakemake scripts call these): check the user's inputs, split the data and compute the
candidate observables, train a built-in architecture on it or take the user's model, and
evaluate the model. The analyses of the evaluated model are
:mod:`physlens.userdata.analysis_pipeline`.

Bad input stops a check job (:func:`check_inputs`, :func:`check_model`) whose only output is
its report; every job that writes results runs after them. Snakemake removes a job's old
outputs before it runs, so this order is what keeps an earlier run's results in place when
a changed input is bad. Seeds: derive_seed(config seed, "userdata", <name>, ...).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from physlens.io import load_dataset, read_json, sha256sum, to_netcdf_atomic, write_json
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed, rng
from physlens.userdata import STAGE
from physlens.userdata.dataset import (
    PARTS,
    TEST,
    TRAIN,
    VAL,
    UserDataError,
    class_labels,
    load_user_dataset,
    split_parts,
)

log = logging.getLogger(__name__)


def stage_seed(seed: int, name: str, *keys) -> int:
    return derive_seed(seed, STAGE, name, *keys)


def _labelled_split(data, windows, split: dict, name: str, seed: int):
    labels = class_labels(data, windows)
    part = split_parts(
        labels,
        split["val_fraction"],
        split["test_fraction"],
        rng(seed, STAGE, name, "split"),
        where=str(data.path),
    )
    return labels, part


def check_inputs(
    data_path,
    variables: dict,
    windows,
    split: dict,
    system: str,
    observables_cfg: dict,
    reference: dict,
    name: str,
    seed: int,
    out_report,
) -> dict:
    """Everything about the data that can be wrong, checked before any result is written: the
    contract, the labels and the split, and every candidate observable on every sample. The
    report (JSON) describes the data; the later jobs that write split.h5 and observables.h5
    then cannot fail on the same inputs and leave earlier results in place."""
    from physlens.userdata.candidates import candidate_observables

    data = load_user_dataset(data_path, variables)
    labels, part = _labelled_split(data, windows, split, name, seed)
    table, meta = candidate_observables(data, system, observables_cfg)
    expected = reference.get("observable")
    if expected and expected not in table:
        raise UserDataError(
            f"userdata.reference.observable = {expected!r} is not a candidate observable of "
            f"{data_path} (candidates: {', '.join(table)})"
        )
    report = {
        "file": str(data_path),
        "sha256": sha256sum(data_path),
        "n_samples": data.n,
        "configurations": {
            "variable": variables["configurations"],
            "dims": list(data.dims),
            "shape": list(data.configurations.shape),
            "dtype": str(data.configurations.dtype),
        },
        "control": {"variable": data.control_name, "values": np.unique(data.control).tolist()},
        "labels": "file" if data.labels is not None else "windows",
        "class_counts": {str(c): int((labels == c).sum()) for c in (1, 0, -1)},
        "parts": {p: int((part == code).sum()) for p, code in PARTS.items()},
        "candidates": {n: meta[n].source for n in table},
    }
    write_json(out_report, report)
    log.info("%s: %s", data_path, report)
    return report


def write_split(data_path, variables: dict, windows, split: dict, name: str, seed: int, out_split):
    """split.h5: part (train, val, test), label and control per sample."""
    data = load_user_dataset(data_path, variables)
    labels, part = _labelled_split(data, windows, split, name, seed)
    ds = xr.Dataset(
        {
            "part": (
                "sample",
                part,
                {"flag_values": list(PARTS.values()), "flag_meanings": " ".join(PARTS)},
            ),
            "label": ("sample", labels, {"long_name": "class label: 1, 0, or -1 unlabelled"}),
            "control": ("sample", data.control, {"long_name": data.control_name}),
        },
        attrs=base_attrs(
            stage_seed(seed, name, "split"),
            algorithm="physlens.userdata.dataset.split_parts",
            data_file=str(data_path),
            data_sha256=sha256sum(data_path),
            control_name=data.control_name,
        ),
    )
    to_netcdf_atomic(ds, out_split)
    return ds


def compute_candidates(data_path, variables: dict, system: str, cfg: dict, out_h5) -> xr.Dataset:
    """Every candidate observable on every sample (observables.h5, one variable each, with
    its source, description and unit)."""
    from physlens.userdata.candidates import candidate_observables

    data = load_user_dataset(data_path, variables)
    table, meta = candidate_observables(data, system, cfg)
    ds = xr.Dataset(
        {
            n: (
                "sample",
                v,
                {
                    "source": meta[n].source,
                    "description": meta[n].description,
                    "units": meta[n].unit,
                },
            )
            for n, v in table.items()
        },
        attrs=base_attrs(
            algorithm="physlens.userdata.candidates.candidate_observables",
            system=system,
            data_file=str(data_path),
            order=",".join(table),
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    log.info("candidates: %s", {n: meta[n].source for n in table})
    return ds


def read_split(path) -> xr.Dataset:
    return load_dataset(path, required=("part", "label", "control"))


def train_classifier(
    data_path,
    split_path,
    variables: dict,
    train_cfg: dict,
    training: dict,
    name: str,
    seed: int,
    outputs: dict,
    resume_dir=None,
):
    """Train the architecture of userdata.model.train on the train part (early stopping on
    val) with physlens.training.train_and_save; the model's labels are those of split.h5."""
    from physlens.models import ArchitectureError
    from physlens.training import TrainSettings, seeded_model, train_and_save

    data = load_user_dataset(data_path, variables)
    split = read_split(split_path)
    part, label = split["part"].values, split["label"].values.astype(np.float32)
    mseed = stage_seed(seed, name, "model")
    try:
        model = seeded_model(dict(train_cfg["architecture"]), mseed)
    except ArchitectureError as exc:
        raise UserDataError(f"userdata.model.train.architecture: {exc}") from exc
    settings = TrainSettings.from_config({**training, **train_cfg.get("settings", {})})

    def xy(code):
        idx = np.flatnonzero(part == code)
        return data.inputs(idx), label[idx]

    config_slice = {"variables": variables, "train": train_cfg, "training": training}
    result, _ = train_and_save(
        model,
        xy(TRAIN),
        xy(VAL),
        settings,
        mseed,
        outputs,
        data_path=data_path,
        master_seed=seed,
        config=config_slice,
        metadata={"name": name, "split_sha256": sha256sum(split_path)},
        resume_dir=resume_dir,
        name=f"{STAGE}/{name}",
    )
    log.info("%s: %s", name, result.metrics)
    return result


def model_files(inputs) -> dict:
    """The model files among a rule's inputs: ``model``, ``meta`` (a model trained here) and
    ``data`` (its checksum is checked against the metadata)."""
    return {k: str(inputs.get(k)) for k in ("model", "meta", "data") if inputs.get(k) is not None}


def check_model(
    model_cfg: dict, files: dict, data_path, variables: dict, name: str, seed: int, out_json
) -> dict:
    """Before any training or evaluation: the model (yours, loaded without unpickling, or the
    architecture of userdata.model.train, freshly initialised) runs on the first
    configurations, takes their shape and returns one logit each (JSON report: input shape,
    hidden/head views)."""
    from physlens.models import ArchitectureError
    from physlens.training import seeded_model
    from physlens.userdata.models import UserModel, check_fit, load_user_model, registry_views

    data = load_user_dataset(data_path, variables)
    if model_cfg.get("train"):
        arch = dict(model_cfg["train"]["architecture"])
        try:
            net = seeded_model(arch, stage_seed(seed, name, "model"))
        except ArchitectureError as exc:
            raise UserDataError(f"userdata.model.train.architecture: {exc}") from exc
        model = UserModel(
            net.eval(), "userdata.model.train.architecture", "train", *registry_views(net)
        )
    else:
        model = load_user_model(model_cfg, {**files, "data": data_path})
    report = check_fit(model, data.inputs(slice(0, 8)), data_path)
    report["source"] = model.source
    if not model_cfg.get("train"):
        report["sha256"] = sha256sum(model.source)
    write_json(out_json, report)
    log.info("model check: %s", report)
    return report


def evaluate_model(
    model_cfg: dict, files: dict, data_path, variables: dict, split_path, check_json, out_h5
) -> xr.Dataset:
    """Decision logit (and the hidden representation the head reads, where shown) on every
    sample. `analysed` marks the samples the analyses use: the test part for a model trained
    here, every sample for a user's model (which samples it was trained on is unknown)."""
    from physlens.userdata.models import load_user_model

    check = read_json(check_json)
    data = load_user_dataset(data_path, variables)
    model = load_user_model(model_cfg, {**files, "data": data_path})
    if not check["hidden"]:
        model.hidden_fn = None
    if not check["head"]:
        model.head_fn = None
    split = read_split(split_path)
    x = data.inputs()
    trained = bool(model_cfg.get("train"))
    analysed = split["part"].values == TEST if trained else np.ones(data.n, bool)
    variables_out = {
        "logit": ("sample", model.logit(x), {"long_name": "decision logit (pre-sigmoid)"}),
        "part": split["part"],
        "label": split["label"],
        "control": split["control"],
        "analysed": ("sample", analysed.astype(np.int8)),
    }
    h = model.hidden(x)
    if h is not None:
        variables_out["hidden"] = (
            ("sample", "unit"),
            h,
            {"long_name": "hidden representation the head reads"},
        )
    ds = xr.Dataset(
        variables_out,
        attrs=base_attrs(
            algorithm="physlens.userdata.models.UserModel",
            model=model.source,
            model_kind=model.kind,
            head=int(bool(check["head"])),
            analysed_part="test" if trained else "all",
            control_name=split.attrs.get("control_name", "control"),
        ),
    )
    to_netcdf_atomic(ds, out_h5)
    return ds
