"""Equilibrate, measure tau_int, and sample SU(2) gauge configurations into one HDF5 file.

Per beta (independent chain, hot start): ``equilibration.min_sweeps`` compound sweeps of
burn-in (one compound sweep = 1 heat-bath + ``n_overrelax`` overrelaxation sweeps of all
links); a pilot run of ``pilot_sweeps`` measuring the average plaquette and |P| after every
compound sweep, from which tau_int of both is estimated
(:func:`physlens.stats.integrated_autocorrelation_time`, as in the Ising stage); more burn-in
if the total so far is below ``tau_multiple * tau``; then ``samples_per_beta`` samples
``thinning_sweeps = max(1, ceil(thinning_multiple * tau))`` compound sweeps apart, tau the
larger of the two. Each beta is written as soon as it is done, in grid order.

Threads: a lattice with at least ``PARALLEL_MIN_SITES`` sites per checkerboard batch uses the
prange kernels, one beta after another; a smaller one runs up to ``threads`` betas at once,
each chain in its own thread with the serial kernels (no fork/join per batch). Both give the
same file.
"""

from __future__ import annotations

import logging
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5netcdf
import numba
import numpy as np
from tqdm import tqdm

from physlens.config import ConfigError, linspace, load_schema, validate_config
from physlens.io import atomic_path
from physlens.ising.rng import xoshiro_states
from physlens.parallel import numba_threads
from physlens.provenance import base_attrs
from physlens.references import reference
from physlens.seeding import derive_seed, rng
from physlens.stats import integrated_autocorrelation_time
from physlens.su2 import BETA_C_NT2_REF, LAYOUT_NOTE
from physlens.su2.kernels import KP_MIN_ALPHA, update_sweeps
from physlens.su2.lattice import MU_NAMES, Lattice, make_lattice
from physlens.su2.observables import average_plaquette, polyakov_loop
from physlens.su2.quaternion import random_su2

log = logging.getLogger(__name__)

ALGORITHM = "heatbath(KP)+overrelaxation"
CHUNK_BYTES = 1 << 22  # links chunks of at most ~4 MB, one beta each
# float32 halves the file and is what the classifier consumes; the observables are
# measured on the float64 chain before rounding (|q| - 1 of a stored link is ~1e-7).
LINK_DTYPE = "f4"
# Below this many sites per checkerboard batch the fork/join of a prange costs more than it
# saves (benchmarks/bench_su2.py); smaller lattices use the serial kernels, same result.
PARALLEL_MIN_SITES = 2048


def validated_params(params: dict) -> dict:
    """Check the rule's params (config["su2"] plus "seed") against the schema's su2 block."""
    if "seed" not in params:
        raise ConfigError("su2 params: 'seed' missing (the rule passes config['seed'])")
    full = load_schema()
    schema = {
        "$defs": full["$defs"],
        "type": "object",
        "additionalProperties": False,
        "required": ["seed", "su2"],
        "properties": {"seed": full["properties"]["seed"], "su2": full["properties"]["su2"]},
    }
    su2 = {k: v for k, v in params.items() if k != "seed"}
    cfg = validate_config({"seed": params["seed"], "su2": su2}, schema=schema)
    return {"seed": cfg["seed"], **cfg["su2"]}


def beta_grid(p: dict) -> np.ndarray:
    return np.round(linspace(p["beta"]), 12)


def beta_key(beta: float) -> int:
    """Stable seed label of a beta (nano-units), independent of the rest of the grid."""
    return int(round(float(beta) * 1e9))


