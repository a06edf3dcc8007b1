"""Every config mistake is caught by physlens.config before any job: non-finite numbers,
floats given for integers, sizes too large for the machine, and every cross-key check."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from physlens.config import (
    ConfigError,
    load_schema,
    memory_needed_mb,
    read_yaml,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def good():
    with open(ROOT / "config" / "test.yaml") as fh:
        return yaml.safe_load(fh)


def _refused(cfg, *words, machine=False):
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, machine=machine)
    msg = str(err.value)
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("key", ["start", "stop"])
def test_non_finite_grid_bound_is_refused(good, key, value):
    good["ising"]["temperatures"]["coarse"][key] = value
    _refused(good, f"ising.temperatures.coarse.{key}", "finite")


def test_yaml_nan_and_inf_are_refused(good, tmp_path):
    text = (ROOT / "config" / "test.yaml").read_text()
    for token in (".nan", ".inf"):
        path = tmp_path / "c.yaml"
        path.write_text(text.replace("start: 1.5", f"start: {token}"))
        with pytest.raises(ConfigError, match="finite"):
            validate_config(read_yaml(path))


def test_float_for_integer_is_refused(good):
    good["ising"]["samples_per_temperature"] = 32.0
    _refused(good, "ising.samples_per_temperature = 32.0", "integer", "write 32")


def test_huge_sample_count_is_refused(good):
    good["ising"]["samples_per_temperature"] = 10**9
    _refused(good, "ising.samples_per_temperature")


# Integer keys that need no upper bound, because a large value allocates nothing and costs
# no time in proportion: a minibatch is a slice of the data set, never larger; patience only
# ends training earlier than the epoch bound; an index or a region is checked against what
# it indexes; a stride or patch larger than the lattice only means fewer patches.
NOT_SIZE_LIKE = {
    "seed",
    "batch_size",
    "lissa_batch_size",
    "patience",
    "lr_plateau_patience",
    "classifier_member",
    "occlusion_stride",
    "occlusion_patch",
    "patches",
    "region",
    "n_neighbors",  # capped at n - 1 by the embedding
}
SCHEMA = load_schema()


def _resolved(node):
    if "$ref" not in node:
        return node
    target = SCHEMA
    for part in node["$ref"].lstrip("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _schema_keys(node=SCHEMA, path=()):
    """(path, schema node) of every key in the schema, $refs resolved."""
    for name, sub in node.get("properties", {}).items():
        sub = _resolved(sub)
        yield path + (name,), sub
        yield from _schema_keys(sub, path + (name,))


def _bounds():
    """(path, kind, bound) of every upper bound: on a value, on each item, on a list's length."""
    for path, node in _schema_keys():
        if "maximum" in node:
            yield path, "value", node["maximum"]
        if "maximum" in node.get("items", {}):
            yield path, "item", node["items"]["maximum"]
        if "maxItems" in node and node.get("items", {}).get("type") != "array":
            yield path, "length", node["maxItems"]


def test_every_size_like_integer_has_an_upper_bound():
    """A number that allocates memory or time in proportion to it is bounded in the schema,
    so a slip (an extra zero) stops the run at start-up, not a job hours later."""
    unbounded = []
    for path, node in _schema_keys():
        if path[-1] in NOT_SIZE_LIKE:
            continue
        for n in (node, node.get("items", {})):
            if n.get("type") == "integer" and "maximum" not in n:
                unbounded.append(".".join(path))
    assert not unbounded, f"integer keys without a maximum: {unbounded}"


