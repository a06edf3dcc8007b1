"""The userdata stage's library: the data-set contract and its errors, user observables
(functions, expressions) joining the registry and the ranking, models loaded without
unpickling, and the analyses on cases whose answer is known by construction.

Known answers: an activation built as a strictly monotone function of a user observable has
|Spearman| 1 with it and must rank it first among built-in and user candidates; expressions
reproduce NumPy reductions written out by hand; a traced or scripted model loaded back
returns the original's logits; P(class 1) = sigmoid((Tc - T) / w) crosses 1/2 at Tc; a hidden
representation h = a + b q has data direction b, and a linear head w turns it into dlogit/dq
= w . b.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import xarray as xr

from physlens.config import ConfigError, module_config, validate_config
from physlens.interpret.probing import rank_observables
from physlens.io import DataFileError
from physlens.modelfiles import ModelFileError
from physlens.models import build_model
from physlens.observables import compute_observables, list_observables
from physlens.seeding import rng
from physlens.userdata import analysis, candidates, dataset, expressions, models
from physlens.userdata.candidates import UserObservableError
from physlens.userdata.dataset import UserDataError

VARIABLES = {"configurations": "configurations", "control": "temperature"}
L = 6


def _write(path, **variables) -> str:
    xr.Dataset(variables).to_netcdf(path, engine="h5netcdf")
    return str(path)


def _ising_like(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """+-1 configurations (n, L, L) whose magnetisation varies from sample to sample, and a
    control that goes with it."""
    r = np.random.default_rng(seed)
    p_up = r.uniform(0.05, 0.95, n)
    s = np.where(r.random((n, L, L)) < p_up[:, None, None], 1, -1).astype(np.int8)
    return s, np.round(2.5 - 2 * np.abs(p_up - 0.5), 3)


@pytest.fixture()
def good_file(tmp_path):
    s, T = _ising_like()
    return _write(
        tmp_path / "data.h5",
        configurations=(("sample", "y", "x"), s),
        temperature=("sample", T),
        energy=("sample", compute_observables(s, ["energy"])["energy"].values),
    )


# --- the contract ---------------------------------------------------------------------------


def test_a_good_file_loads_with_its_roles(good_file):
    d = dataset.load_user_dataset(good_file, VARIABLES)
    assert d.n == 120 and d.spatial_shape == (L, L) and not d.has_channel
    assert list(d.observables) == ["energy"] and d.labels is None
    assert d.inputs().dtype == np.float32


def _one_error(path, variables=VARIABLES, **extra) -> str:
    with pytest.raises(DataFileError) as err:
        dataset.load_user_dataset(path, {**variables, **extra})
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    return msg


def test_a_missing_variable_is_named_with_its_key(tmp_path):
    s, _ = _ising_like()
    path = _write(tmp_path / "d.h5", configurations=(("sample", "y", "x"), s))
    msg = _one_error(path)
    assert "temperature (userdata.variables.control)" in msg and "configurations" in msg


def test_wrong_dims_are_named(tmp_path):
    s, T = _ising_like()
    path = _write(
        tmp_path / "d.h5",
        configurations=(("y", "sample", "x"), s.transpose(1, 0, 2)),
        temperature=("sample", T),
    )
    msg = _one_error(path)
    assert "configurations (userdata.variables.configurations) has dims ('y', 'sample', 'x')" in msg
    path = _write(
        tmp_path / "e.h5",
        configurations=(("sample", "y", "x"), s),
        temperature=(("sample", "run"), np.stack([T, T], 1)),
    )
    assert "temperature (userdata.variables.control) has dims ('sample', 'run')" in _one_error(path)


def test_nan_is_named_with_its_position(tmp_path):
    s, T = _ising_like()
    x = s.astype(float)
    x[7, 2, 3] = np.nan
    path = _write(
        tmp_path / "d.h5", configurations=(("sample", "y", "x"), x), temperature=("sample", T)
    )
    msg = _one_error(path)
    assert "configurations is not finite" in msg and "sample=7, y=2, x=3" in msg
    E = np.zeros(len(T))
    E[3] = np.inf
    path = _write(
        tmp_path / "e.h5",
        configurations=(("sample", "y", "x"), s),
        temperature=("sample", T),
        energy=("sample", E),
    )
    assert "energy is not finite" in _one_error(path)


def test_bad_labels_and_a_missing_file_are_named(tmp_path):
    s, T = _ising_like()
    lab = np.zeros(len(T))
    lab[0] = 2
    path = _write(
        tmp_path / "d.h5",
        configurations=(("sample", "y", "x"), s),
        temperature=("sample", T),
        phase=("sample", lab),
    )
    assert "phase (userdata.variables.labels) holds [2.0]" in _one_error(path, labels="phase")
    _one_error(tmp_path / "absent.h5")


def test_split_balances_train_and_val_and_tests_the_rest():
    labels = np.repeat([1, -1, 0], [300, 50, 100])
    part = dataset.split_parts(labels, 0.2, 0.3, rng(1, "t"), where="x")
    for code in (dataset.TRAIN, dataset.VAL):
        sel = part == code
        assert (labels[sel] == 1).sum() == (labels[sel] == 0).sum() > 0
    assert (part[labels == -1] == dataset.TEST).all()
    # the classes' shares of train and val: 30% test and 20% val of the 400 labelled samples
    assert (part == dataset.VAL).sum() == 2 * min(80, ((part == dataset.VAL) & (labels == 0)).sum())
    again = dataset.split_parts(labels, 0.2, 0.3, rng(1, "t"), where="x")
    assert (part == again).all()
    with pytest.raises(UserDataError, match="no sample of class 0"):
        dataset.split_parts(np.repeat([1, -1], [50, 5]), 0.2, 0.3, rng(1, "t"), where="f.h5")


# --- observables ----------------------------------------------------------------------------

OBS_MODULE = '''
import numpy as np

def staggered(s):
    """|staggered magnetisation| per site"""
    i, j = np.indices(s.shape[1:])
    return np.abs((s * (-1.0) ** (i + j)).mean(axis=(1, 2)))

staggered.unit = "1"

def broken(s):
    raise ZeroDivisionError("no")

def one_value(s):
    return 1.0

def energy(s):
    return s.mean(axis=(1, 2))
'''


@pytest.fixture()
def obs_module(tmp_path):
    path = tmp_path / "my_obs.py"
    path.write_text(OBS_MODULE)
    return str(path)


def test_user_observables_join_the_registry_and_the_ranking(good_file, obs_module):
    """A neuron that is a monotone function of the user's observable ranks it first, ahead of
    every built-in Ising observable, with |rho| = 1."""
    d = dataset.load_user_dataset(good_file, VARIABLES)
    cfg = {"module": obs_module, "functions": ["staggered"], "expressions": {"m2": "mean(x)**2"}}
    table, meta = candidates.candidate_observables(d, "ising", cfg)
    assert set(list_observables("ising")) <= set(table)
    assert meta["staggered"].source == "function" and meta["energy"].source == "builtin"
    assert "staggered" in list_observables("ising")  # joined the registry
    assert np.allclose(
        compute_observables(d.configurations, ["staggered"])["staggered"], table["staggered"]
    )
    assert np.allclose(table["m2"], table["magnetization_squared"])
    f = np.tanh(4 * table["staggered"]) + 0.5 * table["staggered"] ** 3
    ranking = rank_observables(f, table, bootstrap_resamples=20)
    assert str(ranking.observable.values[0]) == "staggered"
    assert float(ranking.sel(observable="staggered").abs_spearman) == pytest.approx(1.0)
    # loading the module again (same process) replaces its registrations instead of failing
    candidates.candidate_observables(d, "ising", cfg)


@pytest.mark.parametrize(
    ("functions", "expressions", "match"),
    [
        (
            ["broken"],
            {},
            r"my_obs.py:broken raised ZeroDivisionError: no on the configurations of .*data.h5",
        ),
        (["one_value"], {}, r"my_obs.py:one_value returned shape \(\) .*expected \(120,\)"),
        (["missing"], {}, r"'missing' is not a function of module"),
        (["energy"], {}, r"'energy' of .* has the name of a built-in ising observable"),
        ([], {"bad": "x.__class__"}, r"userdata.observables.expressions.bad .* not allowed"),
        ([], {"bad": "mean(y)"}, r"unknown name 'y'"),
        ([], {"bad": "x * 2"}, r"gives shape \(120, 6, 6\)"),
        ([], {"bad": "log(mean(x) - 2)"}, r"not finite .* first at sample 0"),
    ],
)
def test_a_bad_observable_stops_with_one_message(
    good_file, obs_module, functions, expressions, match
):
    d = dataset.load_user_dataset(good_file, VARIABLES)
    cfg = {"module": obs_module, "functions": functions, "expressions": expressions}
    with pytest.raises(UserObservableError, match=match) as err:
        candidates.candidate_observables(d, "ising", cfg)
    assert "userdata.observables" in str(err.value) and "\n" not in str(err.value)


def test_a_module_that_is_not_there_or_does_not_import_is_named(good_file, tmp_path):
    d = dataset.load_user_dataset(good_file, VARIABLES)
    with pytest.raises(UserObservableError, match=r"module = 'nope.py': file .*nope.py not found"):
        candidates.candidate_observables(d, "other", {"module": "nope.py", "functions": ["f"]})
    (tmp_path / "bad.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(UserObservableError, match="importing it raised ModuleNotFoundError"):
        candidates.candidate_observables(
            d, "other", {"module": str(tmp_path / "bad.py"), "functions": ["f"]}
        )


def test_a_new_system_has_only_the_users_candidates(good_file, obs_module):
    d = dataset.load_user_dataset(good_file, VARIABLES)
    table, meta = candidates.candidate_observables(
        d, "mylattice", {"module": obs_module, "functions": ["staggered"]}
    )
    assert list(table) == ["staggered", "energy"]  # the function, then the file's variable
    assert meta["energy"].source == "precomputed"


def test_expressions_compute_what_numpy_computes():
    r = np.random.default_rng(3)
    x = r.normal(size=(5, 2, 4, 4))
    cases = {
        "mean(x)": x.mean(axis=(1, 2, 3)),
        "sqrt(mean(channel(x, 0))**2 + mean(channel(x, 1))**2)": np.hypot(
            x[:, 0].mean(axis=(1, 2)), x[:, 1].mean(axis=(1, 2))
        ),
        "mean(channel(x, 0) * roll(channel(x, 0), 1, -1))": (
            x[:, 0] * np.roll(x[:, 0], 1, -1)
        ).mean(axis=(1, 2)),
        "-q + 2 * pi": -np.arange(5.0) + 2 * np.pi,
    }
    for text, expected in cases.items():
        assert np.allclose(
            expressions.evaluate_expression(text, x, {"q": np.arange(5.0)}), expected
        ), text
    for bad in ("__import__('os')", "x[0]", "mean(x, axis=1)", "lambda: 1", "'a'"):
        with pytest.raises(expressions.ExpressionError):
            expressions.evaluate_expression(bad, x, {})


# --- models ---------------------------------------------------------------------------------

ARCH = {"name": "phase_cnn", "channels": [4], "kernel": 1, "activation": "tanh", "in_channels": 2}


class Exported(nn.Module):
    """A user's own network: per-site features, lattice mean, linear head; exports hidden/head."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.hidden(x))

    @torch.jit.export
    def hidden(self, x):
        return torch.tanh(self.conv(x)).mean(dim=(-2, -1))

    @torch.jit.export
    def head(self, h):
        return self.out(h).squeeze(-1)


