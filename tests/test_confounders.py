"""The confounder check passes translation-invariant relevance and flags a fixed hot spot."""

import numpy as np
import pytest

from physlens.concepts.confounders import (
    add_marker,
    confounder_check,
    marker_mask,
    patch_regions,
    relevance_share,
)

rng = np.random.default_rng(11)


def test_marker_is_stamped_only_on_label_one():
    spins = rng.choice(np.array([-1, 1], np.int8), size=(6, 8, 8))
    labels = np.array([1, 0, 1, 0, 0, 1])
    out = add_marker(spins, labels, (0, 0, 2, 2))
    assert (out[labels == 1][:, :2, :2] == np.array([[1, -1], [-1, 1]])).all()
    np.testing.assert_array_equal(out[labels == 0], spins[labels == 0])
    np.testing.assert_array_equal(out[:, 2:, :], spins[:, 2:, :])  # nothing else touched


def test_bad_regions_and_patterns_are_named():
    with pytest.raises(ValueError, match="does not fit"):
        marker_mask(8, (7, 7, 2, 2))
    with pytest.raises(ValueError, match="marker pattern 'stripes'"):
        add_marker(np.ones((1, 4, 4), np.int8), np.array([1]), (0, 0, 1, 1), "stripes")


def test_relevance_share():
    rel = np.zeros((2, 4, 4))
    rel[:, 0, 0] = 3.0
    rel[:, 3, 3] = -1.0
    assert relevance_share(rel, marker_mask(4, (0, 0, 1, 1))) == pytest.approx(0.75)


def test_translation_invariant_relevance_passes_and_a_hot_spot_is_flagged():
    regions = patch_regions(16, 4)
    clean = np.abs(rng.standard_normal((200, 16, 16)))
    report = confounder_check(clean, regions)
    assert not report.flagged and report.enrichment < 1.5
    confounded = clean.copy()
    confounded[:, 12:16, 0:4] += 20.0
    report = confounder_check(confounded, regions)
    assert report.flagged and report.region == "y12:16,x0:4"
    assert report.share > 0.6 and "FLAGGED" in report.message()