class Chain:
    """One Markov chain at coupling beta: links, per-site RNG states, compound sweeps."""

    def __init__(
        self,
        lat: Lattice,
        beta: float,
        seed: int,
        n_overrelax: int,
        start: str = "hot",
        parallel: bool | None = None,
    ):
        """`parallel` None: prange kernels when more than one numba thread is set and the
        lattice is large enough to gain from them; the chain is the same either way."""
        self.lat, self.beta, self.n_overrelax = lat, float(beta), int(n_overrelax)
        self.parallel = parallel
        keys = ("su2", lat.n_s, lat.n_t, beta_key(beta))
        # one xoshiro256** state per site: a site's links always draw from its own stream,
        # whichever thread updates them
        self.states = xoshiro_states(
            [derive_seed(seed, *keys, "site", s) for s in range(lat.volume)]
        )
        if start == "hot":
            self.links = random_su2(rng(seed, *keys, "start"), (*lat.shape, 4))
        elif start == "cold":
            self.links = np.zeros((*lat.shape, 4, 4))
            self.links[..., 0] = 1.0
        else:
            raise ValueError(f"start = {start!r}: use 'hot' or 'cold'")
        self._flat = self.links.reshape(lat.volume, 4, 4)  # a view: kernels update self.links

    def run(self, n_sweeps: int) -> None:
        lat, parallel = self.lat, self.parallel
        if parallel is None:
            parallel = numba.get_num_threads() > 1 and lat.volume // 2 >= PARALLEL_MIN_SITES
        update_sweeps(
            self._flat,
            lat.fwd,
            lat.bwd,
            lat.parity_sites,
            self.beta,
            self.n_overrelax,
            int(n_sweeps),
            self.states,
            bool(parallel),
        )

    def measure(self) -> tuple[float, float]:
        """(average plaquette, Polyakov loop) of the current configuration."""
        return average_plaquette(self.links, self.lat), polyakov_loop(self.links, self.lat)

    def series(self, n: int, every: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Plaquette and Polyakov loop after each of `n` blocks of `every` compound sweeps."""
        plaq, poly = np.empty(n), np.empty(n)
        for i in range(n):
            self.run(every)
            plaq[i], poly[i] = self.measure()
        return plaq, poly


def simulate_beta(p: dict, lat: Lattice, beta: float, parallel: bool | None = None) -> dict:
    """Burn-in, pilot (tau_int), more burn-in if needed, then the samples at one beta."""
    chain = Chain(lat, beta, p["seed"], p["n_overrelax"], parallel=parallel)
    eq = p["equilibration"]
    chain.run(eq["min_sweeps"])
    plaq, poly = chain.series(p["pilot_sweeps"])
    tau_p = integrated_autocorrelation_time(plaq)
    tau_l = integrated_autocorrelation_time(np.abs(poly))
    tau = max(tau_p.tau, tau_l.tau)
    thinning = max(1, math.ceil(p["thinning_multiple"] * tau - 1e-9))
    done = eq["min_sweeps"] + p["pilot_sweeps"]
    extra = max(0, math.ceil(eq["tau_multiple"] * tau) - done)
    chain.run(extra)
    if tau > p["pilot_sweeps"] / 50:
        log.warning(
            "beta=%.4f: tau_int = %.1f sweeps is more than 1/50 of pilot_sweeps = %d: the "
            "estimate is unreliable; raise su2.pilot_sweeps",
            beta,
            tau,
            p["pilot_sweeps"],
        )
    n = p["samples_per_beta"]
    links = np.empty((n, *chain.links.shape), dtype=LINK_DTYPE)
    plaquette, polyakov = np.empty(n), np.empty(n)
    for i in range(n):
        chain.run(thinning)
        links[i] = chain.links
        plaquette[i], polyakov[i] = chain.measure()
    return {
        "links": links,
        "plaquette": plaquette,
        "polyakov_loop": polyakov,
        "abs_polyakov_loop": np.abs(polyakov),
        "tau_int_plaquette": tau_p.tau,
        "tau_int_plaquette_error": tau_p.error,
        "tau_int_abs_polyakov_loop": tau_l.tau,
        "tau_int_abs_polyakov_loop_error": tau_l.error,
        "thinning_sweeps": thinning,
        "equilibration_sweeps": done + extra,
    }


PER_SAMPLE = {  # name: (dtype, attributes)
    "plaquette": (
        "f8",
        {"long_name": "average plaquette <1/2 Re tr U_mu,nu> over 6 V plaquettes", "units": "1"},
    ),
    "polyakov_loop": (
        "f8",
        {
            "long_name": "Polyakov loop P = N_s^-3 sum_x 1/2 tr prod_t U_0(x, t) (real for SU(2))",
            "units": "1",
        },
    ),
    "abs_polyakov_loop": ("f8", {"long_name": "|P|", "units": "1"}),
}
PER_BETA = {
    "tau_int_plaquette": (
        "f8",
        {
            "long_name": "integrated autocorrelation time of the plaquette (pilot run)",
            "units": "compound sweeps",
        },
    ),
    "tau_int_plaquette_error": (
        "f8",
        {"long_name": "Madras-Sokal error of tau_int_plaquette", "units": "compound sweeps"},
    ),
    "tau_int_abs_polyakov_loop": (
        "f8",
        {
            "long_name": "integrated autocorrelation time of |P| (pilot run)",
            "units": "compound sweeps",
        },
    ),
    "tau_int_abs_polyakov_loop_error": (
        "f8",
        {
            "long_name": "Madras-Sokal error of tau_int_abs_polyakov_loop",
            "units": "compound sweeps",
        },
    ),
    "thinning_sweeps": (
        "i8",
        {"long_name": "compound sweeps between consecutive samples", "units": "compound sweeps"},
    ),
    "equilibration_sweeps": (
        "i8",
        {
            "long_name": "compound sweeps before the first sample (burn-in + pilot + extra burn-in)",
            "units": "compound sweeps",
        },
    ),
}


def _global_attrs(p: dict, lat: Lattice) -> dict:
    attrs = base_attrs(
        p["seed"],
        model=(
            "4D SU(2) lattice gauge theory, Wilson action S = beta sum_x sum_{mu<nu} "
            "(1 - 1/2 Re tr U_mu,nu(x)), periodic N_s^3 x N_t lattice"
        ),
        algorithm=ALGORITHM,
        heatbath_detail=(
            f"single-link heat bath for a0 ~ sqrt(1 - a0^2) exp(beta k a0): Kennedy-Pendleton "
            f"(1985) for beta k >= {KP_MIN_ALPHA}, Creutz (1980) below; checkerboard order "
            "(mu, parity)"
        ),
        n_s=lat.n_s,
        n_t=lat.n_t,
        n_overrelax=int(p["n_overrelax"]),
        sweep_definition=(
            "one compound sweep = 1 heat-bath sweep + n_overrelax overrelaxation sweeps, each "
            "updating every link once; links are renormalised to |q| = 1 after every update"
        ),
        samples_per_beta=int(p["samples_per_beta"]),
        pilot_sweeps=int(p["pilot_sweeps"]),
        equilibration_min_sweeps=int(p["equilibration"]["min_sweeps"]),
        equilibration_tau_multiple=float(p["equilibration"]["tau_multiple"]),
        thinning_multiple=float(p["thinning_multiple"]),
        initial_state="hot (Haar-random links)",
        link_layout=LAYOUT_NOTE,
        mu_order="mu = 0 (t), 1 (x), 2 (y), 3 (z)",
        rng=(
            "xoshiro256** per site, state = splitmix64(derive_seed(seed, 'su2', n_s, n_t, "
            "round(beta * 1e9), 'site', site)); hot start from derive_seed(..., 'start')"
        ),
        tau_int_method="Sokal automatic window, c = 6 (physlens.stats)",
        beta_c_nt2=reference(BETA_C_NT2_REF).value,
        beta_c_nt2_source=reference(BETA_C_NT2_REF).citation,
    )
    # same config -> byte-identical file: no wall-clock time in the data
    attrs.pop("created_utc", None)
    return attrs


def _create_layout(f, p: dict, lat: Lattice, betas: np.ndarray) -> None:
    """Dimensions, coordinates and empty variables of the file (the contract downstream)."""
    n = p["samples_per_beta"]
    n_t, n_s = lat.n_t, lat.n_s
    f.dimensions = {
        "beta": len(betas),
        "sample": n,
        "t": n_t,
        "z": n_s,
        "y": n_s,
        "x": n_s,
        "mu": 4,
        "component": 4,
    }
    f.attrs.update(_global_attrs(p, lat))
    coords = {
        "beta": (betas, {"long_name": "inverse coupling beta = 4 / g^2"}),
        "sample": (np.arange(n, dtype=np.int32), {"long_name": "sample index"}),
        "t": (np.arange(n_t, dtype=np.int32), {"long_name": "time coordinate (mu = 0)"}),
        "z": (np.arange(n_s, dtype=np.int32), {"long_name": "z coordinate (mu = 3)"}),
        "y": (np.arange(n_s, dtype=np.int32), {"long_name": "y coordinate (mu = 2)"}),
        "x": (np.arange(n_s, dtype=np.int32), {"long_name": "x coordinate (mu = 1)"}),
        "mu": (
            np.arange(4, dtype=np.int32),
            {"long_name": "link direction", "names": " ".join(MU_NAMES)},
        ),
        "component": (
            np.arange(4, dtype=np.int32),
            {"long_name": "quaternion component a_k of U = a0 + i a.sigma"},
        ),
    }
    for name, (data, attrs) in coords.items():
        f.create_variable(name, (name,), data=data).attrs.update(attrs)
    per_config = lat.volume * 16 * np.dtype(LINK_DTYPE).itemsize
    per_chunk = max(1, min(n, CHUNK_BYTES // per_config))
    f.create_variable(
        "links",
        ("beta", "sample", "t", "z", "y", "x", "mu", "component"),
        dtype=LINK_DTYPE,
        chunks=(1, per_chunk, n_t, n_s, n_s, n_s, 4, 4),
        compression="gzip",
        compression_opts=4,
        shuffle=True,
    ).attrs.update({"long_name": "SU(2) link U_mu(x) as a unit quaternion", "layout": LAYOUT_NOTE})
    for name, (dtype, attrs) in PER_SAMPLE.items():
        f.create_variable(name, ("beta", "sample"), dtype=dtype).attrs.update(attrs)
    for name, (dtype, attrs) in PER_BETA.items():
        f.create_variable(name, ("beta",), dtype=dtype).attrs.update(attrs)


def _simulate_all(p: dict, lat: Lattice, betas: np.ndarray, workers: int):
    """simulate_beta for every beta, yielded in grid order."""
    if workers > 1 and lat.volume // 2 < PARALLEL_MIN_SITES:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(lambda b: simulate_beta(p, lat, b, parallel=False), betas)
    else:
        for beta in betas:
            yield simulate_beta(p, lat, beta)


def simulate_to_file(params: dict, path, threads: int = 1, progress: bool = True) -> Path:
    """Simulate every beta of the grid and write the HDF5 file at `path`.

    `params` is {"seed": config["seed"], **config["su2"]}. The file appears only when complete
    (written beside `path`, then renamed); the result does not depend on `threads`.
    """
    p = validated_params(params)
    lat = make_lattice(p["n_s"], p["n_t"])
    betas = beta_grid(p)
    with numba_threads(threads) as n_threads:
        with atomic_path(path, suffix=".h5.tmp") as tmp:
            with h5netcdf.File(tmp, "w") as f:
                _create_layout(f, p, lat, betas)
                bar = tqdm(
                    total=len(betas),
                    desc=f"SU(2) {lat.n_s}^3x{lat.n_t}",
                    unit="beta",
                    file=sys.stderr,
                    disable=not progress,
                    mininterval=2.0,
                )
                results = _simulate_all(p, lat, betas, n_threads)
                for i, (beta, out) in enumerate(zip(betas, results)):
                    for var in ("links", *PER_SAMPLE, *PER_BETA):
                        f.variables[var][i] = out[var]
                    bar.update(1)
                    log.info(
                        "beta=%.4f <plaq>=%.4f <|P|>=%.4f tau_int(plaq)=%.2f tau_int(|P|)=%.2f thinning=%d",
                        beta,
                        out["plaquette"].mean(),
                        out["abs_polyakov_loop"].mean(),
                        out["tau_int_plaquette"],
                        out["tau_int_abs_polyakov_loop"],
                        out["thinning_sweeps"],
                    )
                bar.close()
    return Path(path)
