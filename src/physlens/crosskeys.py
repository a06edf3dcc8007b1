"""Cross-key checks of the config: every relation between two or more keys that a JSON
schema cannot express, each stage's section against the keys of the stages it builds on
(pure Python and numpy: :func:`physlens.config.validate_config` runs these while the
Snakefile builds the DAG, so nothing heavy may be imported here).

Each message names the offending key(s) as dotted paths, like :mod:`physlens.config`.
"""

from __future__ import annotations

import numpy as np

from physlens.config import linspace, model_names, su2_size_errors, su2_sizes, temperature_grid
from physlens.slices import ccnn_pair_window, split_sizes


def _windows_errors(key: str, w: dict, low: str, high: str, grid=None, unit="T") -> list[str]:
    """A (low, high) labelling window pair: ordered, and (given the grid) each side non-empty."""
    if not w or low not in w or high not in w:
        return []
    if not w[low] < w[high]:
        return [f"{key}.{low} = {w[low]!r}: must be below {key}.{high} = {w[high]!r}"]
    if grid is None or len(grid) == 0:
        return []
    if not (grid <= w[low] + 1e-12).any() or not (grid >= w[high] - 1e-12).any():
        return [
            f"{key} = {{{low}: {w[low]!r}, {high}: {w[high]!r}}}: leave no {unit} of the grid "
            f"{np.round(grid, 4).tolist()} on one side (both classes need samples)"
        ]
    return []


def _size_errors(cfg: dict, sizes) -> list[str]:
    """Every lattice size a stage trains or analyses must be one the Ising stage simulates."""
    wanted = {
        "supervised.classifier.L": cfg.get("supervised", {}).get("classifier", {}).get("L"),
        "supervised.probes.L": cfg.get("supervised", {}).get("probes", {}).get("L"),
        "unsupervised.L": cfg.get("unsupervised", {}).get("L"),
    }
    twin = cfg.get("twin", {})
    if "ising_energy" in twin.get("tasks", []):
        wanted["twin.ising_L"] = twin.get("ising_L")
    return [
        f"{key} = {L!r}: not in ising.sizes = {sorted(sizes)} (add it there to simulate "
        f"that lattice)"
        for key, L in wanted.items()
        if L is not None and L not in sizes
    ]


def _supervised_errors(cfg: dict, grid) -> list[str]:
    sup = cfg.get("supervised")
    if not sup:
        return []
    errors = _windows_errors(
        "supervised.windows", sup.get("windows", {}), "ordered_max", "disordered_min", grid
    )
    probes = sup.get("probes", {})
    L = probes.get("L")
    for ky, kx in probes.get("receptive_fields", []):
        if L is not None and (ky > L or kx > L):
            errors.append(
                f"supervised.probes.receptive_fields: [{ky}, {kx}] is larger than the "
                f"supervised.probes.L = {L} lattice"
            )
    arch = sup.get("classifier", {}).get("architecture", {})
    if arch.get("z2_odd") and arch.get("activation") not in (None, "tanh", "softsign"):
        errors.append(
            f"supervised.classifier.architecture.activation = {arch['activation']!r}: "
            "z2_odd needs an odd activation (tanh or softsign)"
        )
    n = cfg.get("ising", {}).get("samples_per_temperature")
    vf, tf = sup.get("val_fraction"), sup.get("test_fraction")
    if n is not None and vf is not None and tf is not None:
        n_val, n_test = int(round(vf * n)), int(round(tf * n))
        if n - n_val - n_test < 1 or n_val < 1:
            errors.append(
                f"ising.samples_per_temperature = {n}: cannot be split with "
                f"supervised.val_fraction = {vf} and test_fraction = {tf} "
                "(need at least one training and one validation sample)"
            )
    return errors


def _model_name_errors(cfg: dict) -> list[str]:
    sup, interp = cfg.get("supervised", {}), cfg.get("interpret", {})
    if not sup or not interp:
        return []
    known = {f"probe_{ky}x{kx}" for ky, kx in sup.get("probes", {}).get("receptive_fields", [])}
    known |= {f"classifier_member{k}" for k in range(sup.get("classifier", {}).get("members", 0))}
    asked = list(interp.get("models", [])) + [interp.get("influence_model")]
    unknown = [m for m in asked if m is not None and m not in known]
    if not unknown:
        return []
    return [
        f"interpret.models / interpret.influence_model: {unknown} are not trained by the "
        f"supervised stage (known: {sorted(known)}; see supervised.probes.receptive_fields "
        "and supervised.classifier.members)"
    ]


