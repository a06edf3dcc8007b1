"""Literature references as data: the file validates, and an unchecked value never judges."""

import pytest

from physlens.references import REFERENCES_FILE, load_references, reference
from physlens.summary import headline


def test_every_reference_in_the_file_validates():
    refs = load_references(REFERENCES_FILE)
    assert refs, "resources/references.yaml lists no reference"
    for ref in refs.values():
        assert ref.value is not None or ref.claim
        assert ref.authors and ref.title and ref.locator


def test_unknown_key_names_the_key_and_file():
    with pytest.raises(KeyError, match="no_such_reference.*references.yaml"):
        reference("no_such_reference")


def test_malformed_entry_is_refused_with_the_key(tmp_path):
    bad = tmp_path / "refs.yaml"
    bad.write_text(
        "x:\n  value: .nan\n  authors: A\n  title: T\n  year: 2000\n  locator: eq 1\n  checked: true\n"
    )
    with pytest.raises(ValueError, match="'x'.*value"):
        load_references(bad)


def test_checked_reference_judges_and_unchecked_is_recorded_only():
    ok = headline(
        "a", 1.881, stage="t", ref="su2_beta_c_nt2", tolerance=0.01, tolerance_kind="absolute"
    )
    assert ok["status"] == "met" and ok["reference"] == pytest.approx(1.88)
    assert "Fingberg" in ok["reference_source"] and ok["reference_key"] == "su2_beta_c_nt2"
    far = headline(
        "b", 2.5, stage="t", ref="su2_beta_c_nt2", tolerance=0.01, tolerance_kind="absolute"
    )
    assert far["status"] == "missed"
    unverified = headline("c", 0.0, stage="t", ref="su2_plaquette_beta2p3", tolerance=1e-9)
    assert unverified["status"] == "info" and "unverified" in unverified["reference_source"]


def test_a_claim_motivates_our_criterion_which_is_judged():
    """A qualitative reference has no value to distrust: the caller's threshold decides, and
    the citation says the claim was not checked."""
    rec = headline(
        "d",
        0.97,
        stage="t",
        reference=0.95,
        tolerance=0.0,
        tolerance_kind="at_least",
        ref="ws2017_ising_energy",
    )
    assert rec["status"] == "met" and rec["reference"] == 0.95
    assert "Wetzel" in rec["reference_source"] and "unverified" in rec["reference_source"]
    low = headline(
        "e",
        0.5,
        stage="t",
        reference=0.95,
        tolerance=0.0,
        tolerance_kind="at_least",
        ref="ws2017_ising_energy",
    )
    assert low["status"] == "missed"


def test_unchecked_value_shows_its_citation_in_the_caption_and_is_not_judged():
    from physlens.summary import describe

    rec = headline(
        "f",
        0.5,
        stage="t",
        ref="wetzel2020_siamese_accuracy_central_potential",
        tolerance=0.05,
        tolerance_kind="at_least",
    )
    assert rec["status"] == "info" and rec["reference"] == pytest.approx(0.97)
    text = describe(rec)
    assert "Phys. Rev. Research" in text and "not judged" in text


def test_every_reference_key_used_in_the_library_exists():
    """Every ref="key" (and the key constants) in src/ names an entry of references.yaml."""
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "physlens"
    keys = set()
    for path in src.rglob("*.py"):
        text = path.read_text()
        keys |= set(re.findall(r"\bref=\"(\w+)\"", text))
        keys |= set(re.findall(r"_REF = \"(\w+)\"", text))
        keys |= set(re.findall(r"_CLAIM = \"(\w+)\"", text))
    assert len(keys) >= 5, keys
    assert keys <= set(load_references(REFERENCES_FILE)), keys - set(load_references())
