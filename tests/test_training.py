"""The shared training loop: determinism, resume after a kill, early stopping, model files."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from physlens.io import DataFileError, sha256sum
from physlens.modelfiles import ModelFileError, load_model, save_model
from physlens.training import (
    TrainSettings,
    add_batch_loss,
    bce_with_logits,
    cosine_factor,
    loss_sum,
    mean_loss,
    predict,
    resolve_device,
    seeded_model,
    train,
    train_and_save,
)

torch.set_num_threads(1)
ARCH = {"name": "phase_cnn", "channels": [3], "kernel": 3}


def toy_phases(n=96, L=6, seed=0):
    """Ordered (all spins aligned, random sign, a few flips) vs. random configurations."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.where(rng.random((n, L, L)) < 0.5, -1.0, 1.0)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    noise = np.where(rng.random((n, L, L)) < 0.1, -1.0, 1.0)
    x[y == 1] = (sign[:, None, None] * noise)[y == 1]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


SETTINGS = TrainSettings(epochs=6, batch_size=16, lr=0.02, patience=100, device="cpu")


def run(seed=5, settings=SETTINGS, **kw):
    model = seeded_model(ARCH, seed)
    return train(model, toy_phases(seed=1), toy_phases(48, seed=2), settings, seed, **kw)


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_training_learns_the_toy_phases():
    res = run(settings=TrainSettings(epochs=15, batch_size=16, lr=0.03, patience=100, device="cpu"))
    assert res.metrics["val_loss"] < 0.2 < math.log(2)
    assert res.history["val_loss"].dims == ("epoch",)


def test_same_seed_gives_identical_weights_other_seed_does_not():
    a, b, c = run(5).model, run(5).model, run(6).model
    assert same_weights(a, b)
    assert not same_weights(a, c)


class Killed(RuntimeError):
    pass


def test_resume_after_kill_gives_the_uninterrupted_result(tmp_path):
    reference = run()

    def kill_after_epoch_2(epoch, record):
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        run(resume_dir=tmp_path, callbacks=[kill_after_epoch_2])
    assert (tmp_path / "checkpoint.pt").exists()
    seen = []
    resumed = run(resume_dir=tmp_path, callbacks=[lambda e, r: seen.append(e)])
    assert seen == [3, 4, 5]  # only the remaining epochs ran
    assert same_weights(reference.model, resumed.model)
    np.testing.assert_array_equal(
        reference.history["val_loss"].values, resumed.history["val_loss"].values
    )


PLATEAU = TrainSettings(
    epochs=20,
    batch_size=8,
    lr=0.5,
    patience=100,
    lr_plateau_factor=0.5,
    lr_plateau_patience=0,
    device="cpu",
)


def test_plateau_schedule_lowers_the_rate_only_after_an_epoch_without_improvement():
    hist = run(settings=PLATEAU).history
    val, lr = hist["val_loss"].values, hist["lr"].values
    assert lr[0] == 0.5 and np.all(np.diff(lr) <= 0)
    best_so_far = np.minimum.accumulate(val)
    for e in range(1, len(val)):
        improved = val[e - 1] < (best_so_far[e - 2] if e >= 2 else np.inf)
        assert lr[e] == (lr[e - 1] if improved else lr[e - 1] * 0.5), (e, val, lr)
    assert lr[-1] < lr[0]  # this rate is too large: the validation loss does stall
    assert np.all(run().history["lr"].values == SETTINGS.lr)  # factor 1: constant


def test_resume_restores_the_plateau_schedule(tmp_path):
    reference = run(settings=PLATEAU)
    with pytest.raises(Killed):
        run(
            settings=PLATEAU,
            resume_dir=tmp_path,
            callbacks=[lambda e, r: (_ for _ in ()).throw(Killed) if e == 9 else None],
        )
    resumed = run(settings=PLATEAU, resume_dir=tmp_path)
    assert same_weights(reference.model, resumed.model)
    np.testing.assert_array_equal(reference.history["lr"].values, resumed.history["lr"].values)


ANNEAL = TrainSettings(
    epochs=6, batch_size=16, lr=0.02, patience=100, lr_anneal_factor=0.01, device="cpu"
)


def test_cosine_annealing_follows_the_cosine_batch_by_batch():
    """The rate recorded for epoch e is the one its first batch used: a cosine in the number
    of optimiser steps from lr down to lr x factor at the end of the last epoch."""
    steps_per_epoch = math.ceil(len(toy_phases(seed=1)[0]) / ANNEAL.batch_size)
    total = ANNEAL.epochs * steps_per_epoch
    lr = run(settings=ANNEAL).history["lr"].values
    step = np.arange(ANNEAL.epochs) * steps_per_epoch
    expected = 0.02 * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * step / total)))
    np.testing.assert_allclose(lr, expected, rtol=1e-9)
    factor = cosine_factor(total, 0.01)
    assert factor(0) == 1.0 and factor(total) == pytest.approx(0.01) == factor(2 * total)


