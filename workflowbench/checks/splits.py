"""Splits of the kept samples, by seed shortcut and without leakage.

- A seed goes to ``train``, ``reward``, ``dev`` or ``test`` by a hash of its shortcut id and the
  split seed, in the paper's proportions (9,757 / 2,380 / 1,190 / 1,190): adding shortcuts never
  moves one.
- Out of distribution: apps (third-party bundle ids) are held out by the same kind of hash, and a
  seed that uses any of their APIs is ``ood``; no train sample uses a held-out API.
- Synthesis draws only on seeds of the training splits and on APIs of apps that are not held out
  (``trains_on``, ``held_out``: the specs and synthesize stages use the same ``split_seed`` and
  ``ood_share``), so its samples are train or reward. Should one still draw on another seed (its
  settings differ from the splits'), the rule holds anyway: a synthetic sample inherits the split
  of the seeds it drew on (its lineage: examples shown and
  fragments used) when those are all train or reward; one that drew on a dev, test or ood seed, or
  uses a held-out API, is ``excluded``: it would leak what the model is tested on.
- Decontamination: a train or reward sample that is a near duplicate (the dedup gate's MinHash at
  the same threshold) of a dev, test or ood sample is ``excluded`` too, naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .dedup import NearIndex, Sketch, similarity

PAPER = {"train": 9757, "reward": 2380, "dev": 1190, "test": 1190}
SHARES = {k: v / sum(PAPER.values()) for k, v in PAPER.items()}
TRAINING = ("train", "reward")
HELD_OUT = ("dev", "test", "ood")


def _unit(*parts: object) -> float:
    h = hashlib.sha256(":".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def seed_split(shortcut_id: str, split_seed: int, shares: Mapping[str, float] = SHARES) -> str:
    u, edge = _unit(split_seed, "split", shortcut_id), 0.0
    for name, share in shares.items():
        edge += share
        if u < edge:
            return name
    return list(shares)[-1]


def held_out(app: str, share: float, split_seed: int) -> bool:
    return app != "shortcuts" and _unit(split_seed, "ood", app) < share


def held_out_apps(apps: Iterable[str], share: float, split_seed: int) -> frozenset[str]:
    return frozenset(a for a in apps if held_out(a, share, split_seed))


def trains_on(shortcut_id: str, apps: Iterable[str], split_seed: int, ood_share: float) -> bool:
    """Whether a seed is in a training split (train or reward): what synthesis may draw on, so that
    no synthetic sample carries a held-out seed's content or API."""
    return not any(held_out(a, ood_share, split_seed) for a in apps) and seed_split(shortcut_id, split_seed) in TRAINING


@dataclass(frozen=True)
class Member:
    sample_id: str
    origin: str  # seed | synthetic
    shortcut_id: str
    apps: frozenset[str]
    drew_on: tuple[str, ...]  # seed sample ids (synthetic lineage)


@dataclass(frozen=True)
class Assigned:
    sample_id: str
    split: str  # train | reward | dev | test | ood | excluded
    # seed-hash | held-out-app | lineage | no-lineage | drew-on-held-out-seed | held-out-api |
    # near-duplicate-of-held-out: <sample>
    reason: str


# The sketches (``checks.dedup.Sketch``) of the given sample ids, in their order: read a part at a
# time by the caller, so no code is held for every sample at once.
Sketches = Callable[[Sequence[str]], Iterable[tuple[str, Sketch | None]]]


def assign(members: Sequence[Member], split_seed: int, ood_share: float, threshold: float, sketches: Sketches,
           num_perm: int = 128) -> list[Assigned]:
    held = held_out_apps({a for m in members for a in m.apps}, ood_share, split_seed)
    out: dict[str, Assigned] = {}
    seeds: dict[str, str] = {}
    for m in members:
        if m.origin != "seed":
            continue
        split, why = ("ood", "held-out-app") if m.apps & held else (seed_split(m.shortcut_id, split_seed), "seed-hash")
        out[m.sample_id] = Assigned(m.sample_id, split, why)
        seeds[m.sample_id] = split
    for m in members:
        if m.origin == "seed":
            continue
        drawn = {seeds.get(s) for s in m.drew_on if s in seeds}
        if m.apps & held:
            out[m.sample_id] = Assigned(m.sample_id, "excluded", "held-out-api")
        elif drawn & set(HELD_OUT):
            out[m.sample_id] = Assigned(m.sample_id, "excluded", "drew-on-held-out-seed")
        elif drawn == {"reward"}:
            out[m.sample_id] = Assigned(m.sample_id, "reward", "lineage")
        else:
            out[m.sample_id] = Assigned(m.sample_id, "train", "lineage" if drawn else "no-lineage")
    # compared with nothing: an excluded sample's sketch is not read. The held-out sketches are read
    # first and indexed; the training ones are then compared as they are read, never all held at once.
    compared = [m.sample_id for m in members if out[m.sample_id].split != "excluded"]
    held_out = [s for s in compared if out[s].split in HELD_OUT]
    training = [s for s in compared if out[s].split not in HELD_OUT]
    for sample_id, of in contaminated(sketches(held_out), sketches(training), threshold, num_perm):
        out[sample_id] = Assigned(sample_id, "excluded", f"near-duplicate-of-held-out: {of}")
    return [out[m.sample_id] for m in members]


def contaminated(held_out: Iterable[tuple[str, Sketch | None]], training: Iterable[tuple[str, Sketch | None]],
                 threshold: float, num_perm: int) -> Iterator[tuple[str, str]]:
    """(training sample, held-out sample) pairs whose code is a near duplicate at ``threshold``, in
    the order of ``training``."""
    index = NearIndex(threshold, num_perm)
    held: list[tuple[str, bytes]] = []
    for sample_id, sk in held_out:
        if sk is not None:
            index.add(len(held), sk.minhash)
            held.append((sample_id, sk.minhash))
    for sample_id, sk in training:
        if sk is None:
            continue
        for k in index.candidates(sk.minhash):
            if similarity(sk.minhash, held[k][1]) >= threshold:
                yield sample_id, held[k][0]
                break
