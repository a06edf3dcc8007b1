"""Siamese networks and the interpretation of their bottleneck (Wetzel et al. 2020).

Truth used here: the exact invariants of the registered systems (physlens.invariants), and
constructed bottlenecks that are known monotone maps of a known polynomial.
"""

from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

from physlens.invariants import DATASETS
from physlens.models import build_model
from physlens.siamese import interpret as itp

LZ = "x*v_y - y*v_x"
KEPLER = ["x", "y", "v_x", "v_y"]


def _siamese(seed=0):
    torch.manual_seed(seed)
    return build_model(
        {
            "name": "siamese_mlp",
            "n_features": 4,
            "hidden": [8],
            "bottleneck": 1,
            "activation": "tanh",
        }
    )


def test_siamese_logit_is_symmetric_in_the_pair_and_maximal_for_equal_members():
    import physlens.models.siamese  # noqa: F401

    model = _siamese()
    pairs = torch.randn(64, 2, 4)
    with torch.no_grad():
        assert torch.equal(model(pairs), model(pairs.flip(1)))
        same = torch.stack([pairs[:, 0], pairs[:, 0]], 1)
        # the distance term vanishes: the logit is the offset, its largest possible value
        assert torch.allclose(model(same), model.offset.expand(64))
        assert torch.all(model(pairs) <= model.offset)


def test_invariant_coefficients_of_registered_invariants():
    assert itp.invariant_coefficients(LZ, KEPLER, 2) == {"x v_y": 1.0, "y v_x": -1.0}
    # the Kepler energy has 1/r: no polynomial, so no weight share is defined
    assert (
        itp.invariant_coefficients(DATASETS["central_potential"].invariants[1], KEPLER, 2) is None
    )
    em = itp.invariant_coefficients(
        DATASETS["em_fields"].invariants[0], list(DATASETS["em_fields"].features), 2
    )
    assert em == {"E_x B_x": 1.0, "E_y B_y": 1.0, "E_z B_z": 1.0}
    assert itp.invariant_coefficients("x**3", ["x"], 2) is None


def test_weight_share_and_cosine_limits():
    inv = {"x v_y": 1.0, "y v_x": -1.0}
    assert itp.weight_share({"x v_y": -403.71, "y v_x": 402.44, "x": 0.0}, inv) == 1.0
    assert itp.weight_share({"x v_y": 1.0, "x": 1.0}, inv) == 0.5
    assert itp.coefficient_cosine({"x v_y": -2.0, "y v_x": 2.0}, inv) == pytest.approx(
        1.0
    )  # sign-blind
    assert itp.coefficient_cosine({"x v_y": 1.0, "y v_x": 1.0}, inv) == pytest.approx(0.0)


def _kepler_points(n=600, seed=1):
    return np.random.default_rng(seed).normal(size=(n, 4))


def test_monotone_linearisation_undoes_a_monotone_map_of_a_polynomial():
    from sklearn.preprocessing import PolynomialFeatures

    X = _kepler_points()
    lz = itp.evaluate_invariant(LZ, X, KEPLER)
    z = np.tanh(0.7 * lz) ** 3  # strictly increasing in L_z, far from affine
    design = PolynomialFeatures(2, include_bias=False).fit_transform(X)
    assert itp.least_squares_r2(design, z) < 0.95
    g = itp.monotone_linearise(z, design, iterations=5)
    assert abs(np.corrcoef(g, lz)[0, 1]) > 0.995
    assert np.corrcoef(g, z)[0, 1] > 0  # orientation of z kept


def test_polynomial_fit_recovers_the_invariant_terms_and_sympy_agrees():
    X = _kepler_points()
    target = itp.standardise(itp.evaluate_invariant(LZ, X, KEPLER))
    coef, _, r2, expr = itp.polynomial_fit(X, target, KEPLER, 2, False, 5, seed=3)
    inv = itp.invariant_coefficients(LZ, KEPLER, 2)
    assert r2 > 0.99
    assert itp.weight_share(coef, inv) > 0.97
    assert itp.coefficient_cosine(coef, inv) > 0.999
    match = itp.monotone_matches(
        expr, [LZ, "x*v_x + y*v_y"], {n: X[:, k] for k, n in enumerate(KEPLER)}, tol=0.01
    )
    assert [m["holds"] for m in match] == [True, False]
    assert isinstance(expr, sympy.Expr)