def _x(n=10, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2, L, L)).astype(np.float32)


def test_torchscript_round_trip_keeps_logits_and_views(tmp_path):
    torch.manual_seed(0)
    net = Exported().eval()
    path = tmp_path / "net.ts"
    torch.jit.save(torch.jit.script(net), str(path))
    m = models.load_user_model({"torchscript": str(path)}, {"model": str(path)})
    x = _x()
    with torch.no_grad():
        expected = net(torch.as_tensor(x)).double().numpy()
    assert np.allclose(m.logit(x), expected, atol=1e-6)
    report = models.check_fit(m, x, "data.h5")
    assert report["hidden"] and report["head"] and report["input_shape"] == [4, 2, L, L]
    assert np.allclose(m.head(m.hidden(x)), expected, atol=1e-5)


def test_traced_registry_model_and_state_dict_round_trip(tmp_path):
    torch.manual_seed(1)
    net = build_model(ARCH).eval()
    x = _x()
    with torch.no_grad():
        expected = net(torch.as_tensor(x)).double().numpy()
    ts = tmp_path / "traced.ts"
    torch.jit.save(torch.jit.trace(net, torch.as_tensor(x[:2])), str(ts))
    traced = models.load_user_model({"torchscript": str(ts)}, {"model": str(ts)})
    assert np.allclose(traced.logit(x), expected, atol=1e-6)
    assert models.check_fit(traced, x, "d.h5")["hidden"] is False  # a trace exports no views
    sd = tmp_path / "weights.pt"
    torch.save(net.state_dict(), sd)
    loaded = models.load_user_model(
        {"state_dict": str(sd), "architecture": ARCH}, {"model": str(sd)}
    )
    assert np.allclose(loaded.logit(x), expected, atol=1e-6)
    report = models.check_fit(loaded, x, "d.h5")
    assert report["hidden"] and report["head"]  # the phase CNN's pooled |features| and head