def _su2_errors(cfg: dict) -> list[str]:
    su2 = cfg.get("su2")
    if not su2 or "beta" not in su2:
        return []
    g = su2["beta"]
    if g["stop"] < g["start"] or (g["num"] > 1 and g["stop"] == g["start"]):
        return [
            f"su2.beta.stop = {g['stop']!r}: must be > start = {g['start']!r} "
            "(or equal to it with num = 1)"
        ]
    learn = cfg.get("su2_learning", {})
    errors = _windows_errors(
        "su2_learning.windows",
        learn.get("windows", {}),
        "confined_max",
        "deconfined_min",
        np.round(linspace(g), 12),
        unit="beta",
    )
    probing = learn.get("probing", {})
    if probing and probing.get("expected") not in probing.get("observables", []):
        errors.append(
            f"su2_learning.probing.expected = {probing.get('expected')!r}: not among "
            f"su2_learning.probing.observables = {probing.get('observables')}"
        )
    kernel = learn.get("classifier", {}).get("architecture", {}).get("kernel", 1)
    if "n_s" in su2 and kernel > min(su2_sizes(su2)):
        errors.append(
            f"su2_learning.classifier.architecture.kernel = {kernel}: larger than the smallest "
            f"N_s = {min(su2_sizes(su2))} of su2.n_s and su2.sizes"
        )
    return errors + su2_size_errors(su2)


def _twin_errors(cfg: dict) -> list[str]:
    t = cfg.get("twin")
    if not t or "n_points" not in t:
        return []
    errors = []
    if t["n_train"] + t["n_val"] >= t["n_points"]:
        errors.append(
            f"twin.n_train + twin.n_val = {t['n_train'] + t['n_val']}: leaves no test points "
            f"out of twin.n_points = {t['n_points']}"
        )
    if t["few_labels"] > t["n_train"]:
        errors.append(f"twin.few_labels = {t['few_labels']}: more than n_train = {t['n_train']}")
    return errors + _twin_formula_errors(t)


def _twin_formula_errors(t: dict) -> list[str]:
    """Every split of a physics-formula data set needs 2+ train, validation and test points."""
    f = t.get("formula")
    if not f:
        return []
    errors = []
    for task in (k for k in t.get("tasks", []) if k in f["points"]):
        n = f["points"][task]
        n_val, n_test = int(n * f["val_fraction"]), int(n * f["test_fraction"])
        if min(n_val, n_test, n - n_val - n_test) < 2:
            errors.append(
                f"twin.formula.points.{task} = {n} with val_fraction = {f['val_fraction']} and "
                f"test_fraction = {f['test_fraction']}: {n - n_val - n_test} train, {n_val} "
                f"validation, {n_test} test points; each needs at least 2"
            )
    return errors


def _concepts_errors(cfg: dict) -> list[str]:
    """The concepts stage's relations to the supervised, unsupervised and Ising keys."""
    if not all(k in cfg for k in ("concepts", "supervised", "unsupervised", "ising")):
        return []
    return concepts_config_errors(cfg)


def band_temperatures(config: dict) -> np.ndarray:
    """Temperatures of the Ising grid inside concepts.confounders.temperatures [lo, hi]."""
    lo, hi = config["concepts"]["confounders"]["temperatures"]
    grid = temperature_grid(config["ising"])
    return grid[(grid >= lo - 1e-9) & (grid <= hi + 1e-9)]