@pytest.fixture(scope="module")
def valid_config():
    """config/test.yaml over config/config.yaml, validated once: every section present."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / "config" / "test.yaml").read_text()))
    return validate_config(cfg, schema=SCHEMA)


@pytest.mark.parametrize(
    ("path", "kind", "bound"),
    list(_bounds()),
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else str(v),
)
def test_value_above_bound_is_refused_naming_key_value_and_bound(valid_config, path, kind, bound):
    cfg = copy.deepcopy(valid_config)
    node = cfg
    for p in path[:-1]:
        node = node.setdefault(p, {})
    key = ".".join(path)
    if kind == "length":
        node[path[-1]] = [1.0 + k / (bound + 1) for k in range(bound + 1)]
        words = [f"{key} has {bound + 1} items, more than the maximum of {bound}"]
    else:
        value = bound + 1
        node[path[-1]] = [value] if kind == "item" else value
        words = [f"{key}{'[0]' if kind == 'item' else ''} = {value!r}", f"maximum of {bound}"]
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, schema=SCHEMA)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_memory_need_is_checked_against_declared_memory(good):
    good["ising"]["samples_per_temperature"] = 500_000
    # 7 temperatures (1.5..3.5 by 0.5 plus 2.1, 2.3) x 5e5 samples x 12^2 sites x 4 bytes x 14 copies of torch data
    need_gb = memory_needed_mb(good) / 1024
    assert need_gb == pytest.approx((600 + 14 * 7 * 5e5 * 144 * 4 / 1e6) / 1024)
    good["memory_gb"] = need_gb / 2
    _refused(good, f"needs about {need_gb:.3g} GB", "memory_gb", machine=True)
    good["memory_gb"] = need_gb * 2
    validate_config(good, machine=True)


def test_su2_beta_range_reversed(good):
    good["su2"]["beta"] = {"start": 2.6, "stop": 1.4, "num": 4}
    _refused(good, "su2.beta.stop = 1.4")


def test_supervised_windows_reversed(good):
    good["supervised"]["windows"] = {"ordered_max": 2.9, "disordered_min": 1.7}
    _refused(good, "supervised.windows.ordered_max = 2.9", "disordered_min = 1.7")


def test_supervised_windows_must_leave_both_classes(good):
    good["supervised"]["windows"] = {"ordered_max": 1.2, "disordered_min": 2.8}
    _refused(good, "supervised.windows", "on one side")


def test_su2_learning_windows_reversed(good):
    good["su2_learning"]["windows"] = {"confined_max": 2.5, "deconfined_min": 1.5}
    _refused(good, "su2_learning.windows.confined_max = 2.5")


def test_probe_field_larger_than_lattice(good):
    good["supervised"]["probes"]["receptive_fields"] = [[13, 13], [1, 2]]
    _refused(good, "[13, 13]", "supervised.probes.L = 12")


@pytest.mark.parametrize(
    "path",
    [("supervised", "classifier", "L"), ("supervised", "probes", "L"), ("unsupervised", "L")],
)
def test_trained_size_must_be_simulated(good, path):
    node = good
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = 16
    _refused(good, f"{'.'.join(path)} = 16: not in ising.sizes = [8, 12]")


def test_twin_size_must_be_simulated(good):
    good["twin"]["ising_L"] = 10
    _refused(good, "twin.ising_L = 10")


def test_unknown_interpret_model(good):
    good["interpret"]["models"] = ["probe_3x3"]
    _refused(good, "probe_3x3", "not trained by the supervised stage")


def test_z2_odd_classifier_needs_odd_activation(good):
    good["supervised"]["classifier"]["architecture"]["activation"] = "relu"
    _refused(good, "z2_odd needs an odd activation")


def test_confounder_marker_must_fit(good):
    good["concepts"]["confounders"]["marker"]["region"] = [8, 8, 6, 6]
    _refused(good, "marker.region", "supervised.classifier.L = 12")


def test_twin_split_must_leave_test_points(good):
    good["twin"]["n_train"] = 170
    _refused(good, "twin.n_train + twin.n_val = 210", "n_points = 200")


def test_cuda_without_gpu_is_refused_at_start(good):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    good["training"]["device"] = "cuda"
    _refused(good, "training.device = 'cuda'", machine=True)
    validate_config(good)  # without machine checks (cluster submission) it passes


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\nising:\n  sizes: [8\n  foo: 2\n")
    with pytest.raises(ConfigError, match=rf"{path}:4:6: YAML syntax error"):
        read_yaml(path)


def test_workflow_startup_names_yaml_error_and_bad_keys(tmp_path):
    """The Snakefile (embedded config) and `make run`'s syntax pre-check name the line."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\nising:\n  sizes: [8\n  foo: 2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "physlens.config", "syntax", "--cores", "1", "--configfile", bad],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert f"{bad}:4:6" in proc.stderr