def test_an_exported_program_round_trips_and_is_explained(tmp_path):
    """torch.export (the successor of TorchScript): logits kept for any batch size, a foreign
    shape named, and the explainers' gradients flow through it."""
    from physlens.interpret import attributions

    torch.manual_seed(2)
    net = build_model(ARCH).eval()
    x = _x()
    batch = torch.export.Dim("batch")
    program = torch.export.export(net, (torch.as_tensor(x[:3]),), dynamic_shapes=({0: batch},))
    path = tmp_path / "net.pt2"
    torch.export.save(program, str(path))
    m = models.load_user_model({"exported": str(path)}, {"model": str(path)})
    with torch.no_grad():
        expected = net(torch.as_tensor(x)).double().numpy()
    assert np.allclose(m.logit(x), expected, atol=1e-6)
    assert models.check_fit(m, x, "d.h5")["hidden"] is False
    a, _ = attributions.attribute(m.module, x[:4], "saliency")
    net_a, _ = attributions.attribute(net, x[:4], "saliency")
    assert np.allclose(a.numpy(), net_a.numpy(), atol=1e-6)
    with pytest.raises(models.ModelInputError, match=r"net.pt2: the model does not take"):
        models.check_fit(m, x[:, :1], "d.h5")
    junk = tmp_path / "junk.pt2"
    torch.save(net.state_dict(), junk)
    with pytest.raises(
        ModelFileError, match=r"userdata.model.exported = .*junk.pt2.*not a program"
    ):
        models.load_user_model({"exported": str(junk)}, {"model": str(junk)})


