"""Hidden temporaries of atomic writes left by a killed process are found and removed, and
only those of the given outputs."""

import os

import pytest

from physlens.io import atomic_path, remove_stale_temporaries, stale_temporaries


def test_temporary_of_a_killed_writer_is_removed(tmp_path):
    out = tmp_path / "L12.h5"
    with pytest.raises(KeyboardInterrupt), atomic_path(out, suffix=".h5.tmp") as tmp:
        # a kill -9 skips the clean-up below; simulate it by recreating the file afterwards
        name = tmp.name
        raise KeyboardInterrupt
    (tmp_path / name).write_bytes(b"partial")
    other = tmp_path / ".L8.h5.abc123.h5.tmp"  # another job's output: left alone
    other.write_bytes(b"x")
    look_alike = tmp_path / ".L12.h5x.abc.tmp"  # a different file's temporary
    look_alike.write_bytes(b"x")
    assert stale_temporaries(out) == [tmp_path / name]
    assert remove_stale_temporaries([out]) == [tmp_path / name]
    assert not (tmp_path / name).exists() and other.exists() and look_alike.exists()


def test_temporaries_inside_a_directory_output(tmp_path):
    d = tmp_path / "member0"
    d.mkdir()
    (d / ".checkpoint.pt.k2j3.pt.tmp").write_bytes(b"x")
    (d / "model.pt").write_bytes(b"x")
    removed = remove_stale_temporaries(os.fspath(d))
    assert [p.name for p in removed] == [".checkpoint.pt.k2j3.pt.tmp"]
    assert (d / "model.pt").exists()
