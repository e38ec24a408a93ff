"""Specs: what a new synthetic sample must cover, drawn deterministically from the catalog and the
seeds. A spec is a category theme, a difficulty level, the APIs of 1-5 apps and 1-3 seed samples
to show as examples.

The draw for spec ``index`` depends only on ``(seed, index)`` and the inputs, so a spec never
changes when more are asked for, and batches can be drawn in any order:

- **Category**: the 28 categories in a shuffled order per round of 28 specs, so each holds the
  same share (to within one spec).
- **Level**: spread over the indexes in the ratio of ``mix``; each has an operational definition
  (``LEVELS``): how many APIs, and the control flow the workflow needs.
- **APIs**: about half built-in and half from other apps. The other apps: an anchor drawn by how
  well it fits the category (its APIs' tags and its bundle id, the categorizer's scores) and how
  often it is used, then apps that occur in the same seed shortcuts as the ones chosen. Within an
  app, APIs are drawn by use and by co-occurrence with the APIs already chosen. Every weight is
  smoothed, so APIs the seeds never use are drawn too.
- **Examples**: seed samples ranked by the APIs and apps they share with the spec (a rare one
  counts more), then by structure (a seed with the level's control flow first), among seeds small
  enough to show in a prompt.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from ..catalog.categories import CATEGORIES, scores

BUILTIN = "built-in"


@dataclass(frozen=True)
class Level:
    name: str
    apis: tuple[int, int]  # how many APIs, inclusive
    apps: tuple[int, int]  # how many apps, inclusive (built-ins count as one app)
    flow: str  # the control flow the workflow needs, for prompts and checks
    depth: int  # nesting depth: 0 linear, 1 one block, 2 nested


LEVELS: dict[str, Level] = {
    "easy": Level("easy", (1, 2), (1, 2), "linear: no branch, no loop", 0),
    "medium": Level("medium", (3, 5), (1, 3), "one branch or one loop", 1),
    "hard": Level("hard", (6, 10), (2, 5), "nested control flow (a branch or loop inside another), "
                                           "with data passed from step to step", 2),
}
DEFAULT_MIX = {"easy": 0.3, "medium": 0.4, "hard": 0.3}
# Actions that are structure, not a capability a request can ask for.
STRUCTURAL = frozenset(f"is.workflow.actions.{n}" for n in (
    "conditional", "choosefrommenu", "repeat.count", "repeat.each", "comment", "nothing", "exit"))
MIN_EXAMPLE_ACTIONS, MAX_EXAMPLE_ACTIONS = 3, 40  # seeds of other sizes are not shown as examples
POSTINGS = 64  # seeds kept per API for the example search (the smallest first)
NEIGHBOURS = 50  # co-occurring partners kept per API and per app


@dataclass(frozen=True)
class ApiInfo:
    identifier: str
    app: str
    kind: str  # built-in | apple | third-party
    uses: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedInfo:
    sample_id: str
    apis: frozenset[str]
    actions: int
    branches: int
    loops: int
    depth: int


@dataclass(frozen=True)
class Inputs:
    """What specs are drawn from: the catalog's APIs and the seed samples."""

    apis: tuple[ApiInfo, ...]
    seeds: tuple[SeedInfo, ...]

    @cached_property
    def digest(self) -> str:
        return self.fingerprint()

    def fingerprint(self) -> str:
        blob = json.dumps([[a.identifier, a.app, a.kind, a.uses, list(a.tags)] for a in sorted(
            self.apis, key=lambda a: a.identifier)] + [[s.sample_id, sorted(s.apis), s.actions, s.branches, s.loops,
                                                       s.depth] for s in sorted(self.seeds, key=lambda s: s.sample_id)])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @cached_property
    def by_id(self) -> dict[str, ApiInfo]:
        return {a.identifier: a for a in self.apis}

    @cached_property
    def by_app(self) -> dict[str, list[ApiInfo]]:
        out: dict[str, list[ApiInfo]] = defaultdict(list)
        for a in sorted(self.apis, key=lambda a: a.identifier):
            if a.identifier not in STRUCTURAL:
                out[a.app].append(a)
        return dict(out)

    @cached_property
    def builtin_app(self) -> str | None:
        return next((a.app for a in self.apis if a.kind == BUILTIN), None)

    @cached_property
    def other_apps(self) -> list[str]:
        return sorted(app for app, apis in self.by_app.items() if apis and apis[0].kind != BUILTIN)

    @cached_property
    def affinity(self) -> dict[str, dict[str, float]]:
        """category -> app -> how well the app fits it (0-1), from the categorizer's scores."""
        out: dict[str, dict[str, float]] = {c: {} for c in CATEGORIES}
        for app in self.other_apps:
            tags = Counter(t for a in self.by_app[app] for t in a.tags)
            got = scores(tags, [app])
            top = max(got.values(), default=0.0)
            for category, score in got.items():
                if top > 0 and category in out:
                    out[category][app] = score / top
        return out

    @cached_property
    def cooccur(self) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
        """(app -> apps in the same seeds, API -> APIs in the same seeds)."""
        apps: dict[str, Counter[str]] = defaultdict(Counter)
        apis: dict[str, Counter[str]] = defaultdict(Counter)
        for seed in self.seeds:
            known = sorted(i for i in seed.apis if i in self.by_id and i not in STRUCTURAL)
            seed_apps = sorted({self.by_id[i].app for i in known})
            for a in seed_apps:
                for b in seed_apps:
                    if a != b:
                        apps[a][b] += 1
            if len(known) <= 60:  # a huge seed says little about which APIs go together
                for a in known:
                    for b in known:
                        if a != b:
                            apis[a][b] += 1
        return dict(apps), dict(apis)

    @cached_property
    def weights(self) -> dict[str, _Table]:
        """app -> its APIs and their base weights (by use)."""
        return {app: _Table([a.identifier for a in apis], [math.sqrt(a.uses + 1) for a in apis])
                for app, apis in self.by_app.items()}

    @cached_property
    def app_weights(self) -> dict[str, _Table]:
        """category -> the other apps and their base weights (fit to the category, use)."""
        uses = {app: sum(a.uses for a in self.by_app[app]) for app in self.other_apps}
        return {c: _Table(self.other_apps, [(0.05 + self.affinity[c].get(app, 0.0)) * math.log(2 + uses[app])
                                            for app in self.other_apps]) for c in CATEGORIES}

    @cached_property
    def neighbours(self) -> tuple[dict[str, list[tuple[str, int]]], dict[str, list[tuple[str, int]]]]:
        """The co-occurrence counts, each key's NEIGHBOURS most frequent partners only."""
        apps, apis = self.cooccur
        return ({k: sorted(v.items(), key=lambda x: (-x[1], x[0]))[:NEIGHBOURS] for k, v in apps.items()},
                {k: sorted(v.items(), key=lambda x: (-x[1], x[0]))[:NEIGHBOURS] for k, v in apis.items()})

    @cached_property
    def seed_keys(self) -> dict[str, int]:
        """A stable number per seed sample, for tie-breaks."""
        return {s.sample_id: int.from_bytes(hashlib.sha256(s.sample_id.encode()).digest()[:8], "big")
                for s in self.seeds}

    @cached_property
    def postings(self) -> dict[str, list[SeedInfo]]:
        """API or app -> the smallest seeds that use it (example candidates)."""
        out: dict[str, list[SeedInfo]] = defaultdict(list)
        for seed in sorted(self.shown, key=lambda s: (s.actions, s.sample_id)):
            for key in self._keys(seed):
                if len(out[key]) < POSTINGS:
                    out[key].append(seed)
        return dict(out)

    @cached_property
    def rarity(self) -> dict[str, float]:
        """API or app -> how much sharing it says (inverse document frequency over the seeds shown)."""
        df = Counter(k for seed in self.shown for k in self._keys(seed))
        return {k: 1.0 + math.log(len(self.shown) / n) for k, n in df.items()}

    def _keys(self, seed: SeedInfo) -> list[str]:
        return sorted(seed.apis | {self.by_id[i].app for i in seed.apis if i in self.by_id})

    @cached_property
    def shown(self) -> list[SeedInfo]:
        return sorted((s for s in self.seeds if MIN_EXAMPLE_ACTIONS <= s.actions <= MAX_EXAMPLE_ACTIONS),
                      key=lambda s: s.sample_id)