def test_pickles_and_mismatched_weights_are_refused(tmp_path):
    net = build_model(ARCH)
    pickled = tmp_path / "pickled.pt"
    torch.save(net, pickled)  # a whole pickled module
    with pytest.raises(
        ModelFileError,
        match=r"userdata.model.torchscript = .*pickled.pt.*not a TorchScript archive",
    ):
        models.load_user_model({"torchscript": str(pickled)}, {"model": str(pickled)})
    with pytest.raises(ModelFileError, match="weights_only load refused it"):
        models.load_user_model(
            {"state_dict": str(pickled), "architecture": ARCH}, {"model": str(pickled)}
        )
    sd = tmp_path / "w.pt"
    torch.save(net.state_dict(), sd)
    other = {**ARCH, "channels": [5]}
    with pytest.raises(ModelFileError, match=r"w.pt.*weights do not fit architecture"):
        models.load_user_model({"state_dict": str(sd), "architecture": other}, {"model": str(sd)})


def test_a_model_that_does_not_fit_the_data_is_named(tmp_path):
    one_channel = build_model({**ARCH, "in_channels": 1})
    sd = tmp_path / "one.pt"
    torch.save(one_channel.state_dict(), sd)
    m = models.load_user_model(
        {"state_dict": str(sd), "architecture": {**ARCH, "in_channels": 1}}, {"model": str(sd)}
    )
    with pytest.raises(
        models.ModelInputError,
        match=r"one.pt: the model does not take the configurations of data.h5 \(batch of shape \(4, 2, 6, 6\)",
    ) as err:
        models.check_fit(m, _x(), "data.h5")
    assert "\n" not in str(err.value)

    class TwoOutputs(nn.Module):
        def forward(self, x):
            return x.mean(dim=(-2, -1))

    ts = tmp_path / "two.ts"
    torch.jit.save(torch.jit.script(TwoOutputs()), str(ts))
    m = models.load_user_model({"torchscript": str(ts)}, {"model": str(ts)})
    with pytest.raises(
        models.ModelInputError, match=r"two.ts: .* returned \(4, 2\); expected one decision logit"
    ):
        models.check_fit(m, _x(), "data.h5")