def test_rank_correlations_tell_invariant_from_its_absolute_value():
    X = _kepler_points()
    lz = itp.evaluate_invariant(LZ, X, KEPLER)
    table = itp.rank_correlations(np.abs(lz), {LZ: lz}).iloc[0]
    assert abs(table["spearman"]) < 0.2 and table["spearman_abs"] == pytest.approx(1.0)


@pytest.mark.slow
def test_pipeline_recovers_angular_momentum_from_kepler_pairs(tmp_path):
    """Generate -> train -> interpret on a small central-potential set (about 15 s on 2 cores)."""
    from physlens.io import read_json
    from physlens.siamese.pipeline import train_siamese, write_pairs

    torch.set_num_threads(1)
    cfg = {
        "n_pairs": 6000,
        "points_per_group": 2,
        "test_fraction": 0.2,
        "val_fraction": 0.15,
        "generator_params": {},
        "architecture": {"hidden": [32, 32], "bottleneck": 1, "activation": "tanh"},
        "train": {"epochs": 60, "batch_size": 128, "lr": 0.003, "patience": 10},
        "interpret": {
            "max_points": 800,
            "degree": 2,
            "standardise_features": False,
            "cv_folds": 4,
            "monotone_iterations": 5,
            "equivalence_tol": 0.05,
            "symbolic_points": 300,
            "symbolic": {
                "engine": "operon",
                "binary_operators": ["add", "sub", "mul"],
                "unary_operators": [],
                "max_complexity": 11,
                "population_size": 100,
                "generations": 15,
                "time_limit_s": 5,
            },
        },
    }
    pairs = tmp_path / "pairs.h5"
    write_pairs("central_potential", cfg, 11, pairs)
    out = {k: tmp_path / f"m.{k}" for k in ("model", "meta", "history", "metrics")}
    metrics = train_siamese(pairs, cfg, {"device": "cpu"}, 11, "central_potential", out)
    assert metrics["test_accuracy"] > 0.8  # chance is 0.5
    iout = {k: tmp_path / f"i.{k}" for k in ("report", "coefficients", "latent", "headline")}
    rep = itp.interpret_siamese(
        pairs, out["model"], out["meta"], cfg, 11, "central_potential", metrics, iout
    )
    assert rep["learned_invariant"] == LZ
    lz = rep["per_invariant"][0]
    # bounds leave room for other seeds: over seeds 11-13, |rho| 0.89-0.97, cosine >= 0.998, share >= 0.93
    assert abs(lz["spearman"]) > 0.85 and abs(rep["per_invariant"][1]["spearman"]) < 0.3
    assert lz["coefficient_cosine"] > 0.98 and lz["weight_share"] > 0.8
    assert lz["polynomial_monotone"]["holds"] and lz["symbolic_monotone"]["holds"]
    names = {r["name"] for r in read_json(iout["headline"])["records"]}
    assert "siamese.central_potential.test_accuracy" in names


def test_config_blocks_fill_defaults_and_name_bad_keys():
    from physlens.config import ConfigError, load_config, validate_config

    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "test.yaml")
    assert set(cfg["siamese"]["datasets"]) <= set(DATASETS)
    assert cfg["siamese"]["interpret"]["degree"] == 2  # filled from the schema's default
    cfg["siamese"]["generator_params"] = {"kepler": {"energy_range": [-1, -0.5]}}
    with pytest.raises(ConfigError, match=r"siamese\.generator_params"):
        validate_config(cfg)


def test_unknown_generator_parameter_is_named(tmp_path):
    from physlens.siamese.pipeline import write_pairs

    cfg = {
        "n_pairs": 20,
        "points_per_group": 2,
        "test_fraction": 0.2,
        "generator_params": {"oscillator": {"amplitude": 1}},
    }
    with pytest.raises(KeyError, match="amplitude"):
        write_pairs("oscillator", cfg, 0, tmp_path / "p.h5")
