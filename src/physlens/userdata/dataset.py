"""The data-set contract of docs/userdata.md: reading and checking a user's file, class
labels, and the seeded train/val/test split.

A data set is one HDF5/netCDF4 file that xarray reads (engine h5netcdf) with

* configurations, dims ``(sample, [channel,] d1[, d2[, d3]])``: what a network is shown;
* the control parameter (temperature, coupling, ...), dims ``(sample,)``;
* optional class labels, dims ``(sample,)``: 1, 0, or -1 for unlabelled;
* optional precomputed observables: further numeric ``(sample,)`` variables.

Every check names the file and the variable (and the config key that names the variable),
so a bad file stops the run before anything is trained on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from physlens.io import DataFileError, open_dataset, unreadable
from physlens.phase.labels import UNLABELLED, window_labels
from physlens.validate import non_finite_error

SAMPLE, CHANNEL = "sample", "channel"
MAX_SPATIAL_DIMS = 3
# codes of the parts in split.h5; balancing leftovers are never trained on, so they are tested
TRAIN, VAL, TEST = 0, 1, 2
PARTS = {"train": TRAIN, "val": VAL, "test": TEST}


class UserDataError(DataFileError):
    """A user's data set breaks the contract of docs/userdata.md."""


@dataclass
class UserDataset:
    """A checked data set, in memory."""

    path: str
    configurations: np.ndarray  # as stored: (sample, [channel,] *spatial)
    dims: tuple[str, ...]
    control: np.ndarray  # float64 (sample,)
    control_name: str
    labels: np.ndarray | None  # int8 (sample,) from the file, or None
    observables: dict[str, np.ndarray] = field(default_factory=dict)  # precomputed, float64

    @property
    def n(self) -> int:
        return len(self.control)

    @property
    def has_channel(self) -> bool:
        return len(self.dims) > 1 and self.dims[1] == CHANNEL

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        return self.configurations.shape[2 if self.has_channel else 1 :]

    def inputs(self, idx=slice(None)) -> np.ndarray:
        """Configurations of the samples `idx` as a network sees them: float32."""
        return np.asarray(self.configurations[idx], np.float32)


def _is_numeric(var) -> bool:
    return np.issubdtype(var.dtype, np.number) or np.issubdtype(var.dtype, np.bool_)


def _key(role: str) -> str:
    return f"userdata.variables.{role}"


def _configuration_errors(var, name: str) -> list[str]:
    dims = tuple(var.dims)
    spatial = dims[2:] if len(dims) > 1 and dims[1] == CHANNEL else dims[1:]
    if not dims or dims[0] != SAMPLE or not 1 <= len(spatial) <= MAX_SPATIAL_DIMS:
        return [
            f"{name} ({_key('configurations')}) has dims {dims}, expected "
            f"({SAMPLE!r}, [{CHANNEL!r},] 1 to {MAX_SPATIAL_DIMS} spatial dims)"
        ]
    if not _is_numeric(var):
        return [f"{name} ({_key('configurations')}) has dtype {var.dtype}, expected numbers"]
    return []


def _per_sample_errors(var, name: str, role: str) -> list[str]:
    if tuple(var.dims) != (SAMPLE,):
        return [f"{name} ({_key(role)}) has dims {tuple(var.dims)}, expected ({SAMPLE!r},)"]
    if not _is_numeric(var):
        return [f"{name} ({_key(role)}) has dtype {var.dtype}, expected numbers"]
    return []


def _label_errors(values: np.ndarray, name: str) -> list[str]:
    bad = ~np.isin(values, (0, 1, UNLABELLED))
    if bad.any():
        found = np.unique(values[bad])[:5].tolist()
        return [f"{name} ({_key('labels')}) holds {found}; labels are 1, 0 or -1 (unlabelled)"]
    return []


def _observable_names(ds, variables: dict, taken: set) -> list[str]:
    """The precomputed observables: those listed, or every other numeric (sample,) variable."""
    if variables.get("observables") is not None:
        return list(variables["observables"])
    return [
        str(k)
        for k, v in ds.variables.items()
        if k not in taken and k != SAMPLE and tuple(v.dims) == (SAMPLE,) and _is_numeric(v)
    ]


def _load(var, path, name: str) -> np.ndarray:
    try:
        return np.asarray(var.values)
    except (OSError, ValueError, RuntimeError) as exc:
        raise UserDataError(f"{path}: {unreadable(name, exc)}") from exc