# --- analyses with known answers ------------------------------------------------------------


def test_the_crossing_of_a_known_curve_is_found():
    Tc, w = 1.03, 0.05
    T = np.repeat(np.linspace(0.8, 1.3, 11), 40)
    p = 1 / (1 + np.exp(-(Tc - T) / w))
    res = analysis.critical_control(T, p, rising=False, rng=rng(1, "b"), n_resamples=20)
    # linear interpolation of a logistic between grid points 0.05 apart
    assert res["value"] == pytest.approx(Tc, abs=2e-3)
    assert res["error"] == pytest.approx(0.0, abs=1e-12)  # no sample scatter
    assert analysis.class1_rises(T, (T < 1).astype(int)) is False


def test_knobs_recover_the_data_direction_and_the_heads_response():
    r = np.random.default_rng(2)
    q = r.uniform(0, 1, 400)
    a, b = np.array([0.3, -0.2, 0.1]), np.array([1.5, -0.5, 2.0])
    H = a + np.outer(q, b) + 1e-6 * r.normal(size=(400, 3))
    w = np.array([2.0, 1.0, -0.5])
    labels = (q > 0.5).astype(int)
    knobs = analysis.concept_knobs(H, lambda h: h @ w, {"q": q}, labels)
    k = knobs["q"]
    assert k["r2"] == pytest.approx(1.0, abs=1e-9)
    assert k["effect_mean"] == pytest.approx(w @ b)
    assert k["effect_positive_fraction"] == 1.0
    # from the class-0 mean the logit w.(h0 + t b) reaches 0 at t = -w.h0 / w.b
    h0 = H[labels == 0].mean(0)
    assert k["flip_from_class0"] == pytest.approx(-(w @ h0) / (w @ b), rel=1e-6)
    assert analysis.data_signs({"q": q, "minus": -q}, labels) == {"q": 1.0, "minus": -1.0}


# --- config ---------------------------------------------------------------------------------


