"""The recommendation engine's four stages as plain functions over plain data: profile, candidates,
score, mix. No I/O here; the store fetches the data and the service strings the stages together."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# How much one past engagement says about a user's interests, before time decay.
SIGNAL_WEIGHTS = {
    "like": 3.0,
    "save": 4.0,
    "follow": 2.0,  # a followed creator's categories and tags
    "product_view": 2.0,  # a tap on a product in the video (cta_click)
    "add_to_cart": 5.0,
    "view": 0.5,
}
DWELL_PER_S = 0.1  # watch time and scroll pauses: 0.1 per second watched ...
DWELL_CAP = 3.0  # ... up to 3.0 for one signal, so one long video cannot dominate
SESSION_BOOST = 5.0

# The score's terms, as documented for the feed.
CATEGORY_MATCH = 2.0
PER_TAG = 1.5
PER_VIEW = 0.01
PER_LIKE = 1.0
PER_SHARE = 1.2
FRESH_BONUS = 1.0
FRESH_AGE = timedelta(hours=24)
PER_TREND = 4.0
JITTER = 0.5

# The page's mix: personalized, trending, discovery.
MIX = (("personalized", 0.6), ("trending", 0.2), ("discovery", 0.2))


@dataclass(frozen=True)
class Signal:
    """One past engagement of the user with a video (or a follow of a creator)."""

    kind: str
    at: datetime
    category_id: int | None
    tags: tuple[str, ...] = ()
    dwell_s: float = 0.0


@dataclass(frozen=True)
class Profile:
    categories: dict[int, float] = field(default_factory=dict)
    tags: dict[str, float] = field(default_factory=dict)
    follows: frozenset[int] = frozenset()
    session_categories: frozenset[int] = frozenset()

    @property
    def is_cold(self) -> bool:
        return not (self.categories or self.tags or self.follows or self.session_categories)

    def top_categories(self, n: int) -> list[int]:
        return [c for c, _ in sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def top_tags(self, n: int) -> list[str]:
        return [t for t, _ in sorted(self.tags.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def in_session(self, session_categories: Iterable[int]) -> Profile:
        """This profile with the categories active in the current session boosted 5.0x."""
        session = frozenset(session_categories)
        categories = dict(self.categories)
        for category_id in session:
            categories[category_id] = categories.get(category_id, 0.0) * SESSION_BOOST or SESSION_BOOST
        return Profile(categories, dict(self.tags), self.follows, self.session_categories | session)

    def saved(self) -> dict[str, object]:
        """The profile as JSON can keep it (without the session's categories, which change as it goes)."""
        return {"categories": list(self.categories.items()), "tags": self.tags, "follows": sorted(self.follows)}

    @classmethod
    def load(cls, saved: dict[str, Any]) -> Profile:
        """The profile `saved` made."""
        return cls({int(c): w for c, w in saved["categories"]}, dict(saved["tags"]), frozenset(saved["follows"]))


@dataclass(frozen=True)
class Candidate:
    """A video that may be shown, with what scoring needs, and the source that proposed it."""

    id: int
    category_id: int | None
    tags: tuple[str, ...]
    creator_id: int
    views: int
    likes: int
    shares: int
    trend_score: float
    created_at: datetime
    source: str = "recent"


def decay(at: datetime, now: datetime) -> float:
    """1 / (days_since + 1), in whole days: today counts fully, yesterday half, and so on."""
    days = max(0, (now - at).days)
    return 1.0 / (days + 1)


def signal_weight(signal: Signal) -> float:
    if signal.kind in ("watch_time", "scroll_pause"):
        return min(DWELL_CAP, DWELL_PER_S * max(0.0, signal.dwell_s))
    return SIGNAL_WEIGHTS.get(signal.kind, 0.0)


def build_profile(signals: Iterable[Signal], follows: Iterable[int], session_categories: Iterable[int],
                  now: datetime) -> Profile:
    """Stage 1: interest per category and tag, each signal weighted by kind and by 1/(days_since+1);
    categories active in the current session are boosted 5.0x."""
    categories: dict[int, float] = {}
    tags: dict[str, float] = {}
    for signal in signals:
        weight = signal_weight(signal) * decay(signal.at, now)
        if weight <= 0:
            continue
        if signal.category_id is not None:
            categories[signal.category_id] = categories.get(signal.category_id, 0.0) + weight
        for tag in signal.tags:
            tags[tag] = tags.get(tag, 0.0) + weight
    return Profile(categories, tags, frozenset(follows)).in_session(session_categories)


def merge_candidates(groups: Iterable[Iterable[Candidate]], exclude: Iterable[int] = ()) -> list[Candidate]:
    """Stage 2: the union of every source's candidates, first source wins, without the excluded (seen) ones."""
    seen = set(exclude)
    out = []
    for group in groups:
        for candidate in group:
            if candidate.id not in seen:
                seen.add(candidate.id)
                out.append(candidate)
    return out


def score(candidate: Candidate, profile: Profile, now: datetime, jitter: float) -> float:
    """Stage 3: 2.0 x category match x session boost + 1.5 per matching tag + 0.01 views + 1.0 likes
    + 1.2 shares + 1.0 if under 24 h old + 4.0 x trend_score + jitter (random in 0..0.5)."""
    total = 0.0
    category = candidate.category_id
    if category is not None and (category in profile.categories or category in profile.session_categories):
        total += CATEGORY_MATCH * (SESSION_BOOST if category in profile.session_categories else 1.0)
    total += PER_TAG * sum(1 for tag in set(candidate.tags) if tag in profile.tags)
    total += PER_VIEW * candidate.views + PER_LIKE * candidate.likes + PER_SHARE * candidate.shares
    if now - candidate.created_at < FRESH_AGE:
        total += FRESH_BONUS
    total += PER_TREND * candidate.trend_score
    return total + jitter


def rank(candidates: Sequence[Candidate], profile: Profile, now: datetime, rng: random.Random) -> list[Candidate]:
    """Candidates by score, best first (ties by newest id)."""
    scored = [(score(c, profile, now, rng.uniform(0.0, JITTER)), c) for c in candidates]
    scored.sort(key=lambda sc: (-sc[0], -sc[1].id))
    return [c for _, c in scored]


def buckets(ranked: Sequence[Candidate], profile: Profile, rng: random.Random) -> dict[str, list[Candidate]]:
    """The three lists the page is mixed from: personalized (by score), trending (by trend_score), and
    discovery (outside the user's known categories and follows, in random order)."""
    trending = sorted(ranked, key=lambda c: (-c.trend_score, -c.id))
    discovery = [c for c in ranked
                 if c.category_id not in profile.categories and c.creator_id not in profile.follows]
    rng.shuffle(discovery)
    return {"personalized": list(ranked), "trending": trending, "discovery": discovery}


def mix(lists: dict[str, list[Candidate]], size: int) -> list[tuple[Candidate, str]]:
    """Stage 4: fill `size` slots 60/20/20 from personalized, trending and discovery, each slot going to
    the bucket furthest below its share; no video twice; an empty bucket yields to the others."""
    taken: set[int] = set()
    counts = {name: 0 for name, _ in MIX}
    cursors = {name: 0 for name, _ in MIX}
    out: list[tuple[Candidate, str]] = []

    def next_of(name: str) -> Candidate | None:
        items = lists.get(name, [])
        while cursors[name] < len(items):
            candidate = items[cursors[name]]
            cursors[name] += 1
            if candidate.id not in taken:
                return candidate
        return None

    while len(out) < size:
        slot = len(out) + 1
        # The buckets furthest below their share first; ties to the earlier bucket (sorted is stable).
        order = sorted(MIX, key=lambda ns: counts[ns[0]] - ns[1] * slot)
        for name, _ in order:
            candidate = next_of(name)
            if candidate is not None:
                taken.add(candidate.id)
                counts[name] += 1
                out.append((candidate, name))
                break
        else:
            break  # every bucket is empty
    return out
