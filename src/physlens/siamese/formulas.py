"""Physics-formula regression data sets of the TNNR benchmark (Wetzel, Ryczko, Melko, Tamblyn
2022): the current of a driven series RCL circuit and the output voltage of a Wheatstone
bridge, generated from closed formulas.

Every input is drawn uniformly from [1, 3] and Gaussian noise of standard deviation `noise`
is added to the target, as in the authors' published data files (RCL_current.txt, 4000 rows;
Wheatstone_Bridge.txt, 200 rows; six inputs in [1, 3] each): their targets match the
`published` forms below up to residuals of standard deviation 0.010, which is that noise.

Two variants of each formula:

* ``textbook`` (the physical law):
    RCL:        I = V0 cos(omega t - phi) / |Z|,  |Z| = sqrt(R^2 + (omega L - 1/(omega C))^2),
                tan(phi) = (omega L - 1/(omega C)) / R   (steady state for V(t) = V0 cos(omega t));
    Wheatstone: U = V (R2 / (R1 + R2) - R4 / (R3 + R4))   (zero for a balanced bridge,
                R1 R4 = R2 R3, i.e. R4 = R2 R3 / R1).
* ``published`` (what the authors' files contain):
    RCL:        I = V0 cos(omega t) / sqrt(R^2 + omega L - 1/(omega C))  (reactance unsquared,
                no phase);
    Wheatstone: U = V (R2 / (R1 + R2) - R3 / (R2 + R3)) with two further inputs the target
                does not depend on (the right leg's upper resistor is R2 again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from physlens.io import DataFileError, load_dataset, to_netcdf_atomic
from physlens.provenance import base_attrs
from physlens.seeding import rng

INPUT_RANGE = (1.0, 3.0)
VARIANTS = ("textbook", "published")
# The authors' data sets' sizes (rows of their published files).
PAPER_POINTS = {"rcl_circuit": 4000, "wheatstone_bridge": 200}


def rcl_current(V0, R, L, C, omega, t, variant: str = "textbook"):
    """Current of a series RCL circuit driven by V0 cos(omega t) (see the module docstring)."""
    reactance = omega * L - 1.0 / (omega * C)
    if variant == "textbook":
        return V0 * np.cos(omega * t - np.arctan2(reactance, R)) / np.hypot(R, reactance)
    if variant == "published":
        return V0 * np.cos(omega * t) / np.sqrt(R**2 + reactance)
    raise ValueError(f"rcl_current: variant {variant!r} is not one of {VARIANTS}")


def bridge_voltage(V, R1, R2, R3, R4):
    """Output voltage of a Wheatstone bridge: legs R1-R2 and R3-R4 across V, taken between the
    two midpoints (R2 and R4 to the negative terminal)."""
    return V * (R2 / (R1 + R2) - R4 / (R3 + R4))


@dataclass(frozen=True)
class Formula:
    """A data set's inputs (names, in column order), target and its noise-free value."""

    inputs: tuple[str, ...]
    target: str
    unit: str
    expression: str
    fn: Callable[[np.ndarray], np.ndarray]

    def __call__(self, X) -> np.ndarray:
        return self.fn(np.asarray(X, float))


def _rcl(variant: str) -> Formula:
    expression = {
        "textbook": "V0 cos(omega t - atan2(omega L - 1/(omega C), R))"
        " / sqrt(R^2 + (omega L - 1/(omega C))^2)",
        "published": "V0 cos(omega t) / sqrt(R^2 + omega L - 1/(omega C))",
    }[variant]
    inputs = ("V0", "R", "L", "C", "omega", "t")
    return Formula(inputs, "I", "A", expression, lambda X: rcl_current(*X.T, variant=variant))


def _bridge(variant: str) -> Formula:
    if variant == "textbook":
        return Formula(
            ("V", "R1", "R2", "R3", "R4"),
            "U",
            "V",
            "V (R2/(R1+R2) - R4/(R3+R4))",
            lambda X: bridge_voltage(*X.T),
        )
    return Formula(
        ("V", "R1", "R2", "R3", "unused_1", "unused_2"),
        "U",
        "V",
        "V (R2/(R1+R2) - R3/(R2+R3))",
        lambda X: bridge_voltage(X[:, 0], X[:, 1], X[:, 2], X[:, 2], X[:, 3]),
    )


FORMULA_TASKS = {"rcl_circuit": _rcl, "wheatstone_bridge": _bridge}


def formula(task: str, variant: str = "textbook") -> Formula:
    """The Formula of a physics-formula task in one of its variants."""
    if task not in FORMULA_TASKS:
        raise ValueError(f"twin.tasks: unknown formula task {task!r} ({', '.join(FORMULA_TASKS)})")
    if variant not in VARIANTS:
        raise ValueError(f"twin.formula.variant = {variant!r}: use one of {VARIANTS}")
    return FORMULA_TASKS[task](variant)


def sample_formula(
    task: str, n: int, noise: float, gen: np.random.Generator, variant: str = "textbook"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y_clean, y): n inputs uniform on [1, 3], the formula's value, and it plus noise."""
    f = formula(task, variant)
    X = gen.uniform(*INPUT_RANGE, (n, len(f.inputs)))
    clean = f(X)
    return X, clean, clean + noise * gen.standard_normal(n)


def load_formula_dataset(path) -> tuple[str, np.ndarray, np.ndarray]:
    """(task, X, y) of a data file written by :func:`formula_dataset`, checked on load."""
    ds = load_dataset(path, required=("x", "y"), dims={"x": ("point", "feature"), "y": ("point",)})
    task = ds.attrs.get("task")
    if task not in FORMULA_TASKS:
        raise DataFileError(f"{path}: attribute task = {task!r} is not a formula task")
    X, y = ds["x"].values, ds["y"].values
    for name, values in (("x", X), ("y", y)):
        if not np.isfinite(values).all():
            raise DataFileError(f"{path}: {name} has non-finite values")
    return str(task), X, y


def formula_dataset(task: str, n: int, noise: float, variant: str, seed: int) -> xr.Dataset:
    """The data set as labelled xarray: x (point, feature), y, y_clean; formula in the attrs.

    Drawn from the stream derive_seed(seed, "twin", task, "data") of the config's seed.
    """
    f = formula(task, variant)
    X, clean, y = sample_formula(task, n, noise, rng(seed, "twin", task, "data"), variant)
    return xr.Dataset(
        {
            "x": (("point", "feature"), X),
            "y": ("point", y, {"long_name": f"{f.target} with noise", "units": f.unit}),
            "y_clean": ("point", clean, {"long_name": f"{f.target}, noise-free"}),
        },
        coords={"point": np.arange(n), "feature": list(f.inputs)},
        attrs=base_attrs(
            seed,
            task=task,
            variant=variant,
            formula=f"{f.target} = {f.expression}",
            input_range=list(INPUT_RANGE),
            noise_sd=float(noise),
        ),
    )


def write_formula_data(task: str, cfg: dict, seed: int, path) -> xr.Dataset:
    """Generate task's data set as configured in `cfg` (the twin.formula block) and write it."""
    ds = formula_dataset(task, cfg["points"][task], cfg["noise"], cfg["variant"], seed)
    to_netcdf_atomic(ds, path)
    return ds
