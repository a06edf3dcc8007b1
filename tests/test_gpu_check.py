"""benchmarks/gpu_check.py: the no-GPU exit, which rules it runs, and its tolerance rule."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from conftest import ROOT, snakemake_env

spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
sys.modules["gpu_check"] = gpu_check
spec.loader.exec_module(gpu_check)


def test_without_a_gpu_the_script_says_so_and_exits_3():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    proc = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh")],
        env={**snakemake_env(), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == gpu_check.NO_GPU, proc.stderr
    assert "no CUDA device" in proc.stderr and "nothing checked" in proc.stderr


def test_the_gpu_rules_are_the_rules_that_take_the_training_block():
    # independent of the resources: every rule handed config["training"] trains a network
    trains = set()
    for path in (ROOT / "workflow" / "rules").glob("*.smk"):
        for m in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", path.read_text(), re.S | re.M):
            if 'training=config["training"]' in m.group(2):
                trains.add(m.group(1))
    found = gpu_check.gpu_rules(ROOT / "workflow" / "rules")
    assert set(found) == trains and {"siamese_train", "train_phase_classifier"} <= trains


def test_numbers_are_compared_with_the_stated_tolerances():
    cpu = {"n_train": 100, "test_accuracy": 0.90, "val_loss": 0.20, "tc": {"value": 2.30}}
    cpu |= {"epochs_run": 12, "device": "cpu"}
    close = {"n_train": 100, "test_accuracy": 0.92, "val_loss": 0.24, "tc": {"value": 2.40}}
    close |= {"epochs_run": 30, "device": "cuda"}  # trajectory length: not judged
    bad, judged = gpu_check.compare(cpu, close, "fp32")
    assert bad == [] and judged == 4
    far = {**close, "n_train": 99, "test_accuracy": 0.80, "val_loss": 0.40, "tc": {"value": 3.0}}
    bad, _ = gpu_check.compare(cpu, far, "fp32")
    assert [b.split(":")[0] for b in bad] == ["n_train", "tc.value", "test_accuracy", "val_loss"]
    bad, _ = gpu_check.compare(cpu, {k: v for k, v in close.items() if k != "val_loss"}, "fp32")
    assert bad == ["val_loss: only in the CPU run"]