def load_user_dataset(path, variables: dict) -> UserDataset:
    """Read and check `path` against the contract; `variables` is config userdata.variables
    (which variable plays which role). Raises UserDataError naming the file, the variable and
    what is wrong."""
    names = {
        "configurations": variables["configurations"],
        "control": variables["control"],
        "labels": variables.get("labels"),
    }
    ds = open_dataset(path)
    try:
        wanted = {role: n for role, n in names.items() if n is not None}
        missing = [f"{n} ({_key(role)})" for role, n in wanted.items() if n not in ds.variables]
        obs_names = _observable_names(ds, variables, set(wanted.values()))
        missing += [f"{n} ({_key('observables')})" for n in obs_names if n not in ds.variables]
        if missing:
            raise UserDataError(
                f"{path}: missing variable(s) {', '.join(missing)}; the file has "
                f"{', '.join(map(str, ds.variables)) or 'none'}"
            )
        conf = ds[names["configurations"]]
        errors = _configuration_errors(conf, names["configurations"])
        errors += _per_sample_errors(ds[names["control"]], names["control"], "control")
        if names["labels"] is not None:
            errors += _per_sample_errors(ds[names["labels"]], names["labels"], "labels")
        for o in obs_names:
            errors += _per_sample_errors(ds[o], o, "observables")
        if errors:
            raise UserDataError(f"{path}: " + "; ".join(errors))
        values = {
            n: _load(ds[n], path, n)
            for n in [names["configurations"], names["control"], *obs_names]
            + ([names["labels"]] if names["labels"] is not None else [])
        }
    finally:
        ds.close()
    dims = tuple(conf.dims)
    for n, v in values.items():
        err = non_finite_error(n, v, dims if n == names["configurations"] else (SAMPLE,))
        if err:
            errors.append(err)
    labels = None
    if names["labels"] is not None:
        labels = values[names["labels"]]
        errors += _label_errors(labels, names["labels"])
    if errors:
        raise UserDataError(f"{path}: " + "; ".join(errors))
    return UserDataset(
        path=str(path),
        configurations=values[names["configurations"]],
        dims=dims,
        control=values[names["control"]].astype(np.float64),
        control_name=names["control"],
        labels=None if labels is None else labels.astype(np.int8),
        observables={o: values[o].astype(np.float64) for o in obs_names},
    )


def class_labels(data: UserDataset, windows: dict | None) -> np.ndarray:
    """The file's labels, or labels from the control windows (userdata.windows): `low_class`
    at control <= low_max, the other class at control >= high_min, -1 between."""
    if data.labels is not None:
        return data.labels
    if not windows:
        raise UserDataError(
            f"{data.path}: no labels: set userdata.variables.labels or userdata.windows"
        )
    low = int(windows["low_class"])
    return window_labels(
        data.control,
        windows["low_max"],
        windows["high_min"],
        low_label=low,
        high_label=1 - low,
        names=("low_max", "high_min"),
        where="userdata.windows",
    ).astype(np.int8)


def _balanced(idx: np.ndarray, labels: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """(kept, dropped): random samples of the larger class dropped until both are equal."""
    n = min(int((labels[idx] == 1).sum()), int((labels[idx] == 0).sum()))
    keep = np.concatenate(
        [np.sort(rng.choice(idx[labels[idx] == c], size=n, replace=False)) for c in (1, 0)]
    )
    return np.sort(keep), np.setdiff1d(idx, keep)


def split_parts(
    labels: np.ndarray, val_fraction: float, test_fraction: float, rng, where: str
) -> np.ndarray:
    """Part code (TRAIN, VAL, TEST) per sample: labelled samples shuffled into test, val and
    train, train and val balanced between the classes (leftovers tested); unlabelled samples
    are tested only. `where` names the data for the error message."""
    labels = np.asarray(labels)
    labelled = rng.permutation(np.flatnonzero(labels != UNLABELLED))
    n_test = int(round(test_fraction * len(labelled)))
    n_val = int(round(val_fraction * len(labelled)))
    val, train = labelled[n_test : n_test + n_val], labelled[n_test + n_val :]
    part = np.full(len(labels), TEST, np.int8)
    for code, idx in ((VAL, val), (TRAIN, train)):
        if not ((labels[idx] == 1).any() and (labels[idx] == 0).any()):
            name = "val" if code == VAL else "train"
            raise UserDataError(
                f"{where}: the {name} part has no sample of class "
                f"{0 if (labels[idx] == 1).any() else 1} ({len(labelled)} labelled samples, "
                f"userdata.split val_fraction = {val_fraction}, test_fraction = {test_fraction}); "
                "widen userdata.windows or add samples"
            )
        kept, _ = _balanced(idx, labels, rng)
        part[kept] = code
    return part