def test_resume_restores_the_annealing_schedule(tmp_path):
    reference = run(settings=ANNEAL)
    with pytest.raises(Killed):
        run(
            settings=ANNEAL,
            resume_dir=tmp_path,
            callbacks=[lambda e, r: (_ for _ in ()).throw(Killed) if e == 2 else None],
        )
    resumed = run(settings=ANNEAL, resume_dir=tmp_path)
    assert same_weights(reference.model, resumed.model)
    np.testing.assert_array_equal(reference.history["lr"].values, resumed.history["lr"].values)


def test_annealing_and_plateau_schedules_are_exclusive():
    both = TrainSettings(epochs=2, lr_anneal_factor=0.1, lr_plateau_factor=0.5, device="cpu")
    with pytest.raises(ValueError, match="lr_anneal_factor.*lr_plateau_factor"):
        run(settings=both)


def test_checkpoint_of_another_configuration_is_not_resumed(tmp_path):
    with pytest.raises(Killed):
        run(
            resume_dir=tmp_path,
            callbacks=[lambda e, r: (_ for _ in ()).throw(Killed) if e == 1 else None],
        )
    seen = []
    other = TrainSettings(epochs=3, batch_size=16, lr=0.01, patience=100, device="cpu")
    run(settings=other, resume_dir=tmp_path, callbacks=[lambda e, r: seen.append(e)])
    assert seen == [0, 1, 2]


def test_early_stopping_keeps_the_best_epoch():
    # A too-large learning rate makes the validation loss bounce; patience 2 must stop early
    # and return the weights of the best epoch, not the last.
    res = run(settings=TrainSettings(epochs=30, batch_size=8, lr=0.5, patience=2, device="cpu"))
    val = res.history["val_loss"].values
    assert len(val) < 30
    assert np.argmin(val) == len(val) - 3  # stopped exactly `patience` epochs after the best
    assert res.metrics["val_loss"] == pytest.approx(val.min(), rel=1e-5)


def test_device_side_loss_sums_equal_python_float_sums():
    """Accumulating on the device (no host sync per batch) keeps the CPU numbers: float64
    tensor sums of float32 batch losses equal the float(loss) * n sums they replace."""
    gen = torch.Generator().manual_seed(3)
    losses = torch.rand(200, generator=gen, dtype=torch.float32) * 5
    sizes = torch.randint(1, 300, (200,), generator=gen).tolist()
    total, expected = loss_sum(torch.device("cpu")), 0.0
    for loss, n in zip(losses, sizes):
        total = add_batch_loss(total, loss, n)
        expected += float(loss) * n
    assert float(total) == expected


def test_mean_loss_equals_a_per_sample_evaluation():
    x, y = toy_phases(70, seed=4)  # 70: batches of 256 -> one partial batch
    model = seeded_model(ARCH, 1).eval()
    with torch.no_grad():
        per_sample = F.binary_cross_entropy_with_logits(model(x), y, reduction="none")
    got = mean_loss(model, x, y, bce_with_logits, 16, torch.device("cpu"))
    assert got == pytest.approx(float(per_sample.double().mean()), rel=1e-6)


def test_running_train_loss_is_the_mean_over_the_epoch():
    # lr = 0: the weights never move, so the epoch's running mean over shuffled batches must
    # equal the loss of the (fixed) model over the whole training set.
    settings = TrainSettings(epochs=2, batch_size=7, lr=0.0, patience=100, device="cpu")
    res = run(settings=settings)
    x, y = toy_phases(seed=1)
    full = mean_loss(seeded_model(ARCH, 5), x, y, bce_with_logits, 64, torch.device("cpu"))
    np.testing.assert_allclose(res.history["train_loss"].values, full, rtol=1e-6)


def test_reported_losses_are_those_of_the_returned_weights():
    res = run(settings=TrainSettings(epochs=8, batch_size=8, lr=0.3, patience=100, device="cpu"))
    cpu = torch.device("cpu")
    xv, yv = toy_phases(48, seed=2)
    xt, yt = toy_phases(seed=1)
    assert res.metrics["val_loss"] == mean_loss(res.model, xv, yv, bce_with_logits, 16, cpu)
    assert res.metrics["train_loss"] == mean_loss(res.model, xt, yt, bce_with_logits, 16, cpu)
    assert res.metrics["train_loss_kind"] == "final"
    best = res.metrics["best_epoch"]
    assert res.history["val_loss"].values[best] == res.metrics["val_loss"]


def test_without_the_final_pass_the_best_epochs_running_loss_is_reported():
    settings = TrainSettings(epochs=5, batch_size=8, lr=0.3, patience=100, device="cpu")
    res = run(settings=settings, final_train_loss=False)
    assert res.metrics["train_loss"] == res.history["train_loss"].values[res.metrics["best_epoch"]]
    assert res.metrics["train_loss_kind"].startswith("running mean")