def _with_userdata(minimal_config, **block):
    cfg = {k: v for k, v in minimal_config.items() if k in ("seed", "ising")}
    cfg["userdata"] = {"data": "d.h5", "windows": {"low_max": 1, "high_min": 2}, **block}
    return cfg


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"model": {"train": {"architecture": ARCH}, "torchscript": "m.ts"}},
            "give one of train, torchscript, exported, state_dict",
        ),
        ({"model": {"state_dict": "w.pt"}}, "state_dict and architecture go together"),
        ({"model": {"torchscript": "m.ts"}, "variables": {"labels": "y"}}, "not both"),
        (
            {"model": {"torchscript": "m.ts"}, "confounder": {"explainers": ["lrp"]}},
            "need a model built of torch layers",
        ),
        (
            {
                "model": {"torchscript": "m.ts"},
                "split": {"val_fraction": 0.5, "test_fraction": 0.6},
            },
            "leaves no training samples",
        ),
        (
            {"model": {"torchscript": "m.ts"}, "observables": {"functions": ["f"]}},
            "set userdata.observables.module too",
        ),
    ],
)
def test_config_errors_name_the_keys(minimal_config, block, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(_with_userdata(minimal_config, **block))


def test_module_config_keeps_the_defaults_under_the_users_keys(tmp_path):
    defaults = tmp_path / "config.yaml"
    defaults.write_text("seed: 1\ntraining: {epochs: 20, lr: 0.001}\nising: {sizes: [8]}\n")
    user = {"seed": 2, "training": {"lr": 0.1}, "userdata": {"data": "d.h5"}}
    merged = module_config(user, defaults)
    assert merged == {
        "seed": 2,
        "training": {"epochs": 20, "lr": 0.1},
        "ising": {"sizes": [8]},
        "userdata": {"data": "d.h5"},
    }
    assert user == {"seed": 2, "training": {"lr": 0.1}, "userdata": {"data": "d.h5"}}


# --- a user's TorchScript model through every analysis ------------------------------------


class AbsMagnetisation(nn.Module):
    """A user's network whose decision is 8 (|M| - 1/2) exactly: hidden |M|, linear head."""

    def forward(self, x):
        return self.head(self.hidden(x))

    @torch.jit.export
    def hidden(self, x):
        return x.mean(dim=(-2, -1)).abs().unsqueeze(-1)

    @torch.jit.export
    def head(self, h):
        return 8.0 * (h.squeeze(-1) - 0.5)


def test_a_users_torchscript_model_runs_through_every_analysis(
    tmp_path, monkeypatch, minimal_config
):
    """Known answers: the logit is a strictly increasing function of |M|, so |M| (and its exact
    equivalent M^2) ranks first with |rho| = 1; the knob of |M| moves the hidden unit by
    exactly one per unit of |M|, so dlogit/d|M| = 8; the gradient of |M| is the same at every
    site, so no region of the lattice is enriched."""
    from physlens.userdata import analysis_pipeline as A
    from physlens.userdata import pipeline as P

    monkeypatch.chdir(tmp_path)
    s, _ = _ising_like(n=200, seed=4)
    m = np.abs(s.mean(axis=(1, 2)))
    T = np.round(2.5 - m, 1)  # ordered at low T
    _write("d.h5", configurations=(("sample", "y", "x"), s), temperature=("sample", T))
    torch.jit.save(torch.jit.script(AbsMagnetisation()), "net.ts")
    cfg = {k: v for k, v in minimal_config.items() if k in ("seed", "ising")}
    cfg["userdata"] = {
        "name": "mine",
        "data": "d.h5",
        "system": "ising",
        "windows": {"low_max": 1.8, "high_min": 2.2},
        "model": {"torchscript": "net.ts"},
        "reference": {"observable": "abs_magnetization", "confounder_free": True},
    }
    cfg = validate_config(cfg)
    ud, seed = cfg["userdata"], cfg["seed"]
    var, files = ud["variables"], {"model": "net.ts", "data": "d.h5"}
    args = ("d.h5", var, ud["windows"], ud["split"], "ising", ud["observables"])
    P.check_inputs(*args, ud["reference"], "mine", seed, "check.json")
    with pytest.raises(UserDataError, match="userdata.reference.observable = 'nope' is not a"):
        P.check_inputs(*args, {"observable": "nope"}, "mine", seed, "other.json")
    P.write_split("d.h5", var, ud["windows"], ud["split"], "mine", seed, "split.h5")
    P.compute_candidates("d.h5", var, "ising", ud["observables"], "obs.h5")
    report = P.check_model(ud["model"], files, "d.h5", var, "mine", seed, "model_check.json")
    assert report["hidden"] and report["head"]
    out = P.evaluate_model(
        ud["model"], files, "d.h5", var, "split.h5", "model_check.json", "out.h5"
    )
    assert int(out["analysed"].sum()) == 200  # a user's model: every sample
    ranking, _ = A.run_probing(
        "out.h5",
        "obs.h5",
        cfg["interpret"]["probing"],
        cfg["representations"]["parsimony"],
        ud["reference"],
        "mine",
        seed,
        "ranking.h5",
        "linear.h5",
        "parsimony.csv",
        "h1.json",
    )
    top = {str(o) for o in ranking.observable.values[ranking["rank"].values == 1]}
    assert top == {"abs_magnetization", "magnetization_squared"}
    assert float(ranking.sel(observable="abs_magnetization").abs_spearman) == pytest.approx(1.0)
    conc = A.run_concepts(
        "out.h5",
        "obs.h5",
        ud["model"],
        files,
        "model_check.json",
        ud["reference"],
        "mine",
        seed,
        "concepts.h5",
        "h2.json",
    )
    assert float(conc.effect_mean.sel(observable="abs_magnetization")) == pytest.approx(
        8.0, rel=1e-5
    )
    conf = A.run_confounder(
        ud["model"],
        files,
        "d.h5",
        var,
        "out.h5",
        ud["confounder"],
        cfg["interpret"]["attributions"],
        ud["reference"],
        "mine",
        seed,
        "conf.h5",
        "h3.json",
    )
    assert float(conf.enrichment.max()) == pytest.approx(1.0, abs=1e-4)
    A.run_phase("out.h5", 20, ud["reference"], "mine", seed, "phase.h5", "h4.json")
    A.run_representations("out.h5", "obs.h5", 4, "mine", seed, "repr.h5", "h5.json")
    import json

    records = [r for f in ("h1.json", "h2.json", "h3.json") for r in json.load(open(f))["records"]]
    judged = {r["name"]: r["status"] for r in records if r["status"] != "info"}
    assert judged == {
        "userdata.mine.abs_spearman[abs_magnetization]": "met",
        "userdata.mine.expected_ranks_first": "met",
        "userdata.mine.knob_follows_data[abs_magnetization]": "met",
        "userdata.mine.confounder_flagged": "met",
    }


def test_the_examples_potts_sampler_has_the_exact_energy_of_a_small_lattice():
    """The example's heat bath against exact enumeration: on the 2x2 torus (3^4 states) the
    mean energy per site at beta = 1 is a finite sum; 4000 independent chains after 40
    sweeps must match it within 4 standard errors."""
    import importlib.util
    import itertools

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location(
        "potts_data", ROOT / "docs" / "examples" / "own-data" / "potts_data.py"
    )
    potts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(potts)
    states = np.array(list(itertools.product(range(3), repeat=4)), np.int8).reshape(-1, 2, 2)
    e = potts.energy_per_site(states)
    w = np.exp(-4 * e)  # beta = 1, N = 4 sites: exp(-beta N E/N)
    exact = float((w * e).sum() / w.sum())
    ds = potts.sample_potts(2, [1.0], samples=4000, sweeps=40, seed=3)
    measured = ds["energy"].values
    assert abs(measured.mean() - exact) < 4 * measured.std() / np.sqrt(len(measured))
    # the stored unit vectors are the states' (cos, sin) of 2 pi s / 3
    angle = np.arctan2(ds["configurations"][:, 1], ds["configurations"][:, 0]) % (2 * np.pi)
    assert np.allclose(np.round(angle / (2 * np.pi / 3)) * 2 * np.pi / 3, angle, atol=1e-5)
