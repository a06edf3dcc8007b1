"""RNG reference vectors, exact Bernoulli masks, independence of the packed replicas."""

import numpy as np
import pytest

from physlens.ising import kernels, wolff
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


@pytest.mark.parametrize("p4, p8", [(0.3, 0.09), (np.exp(-4 / 1.5), np.exp(-8 / 1.5))])
def test_acceptance_masks_have_exact_per_lane_probabilities_and_independent_lanes(p4, p8):
    state = xoshiro_states([99])[0]
    eq1 = np.uint64(0x00000000FFFFFFFF)  # lanes 0-31 see p4, lanes 32-63 p8
    eq0 = ~eq1
    n = 40000
    b4, b8 = probability_bits(p4), probability_bits(p8)
    words = np.array(
        [kernels._acceptance_mask(state, eq1, eq0, b4, b8) for _ in range(n)],
        dtype=np.uint64,
    )
    bits = ((words[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(float)
    freq = bits.mean(axis=0)
    p = np.r_[np.full(32, p4), np.full(32, p8)]
    z = (freq - p) / np.sqrt(p * (1 - p) / n)
    assert np.abs(z).max() < 4.5  # 64 binomial tests at ~1e-5 each
    # independent lanes: pairwise correlations are O(1/sqrt(n)) = 0.005
    corr = np.corrcoef(bits.T)[np.triu_indices(64, 1)]
    assert np.abs(corr).max() < 0.03


def test_replicas_do_not_coalesce():
    """64 replicas from one ordered start must decorrelate: shared random numbers would make
    coupled chains merge into identical configurations."""
    L = 8
    lat = np.zeros((1, L, L), dtype=np.uint64)
    state = xoshiro_states([5])
    T = 2.5
    p4 = probability_bits(np.exp(-4 / T))[None]
    p8 = probability_bits(np.exp(-8 / T))[None]
    kernels.metropolis_run(lat, state, p4, p8, np.array([200]))
    replicas = np.empty((64, L, L), dtype=np.int8)
    for b in range(64):
        kernels.unpack_replica(lat[0], b, replicas[b])
    flat = {replicas[b].tobytes() for b in range(64)}
    assert len(flat) == 64
    # overlaps q = <s_a s_b> of independent paramagnetic replicas scatter around 0
    q = (
        np.einsum("aij,bij->ab", replicas.astype(float), replicas.astype(float))[
            np.triu_indices(64, 1)
        ]
        / L**2
    )
    assert abs(q.mean()) < 0.1


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
