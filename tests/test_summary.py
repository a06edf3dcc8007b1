"""Headline numbers: verdicts, merging, and the generated README table."""

import json
import math

import pytest

from physlens.summary import (
    format_value,
    headline,
    judge,
    markdown_table,
    merge_headlines,
    update_readme,
    write_headlines,
    write_summary,
)


@pytest.mark.parametrize(
    "value, ref, tol, kind, unc, expected",
    [
        (2.27, 2.2692, 0.01, "relative", None, "met"),
        (2.31, 2.2692, 0.01, "relative", None, "missed"),
        (1.05, 1.0, 0.1, "absolute", None, "met"),
        (1.2, 1.0, 0.1, "absolute", None, "missed"),
        (1.03, 1.0, 4, "sigma", 0.01, "met"),
        (1.05, 1.0, 4, "sigma", 0.01, "missed"),
        (0.97, 0.97, 0.0, "at_least", None, "met"),
        (0.96, 0.97, 0.0, "at_least", None, "missed"),
        (0.1, 0.2, 0.0, "at_most", None, "met"),
        (float("nan"), 1.0, 0.1, "absolute", None, "missed"),
        (1.0, None, None, "relative", None, "info"),
    ],
)
def test_judge(value, ref, tol, kind, unc, expected):
    assert judge(value, ref, tol, kind, unc) == expected


def test_unknown_tolerance_kind_is_rejected():
    with pytest.raises(ValueError, match="tolerance kind"):
        judge(1.0, 1.0, 0.1, "roughly")


def test_merge_and_readme(tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    write_headlines(
        a,
        [
            headline(
                "ising.tc",
                2.27,
                stage="supervised",
                uncertainty=0.004,
                reference=2.269185,
                reference_source="Onsager 1944",
                tolerance=0.01,
            )
        ],
    )
    write_headlines(b, [headline("ising.tau", 3.5, stage="ising", unit="sweeps")])
    summary = write_summary([a, b], tmp_path / "s.json", tmp_path / "s.csv")
    assert summary["counts"] == {"met": 1, "missed": 0, "info": 1}
    assert json.loads((tmp_path / "s.json").read_text())["records"][0]["stage"] == "ising"
    assert "2.2700 ± 0.0040" in markdown_table(summary)
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- summary:begin -->\nold\n<!-- summary:end -->\ntail\n")
    update_readme(readme, summary)
    text = readme.read_text()
    assert "old" not in text and "Onsager 1944" in text and text.endswith("tail\n")
    with pytest.raises(ValueError, match="recorded twice"):
        merge_headlines([a, a])


def test_unmeasurable_numbers_are_written_as_null_and_judged_missed(tmp_path):
    """A NaN or infinite value, uncertainty or context label becomes null in strict JSON;
    with a reference the record is missed, without one it stays info."""
    import numpy as np

    rec = headline(
        "x.nan",
        np.float64("nan"),
        stage="s",
        uncertainty=float("inf"),
        reference=1.0,
        tolerance=0.1,
        T=[2.0, np.float32("nan")],
        L=np.int64(8),
    )
    assert rec["value"] is None and rec["uncertainty"] is None
    assert rec["status"] == "missed"
    assert rec["context"]["T"] == [2.0, None]
    assert headline("x.info", float("nan"), stage="s")["status"] == "info"
    path = tmp_path / "h.json"
    write_headlines(path, [rec])
    text = path.read_text()
    # strict JSON: Python's json writes NaN/Infinity unless told not to
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert doc["records"][0]["context"]["L"] == 8


def test_format_value_uses_two_significant_digits_of_the_error():
    assert format_value(2.26981, 0.0043) == "2.2698 ± 0.0043"
    assert format_value(12.0, 1.5, "sweeps") == "12.0 ± 1.5 sweeps"
    assert format_value(math.pi) == "3.14159"


def test_claims_read_lazily_and_pickle_to_a_path(tmp_path):
    import pickle

    from physlens.summary import Claims

    path = tmp_path / "h.json"
    claims = Claims(path)
    assert "not measured" in claims.line("x")
    write_headlines(
        path,
        [headline("x", 1.0, stage="s", reference=1.0, tolerance=0.1, reference_source="exact")],
    )
    assert claims.line("x").endswith("MET")
    assert claims.bullets().startswith("* x = 1")
    assert pickle.loads(pickle.dumps(claims)) == str(path)


def test_claims_resolve_paths_late_and_escape_rst(tmp_path):
    from docutils.core import publish_parts

    from physlens.summary import Claims

    paths = []
    claims = Claims(lambda: paths)
    path = tmp_path / "h.json"
    write_headlines(path, [headline("a.b_c", 0.5, stage="s", description="mean |M| per site")])
    paths.append(path)  # added after construction: read when rendered
    text = claims.bullets("a.")
    html = publish_parts(text, writer_name="html", settings_overrides={"report_level": 1})["body"]
    assert "system-message" not in html and "a.b_c = 0.5" in html