class _Table:
    """Keys with base weights, for drawing one key by weight (times a sparse boost) fast."""

    def __init__(self, keys: list[str], base: list[float]) -> None:
        self.keys = keys
        self.base = base
        self.position = {k: i for i, k in enumerate(keys)}
        self.prefix = list(itertools.accumulate(base))

    def draw(self, rng: random.Random, boost: Mapping[str, float], taken: set[str]) -> str | None:
        """A key not in ``taken``, with probability proportional to ``base * (1 + boost)``."""
        if len(taken & self.position.keys()) >= len(self.keys):
            return None
        extra = [(k, self.base[self.position[k]] * b) for k, b in sorted(boost.items())
                 if k in self.position and k not in taken and b > 0]
        extra_total = sum(w for _, w in extra)
        total = (self.prefix[-1] if self.prefix else 0.0) + extra_total
        for _ in range(32):  # rejection of taken keys; they are few
            x = rng.random() * total
            if x < extra_total:
                for k, w in extra:
                    x -= w
                    if x < 0:
                        return k
                return extra[-1][0]
            i = min(bisect.bisect_right(self.prefix, x - extra_total), len(self.keys) - 1)
            if self.keys[i] not in taken:
                return self.keys[i]
        free = [k for k in self.keys if k not in taken]
        return free[rng.randrange(len(free))] if free else None


