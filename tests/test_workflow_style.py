"""The workflow's own hygiene: lint, formatting, and environments in step with pyproject."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PYTHON_DEPS = {"python", "pip"}


def _rules():
    """(name, body) of every rule in the .smk files, parsed from their text."""
    for path in RULE_FILES:
        text = path.read_text()
        for match in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, re.M):
            yield path.name, match.group(1), match.group(2)


def test_snakemake_lint_is_clean():
    proc = subprocess.run(
        [str(BIN / "snakemake"), "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Congratulations" in out, out[-4000:]


def test_snakefmt_check_is_clean():
    proc = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "Snakefile", *map(str, RULE_FILES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


PYTHON_DIRS = ["src", "tests", "benchmarks", "workflow/scripts"]


@pytest.mark.parametrize("args", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_is_clean(args):
    """Python style is checked like the rules' (rule set in pyproject.toml)."""
    proc = subprocess.run(
        [str(BIN / "ruff"), *args, *PYTHON_DIRS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


PROFILES = sorted((ROOT / "profiles").glob("*/config.yaml"))


def test_profiles_are_found():
    assert {p.parent.name for p in PROFILES} >= {"default", "slurm"}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.parent.name)
def test_every_profile_prints_failed_logs(profile):
    """A failed job's reason (the last line of its log) reaches the console in every profile."""
    assert yaml.safe_load(profile.read_text()).get("show-failed-logs") is True


def test_snakefile_sets_min_version():
    assert re.search(r'^min_version\("\d+', (ROOT / "Snakefile").read_text(), re.M)


@pytest.mark.parametrize("directive", ["log:", "benchmark:", "conda:"])
def test_every_rule_declares(directive):
    missing = [f"{f}:{name}" for f, name, body in _rules() if directive not in body]
    assert not missing, f"rules without {directive} {missing}"


def test_every_rule_env_exists():
    for f, name, body in _rules():
        m = re.search(r'conda:\n\s+"([^"]+)"', body)
        env = (ROOT / "workflow" / "rules" / m.group(1)).resolve()
        assert env.exists(), f"{f}:{name}: {env} missing"


def _pyproject_deps() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(meta["dependencies"])
    for extra in ("workflow", "slurm", "pysr"):
        deps += meta["optional-dependencies"].get(extra, [])
    out = {}
    for d in deps:
        name = re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower()
        out[name] = d
    return out


def _optional_unpinned() -> set[str]:
    """Extras that this machine cannot run (PySR needs Julia) are not in constraints.txt."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower()
        for d in meta["optional-dependencies"]["pysr"]
    }


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, ver = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = ver.strip()
    return pins


def _env_packages(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pkgs = {}
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):  # pip: section
            for p in dep.get("pip", []):
                name, _, ver = p.partition("==")
                pkgs[name.lower()] = ver
            continue
        name, _, ver = dep.partition("=")
        if name in NOT_PYTHON_DEPS:
            continue
        pkgs[CONDA_TO_PYPI.get(name, name).lower()] = ver.lstrip("=")
    return pkgs


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: p.name)
def test_env_packages_are_project_dependencies_at_the_pinned_version(env):
    deps, pins = _pyproject_deps(), _constraints()
    for name, ver in _env_packages(env).items():
        assert name in deps, f"{env.name}: {name} is not a dependency in pyproject.toml"
        spec = Requirement(deps[name]).specifier
        assert spec.contains(ver + ".0" if ver.count(".") == 1 else ver), (
            f"{env.name}: {name}={ver} outside pyproject's {deps[name]}"
        )
        if name in _optional_unpinned():
            continue
        assert name in pins, f"{env.name}: {name} is not pinned in constraints.txt"
        assert pins[name] == ver or pins[name].startswith(ver + "."), (
            f"{env.name}: {name}={ver} but constraints.txt pins {pins[name]}"
        )


def test_every_dependency_is_in_some_env():
    covered = set()
    for env in ENV_FILES:
        covered |= set(_env_packages(env))
    missing = set(_pyproject_deps()) - covered - {"snakemake", "snakemake-executor-plugin-slurm"}
    assert not missing, f"in pyproject but in no envs/*.yaml: {sorted(missing)}"


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and re.search(r"^make test$", ci, re.M)


@pytest.mark.parametrize(
    "caption", sorted((ROOT / "workflow" / "report").glob("*.rst")), ids=lambda p: p.name
)
def test_report_captions_are_clean_restructuredtext(caption):
    """Static caption text renders without docutils warnings (|M| is a substitution, ...)."""
    from docutils.core import publish_parts

    text = re.sub(r"\{\{.*?\}\}", "X", caption.read_text(), flags=re.S)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    html = publish_parts(
        text, writer_name="html", settings_overrides={"report_level": 2, "halt_level": 5}
    )["body"]
    assert "system-message" not in html, html


def test_every_report_caption_shows_measured_numbers():
    for caption in (ROOT / "workflow" / "report").glob("*.rst"):
        if caption.name not in ("workflow.rst", "environment.rst"):
            assert "snakemake.params.claims.bullets" in caption.read_text(), caption.name


# --- seams between rule files, scripts and library ---------------------------------------

# Families of plot rules share one dispatcher script: plot_<stage>_<figure> -> <stage>_plot.py
# (the script draws the figure of snakemake.rule from physlens.plots.<stage>.FIGURES).
PLOT_DISPATCHERS = {"interpret_plot", "concepts_plot"}


def _rules_and_scripts():
    for path in RULE_FILES:
        text = path.read_text()
        for m in re.finditer(r"^rule (\w+):(.*?)(?=^rule |\Z)", text, re.M | re.S):
            script = re.search(r'"\.\./scripts/(\w+)\.py"', m.group(2))
            if script:
                yield path.name, m.group(1), script.group(1)


def test_every_rule_calls_a_script_named_after_it():
    wrong = [
        (f, rule, script)
        for f, rule, script in _rules_and_scripts()
        if script != rule
        and not (script in PLOT_DISPATCHERS and rule.startswith(f"plot_{script[: -len('_plot')]}_"))
    ]
    assert not wrong, wrong
    for _, _, script in _rules_and_scripts():
        assert (ROOT / "workflow" / "scripts" / f"{script}.py").is_file(), script


def _params_merges(source: str) -> list[str]:
    """`**` unpackings of snakemake.params or of one of its attributes (directly or through a
    name bound to snakemake.params) inside a dict display or a dict(...) call."""
    tree = ast.parse(source)

    def is_params(node) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "params"
            and isinstance(node.value, ast.Name)
            and node.value.id == "snakemake"
        )

    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = [(target, node.value)]
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs = list(zip(target.elts, node.value.elts))
                aliases |= {t.id for t, v in pairs if isinstance(t, ast.Name) and is_params(v)}

    def from_params(node) -> bool:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            if is_params(node):
                return True
            node = node.value
        return isinstance(node, ast.Name) and node.id in aliases

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            unpacked = [v for k, v in zip(node.keys, node.values) if k is None]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
            unpacked = [kw.value for kw in node.keywords if kw.arg is None]
        else:
            continue
        found += [f"line {v.lineno}: **{ast.unparse(v)}" for v in unpacked if from_params(v)]
    return found


def test_params_merges_are_found():
    """The check below sees merges written directly, through an alias and through dict()."""
    merges = _params_merges(
        "p, out = snakemake.params, snakemake.output\n"
        "a = {**p.split, 'classifier': p.classifier}\n"
        "b = {**snakemake.params.data, **snakemake.params['model']}\n"
        "c = dict(**p.data)\n"
        "d = {**other.data, 'x': p.x}\n"
    )
    assert [m.split(":")[0] for m in merges] == ["line 2", "line 3", "line 3", "line 4"], merges


def test_scripts_pass_params_without_merging_them():
    """Each rule's params are config slices defined once (physlens.slices and the stages'
    names modules); a script passes them to the library as they are, so that what a rule
    depends on and what the library reads cannot drift apart."""
    merges = {
        path.name: found
        for path in sorted((ROOT / "workflow" / "scripts").glob("*.py"))
        if (found := _params_merges(path.read_text()))
    }
    assert not merges, merges


def _globals(text: str) -> set[str]:
    return set(re.findall(r"^([A-Za-z_]\w*)\s*=", text, re.M))


def test_no_rule_file_reads_another_rule_files_globals():
    """Shared names live in common.smk; a stage file uses only those and its own."""
    own = {p.name: _globals(p.read_text()) for p in RULE_FILES}
    for path in RULE_FILES:
        if path.name == "common.smk":
            continue
        text = path.read_text()
        for other, names in own.items():
            if other in (path.name, "common.smk"):
                continue
            used = sorted(n for n in names if re.search(rf"\b{n}\b", text))
            assert not used, f"{path.name} reads {other}'s globals {used}"


def test_wildcard_constraints_are_declared_in_one_place():
    files = [
        p.name for p in RULE_FILES if re.search(r"^wildcard_constraints:", p.read_text(), re.M)
    ]
    assert files == ["common.smk"], files
    assert "wildcard_constraints" not in (ROOT / "Snakefile").read_text()


def test_plot_modules_import_without_torch():
    """Plot rules run in envs/plot.yaml, which has no torch: no plotting module may import it
    (directly or through training code)."""
    modules = [p.stem for p in (ROOT / "src" / "physlens" / "plots").glob("*.py")]
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch is not in the plot environment')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module('physlens.plots' + ('' if m == '__init__' else '.' + m))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
