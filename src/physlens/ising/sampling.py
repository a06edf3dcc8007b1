"""Equilibrate, measure tau_int, and sample the 2D Ising model into one HDF5 file per L.

Per temperature: ``min_sweeps`` of burn-in from the ordered state (a random start can
freeze into long-lived stripe states below Tc); a pilot run of ``pilot_sweeps`` measuring
|M| and E after every sweep, from which tau_int of both is estimated (automatic windowing,
averaged over chains); more burn-in if the total so far is below ``tau_multiple * tau``;
then ``samples_per_temperature`` samples, consecutive samples of a chain being
``thinning_sweeps = max(1, ceil(thinning_multiple * tau))`` apart, tau = max of the two.

Metropolis runs 64 replicas per temperature (multi-spin coding, :mod:`.kernels`); Wolff
runs ``wolff_chains`` independent chains (:mod:`.wolff`), in sweep-equivalents.
Temperatures are simulated in batches and written as each batch finishes.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import h5netcdf
import numpy as np
from tqdm import tqdm

from physlens.config import ConfigError, temperature_grid, validate_sections
from physlens.io import CHECKSUMMED, atomic_path
from physlens.ising import kernels, wolff
from physlens.ising.rng import probability_bits, probability_threshold, xoshiro_states
from physlens.parallel import numba_threads
from physlens.provenance import base_attrs
from physlens.seeding import derive_seed
from physlens.stats import integrated_autocorrelation_time

log = logging.getLogger(__name__)

ALGORITHMS = ("metropolis", "wolff")  # stored as codes 0, 1 (flag_meanings)
REPLICAS = 64  # Metropolis replicas per temperature: the bits of a uint64
CHUNK_BYTES = 1 << 22  # spins chunks of at most ~4 MB, one temperature each
MIN_CLUSTER_SIZE_SWEEPS = 10  # Wolff burn-in sweeps that measure the mean cluster size, at least


def validated_params(params: dict, L) -> dict:
    """Check the rule's params.ising (plus seed) against the schema; return it with defaults."""
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2:
        raise ConfigError(f"lattice size L = {L!r}: must be an integer >= 2")
    if "seed" not in params:
        raise ConfigError("ising params: 'seed' missing (the rule passes config['seed'])")
    ising = {k: v for k, v in params.items() if k != "seed"}
    cfg = validate_sections({"seed": params["seed"], "ising": {**ising, "sizes": [int(L)]}})
    return {"seed": cfg["seed"], **cfg["ising"]}


def algorithm_codes(temperatures: np.ndarray, algorithm: dict) -> np.ndarray:
    """0 (Metropolis) or 1 (Wolff) per temperature: Wolff inside the closed wolff_window."""
    codes = np.full(len(temperatures), ALGORITHMS.index(algorithm["default"]), dtype=np.int8)
    window = algorithm["wolff_window"]
    if len(window) == 2:
        inside = (temperatures >= window[0] - 1e-12) & (temperatures <= window[1] + 1e-12)
        codes[inside] = ALGORITHMS.index("wolff")
    return codes


def temperature_key(temperature: float) -> int:
    """Stable seed label of a temperature (nano-units), independent of the rest of the grid."""
    return int(round(float(temperature) * 1e9))


def metropolis_states(seed: int, L: int, temperature: float) -> np.ndarray:
    """(4, STREAMS) xoshiro256** words of one temperature's Metropolis streams (row r = word r)."""
    seeds = [
        derive_seed(seed, "ising", L, temperature_key(temperature), "metropolis", stream)
        for stream in range(kernels.STREAMS)
    ]
    return np.ascontiguousarray(xoshiro_states(seeds).T)