def concepts_config_errors(config: dict) -> list[str]:
    """Everything about `concepts` that the JSON schema cannot check (relations to other
    stages' keys). An empty list means the section is usable."""
    errors = []
    concepts = config["concepts"]
    cf, conf = concepts["counterfactuals"], concepts["confounders"]
    sup, unsup = config["supervised"], config["unsupervised"]
    L_clf, L_ae = int(sup["classifier"]["L"]), int(unsup["L"])

    # counterfactuals: the decoder's configurations must be inputs the classifier was built for
    names = model_names(unsup)
    if cf["autoencoder"] not in names:
        errors.append(
            f"concepts.counterfactuals.autoencoder = {cf['autoencoder']!r} is not trained by the "
            f"unsupervised stage (trained: {names}; see unsupervised.autoencoder.variants and "
            "unsupervised.autoencoder.latent_dims)"
        )
    if L_ae != L_clf:
        errors.append(
            f"concepts.counterfactuals: the autoencoder is trained on unsupervised.L = {L_ae} "
            f"lattices but the phase classifier on supervised.classifier.L = {L_clf}; the "
            "decoder's configurations must have the classifier's size (set both keys equal)"
        )
    members = int(sup["classifier"]["members"])
    if not 0 <= cf["classifier_member"] < members:
        errors.append(
            f"concepts.counterfactuals.classifier_member = {cf['classifier_member']}: the "
            f"ensemble has supervised.classifier.members = {members} (0 .. {members - 1})"
        )
    lo_q, hi_q = cf["knob_quantiles"]
    if not lo_q < hi_q:
        errors.append(
            f"concepts.counterfactuals.knob_quantiles = {cf['knob_quantiles']!r}: need lo < hi"
        )

    # confounders
    y0, x0, h, w = conf["marker"]["region"]
    if not (y0 + h <= L_clf and x0 + w <= L_clf):
        errors.append(
            f"concepts.confounders.marker.region = {conf['marker']['region']!r} (y0, x0, height, "
            f"width) does not fit the supervised.classifier.L = {L_clf} lattice"
        )
    bad = [p for p in conf["patches"] if p > L_clf]
    if bad:
        errors.append(
            f"concepts.confounders.patches = {conf['patches']!r}: {bad} larger than the "
            f"supervised.classifier.L = {L_clf} lattice"
        )
    lo, hi = conf["temperatures"]
    win = conf["windows"]
    if not lo <= hi:
        errors.append(f"concepts.confounders.temperatures = {[lo, hi]!r}: need lo <= hi")
    elif not win["ordered_max"] < win["disordered_min"]:
        errors.append(
            f"concepts.confounders.windows: ordered_max = {win['ordered_max']} must be below "
            f"disordered_min = {win['disordered_min']}"
        )
    else:
        band = band_temperatures(config)
        n_ord = int((band <= win["ordered_max"]).sum())
        n_dis = int((band >= win["disordered_min"]).sum())
        if n_ord == 0 or n_dis == 0:
            errors.append(
                f"concepts.confounders.temperatures = {[lo, hi]!r} with concepts.confounders."
                f"windows = {dict(win)!r} leave {n_ord} ordered and {n_dis} disordered "
                f"temperatures of the Ising grid ({band.tolist()}); need at least one of each"
            )
    return errors


def _scinet_errors(config: dict) -> list[str]:
    """The SciNet block's relations between keys (its defaults filled in)."""
    cfg = config.get("scinet", {})
    if "systems" not in cfg:
        return []
    errors = []
    for system in cfg["systems"]:
        n = cfg[system]["n_samples"]
        n_val, n_test = split_sizes(n, cfg["val_fraction"], cfg["test_fraction"])
        if n_val + n_test >= n:
            errors.append(
                f"scinet.{system}.n_samples = {n}: leaves no training samples after "
                f"val_fraction and test_fraction ({n_val} + {n_test})"
            )
    pend = cfg["pendulum"]
    for key in ("kappa", "b"):
        lo, hi = pend[key]
        if lo > hi:
            errors.append(f"scinet.pendulum.{key} = {pend[key]}: the range must be [low, high]")
    # m = 1 kg: the observation is an underdamped oscillation only where kappa > b^2 / 4
    if min(pend["kappa"]) <= max(pend["b"]) ** 2 / 4:
        errors.append(
            f"scinet.pendulum: kappa {pend['kappa']} and b {pend['b']} include overdamped or "
            "critically damped oscillators (need min kappa > max b^2 / 4, m = 1 kg)"
        )
    periods = cfg["heliocentric"]["periods_days"]
    if periods["mars"] <= periods["earth"]:
        errors.append(
            f"scinet.heliocentric.periods_days: mars = {periods['mars']} must exceed "
            f"earth = {periods['earth']} (Mars is the outer planet, its radius follows from "
            "Kepler's third law)"
        )
    return errors


# The correlator CNN's ensemble pairs: the answer each is built to have, and their keys.
# Side of the blocks of the block-parity ensembles.
BLOCK = 2
# The two nearest-neighbour pairs of the square lattice (as window cells [row, column]).
NN_PAIRS = ([[0, 0], [0, 1]], [[0, 0], [1, 0]])
# Keys each kind of pair needs (the schema makes them optional because they differ by kind).
PAIR_KEYS = {
    "ising": ("L", "ordered", "disordered", "max_per_class"),
    "block_parity": ("L", "n_per_class", "sites"),
}


