"""RNG reference vectors, exact Bernoulli masks, independence of the packed replicas."""

import numpy as np
import pytest

from physlens.ising import exact, kernels, wolff
from physlens.ising.rng import (
    next_u64,
    probability_bits,
    probability_threshold,
    splitmix64_words,
    xoshiro_states,
)


def test_xoshiro256starstar_reference_vector():
    """Published output of the reference C implementation for the state {1, 2, 3, 4}."""
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    got = [int(next_u64(state)) for _ in range(6)]
    assert got == [
        11520,
        0,
        1509978240,
        1215971899390074240,
        1216172134540287360,
        607988272756665600,
    ]


def test_splitmix64_reference_vector():
    assert [int(x) for x in splitmix64_words(0, 3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]


def test_probability_bits_are_the_binary_expansion():
    bits = probability_bits(0.625)  # 0.101 in binary
    assert [int(b != 0) for b in bits[:4]] == [1, 0, 1, 0] and not bits[4:].any()
    with pytest.raises(ValueError):
        probability_bits(1.0)


def stream_states(seed):
    """(4, STREAMS) xoshiro256** words, as the sampler lays them out."""
    return np.ascontiguousarray(xoshiro_states(range(seed, seed + kernels.STREAMS)).T)


@pytest.mark.parametrize("p4, p8", [(0.3, 0.09), (np.exp(-4 / 1.5), np.exp(-8 / 1.5))])
def test_acceptance_masks_have_exact_per_lane_probabilities_and_independent_lanes(p4, p8):
    """16 words at once, as a sweep draws them: every replica bit of every word is a
    Bernoulli(p) of its own; bits at the same position of different words (drawn in the same
    comparison steps from different streams) and bits within a word are uncorrelated."""
    states = stream_states(99)
    w, n = 16, 20000
    eq1 = np.full(w, 0x00000000FFFFFFFF, dtype=np.uint64)  # bits 0-31 see p4, 32-63 p8
    eq1[1::2] = ~eq1[1::2]  # odd words the other way round
    eq0 = ~eq1
    b4, b8 = probability_bits(p4), probability_bits(p8)
    words = np.array([kernels.acceptance_masks(states, eq1, eq0, b4, b8) for _ in range(n)])
    bits = ((words[..., None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    p = np.where((eq1[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1), p4, p8)
    z = (bits.mean(axis=0) - p) / np.sqrt(p * (1 - p) / n)
    assert np.abs(z).max() < 5.0  # 1024 binomial tests
    # correlations are O(1/sqrt(n)) = 0.007 when independent; a shared random word gives ~1
    for b in (0, 31, 32, 63):
        across_words = np.corrcoef(bits[:, :, b].T.astype(np.float32))[np.triu_indices(w, 1)]
        assert np.abs(across_words).max() < 0.04
    within_word = np.corrcoef(bits[:, 3, :].T.astype(np.float32))[np.triu_indices(64, 1)]
    assert np.abs(within_word).max() < 0.04


def zero_temperature_sweep(spins):
    """Brute force on unpacked replicas (64, L, L) of +-1: sublattice (x + y) even, then odd;
    a spin flips iff dE = 2 s (sum of neighbours) <= 0 (T = 0: p4 = p8 = 0)."""
    L = spins.shape[-1]
    yy, xx = np.indices((L, L))
    for parity in (0, 1):
        nn = sum(np.roll(spins, shift, axis) for shift in (1, -1) for axis in (-1, -2))
        flip = (spins * nn <= 0) & ((yy + xx) % 2 == parity)
        spins = np.where(flip, -spins, spins)
    return spins


def unpack_all(lat):
    out = np.empty((64, *lat.shape), dtype=np.int8)
    for b in range(64):
        kernels.unpack_replica(lat, b, out[b])
    return out


@pytest.mark.parametrize("L", [2, 4, 6, 16, 28, 70])
def test_sweep_geometry_matches_brute_force_at_zero_temperature(L):
    """At T = 0 a sweep is deterministic, so it checks every neighbour of every word of the
    sublattice layout (ghost words, both row parities, padded chunks, several chunks a row)."""
    rng = np.random.default_rng(L)
    lat = rng.integers(0, 2**64, size=(L, L), dtype=np.uint64)
    zero = probability_bits(0.0)
    expected = unpack_all(lat).astype(np.int64)
    for _ in range(3):
        expected = zero_temperature_sweep(expected)
    kernels.metropolis_sweeps(lat, stream_states(1), zero, zero, 3)
    np.testing.assert_array_equal(unpack_all(lat), expected)


def test_replica_measurement_matches_unpacked_lattices():
    rng = np.random.default_rng(0)
    L = 6
    lat = rng.integers(0, 2**63, size=(L, L), dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, (L, L)
    ).astype(np.uint64)
    e, m = np.empty(64), np.empty(64)
    kernels.measure_replicas(lat, e, m)
    spins = np.empty((L, L), dtype=np.int8)
    for b in (0, 1, 31, 63):
        kernels.unpack_replica(lat, b, spins)
        s = spins.astype(float)
        energy = -(s * np.roll(s, -1, 1) + s * np.roll(s, -1, 0)).sum() / L**2
        assert e[b] == energy and m[b] == s.mean()
        assert wolff.lattice_observables(spins) == pytest.approx((energy, s.mean()))


def test_wolff_cluster_limits_of_the_bond_probability():
    lat = np.ones((5, 5), dtype=np.int8)
    stacks = np.empty(25, dtype=np.int32), np.empty(25, dtype=np.int32)
    always, never = probability_threshold(1.0), probability_threshold(0.0)
    size = wolff.wolff_cluster(lat, xoshiro_states([1])[0], always, *stacks)
    assert size == 25 and (lat == -1).all()  # T -> 0: the whole aligned lattice flips
    size = wolff.wolff_cluster(lat, xoshiro_states([1])[0], never, *stacks)
    assert size == 1 and lat.sum() == -23  # T -> inf: single-spin flips


def test_wolff_mean_cluster_size_is_the_susceptibility_at_high_temperature():
    """Improved estimator: <cluster size> = <M^2>/N; at T = 10 the high-temperature series
    gives <M^2>/N = 1 + 4t + 12t^2 + 36t^3 + 100t^4 + 276t^5 + 740t^6 + O(2e-4), t = tanh(1/T)
    (self-avoiding-walk counts; Domb 1960). A wrong bond probability (e.g. 1 - e^-beta)
    shifts the mean by far more than the 4-sigma statistical tolerance of ~0.02."""
    T, L, n = 10.0, 32, 40000
    t = np.tanh(1 / T)
    chi = 1 + 4 * t + 12 * t**2 + 36 * t**3 + 100 * t**4 + 276 * t**5 + 740 * t**6
    lat = np.ones((L, L), dtype=np.int8)
    state = xoshiro_states([2])[0]
    threshold = probability_threshold(-np.expm1(-2 / T))
    wolff.wolff_clusters(lat, state, threshold, 2000)
    sizes = np.array([wolff.wolff_clusters(lat, state, threshold, 1) for _ in range(n)])
    assert sizes.mean() == pytest.approx(chi, abs=4 * sizes.std() / np.sqrt(n) + 5e-4)


@pytest.mark.parametrize("L, T", [(3, 2.0), (5, 2.5), (6, 1.8), (10, 3.0)])
def test_mean_energy_of_both_sweep_paths_matches_kaufman(L, T):
    """Odd L (sequential sweep, stream 0) and even L (vectorised chunks): the 64 replicas'
    mean energy per site agrees with Kaufman's exact finite-torus value within 5 errors
    (error from the spread of the 64 independent replica means)."""
    p4, p8 = probability_bits(np.exp(-4 / T)), probability_bits(np.exp(-8 / T))
    lat, states = np.zeros((L, L), dtype=np.uint64), stream_states(L)
    kernels.metropolis_sweeps(lat, states, p4, p8, 200)
    e, m, series = np.empty(64), np.empty(64), []
    for _ in range(300):
        kernels.metropolis_sweeps(lat, states, p4, p8, 4)
        kernels.measure_replicas(lat, e, m)
        series.append(e.copy())
    per_replica = np.mean(series, axis=0)
    error = per_replica.std(ddof=1) / np.sqrt(64)
    assert per_replica.mean() == pytest.approx(exact.kaufman_energy(T, L), abs=5 * error)