def test_snakemake_stops_at_start_naming_every_cross_key_mistake(tmp_path):
    """One dry run: no job is planned, and each mistake is named by key and value."""
    from conftest import TINY_CONFIG, copy_workflow, run_snakemake

    workdir = copy_workflow(tmp_path / "wf")
    cfg = yaml.safe_load((workdir / TINY_CONFIG).read_text())
    cfg["su2"]["beta"] = {"start": 2.6, "stop": 1.4, "num": 4}
    cfg["supervised"]["windows"] = {"ordered_max": 2.9, "disordered_min": 1.7}
    cfg["supervised"]["classifier"]["L"] = 16
    cfg["training"]["device"] = "cuda"
    (workdir / "bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for words in (
        "su2.beta.stop = 1.4",
        "supervised.windows.ordered_max = 2.9",
        "supervised.classifier.L = 16: not in ising.sizes",
    ):
        assert words in out, out[-3000:]
    assert "Job stats" not in out


def test_unsupervised_cluster_windows_reversed(good):
    good["unsupervised"]["clusters"] = {"ordered_max": 2.8, "disordered_min": 1.8}
    _refused(good, "unsupervised.clusters.ordered_max = 2.8")


# --- the SU(2) lattice sizes of the finite-size extrapolation ---------------------------------


@pytest.mark.parametrize(
    "sizes, scaling, words",
    [
        ([6, 8, 10], {"peak_points": 3}, ["su2.sizes = [6, 8, 10]", "must contain su2.n_s = 4"]),
        ([4, 6], {}, ["su2.sizes = [4, 6]", "at least three"]),
        ([4, 5, 6], {"peak_points": 3}, ["su2.sizes[1] = 5", "multiple of 2"]),
        ([4, 4, 6], {"peak_points": 3}, ["su2.sizes = [4, 4, 6]", "non-unique"]),
        ([4, 6, 66], {"peak_points": 3}, ["su2.sizes[2] = 66", "maximum of 64"]),
        ([4, 6, 8], {"peak_points": 2}, ["su2.scaling.peak_points = 2", "minimum of 3"]),
        ([4, 6, 8], {"peak_points": 4}, ["su2.scaling.peak_points = 4", "must be odd"]),
        ([4, 6, 8], {"peak_points": 5}, ["su2.scaling.peak_points = 5", "su2.beta.num = 4"]),
    ],
)
def test_bad_su2_size_lists_are_refused(good, sizes, scaling, words):
    good["su2"]["sizes"] = sizes
    good["su2"]["scaling"] = scaling
    _refused(good, *words)


def test_classifier_kernel_must_fit_the_smallest_su2_lattice(good):
    good["su2"].update(sizes=[2, 4, 6], scaling={"peak_points": 3})
    good["su2_learning"]["classifier"]["architecture"]["kernel"] = 3
    _refused(good, "su2_learning.classifier.architecture.kernel = 3", "smallest N_s = 2")


@pytest.mark.parametrize("sizes", [[], [4], [2, 4, 8], [4, 6, 8, 10]])
def test_good_su2_size_lists_are_accepted(good, sizes):
    good["su2"].update(sizes=sizes, scaling={"peak_points": 3})
    assert validate_config(good)["su2"]["sizes"] == sizes


def test_su2_memory_is_that_of_the_largest_lattice(good):
    cfg = validate_config(good)
    alone = memory_needed_mb(cfg)
    good["su2"].update(sizes=[4, 6, 32], scaling={"peak_points": 3}, samples_per_beta=2000)
    big = validate_config(good)
    # 5x the float32 links of the 32^3 x 2 lattice: 4 betas x 2000 samples x 65536 sites x 16
    assert memory_needed_mb(big) == pytest.approx(600 + 5 * 4 * 2000 * 32**3 * 2 * 64 / 1e6)
    assert memory_needed_mb(big) > alone