def expected_answer(pair_cfg: dict) -> tuple[int, list[list[list[int]]]]:
    """(order, patterns): the correlator order that tells the pair apart by construction, and
    the window patterns (lists of [row, column] cells, up to translation) any of which is
    its support.

    ising: the Boltzmann weight depends on a configuration only through its nearest-neighbour
    bond sum, and the data are Z2-symmetrised, so the odd orders carry nothing and the
    nearest-neighbour two-point function separates the temperatures. block_parity: the
    product over `sites` of one block is constrained; every correlation of fewer spins agrees
    exactly.
    """
    if pair_cfg["kind"] == "ising":
        return 2, [list(map(list, p)) for p in NN_PAIRS]
    sites = [list(map(int, s)) for s in pair_cfg["sites"]]
    return len(sites), [sites]


def _in_window(grid: np.ndarray, window) -> int:
    lo, hi = (float(v) for v in window)
    return int(((grid >= lo - 1e-9) & (grid <= hi + 1e-9)).sum())


def _ccnn_errors(config: dict) -> list[str]:
    """Everything about `ccnn` that the JSON schema cannot check (keys required per kind,
    relations to the Ising keys). An empty list means the section is usable."""
    if "pairs" not in config.get("ccnn", {}):
        return []
    errors = []
    ccnn = config["ccnn"]
    ising = config.get("ising", {})
    sizes = ising.get("sizes", [])
    grid = temperature_grid(ising) if "temperatures" in ising else None
    max_order = ccnn["architecture"]["max_order"]
    for name, pair in ccnn["pairs"].items():
        key = f"ccnn.pairs.{name}"
        kind = pair["kind"]
        missing = [k for k in PAIR_KEYS[kind] if k not in pair]
        if missing:
            errors.append(f"{key}: kind {kind!r} needs {', '.join(missing)}")
            continue
        h, w = ccnn_pair_window(ccnn, name)
        if h > pair["L"] or w > pair["L"]:
            errors.append(f"{key}: window [{h}, {w}] is larger than the L = {pair['L']} lattice")
        order, patterns = expected_answer(pair)
        if order > max_order:
            errors.append(
                f"{key}: the distinguishing order {order} is above ccnn.architecture.max_order "
                f"= {max_order}"
            )
        span = [max(c[i] for c in patterns[0]) + 1 for i in (0, 1)]
        if span[0] > h or span[1] > w:
            errors.append(
                f"{key}: the known pattern {patterns[0]} does not fit the window [{h}, {w}]"
            )
        if kind == "ising":
            if pair["L"] not in sizes:
                errors.append(f"{key}.L = {pair['L']}: not in ising.sizes = {sorted(sizes)}")
            lo_o, hi_o = pair["ordered"]
            lo_d, hi_d = pair["disordered"]
            if not (lo_o <= hi_o < lo_d <= hi_d):
                errors.append(
                    f"{key}: need ordered [lo, hi] below disordered [lo, hi], got "
                    f"ordered = {pair['ordered']}, disordered = {pair['disordered']}"
                )
            elif grid is not None:
                for part in ("ordered", "disordered"):
                    if _in_window(grid, pair[part]) == 0:
                        errors.append(
                            f"{key}.{part} = {pair[part]}: holds none of the ising.temperatures "
                            f"{np.round(grid, 4).tolist()}"
                        )
                    n = min(
                        [pair["max_per_class"]]
                        + [
                            _in_window(grid, pair[part]) * ising["samples_per_temperature"]
                            for part in ("ordered", "disordered")
                        ]
                    )
                    errors += _split_errors(ccnn, n, f"{key}: {n} configurations per class")
        else:
            if pair["L"] % BLOCK:
                errors.append(f"{key}.L = {pair['L']}: must be a multiple of {BLOCK}")
            n = pair["n_per_class"]
            errors += _split_errors(ccnn, n, f"{key}.n_per_class = {n}")
    return errors


def _split_errors(ccnn: dict, n: int, what: str) -> list[str]:
    """Each class of n samples needs at least one training, validation and test sample."""
    n_val = int(round(ccnn["val_fraction"] * n))
    n_test = int(round(ccnn["test_fraction"] * n))
    if min(n_val, n_test, n - n_val - n_test) >= 1:
        return []
    return [
        f"{what}: cannot be split with ccnn.val_fraction = {ccnn['val_fraction']} and "
        f"ccnn.test_fraction = {ccnn['test_fraction']}"
    ]


