"""The recommendation engine's stages on plain data, against hand-computed expectations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from feed.engine import rules
from feed.engine.rules import Candidate, Profile, Signal

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def video(id_: int, category: int | None = 1, tags: tuple[str, ...] = (), *, creator: int = 100, views: int = 0,
          likes: int = 0, shares: int = 0, trend: float = 0.0, age: timedelta = timedelta(days=3)) -> Candidate:
    return Candidate(id=id_, category_id=category, tags=tags, creator_id=creator, views=views, likes=likes,
                     shares=shares, trend_score=trend, created_at=NOW - age)


def test_decay_is_one_over_days_since_plus_one() -> None:
    assert rules.decay(NOW, NOW) == 1.0
    assert rules.decay(NOW - timedelta(hours=23), NOW) == 1.0  # still today
    assert rules.decay(NOW - timedelta(days=1), NOW) == 0.5
    assert rules.decay(NOW - timedelta(days=3, hours=5), NOW) == 0.25
    assert rules.decay(NOW + timedelta(hours=1), NOW) == 1.0  # clock skew never inflates


def test_profile_weights_each_signal_by_kind_and_age() -> None:
    signals = [
        Signal("like", NOW, 1, ("silk", "saree")),  # 3.0 x 1
        Signal("save", NOW - timedelta(days=1), 1, ("silk",)),  # 4.0 x 1/2 = 2.0
        Signal("add_to_cart", NOW - timedelta(days=4), 2, ("brass",)),  # 5.0 x 1/5 = 1.0
        Signal("product_view", NOW - timedelta(days=1), 2),  # 2.0 x 1/2 = 1.0
        Signal("watch_time", NOW, 3, ("cooking",), dwell_s=12),  # 0.1 x 12 = 1.2
        Signal("scroll_pause", NOW, 3, dwell_s=600),  # capped at 3.0
        Signal("view", NOW - timedelta(days=9), 4),  # 0.5 x 1/10 = 0.05
        Signal("follow", NOW - timedelta(days=2), 5, ("vlog",)),  # 2.0 x 1/3
        Signal("unknown", NOW, 6),  # no weight: ignored
    ]
    profile = rules.build_profile(signals, [100], [], NOW)
    assert profile.categories == pytest.approx({1: 5.0, 2: 2.0, 3: 4.2, 4: 0.05, 5: 2 / 3})
    assert profile.tags == pytest.approx({"silk": 5.0, "saree": 3.0, "brass": 1.0, "cooking": 1.2, "vlog": 2 / 3})
    assert profile.follows == frozenset({100})
    assert profile.top_categories(2) == [1, 3]
    assert profile.top_tags(1) == ["silk"]
    assert not profile.is_cold
    assert rules.build_profile([], [], [], NOW).is_cold


def test_session_categories_get_a_five_times_boost() -> None:
    profile = rules.build_profile([Signal("like", NOW, 1), Signal("like", NOW, 2)], [], [2, 7], NOW)
    assert profile.categories == {1: 3.0, 2: 15.0, 7: 5.0}  # 7: engaged with only in this session
    assert profile.session_categories == frozenset({2, 7})
    assert profile.top_categories(3) == [2, 7, 1]


def test_score_adds_the_documented_terms() -> None:
    profile = Profile(categories={1: 3.0}, tags={"silk": 1.0, "red": 0.5})
    # 2.0 category + 1.5 x 2 tags + 0.01 x 300 views + 1.0 x 4 likes + 1.2 x 5 shares + 4.0 x 0.5 trend, old video
    old = video(1, 1, ("silk", "red", "cotton"), views=300, likes=4, shares=5, trend=0.5)
    assert rules.score(old, profile, NOW, jitter=0.0) == pytest.approx(2.0 + 3.0 + 3.0 + 4.0 + 6.0 + 2.0)
    # under 24 hours old: +1.0; the jitter is added as given
    fresh = video(2, 9, (), age=timedelta(hours=23))
    assert rules.score(fresh, profile, NOW, jitter=0.25) == pytest.approx(1.0 + 0.25)
    # no category at all: no match
    assert rules.score(video(3, None), profile, NOW, jitter=0.0) == 0.0


def test_score_multiplies_the_category_match_by_the_session_boost() -> None:
    profile = rules.build_profile([Signal("like", NOW, 1)], [], [2], NOW)
    assert rules.score(video(1, 1), profile, NOW, 0.0) == pytest.approx(2.0)
    assert rules.score(video(2, 2), profile, NOW, 0.0) == pytest.approx(2.0 * 5.0)
    assert rules.score(video(3, 3), profile, NOW, 0.0) == 0.0


def test_rank_orders_by_score_with_jitter_below_half_a_point() -> None:
    profile = Profile(categories={1: 1.0})
    candidates = [video(1, 2, likes=1), video(2, 1), video(3, 2, likes=3)]
    ranked = rules.rank(candidates, profile, NOW, random.Random(7))
    # scores 1.0, 2.0, 3.0 (+ jitter < 0.5 each): the order cannot change
    assert [c.id for c in ranked] == [3, 2, 1]


def test_merge_keeps_the_first_source_and_drops_seen_videos() -> None:
    a, b, c = video(1), video(2), video(3)
    merged = rules.merge_candidates([[a, b], [b, c]], exclude=[1])
    assert [m.id for m in merged] == [2, 3]


def test_mix_is_sixty_twenty_twenty_without_repeats() -> None:
    personalized = [video(i) for i in range(1, 21)]
    trending = [video(i) for i in range(101, 111)]
    discovery = [video(i) for i in range(201, 211)]
    page = rules.mix({"personalized": personalized, "trending": trending, "discovery": discovery}, 10)
    buckets = [b for _, b in page]
    assert buckets.count("personalized") == 6 and buckets.count("trending") == 2 and buckets.count("discovery") == 2
    # spread through the page, not in blocks: P T P D P P T P D P
    assert buckets == ["personalized", "trending", "personalized", "discovery", "personalized",
                       "personalized", "trending", "personalized", "discovery", "personalized"]
    assert [c.id for c, b in page if b == "personalized"] == [1, 2, 3, 4, 5, 6]
    page20 = rules.mix({"personalized": personalized, "trending": trending, "discovery": discovery}, 20)
    assert [b for _, b in page20].count("personalized") == 12
    assert len({c.id for c, _ in page20}) == 20


def test_mix_skips_videos_already_taken_and_fills_from_other_buckets() -> None:
    shared = [video(i) for i in range(1, 6)]
    page = rules.mix({"personalized": shared, "trending": list(reversed(shared)), "discovery": []}, 10)
    ids = [c.id for c, _ in page]
    assert sorted(ids) == [1, 2, 3, 4, 5]  # only five distinct videos exist: no repeats, no padding
    assert rules.mix({"personalized": [], "trending": [], "discovery": []}, 5) == []


def test_buckets_trending_by_trend_score_and_discovery_outside_known_interests() -> None:
    profile = Profile(categories={1: 1.0}, follows=frozenset({50}))
    ranked = [video(1, 1, trend=0.1), video(2, 2, trend=0.9), video(3, 3, creator=50, trend=0.5), video(4, 4)]
    lists = rules.buckets(ranked, profile, random.Random(1))
    assert [c.id for c in lists["trending"]] == [2, 3, 1, 4]
    assert sorted(c.id for c in lists["discovery"]) == [2, 4]  # not category 1, not a followed creator
    assert [c.id for c in lists["personalized"]] == [1, 2, 3, 4]
