"""Provenance: data files carry code version and seed but no timestamp; the environment table."""

from importlib.metadata import version

from physlens.provenance import base_attrs, environment_rows


def test_base_attrs_are_deterministic_unless_a_timestamp_is_asked_for():
    assert base_attrs(3) == base_attrs(3)
    assert "created_utc" not in base_attrs(3) and base_attrs(3)["seed"] == 3
    assert "created_utc" in base_attrs(timestamp=True)


def test_environment_rows_report_installed_versions_and_the_device():
    rows = dict(environment_rows())
    assert rows["numpy"] == version("numpy")
    assert rows["physlens"].startswith(version("physlens"))
    assert rows["torch_device"]
