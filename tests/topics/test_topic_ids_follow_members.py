"""Stable topic ids after a refit follow the topics' segments (Hungarian matching on member Jaccard)."""

from __future__ import annotations

import numpy as np
import pytest

from narratif.topics.stable_ids import TopicProfile, match_ids, member_jaccard

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


def _profile(ids, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(len(ids), 6))
    return TopicProfile(ids=list(ids), centroids=c / np.linalg.norm(c, axis=1, keepdims=True),
                        terms=[{f"w{i}": 1.0} for i in ids])


def test_a_topic_whose_members_barely_changed_keeps_its_id_whatever_its_centroid():
    # 100 segments: old topics 3 (rows 0-39), 5 (40-69), 9 (70-89); 90-99 outliers
    old = np.r_[np.full(40, 3), np.full(30, 5), np.full(20, 9), np.full(10, -1)]
    # the refit (its own ids 0, 1, 2): topic 1 = old 3 but for 4 rows; topic 0 = half of old 5;
    # topic 2 = old 9 plus the former outliers
    new = np.r_[np.full(36, 1), np.full(4, -1), np.full(15, 0), np.full(15, -1), np.full(20, 2), np.full(10, 2)]
    members = member_jaccard([3, 5, 9], old, [0, 1, 2], new)
    assert members[0, 1] == pytest.approx(36 / 40) and members[1, 0] == pytest.approx(0.5)
    assert members[2, 2] == pytest.approx(20 / 30)
    # centroids and terms say nothing alike (another random draw): members decide
    mapping, kept, next_id = match_ids(_profile([3, 5, 9], 1), _profile([0, 1, 2], 2), threshold=0.5, next_id=10,
                                       members=members, member_threshold=0.5)
    assert mapping == {1: 3, 0: 5, 2: 9} and set(kept) == {3, 5, 9} and next_id == 10


def test_a_split_topic_keeps_its_id_on_its_larger_part_only_when_it_holds_most_of_it():
    old = np.r_[np.full(60, 0), np.full(40, 1)]
    even = np.r_[np.full(30, 0), np.full(30, 1), np.full(40, 2)]  # old 0 split in halves: J = 0.5 each
    uneven = np.r_[np.full(10, 0), np.full(50, 1), np.full(40, 2)]  # old 0 mostly in new 1: J = 5/6
    for new, expected in ((even, {2: 1}), (uneven, {1: 0, 2: 1})):
        members = member_jaccard([0, 1], old, [0, 1, 2], new)
        mapping, kept, _ = match_ids(_profile([0, 1]), _profile([0, 1, 2], 3), threshold=0.5, next_id=2,
                                     members=members, member_threshold=0.51)
        assert {k: v for k, v in mapping.items() if v < 2} == expected
        assert set(kept) == set(expected.values())
        assert sorted(v for v in mapping.values() if v >= 2) == list(range(2, 2 + 3 - len(expected)))


def test_an_old_topic_with_no_segment_left_is_matched_by_centroid_and_terms():
    prof = _profile([4, 6])
    old = np.full(10, 6)  # old topic 4 lost all its segments (its documents were removed)
    new = np.r_[np.full(10, 1)]
    members = member_jaccard([4, 6], old, [0, 1], new)
    assert np.isnan(members[0]).all() and members[1, 1] == 1.0
    new_prof = TopicProfile(ids=[0, 1], centroids=prof.centroids.copy(), terms=prof.terms)
    mapping, kept, _ = match_ids(prof, new_prof, threshold=0.5, next_id=7, members=members)
    assert mapping == {0: 4, 1: 6} and set(kept) == {4, 6}


def test_thresholds_must_be_positive():
    with pytest.raises(ValueError):
        match_ids(_profile([0]), _profile([0]), threshold=0.0, next_id=1)