class MetropolisBatch:
    """64 multi-spin-coded replicas for each temperature of a batch, ordered start."""

    def __init__(self, L, temperatures, seed):
        self.L, self.n_chains, self.n_temps = L, REPLICAS, len(temperatures)
        beta = 1.0 / np.asarray(temperatures)
        self.lats = np.zeros((len(beta), L, L), dtype=np.uint64)
        self.states = np.stack([metropolis_states(seed, L, T) for T in temperatures])
        self.p4 = np.stack([probability_bits(np.exp(-4 * b)) for b in beta])
        self.p8 = np.stack([probability_bits(np.exp(-8 * b)) for b in beta])

    def burn_in(self, n_sweeps):
        """Burn-in; returns the sweeps run."""
        self.run(np.full(self.n_temps, n_sweeps, np.int64))
        return n_sweeps

    def run(self, n_sweeps):
        n_sweeps = np.asarray(n_sweeps, np.int64)
        if n_sweeps.shape != (self.n_temps,):
            raise ValueError(
                f"expected {self.n_temps} per-temperature sweep counts, got shape {n_sweeps.shape}"
            )
        kernels.metropolis_run(self.lats, self.states, self.p4, self.p8, n_sweeps)

    def series(self, n):
        e = np.empty((len(self.lats), REPLICAS, n))
        m = np.empty_like(e)
        kernels.metropolis_series(self.lats, self.states, self.p4, self.p8, e, m)
        return e, m

    def samples(self, thinning, n_samples):
        T, L = len(self.lats), self.L
        spins = np.empty((T, n_samples, L, L), dtype=np.int8)
        energy, mag = np.empty((T, n_samples)), np.empty((T, n_samples))
        chain = np.empty((T, n_samples), dtype=np.int32)
        kernels.metropolis_samples(
            self.lats,
            self.states,
            self.p4,
            self.p8,
            np.asarray(thinning, np.int64),
            spins,
            energy,
            mag,
            chain,
        )
        return spins, energy, mag, chain