def _gnn_errors(config: dict) -> list[str]:
    """The graph-network stage's relations between its own keys."""
    g = config.get("gnn", {})
    if "n_simulations" not in g:
        return []
    errors = []
    n = int(g["n_simulations"])
    n_val, n_test = split_sizes(n, g["val_fraction"], g["test_fraction"])
    if n - n_val - n_test < 1:
        errors.append(
            f"gnn.n_simulations = {n} with gnn.val_fraction = {g['val_fraction']} and "
            f"gnn.test_fraction = {g['test_fraction']} leaves no training simulation"
        )
    icfg = g["interpret"]
    if icfg["symbolic_edges"] > icfg["max_edges"] // 2:
        errors.append(
            f"gnn.interpret.symbolic_edges = {icfg['symbolic_edges']}: more than the "
            f"{icfg['max_edges'] // 2} fit edges (half of gnn.interpret.max_edges = "
            f"{icfg['max_edges']})"
        )
    msg_dim = int(g["architecture"]["message_dim"])
    wide = [v for v in g["variants"] if v in ("standard", "l1")]
    if wide and msg_dim <= int(g["dim"]):
        errors.append(
            f"gnn.architecture.message_dim = {msg_dim} is not larger than gnn.dim = {g['dim']}: "
            f"the {wide} variants would be bottlenecks, and their sparsity says nothing"
        )
    return errors


def _userdata_errors(cfg: dict) -> list[str]:
    """The userdata block: one model source, one label source, a split that leaves a train
    part, and explainers a TorchScript model can take."""
    ud = cfg.get("userdata")
    if not ud:
        return []
    errors = []
    model = ud.get("model", {})
    sources = [k for k in ("train", "torchscript", "exported", "state_dict") if k in model]
    if len(sources) > 1:
        errors.append(
            f"userdata.model: give one of train, torchscript, exported, state_dict, not {sources}"
        )
    if ("state_dict" in model) != ("architecture" in model):
        errors.append(
            "userdata.model: state_dict and architecture go together (the registry architecture "
            "the weights fit)"
        )
    has_labels = "labels" in ud.get("variables", {})
    if has_labels == ("windows" in ud):
        errors.append(
            "userdata: give either variables.labels (labels in the data file) or windows "
            "(labels from the control), not " + ("both" if has_labels else "neither")
        )
    errors += _windows_errors("userdata.windows", ud.get("windows", {}), "low_max", "high_min")
    split = ud.get("split", {})
    if split and split["val_fraction"] + split["test_fraction"] >= 1:
        errors.append(
            f"userdata.split: val_fraction + test_fraction = "
            f"{split['val_fraction'] + split['test_fraction']:g} leaves no training samples"
        )
    obs = ud.get("observables", {})
    if obs.get("functions") and not obs.get("module"):
        errors.append("userdata.observables.functions: set userdata.observables.module too")
    needs_layers = sorted({"lrp", "deeplift"} & set(ud.get("confounder", {}).get("explainers", [])))
    if ("torchscript" in model or "exported" in model) and needs_layers:
        errors.append(
            f"userdata.confounder.explainers = {needs_layers}: these need a model built of "
            "torch layers, not a TorchScript or exported program (use integrated_gradients, "
            "saliency, smoothgrad)"
        )
    return errors


def cross_key_errors(cfg: dict) -> list[str]:
    """Every check that relates two or more keys, so none waits for the job that needs it."""
    ising = cfg.get("ising", {})
    grid = temperature_grid(ising) if "temperatures" in ising else None
    errors = _size_errors(cfg, ising["sizes"]) if "sizes" in ising else []
    return (
        errors
        + _supervised_errors(cfg, grid)
        + _model_name_errors(cfg)
        + _su2_errors(cfg)
        + _twin_errors(cfg)
        + _concepts_errors(cfg)
        + _scinet_errors(cfg)
        + _ccnn_errors(cfg)
        + _gnn_errors(cfg)
        + _userdata_errors(cfg)
        + _windows_errors(
            "unsupervised.clusters",
            cfg.get("unsupervised", {}).get("clusters", {}),
            "ordered_max",
            "disordered_min",
        )
    )