def test_min_lr_stops_once_the_plateau_schedule_has_cut_the_rate_below_it():
    # Plateau patience 0: every epoch without a new best validation loss halves the rate.
    # min_lr between lr/8 and lr/4: the third cut (the third non-improving epoch) stops.
    kw = dict(epochs=60, batch_size=8, lr=0.5, patience=100, device="cpu")
    kw |= dict(lr_plateau_factor=0.5, lr_plateau_patience=0)
    res = run(settings=TrainSettings(**kw, min_lr=0.5 / 6))
    val = res.history["val_loss"].values
    not_better = [v >= np.min(val[:i]) for i, v in enumerate(val) if i > 0]
    assert sum(not_better) == 3 and not_better[-1]
    assert res.history["lr"].values.min() == pytest.approx(0.5 / 4)
    longer = run(settings=TrainSettings(**kw))  # no min_lr: the same run goes on
    assert len(longer.history["val_loss"]) > len(val)
    np.testing.assert_array_equal(longer.history["val_loss"].values[: len(val)], val)


def test_cuda_is_an_error_without_a_gpu_and_auto_falls_back():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.fixture
def saved(tmp_path):
    data = tmp_path / "data.h5"
    data.write_bytes(b"pretend training data")
    res = run()
    pt, meta = tmp_path / "m.pt", tmp_path / "m.json"
    save_model(
        res.model,
        pt,
        meta,
        metadata={"seed": 5, "data_sha256": sha256sum(data)},
        history=res.history,
        history_path=tmp_path / "h.h5",
    )
    return res.model, pt, meta, data


def test_train_and_save_writes_the_standard_metadata_and_the_same_weights_as_train(tmp_path):
    data = tmp_path / "data.h5"
    data.write_bytes(b"pretend training data")
    sets = toy_phases(seed=1), toy_phases(48, seed=2)
    plain = run(5)
    records = {}
    for kind, kw in (
        ("config", {"master_seed": 11, "config": {"a": 1}}),
        ("bare", {}),
    ):
        out = {
            k: tmp_path / f"{kind}.{e}"
            for k, e in (("model", "pt"), ("meta", "json"), ("history", "h5"))
        }
        res, meta = train_and_save(
            seeded_model(ARCH, 5),
            *sets,
            SETTINGS,
            5,
            out,
            data_path=data,
            metadata={"name": kind},
            **kw,
        )
        assert same_weights(res.model, plain.model)
        assert json.loads(out["meta"].read_text()) == json.loads(json.dumps(meta))
        loaded, _ = load_model(out["model"], out["meta"], data_path=data)
        assert same_weights(loaded, plain.model) and out["history"].exists()
        records[kind] = meta
    common = {
        "architecture",
        "weights_file",
        "weights_sha256",
        "provenance",
        "seed",
        "data_sha256",
        "metrics",
        "name",
    }
    assert set(records["bare"]) == common
    assert set(records["config"]) == common | {"master_seed", "config", "data_file", "n_parameters"}
    c = records["config"]
    assert c["n_parameters"] == sum(p.numel() for p in plain.model.parameters())
    assert (c["seed"], c["master_seed"], c["data_file"]) == (5, 11, str(data))
    assert c["data_sha256"] == sha256sum(data) and c["metrics"] == plain.metrics
    with pytest.raises(ValueError, match="both config and master_seed"):
        train_and_save(
            seeded_model(ARCH, 5), *sets, SETTINGS, 5, out, data_path=data, metadata={}, config={}
        )


def test_save_load_round_trip_reproduces_predictions(saved):
    model, pt, meta, data = saved
    loaded, info = load_model(pt, meta, data_path=data)
    x = toy_phases(8, seed=9)[0]
    np.testing.assert_array_equal(predict(model, x), predict(loaded, x))
    assert info["architecture"] == ARCH


def test_load_rejects_changed_data(saved):
    _, pt, meta, data = saved
    data.write_bytes(b"other data")
    with pytest.raises(ModelFileError, match="data.h5: checksum differs"):
        load_model(pt, meta, data_path=data)


def test_load_rejects_corrupted_weights(saved):
    _, pt, meta, _ = saved
    pt.write_bytes(pt.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="m.pt: checksum differs"):
        load_model(pt, meta)


def test_load_rejects_a_different_architecture(saved):
    _, pt, meta, _ = saved
    doc = json.loads(meta.read_text())
    doc["architecture"]["channels"] = [5]
    meta.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="do not fit architecture"):
        load_model(pt, meta)


def test_missing_model_files_are_named(tmp_path):
    with pytest.raises(DataFileError, match="nothing.json: file not found"):
        load_model(tmp_path / "nothing.pt")