class WolffBatch:
    """`n_chains` independent Wolff chains for each temperature of a batch, ordered start."""

    def __init__(self, L, temperatures, seed, n_chains):
        self.L, self.n_chains, self.n_temps = L, n_chains, len(temperatures)
        self.lats = np.ones((self.n_temps * n_chains, L, L), dtype=np.int8)
        self.states = xoshiro_states(
            [
                derive_seed(seed, "ising", L, temperature_key(T), "wolff", c)
                for T in temperatures
                for c in range(n_chains)
            ]
        )
        p_add = -np.expm1(-2.0 / np.asarray(temperatures, dtype=float))  # 1 - e^(-2 beta)
        self.threshold = np.repeat(
            np.array([probability_threshold(p) for p in p_add], np.uint64), n_chains
        )
        self.per_sweep = None  # clusters per sweep-equivalent, fixed by burn_in()

    def _per_chain(self, per_temperature):
        """One value per temperature -> one per chain (the kernels index by chain)."""
        per_temperature = np.asarray(per_temperature, np.int64)
        if per_temperature.shape != (self.n_temps,):
            raise ValueError(
                f"expected {self.n_temps} per-temperature values, got shape {per_temperature.shape}"
            )
        return np.repeat(per_temperature, self.n_chains)

    def burn_in(self, n_sweeps):
        """Two halves by flipped spins, the second measuring the clusters per sweep-equivalent;
        returns the sweep-equivalents run (at least MIN_CLUSTER_SIZE_SWEEPS in the second)."""
        n = self.L * self.L
        clusters, flipped = np.zeros(len(self.lats), np.int64), np.zeros(len(self.lats), np.int64)
        first = n_sweeps // 2
        second = max(n_sweeps - first, MIN_CLUSTER_SIZE_SWEEPS)
        for sweeps in (first, second):
            per_chain = self._per_chain(np.full(self.n_temps, sweeps))
            wolff.wolff_run_burn_in(
                self.lats, self.states, self.threshold, per_chain, clusters, flipped
            )
        per_t = (
            n * clusters.reshape(self.n_temps, -1).sum(1) / flipped.reshape(self.n_temps, -1).sum(1)
        )
        self.per_sweep = self._per_chain(np.maximum(1, np.round(per_t)))
        return first + second

    def run(self, n_sweeps):
        wolff.wolff_run(
            self.lats, self.states, self.threshold, self.per_sweep, self._per_chain(n_sweeps)
        )

    def series(self, n):
        e = np.empty((len(self.lats), n))
        m = np.empty_like(e)
        wolff.wolff_series(self.lats, self.states, self.threshold, self.per_sweep, e, m)
        shape = (self.n_temps, self.n_chains, n)
        return e.reshape(shape), m.reshape(shape)

    def samples(self, thinning, n_samples):
        C, L = self.n_chains, self.L
        rounds = -(-n_samples // C)
        spins = np.empty((len(self.lats), rounds, L, L), dtype=np.int8)
        energy, mag = np.empty((len(self.lats), rounds)), np.empty((len(self.lats), rounds))
        wolff.wolff_samples(
            self.lats,
            self.states,
            self.threshold,
            self.per_sweep,
            self._per_chain(thinning),
            spins,
            energy,
            mag,
        )

        # sample r*C + c is chain c after round r, as for the Metropolis replicas
        def order(a):
            a = a.reshape(self.n_temps, C, rounds, *a.shape[2:]).swapaxes(1, 2)
            return a.reshape(self.n_temps, rounds * C, *a.shape[3:])[:, :n_samples]

        chain = np.broadcast_to(np.arange(C, dtype=np.int32), (self.n_temps, rounds, C))
        chain = chain.reshape(self.n_temps, rounds * C)[:, :n_samples]
        return order(spins), order(energy), order(mag), np.ascontiguousarray(chain)


def simulate_batch(batch, p: dict) -> dict:
    """Burn-in, pilot (tau_int), more burn-in if needed, then the samples of one batch."""
    eq = p["equilibration"]
    burned = batch.burn_in(eq["min_sweeps"])
    energy, abs_m = batch.series(p["pilot_sweeps"])
    tau_m = [integrated_autocorrelation_time(x) for x in abs_m]
    tau_e = [integrated_autocorrelation_time(x) for x in energy]
    tau = np.maximum([t.tau for t in tau_m], [t.tau for t in tau_e])
    thinning = np.maximum(1, np.ceil(p["thinning_multiple"] * tau - 1e-9)).astype(np.int64)
    done = burned + p["pilot_sweeps"]
    extra = np.maximum(0, np.ceil(eq["tau_multiple"] * tau) - done).astype(np.int64)
    if extra.any():
        batch.run(extra)
    for t in tau:
        if t > p["pilot_sweeps"] / 50:
            log.warning(
                "tau_int = %.1f sweeps is more than 1/50 of pilot_sweeps = %d: the estimate "
                "is unreliable; raise ising.pilot_sweeps",
                t,
                p["pilot_sweeps"],
            )
    spins, e, m, chain = batch.samples(thinning, p["samples_per_temperature"])
    rounds = -(-p["samples_per_temperature"] // batch.n_chains)  # samples per chain
    return {
        "spins": spins,
        "energy": e,
        "magnetization": m,
        "chain": chain,
        "tau_int_abs_m": np.array([t.tau for t in tau_m]),
        "tau_int_abs_m_error": np.array([t.error for t in tau_m]),
        "tau_int_energy": np.array([t.tau for t in tau_e]),
        "tau_int_energy_error": np.array([t.error for t in tau_e]),
        "thinning_sweeps": thinning,
        "equilibration_sweeps": done + extra,
        "total_sweeps": done + extra + rounds * thinning,
    }


PER_TEMPERATURE = {  # name: (dtype, attributes)
    "algorithm": (
        "i1",
        {
            "long_name": "Monte Carlo update used at this temperature",
            "flag_values": np.arange(len(ALGORITHMS), dtype=np.int8),
            "flag_meanings": " ".join(ALGORITHMS),
        },
    ),
    "n_chains": (
        "i4",
        {"long_name": "independent chains (Metropolis: replicas in the bits of a word)"},
    ),
    "clusters_per_sweep": (
        "i8",
        {
            "long_name": "Wolff clusters per sweep-equivalent (L*L / mean cluster size); 0 for Metropolis"
        },
    ),
    "tau_int_abs_m": (
        "f8",
        {"long_name": "integrated autocorrelation time of |M| (pilot run)", "units": "sweeps"},
    ),
    "tau_int_abs_m_error": (
        "f8",
        {"long_name": "Madras-Sokal error of tau_int_abs_m", "units": "sweeps"},
    ),
    "tau_int_energy": (
        "f8",
        {"long_name": "integrated autocorrelation time of E (pilot run)", "units": "sweeps"},
    ),
    "tau_int_energy_error": (
        "f8",
        {"long_name": "Madras-Sokal error of tau_int_energy", "units": "sweeps"},
    ),
    "thinning_sweeps": (
        "i8",
        {"long_name": "sweeps between consecutive samples of a chain", "units": "sweeps"},
    ),
    "equilibration_sweeps": (
        "i8",
        {
            "long_name": "sweeps before the first sample (burn-in + pilot + extra burn-in)",
            "units": "sweeps",
        },
    ),
    "total_sweeps": (
        "i8",
        {
            "long_name": "sweeps per chain in all: equilibration_sweeps + sample rounds * thinning",
            "units": "sweeps",
        },
    ),
}
SWEEP_NOTE = (
    "Metropolis: one checkerboard sweep = one attempt per site; Wolff: one sweep-equivalent "
    "= clusters_per_sweep single-cluster updates, L*L / mean cluster size (measured in burn-in)"
)


def _global_attrs(p: dict, L: int) -> dict:
    return base_attrs(
        p["seed"],
        L=int(L),
        model="2D Ising, square lattice, periodic boundaries, H = -J sum_<ij> s_i s_j, J = 1, k_B = 1",
        algorithm_default=p["algorithm"]["default"],
        wolff_window=np.asarray(p["algorithm"]["wolff_window"], dtype=float),
        wolff_chains=int(p["wolff_chains"]),
        metropolis_replicas=REPLICAS,
        samples_per_temperature=int(p["samples_per_temperature"]),
        pilot_sweeps=int(p["pilot_sweeps"]),
        equilibration_min_sweeps=int(p["equilibration"]["min_sweeps"]),
        equilibration_tau_multiple=float(p["equilibration"]["tau_multiple"]),
        thinning_multiple=float(p["thinning_multiple"]),
        sweep_definition=SWEEP_NOTE,
        initial_state="ordered, all spins +1",
        rng=(
            "xoshiro256** per chain, state = splitmix64(derive_seed(seed, 'ising', L, "
            "round(T * 1e9), algorithm, chain)); Metropolis: 32 streams per temperature, "
            "word j of a chunk of a sublattice row drawing from stream j, one fresh bit per "
            "replica per comparison step"
        ),
        tau_int_method="Sokal automatic window, c = 6, autocovariance averaged over chains",
    )


def _create_layout(f, p: dict, L: int, temperatures: np.ndarray) -> None:
    """Dimensions, coordinates and empty variables of the per-L file (the shared contract)."""
    n_samples = p["samples_per_temperature"]
    f.dimensions = {"temperature": len(temperatures), "sample": n_samples, "y": L, "x": L}
    f.attrs.update(_global_attrs(p, L))
    coords = {
        "temperature": (temperatures, {"long_name": "temperature T", "units": "J/k_B"}),
        "sample": (np.arange(n_samples, dtype=np.int32), {"long_name": "sample index"}),
        "y": (np.arange(L, dtype=np.int32), {"long_name": "lattice row"}),
        "x": (np.arange(L, dtype=np.int32), {"long_name": "lattice column"}),
    }
    for name, (data, attrs) in coords.items():
        f.create_variable(name, (name,), data=data, **CHECKSUMMED).attrs.update(attrs)
    per_chunk = max(1, min(n_samples, CHUNK_BYTES // (L * L)))
    f.create_variable(
        "spins",
        ("temperature", "sample", "y", "x"),
        dtype="i1",
        chunks=(1, per_chunk, L, L),
        compression="gzip",
        compression_opts=4,
        **CHECKSUMMED,
    ).attrs.update({"long_name": "spin s_i = +-1", "units": "1"})
    sample_vars = {
        "energy": (
            "f8",
            {"long_name": "energy per site E/N = -(1/N) sum_<ij> s_i s_j", "units": "J"},
        ),
        "magnetization": ("f8", {"long_name": "magnetisation per site M/N (signed)", "units": "1"}),
        "chain": (
            "i4",
            {"long_name": "index of the chain (Metropolis: replica bit) of the sample"},
        ),
    }
    for name, (dtype, attrs) in sample_vars.items():
        f.create_variable(name, ("temperature", "sample"), dtype=dtype, **CHECKSUMMED).attrs.update(
            attrs
        )
    for name, (dtype, attrs) in PER_TEMPERATURE.items():
        f.create_variable(name, ("temperature",), dtype=dtype, **CHECKSUMMED).attrs.update(attrs)


def _batches(codes: np.ndarray, p: dict, threads: int):
    """Index arrays of temperatures simulated together: one algorithm, ~`threads` chains' work."""
    for code in np.unique(codes):
        idx = np.nonzero(codes == code)[0]
        # Metropolis: one temperature per thread; Wolff: enough temperatures for `threads` chains
        size = (
            threads
            if ALGORITHMS[code] == "metropolis"
            else max(1, -(-threads // p["wolff_chains"]))
        )
        for start in range(0, len(idx), size):
            yield ALGORITHMS[code], idx[start : start + size]


def simulate_to_file(params: dict, L: int, path, threads: int = 1, progress: bool = True) -> Path:
    """Simulate every temperature of the grid at size L and write the HDF5 file at `path`.

    `params` is the rule's params.ising: config["ising"] without sizes/checks, plus "seed".
    The file appears only when complete (written beside `path`, then renamed).
    """
    p = validated_params(params, L)
    L = int(L)
    temperatures = temperature_grid(p)
    codes = algorithm_codes(temperatures, p["algorithm"])
    with numba_threads(threads) as n_threads:
        with atomic_path(path, suffix=".h5.tmp") as tmp:
            with h5netcdf.File(tmp, "w") as f:
                _create_layout(f, p, L, temperatures)
                bar = tqdm(
                    total=len(temperatures),
                    desc=f"Ising L={L}",
                    unit="T",
                    file=sys.stderr,
                    disable=not progress,
                    mininterval=2.0,
                )
                for name, idx in _batches(codes, p, n_threads):
                    temps = temperatures[idx]
                    batch = (
                        MetropolisBatch(L, temps, p["seed"])
                        if name == "metropolis"
                        else WolffBatch(L, temps, p["seed"], p["wolff_chains"])
                    )
                    out = simulate_batch(batch, p)
                    out["algorithm"] = codes[idx]
                    out["n_chains"] = np.full(len(idx), batch.n_chains)
                    out["clusters_per_sweep"] = (
                        batch.per_sweep[:: batch.n_chains]
                        if name == "wolff"
                        else np.zeros(len(idx), np.int64)
                    )
                    for t, i in enumerate(idx):  # one temperature at a time: chunk-aligned writes
                        for var in ("spins", "energy", "magnetization", "chain"):
                            f.variables[var][i] = out[var][t]
                        for var in PER_TEMPERATURE:
                            f.variables[var][i] = out[var][t]
                    bar.update(len(idx))
                    log.info(
                        "L=%d %s T=%s tau_int(|M|)=%s tau_int(E)=%s thinning=%s",
                        L,
                        name,
                        np.round(temps, 4).tolist(),
                        np.round(out["tau_int_abs_m"], 2).tolist(),
                        np.round(out["tau_int_energy"], 2).tolist(),
                        out["thinning_sweeps"].tolist(),
                    )
                bar.close()
    return Path(path)