@dataclass(frozen=True)
class Spec:
    spec_id: str
    seed: int
    index: int
    category: str
    level: str
    apps: tuple[str, ...]
    apis: tuple[str, ...]
    builtin: int  # how many of the APIs are built-in
    examples: tuple[str, ...]  # seed sample ids

    def row(self) -> dict[str, object]:
        return {"spec_id": self.spec_id, "seed": self.seed, "position": self.index, "category": self.category,
                "level": self.level, "apps": list(self.apps), "apis": list(self.apis), "builtin": self.builtin,
                "examples": list(self.examples)}


def _rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256(":".join(map(str, parts)).encode()).digest())


def category_of(seed: int, index: int) -> str:
    order = list(CATEGORIES)
    _rng(seed, "categories", index // len(order)).shuffle(order)
    return order[index % len(order)]


def level_of(seed: int, index: int, mix: Mapping[str, float]) -> str:
    """Levels spread evenly over the indexes: index k takes the level whose share of the unit
    interval holds the k-th point of a low-discrepancy sequence (offset by the seed)."""
    total = sum(mix.values())
    point = (index * 0.6180339887498949 + _rng(seed, "levels").random()) % 1.0
    edge = 0.0
    for name in LEVELS:
        edge += mix.get(name, 0.0) / total
        if point < edge:
            return name
    return [n for n in LEVELS if mix.get(n, 0.0) > 0][-1]


def _apis_from(rng: random.Random, inputs: Inputs, app: str, n: int, chosen: list[str]) -> list[str]:
    """``n`` APIs of ``app`` drawn by use and co-occurrence with ``chosen``, without repeats."""
    table = inputs.weights.get(app)
    if table is None:
        return []
    _, together = inputs.neighbours
    out: list[str] = []
    taken = set(chosen)
    boost: Counter[str] = Counter()
    for c in chosen:
        boost.update(dict(together.get(c, ())))
    while len(out) < n:
        got = table.draw(rng, boost, taken)
        if got is None:
            break
        out.append(got)
        taken.add(got)
        boost.update(dict(together.get(got, ())))
    return out


def make_spec(inputs: Inputs, seed: int, index: int, mix: Mapping[str, float] = DEFAULT_MIX) -> Spec:
    rng = _rng(seed, "spec", index)
    category = category_of(seed, index)
    level = LEVELS[level_of(seed, index, mix)]
    n = rng.randint(*level.apis)
    app_low, app_high = level.apps
    builtin_app = inputs.builtin_app
    others = inputs.other_apps
    n_builtin = n // 2 + (rng.random() < 0.5 if n % 2 else 0) if builtin_app and others else (n if builtin_app else 0)
    n_other = n - n_builtin
    # how many other apps: within the level's range, counting built-ins as one app
    lo = max(1 if n_other else 0, app_low - (1 if n_builtin else 0))
    hi = min(n_other, app_high - (1 if n_builtin else 0), len(others))
    k = rng.randint(lo, hi) if hi >= lo else max(0, hi)
    if level.name == "hard" and n_builtin and k == 0 and others:  # across at least 2 apps
        k, n_other, n_builtin = 1, n_other + 1, n_builtin - 1
    apps_with, _ = inputs.neighbours
    picked_apps: list[str] = []
    boost: Counter[str] = Counter()
    for _ in range(k):
        got = inputs.app_weights[category].draw(rng, boost, set(picked_apps))
        if got is None:
            break
        picked_apps.append(got)
        boost.update(dict(apps_with.get(got, ())))
    apis: list[str] = []
    if picked_apps:  # spread the other apps' share over them, the anchor first
        share = [n_other // len(picked_apps) + (i < n_other % len(picked_apps)) for i in range(len(picked_apps))]
        for app, m in zip(picked_apps, share, strict=True):
            apis += _apis_from(rng, inputs, app, m, apis)
    if builtin_app and len(apis) < n:  # built-ins, and any share the other apps could not fill
        apis += _apis_from(rng, inputs, builtin_app, n - len(apis), apis)
    apps = tuple(dict.fromkeys(inputs.by_id[i].app for i in apis))
    builtin = sum(inputs.by_id[i].kind == BUILTIN for i in apis)
    examples = _examples(inputs, rng, set(apis), set(apps), level)
    blob = json.dumps([seed, index, category, level.name, apis, examples, inputs.digest])
    return Spec(hashlib.sha256(blob.encode()).hexdigest()[:24], seed, index, category, level.name, apps,
                tuple(apis), builtin, tuple(examples))


def _fits(seed: SeedInfo, level: Level) -> bool:
    if level.depth == 0:
        return seed.branches == 0 and seed.loops == 0
    return seed.branches + seed.loops >= 1 and seed.depth >= level.depth


def _examples(inputs: Inputs, rng: random.Random, apis: set[str], apps: set[str], level: Level) -> list[str]:
    want = rng.randint(1, 3)
    score: Counter[str] = Counter()
    found: dict[str, SeedInfo] = {}
    rarity = inputs.rarity
    for key, weight in [*((a, 1.0) for a in sorted(apis)), *((a, 0.5) for a in sorted(apps))]:
        for s in inputs.postings.get(key, ()):
            score[s.sample_id] += weight * rarity[key]
            found[s.sample_id] = s
    salt = rng.getrandbits(64)
    keys = inputs.seed_keys

    def rank(sid: str) -> tuple[float, int]:
        return (-(score[sid] + (1.5 if _fits(found[sid], level) else 0.0)), keys[sid] ^ salt)

    out = heapq.nsmallest(want, sorted(found), key=rank)
    if len(out) < want:  # nothing shares enough: seeds of the right shape
        shaped = [s.sample_id for s in inputs.shown if _fits(s, level) and s.sample_id not in out] or \
            [s.sample_id for s in inputs.shown if s.sample_id not in out]
        rng.shuffle(shaped)
        out += shaped[:want - len(out)]
    return out


def make_specs(inputs: Inputs, seed: int, indexes: Iterable[int],
               mix: Mapping[str, float] = DEFAULT_MIX) -> list[Spec]:
    return [make_spec(inputs, seed, i, mix) for i in indexes]


def check_mix(mix: Mapping[str, float]) -> dict[str, float]:
    unknown = set(mix) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown levels {sorted(unknown)}; levels are {list(LEVELS)}")
    if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError("level shares must be >= 0 and not all 0")
    return {k: float(mix.get(k, 0.0)) for k in LEVELS}


def summary(specs: Sequence[Spec]) -> dict[str, object]:
    """Counts a report shows: per category, level and API mix."""
    apis = sum(len(s.apis) for s in specs)
    return {"specs": len(specs), "categories": Counter(s.category for s in specs),
            "levels": Counter(s.level for s in specs),
            "builtin_share": sum(s.builtin for s in specs) / apis if apis else 0.0,
            "distinct_api_sets": len({s.apis for s in specs})}
