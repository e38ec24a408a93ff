"""The offline annotator: a workflow for a spec, built by recombining real fragments of the seed
workflows. This is recombination, not a language model: nothing is predicted, every action comes
from a seed shortcut or from the catalog's schema of the API.

- **Fragments.** A fragment is a plain action of a seed together with the actions that feed it
  (the outputs it refers to, and the previous action when it takes that one's output implicitly),
  up to ``MAX_FRAGMENT`` actions, closed: it refers to no output outside itself and reads no named
  variable, and it holds no blob or text so long that the training view would cut it (a sample that
  shows a placeholder is dropped by the rules). An API no seed uses gets a fragment of one action
  made from its schema: its required parameters (the enum's first value, the default, or a literal
  of the parameter's type), with an input that takes variables wired, in the finished order, by the
  catalog's output and parameter types (``catalog.kinds``) to a recent output of the kind it is made
  for, else to the latest output it can take. No fragment holds a value its parameter cannot take
  (``checks.types``).
- **Size.** A target number of actions is drawn from the paper's final-set histogram (``SIZE_BINS``):
  one fragment per spec API, then fragments that steer the built-in share towards ``BUILTIN_TARGET``
  (another use of a spec API of another app) or stretches of plain actions of the spec's example
  seeds.
- **Control flow** follows the level: easy is linear; medium puts a stretch holding a spec API in
  one block (an If on an output before it, a Repeat with Each over one, a Repeat or a menu, drawn as
  often as seeds use them); hard nests a second block in the first.
- Every action is checked against its API's JSON Schema; an action that fails is not used (another
  occurrence is drawn). Output ids are fresh for each copy.

The result is a model workflow; the caller writes its code (``training_view``), reads it back with
``from_code`` and lets the offline thoughts write comments, plan and query.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator

from ..catalog.kinds import fits, wrong_type
from ..catalog.schema import DEFS, DRAFT
from ..catalog.validate import is_variable
from ..checks.flow import references
from ..checks.types import kinds_of, wrong_types
from ..code.inputs import INPUT_KEYS
from ..code.view import holds_blob
from ..shortcut.controlflow import BLOCK_ACTIONS
from ..shortcut.model import Workflow, canonical
from .specs import LEVELS, Spec

P = "is.workflow.actions."
IF, MENU, REPEAT, EACH, COMMENT = P + "conditional", P + "choosefrommenu", P + "repeat.count", P + "repeat.each", \
    P + "comment"
STRUCTURAL_KEYS = frozenset({"UUID", "GroupingIdentifier", "WFControlFlowMode", "CustomOutputName"})
MAX_FRAGMENT = 6
OCCURRENCES = 12  # fragments kept per API
# Actions per workflow in the paper's final set: (low, high, share); the last bin is open, drawn up to 150.
SIZE_BINS = ((1, 15, 0.005), (15, 30, 0.05), (30, 45, 0.129), (45, 60, 0.198), (60, 75, 0.205), (75, 90, 0.158),
             (90, 105, 0.101), (105, 150, 0.155))
BUILTIN_TARGET = 0.52  # built-in share each workflow steers to when its spec has other apps' APIs
# Not used to fill a workflow out: a note, and actions that end the shortcut where they stand.
_NOT_FILLER = frozenset({COMMENT, P + "exit", P + "output", P + "nothing"})
MAX_REUSE = 2  # times one seed fragment may appear in a workflow
WIRE_WINDOW = 5  # outputs before an action made from a schema that its input may be wired to by kind
_SHORTCUT_INPUT = {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "ExtensionInput"}}
_PREVIOUS = "previous-output"  # stands for the output before an action until the pieces are in order
_ALLOWED_SOURCES = frozenset({"ActionOutput", "ExtensionInput", "Clipboard", "CurrentDate", "DeviceDetails", "Ask",
                              "Input"})
# uuid.UUID(int=x, version=4): the RFC 4122 variant and the version in their bits
_VERSION_MASK = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_4 = (0x8000 << 48) | (4 << 76)


@dataclass(frozen=True)
class ApiSpec:
    """What the generator needs of a catalog API."""

    identifier: str
    kind: str  # built-in | apple | third-party
    app: str
    schema: Mapping[str, Any]
    # (key, type, required, default, enums, accepts variables)
    params: tuple[tuple[str, str, bool, Any, Any, bool], ...]
    input_key: str | None = None
    output_name: str | None = None
    output_type: str | None = None  # the catalog's class name(s), for ``catalog.kinds``


# Keywords of a catalog schema (catalog.schema.json_schema) that say nothing about an instance.
_ANNOTATIONS = frozenset({"title", "description", "default"})
_ROOT_KEYS = frozenset({"$schema", "title", "description", "type", "properties", "required", "additionalProperties",
                        "$defs"})
_VARIABLE_REF = {"$ref": "#/$defs/variable"}
_ANY, _OR_VARIABLE, _SCHEMA = 0, 1, 2  # how a parameter is checked: not at all, a variable passes, by its schema
SEEN_LIMIT = 50_000  # parameter verdicts a Library remembers before it starts over (some MB at most)
_SEEN_REPR = 500  # longer values are checked each time rather than remembered


class _Check:
    """One API's schema check. A catalog schema (an object of ``properties``, ``required`` keys, any
    other key allowed) accepts parameters when each listed one passes its own subschema: those are
    checked one by one, as the whole schema's ``properties`` keyword does (``descend``), which lets
    a verdict be remembered and a variable pass a parameter that takes variables without the schema
    (``is_variable`` is exactly ``$defs/variable``). Any other schema is checked whole."""

    __slots__ = ("parts", "required", "whole")

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.whole = Draft202012Validator(dict(schema))
        self.parts: dict[str, tuple[int, Any]] | None = None
        self.required: tuple[str, ...] = ()
        props, required, defs = schema.get("properties"), schema.get("required", []), schema.get("$defs")
        if not (schema.keys() <= _ROOT_KEYS and schema.get("type") == "object"
                and schema.get("additionalProperties", True) is True and schema.get("$schema", DRAFT) == DRAFT
                and type(props) is dict and type(required) is list and all(type(k) is str for k in required)
                and "$id" not in json.dumps(schema, default=str)):  # no other base URI for the subschemas' $ref
            return
        variables = type(defs) is dict and all(defs.get(k) == DEFS[k] for k in ("variable", "attachment"))
        parts: dict[str, tuple[int, Any]] = {}
        for key, sub in props.items():
            if type(sub) is dict and sub.keys() <= _ANNOTATIONS:
                parts[key] = (_ANY, sub)
            elif variables and type(sub) is dict and sub.keys() <= _ANNOTATIONS | {"anyOf"} \
                    and type(sub.get("anyOf")) is list and _VARIABLE_REF in sub["anyOf"]:
                parts[key] = (_OR_VARIABLE, sub)
            else:
                parts[key] = (_SCHEMA, sub)
        self.parts = parts
        self.required = tuple(required)


@dataclass
class Library:
    """Fragments of the seed workflows by API, and the seeds' plain stretches, built once."""

    apis: Mapping[str, ApiSpec]
    seeds: Mapping[str, Workflow]  # sample id -> workflow
    _validators: dict[str, _Check] = field(default_factory=dict)
    # (API, key, repr of the JSON value) -> whether that parameter's subschema accepts it; bounded
    _seen: dict[tuple[str, str, str], bool] = field(default_factory=dict)

    def valid(self, raw: Mapping[str, Any]) -> bool:
        """An action (raw plist) whose API is in the catalog and whose parameters its schema accepts."""
        ident = raw.get("WFWorkflowActionIdentifier")
        api = self.apis.get(ident) if type(ident) is str else None
        if api is None:
            return False
        check = self._validators.get(api.identifier)
        if check is None:
            check = self._validators[api.identifier] = _Check(api.schema)
        params = raw.get("WFWorkflowActionParameters") or {}
        parts = check.parts
        if parts is None:
            return check.whole.is_valid(canonical({k: v for k, v in params.items() if k not in STRUCTURAL_KEYS}))
        for key in check.required:
            if key not in params or key in STRUCTURAL_KEYS:
                return False
        seen = self._seen
        for key, v in params.items():
            part = parts.get(key)
            if part is None or part[0] == _ANY or key in STRUCTURAL_KEYS:
                continue
            v = canonical(v)
            if part[0] == _OR_VARIABLE and is_variable(v):
                continue
            text = repr(v)
            memo = (api.identifier, key, text) if len(text) <= _SEEN_REPR else None
            ok = seen.get(memo) if memo is not None else None
            if ok is None:
                ok = next(check.whole.descend(v, part[1]), None) is None
                if memo is not None:
                    if len(seen) >= SEEN_LIMIT:
                        seen.clear()
                    seen[memo] = ok
            if not ok:
                return False
        return True

    @cached_property
    def by_app(self) -> dict[str, list[str]]:
        """app -> its APIs that are not structure."""
        out: dict[str, list[str]] = defaultdict(list)
        for ident in sorted(self.apis):
            if ident not in BLOCK_ACTIONS and ident not in _NOT_FILLER:
                out[self.apis[ident].app].append(ident)
        return dict(out)

    @cached_property
    def fragments(self) -> dict[str, list[tuple[str, int, list[dict[str, Any]]]]]:
        """API -> (seed sample id, action index, fragment actions as raw plists), in seed order."""
        out: dict[str, list[tuple[str, int, list[dict[str, Any]]]]] = defaultdict(list)
        for sid in sorted(self.seeds):
            actions = self.seeds[sid].actions
            raws = [a.to_plist() for a in actions]
            producer = {a.uuid: i for i, a in enumerate(actions) if a.uuid is not None}
            usable = self.usable(sid, raws)
            for i, a in enumerate(actions):
                if not _plain(a.identifier, a.mode) or len(out[a.identifier]) >= OCCURRENCES:
                    continue
                got = self._closure(actions, producer, i)
                if got is not None and all(usable(k) for k in got):
                    out[a.identifier].append((sid, i, [raws[k] for k in got]))
        return dict(out)

    def made_ok(self, raw: Mapping[str, Any]) -> bool:
        """Whether an action made from its schema is ``valid`` and holds no blob (as copied ones,
        ``usable``); remembered, since the schema offers few choices (bounded as ``_seen``)."""
        made: dict[str, bool] = self.__dict__.setdefault("_made", {})
        key = repr(raw)
        got = made.get(key)
        if got is None:
            if len(made) >= SEEN_LIMIT:
                made.clear()
            got = made[key] = self.valid(raw) and not holds_blob(raw.get("WFWorkflowActionParameters") or {})
        return got

    def usable(self, sid: str, raws: Sequence[Mapping[str, Any]]) -> Callable[[int], bool]:
        """Whether action ``k`` of seed ``sid`` (its plists ``raws``) may be copied: valid against its
        schema, handing no parameter a value it cannot take (``checks.types``) and holding no blob or
        long text (``holds_blob``), decided once per action."""
        cached: dict[str, dict[int, bool]] = self.__dict__.setdefault("_usable", {})
        if sid not in cached:
            cached[sid] = {k: False for k in wrong_types(self.seeds[sid], self.apis)}
        known = cached[sid]

        def ok(k: int) -> bool:
            got = known.get(k)
            if got is None:
                raw = raws[k]
                got = known[k] = self.valid(raw) and not holds_blob(raw.get("WFWorkflowActionParameters") or {})
            return got
        return ok

    def _closure(self, actions: Sequence[Any], producer: Mapping[str, int], i: int) -> list[int] | None:
        """The indexes of action ``i`` and what feeds it, in order; None when that is not closed."""
        todo, seen = [i], {i}
        while todo:
            k = todo.pop()
            a = actions[k]
            feeds = []
            for kind, output in _refs(a.parameters):
                if kind not in _ALLOWED_SOURCES:
                    return None  # a named variable, a loop's magic variable: set outside the fragment
                if kind == "ActionOutput":
                    j = producer.get(output or "")
                    if j is None or j >= k or not _plain(actions[j].identifier, actions[j].mode):
                        return None
                    feeds.append(j)
            key = INPUT_KEYS.get(a.identifier) or (self.apis[a.identifier].input_key if a.identifier in self.apis
                                                   else None)
            if key is not None and key not in a.parameters and k > 0:
                j = k - 1
                if _plain(actions[j].identifier, actions[j].mode) and actions[j].identifier != COMMENT:
                    feeds.append(j)  # takes the previous action's output without saying so
            for j in feeds:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
            if len(seen) > MAX_FRAGMENT:
                return None
        return sorted(seen)

    def template(self, key: tuple[str, int], raws: list[dict[str, Any]]) -> _Template:
        """The copying template of the fragment or stretch at ``key`` ((seed, index) of a fragment,
        (seed, -1 - start) of a stretch), made on first use; at most one per fragment and stretch."""
        cached: dict[tuple[str, int], _Template] = self.__dict__.setdefault("_templates", {})
        got = cached.get(key)
        if got is None:
            got = cached[key] = _Template(raws)
        return got

    def stretches(self, sid: str) -> list[tuple[int, list[dict[str, Any]]]]:
        """(start, actions) of the closed runs of 2-6 plain, valid actions of seed ``sid`` (no
        comments, nothing that ends the shortcut)."""
        cached = self.__dict__.setdefault("_stretches", {})
        if sid in cached:
            return cached[sid]
        wf = self.seeds.get(sid)
        out: list[tuple[int, list[dict[str, Any]]]] = []
        if wf is not None:
            actions = wf.actions
            raws = [a.to_plist() for a in actions]
            producer = {a.uuid: i for i, a in enumerate(actions) if a.uuid is not None}
            usable = self.usable(sid, raws)
            start = 0
            while start < len(actions):
                end = start
                while end < len(actions) and end - start < MAX_FRAGMENT and _plain(actions[end].identifier,
                                                                                     actions[end].mode) \
                        and actions[end].identifier not in _NOT_FILLER and usable(end):
                    end += 1
                if end - start >= 2 and _closed(actions, producer, start, end):
                    out.append((start, raws[start:end]))
                start = max(end, start + 1)
        cached[sid] = out
        return out


def _plain(identifier: str, mode: int | None) -> bool:
    return identifier not in BLOCK_ACTIONS and mode is None


def _closed(actions: Sequence[Any], producer: Mapping[str, int], start: int, end: int) -> bool:
    for k in range(start, end):
        for kind, output in _refs(actions[k].parameters):
            if kind not in _ALLOWED_SOURCES:
                return False
            if kind == "ActionOutput" and not start <= producer.get(output or "", -1) < k:
                return False
    return True


def _refs(params: Mapping[str, Any]) -> list[tuple[str | None, str | None]]:
    """(type, output id) of every reference in an action's parameters, wherever it sits (a variable
    inside a time offset is no attachment, but is set outside the fragment all the same)."""
    return [(kind, output) for key, v in params.items() if key not in STRUCTURAL_KEYS
            for kind, output, _, _ in references(v)]


# --- building ---------------------------------------------------------------------------------


class _Builder:
    def __init__(self, lib: Library, spec: Spec) -> None:
        self.lib = lib
        self.spec = spec
        self.rng = random.Random(hashlib.sha256(f"offline:{spec.spec_id}".encode()).digest())
        self.ids = random.Random(hashlib.sha256(f"ids:{spec.spec_id}".encode()).digest())  # output ids apart
        self.count = 0
        self.used: Counter[str] = Counter()  # seed sample ids drawn on
        self.reused: Counter[tuple[str, int]] = Counter()  # (seed, index) of each fragment and stretch used
        self.schema_made: set[int] = set()  # id() of the plists made from a schema (alive while building)
        self.spent: set[str] = set()  # seeds whose every stretch is used (uses never come back)

    @cached_property
    def example_apis(self) -> list[str]:
        """The APIs of the spec's examples that have fragments (once per workflow: padding asks often)."""
        return sorted({a.identifier for sid in self.spec.examples if sid in self.lib.seeds
                       for a in self.lib.seeds[sid].actions
                       if a.identifier in self.lib.fragments and a.identifier not in _NOT_FILLER})

    def fresh(self) -> str:
        """``str(uuid.UUID(int=<128 random bits>, version=4)).upper()``, without the UUID object."""
        self.count += 1
        x = self.ids.getrandbits(128) & _VERSION_MASK | _VERSION_4
        h = f"{x:032X}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def copy(self, raws: list[dict[str, Any]], key: tuple[str, int] | None = None) -> list[dict[str, Any]]:
        """The fragment with fresh output ids (references inside it follow); a new copy of every
        container, so no two uses share one. ``key``: the fragment's or stretch's place in the
        library, whose template (``Library.template``) makes the copy."""
        template = self.lib.template(key, raws) if key is not None else None
        olds, bare = (template.olds, template.bare) if template is not None else _ids(raws)
        ids = {old: self.fresh() for old in olds}
        out = template.copy(ids) if template is not None else None
        if out is None:
            out = _replace(raws, ids)
        for j in bare:
            out[j].setdefault("WFWorkflowActionParameters", {})["UUID"] = self.fresh()
        return out

    def fragment(self, ident: str) -> list[dict[str, Any]] | None:
        """A fragment of a seed that uses ``ident`` (each at most ``MAX_REUSE`` times), else an action
        made from the schema."""
        reused = self.reused.get  # not Counter's [], which calls __missing__ for each unused one
        got = [f for f in self.lib.fragments.get(ident, ()) if reused(f[:2], 0) < MAX_REUSE]
        if got:
            sid, i, raws = got[self.rng.randrange(len(got))]
            self.used[sid] += 1
            self.reused[(sid, i)] += 1
            return self.copy(raws, (sid, i))
        if self.reused[(ident, 0)] >= MAX_REUSE:  # a call made from the schema says the same each time
            return None
        self.reused[(ident, 0)] += 1
        return self.from_schema(ident)

    def from_schema(self, ident: str) -> list[dict[str, Any]] | None:
        api = self.lib.apis.get(ident)
        if api is None:
            return None
        params: dict[str, Any] = {}
        for key, kind, required, default, enums, variables in api.params:
            if key in STRUCTURAL_KEYS:
                continue
            if enums and (required or self.rng.random() < 0.5):
                params[key] = enums[self.rng.randrange(len(enums))]
            elif required and variables and kind in ("string", "object", "file", "unknown", "list", "dictionary"):
                # data passed from the step before it once the pieces are in order (``_wire``)
                params[key] = _reference(_PREVIOUS, None)
            elif required and default is not None:
                params[key] = default
            elif required:
                literal = _literal(kind, key)
                if literal is not None:
                    params[key] = literal
        raw = {"WFWorkflowActionIdentifier": ident, "WFWorkflowActionParameters": params}
        if not self.lib.made_ok(raw):
            return None
        out = self.copy([raw])
        self.schema_made.add(id(out[0]))
        return out

    def stretch(self) -> list[dict[str, Any]] | None:
        """A stretch not used yet of an example seed, else of a seed drawn on already."""
        examples = self.rng.sample(list(self.spec.examples), len(self.spec.examples))
        drawn = sorted(set(self.used) - set(examples))
        self.rng.shuffle(drawn)
        for sid in examples + drawn:
            if sid in self.spent:
                continue
            runs = [r for r in self.lib.stretches(sid) if not self.reused.get((sid, -1 - r[0]))]
            if not runs:
                self.spent.add(sid)
            else:
                start, raws = runs[self.rng.randrange(len(runs))]
                self.used[sid] += 1
                self.reused[(sid, -1 - start)] += 1
                return self.copy(raws, (sid, -1 - start))
        # every stretch used: a fragment (from any seed) of an API the examples use
        used = self.example_apis
        for ident in self.rng.sample(used, min(len(used), 4)):
            got = [f for f in self.lib.fragments[ident] if self.reused.get(f[:2], 0) < MAX_REUSE]
            if got:
                return self.fragment(ident)
        return None


class _Template:
    """A fragment (or stretch) ready to be copied: its plists marshalled (a C-speed deep copy: format
    2 shares no container between two places) and where the strings that are its own output ids sit
    (what ``_replace`` swaps for fresh ones)."""

    __slots__ = ("bare", "blob", "olds", "spots", "swap")

    def __init__(self, raws: list[dict[str, Any]]) -> None:
        self.olds, self.bare = _ids(raws)  # the ids a copy gets fresh ones for, and where there is none
        own = set(self.olds)
        self.spots: list[tuple[tuple[Any, ...], str]] = []  # (path from the list of plists, the id there)
        _spots(raws, own, (), self.spots)
        self.swap: dict[str, bytes] | None = None  # own id -> its bytes, when swapping bytes is exact
        try:
            self.blob: bytes | None = marshal.dumps(raws, 2)
            if marshal.loads(self.blob) != raws:  # a NaN (equal to nothing): copied by _replace
                self.blob = None
        except ValueError:  # dates (and anything else marshal does not take): copied by _replace
            self.blob = None
        if self.blob is not None:
            # Format 2 writes every string out in full, so an id of a fresh id's length (ASCII) can be
            # swapped in the bytes, when its bytes stand nowhere but at its spots (not in a key, not
            # inside a longer text).
            counts = Counter(old for _, old in self.spots)
            swap = {old: old.encode() for old in counts}
            if all(len(b) == _ID_LENGTH and old.isascii() and self.blob.count(b) == counts[old]
                   for old, b in swap.items()):
                self.swap = swap

    def copy(self, ids: Mapping[str, str]) -> list[dict[str, Any]] | None:
        if self.blob is None:
            return None
        if self.swap is not None:
            fresh = [ids.get(old, old) for old in self.swap]
            if all(len(v) == _ID_LENGTH and v.isascii() for v in fresh):
                blob = self.blob
                for b, v in zip(self.swap.values(), fresh):
                    blob = blob.replace(b, v.encode("ascii"))
                return marshal.loads(blob)
        out = marshal.loads(self.blob)
        for path, old in self.spots:
            where = out
            for k in path[:-1]:
                where = where[k]
            where[path[-1]] = ids.get(old, old)
        return out


def _ids(raws: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[int]]:
    """The output ids of the plists, in order, and the positions of those with none."""
    olds, bare = [], []
    for j, r in enumerate(raws):
        params = r.get("WFWorkflowActionParameters")
        got = params.get("UUID") if type(params) is dict else None
        if type(got) is str:
            olds.append(got)
        else:
            bare.append(j)
    return olds, bare


_ID_LENGTH = 36  # an output id: 8-4-4-4-12 hex digits (``_Builder.fresh``)


def _spots(value: Any, own: set[str], path: tuple[Any, ...], out: list[tuple[tuple[Any, ...], str]]) -> None:
    """The paths of the strings of ``own`` in ``value``, where ``_replace`` looks (dict values, list items)."""
    if type(value) is dict:
        for k, v in value.items():
            _spots(v, own, (*path, k), out)
    elif type(value) is list:
        for i, v in enumerate(value):
            _spots(v, own, (*path, i), out)
    elif type(value) is str and value in own:
        out.append((path, value))


def _replace(value: Any, ids: Mapping[str, str]) -> Any:
    if type(value) is dict:
        return {k: _replace(v, ids) for k, v in value.items()}
    if type(value) is list:
        return [_replace(v, ids) for v in value]
    if type(value) is str:
        return ids.get(value, value)
    return value


def _reference(uuid_: str, label: str | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"Type": "ActionOutput", "OutputUUID": uuid_}
    if label:
        ref["OutputName"] = label
    return {"WFSerializationType": "WFTextTokenAttachment", "Value": ref}


def _literal(kind: str, key: str) -> Any:
    words = {"string": key.removeprefix("WF").lower() or "text", "number": 1, "integer": 1, "boolean": True}
    return words.get(kind)


def target_size(rng: random.Random) -> int:
    x, edge = rng.random(), 0.0
    for low, high, share in SIZE_BINS:
        edge += share
        if x < edge:
            return rng.randrange(low, high)
    return SIZE_BINS[-1][0]


@dataclass(frozen=True)
class Built:
    raws: tuple[dict[str, Any], ...]  # the plists of the workflow's actions
    fragments: tuple[str, ...]  # seed sample ids drawn on, most used first
    target: int
    source: str

    @cached_property
    def workflow(self) -> Workflow:
        """The plists read into the model; the synthesize stage reads only the training view's."""
        return Workflow.from_plist({"WFWorkflowActions": list(self.raws), "WFWorkflowName": ""}, source=self.source)

    @property
    def checked(self) -> frozenset[int]:
        """Positions of the actions found valid against their schemas while building (all but blocks)."""
        return frozenset(i for i, r in enumerate(self.raws) if r.get("WFWorkflowActionIdentifier") not in BLOCK_ACTIONS)


class Unbuildable(Exception):
    """A spec the generator cannot serve (an API with no valid fragment and no usable schema)."""


def build(lib: Library, spec: Spec) -> Built:
    """The workflow for ``spec``; raises ``Unbuildable`` with the reason when there is none."""
    b = _Builder(lib, spec)
    target = target_size(b.rng)
    core: list[list[dict[str, Any]]] = []
    for ident in spec.apis:
        got = b.fragment(ident)
        if got is None:
            raise Unbuildable(f"no valid fragment or schema action for {ident}")
        core.append(got)
    # Other uses of the spec's apps: their APIs (the spec's own twice as often), so a workflow leans on
    # its apps without repeating one fragment over and over.
    own = [i for i in spec.apis if lib.apis[i].kind != "built-in"]
    others = own + own + [i for app in dict.fromkeys(lib.apis[i].app for i in own)
                          for i in lib.by_app.get(app, ()) if i not in own]
    pieces = list(core)
    size = sum(map(len, pieces))
    builtin = sum(_is_builtin(lib, r) for p in pieces for r in p)
    misses = 0
    while size < target and misses < 60:
        piece = b.fragment(others[b.rng.randrange(len(others))]) if others and builtin > BUILTIN_TARGET * size \
            else b.stretch()
        if piece is None or size + len(piece) > target + MAX_FRAGMENT:
            misses += 1
            continue
        pieces.insert(b.rng.randrange(len(pieces) + 1), piece)  # spread, not all at the end
        size += len(piece)
        builtin += sum(_is_builtin(lib, r) for r in piece)
    _wire(lib, pieces, b.schema_made)
    actions = _shape(b, pieces, LEVELS[spec.level].depth, core)
    return Built(tuple(actions), tuple(s for s, _ in b.used.most_common()), target, f"spec:{spec.spec_id}")


def _wire(lib: Library, pieces: Sequence[Sequence[dict[str, Any]]], schema_made: Set[int]) -> None:
    """Point each reference to ``_PREVIOUS`` (an action made from a schema) at an output before it,
    now that the pieces are in order, by the catalog's types (``catalog.kinds``): the latest of the
    last ``WIRE_WINDOW`` outputs of the kind the parameter is made for, else the latest output the
    parameter can take, else the shortcut's input. The first action of each piece, when it took its
    input implicitly from the action before it in its seed (its input key unset), is wired the same
    way: in its new place the action before it is another one, whose output it may not take.
    ``schema_made``: ``id`` of the plists made from a schema, the only ones holding ``_PREVIOUS``
    before this (a seed's plists are not searched)."""
    made: list[tuple[str, str | None, frozenset[str]]] = []  # (output id, label, kinds), in order
    for piece in pieces:
        for j, raw in enumerate(piece):
            ident = raw.get("WFWorkflowActionIdentifier")
            params = raw.setdefault("WFWorkflowActionParameters", {})
            api = lib.apis.get(ident) if type(ident) is str else None
            implicit = None
            if j == 0 and api is not None and ident != COMMENT and ident not in BLOCK_ACTIONS:
                key = INPUT_KEYS.get(ident) or api.input_key
                if key is not None and key not in params:
                    implicit = key
                    params[key] = _reference(_PREVIOUS, None)
            for key, v in params.items() if implicit is not None or id(raw) in schema_made else ():
                if type(v) is dict and (v.get("Value") or {}).get("OutputUUID") == _PREVIOUS:
                    kind = next((p[1] for p in api.params if p[0] == key), None) if api is not None else None
                    source = next((m for m in reversed(made[-WIRE_WINDOW:]) if fits(m[2], kind)), None) or \
                        next((m for m in reversed(made) if not wrong_type(m[2], kind)), None)
                    params[key] = _reference(source[0], source[1]) if source is not None else dict(_SHORTCUT_INPUT)
            if implicit is not None and not lib.valid(raw):  # the schema takes no variable there: as it was
                del params[implicit]
            if type(params.get("UUID")) is str and ident != COMMENT:
                made.append((params["UUID"], params.get("CustomOutputName"),
                             kinds_of(api.output_type) if api is not None else frozenset()))


def _is_builtin(lib: Library, raw: Mapping[str, Any]) -> bool:
    api = lib.apis.get(raw.get("WFWorkflowActionIdentifier", ""))
    return api is not None and api.kind == "built-in"


def _shape(b: _Builder, pieces: list[list[dict[str, Any]]], depth: int, core: list[list[dict[str, Any]]]
           ) -> list[dict[str, Any]]:
    """The pieces in order, with ``depth`` levels of blocks around a stretch that holds a spec API."""
    if depth == 0 or not pieces:
        return [r for p in pieces for r in p]
    first = next(i for i, p in enumerate(pieces) if any(p is c for c in core))
    start = max(1, first) if first > 0 else 0
    end = min(len(pieces), start + max(1, len(pieces) // 3))
    before = [r for p in pieces[:start] for r in p]
    inside = pieces[start:end]
    after = [r for p in pieces[end:] for r in p]
    subject = _last_output(before)
    if depth >= 2 and len(inside) >= 2:
        split = max(1, len(inside) // 2)
        inner = _block(b, [r for p in inside[split:] for r in p], _last_output([r for p in inside[:split] for r in p]),
                       inner=True)
        body = [r for p in inside[:split] for r in p] + inner
    elif depth >= 2:
        body = _block(b, [r for p in inside for r in p], subject, inner=True)
    else:
        body = [r for p in inside for r in p]
    return before + _block(b, body, subject, inner=False) + after


def _last_output(raws: Sequence[Mapping[str, Any]]) -> tuple[str, str | None] | None:
    for r in reversed(raws):
        params = r.get("WFWorkflowActionParameters") or {}
        if type(params.get("UUID")) is str and r.get("WFWorkflowActionIdentifier") != COMMENT:
            return params["UUID"], params.get("CustomOutputName")
    return None


def _block(b: _Builder, body: list[dict[str, Any]], subject: tuple[str, str | None] | None, *, inner: bool
           ) -> list[dict[str, Any]]:
    """``body`` inside one block drawn as seeds use them: an If (with an Otherwise half the time) or a
    Repeat with Each on ``subject``, a Repeat, or a menu of two options."""
    kinds = ["if", "each", "repeat", "menu"] if subject is not None else ["repeat", "menu"]
    weights = {"if": 0.55, "each": 0.2, "repeat": 0.1, "menu": 0.15}
    kind = b.rng.choices(kinds, [weights[k] for k in kinds])[0]
    group = b.fresh()

    def mark(ident: str, mode: int, **params: Any) -> dict[str, Any]:
        return {"WFWorkflowActionIdentifier": ident,
                "WFWorkflowActionParameters": {"GroupingIdentifier": group, "WFControlFlowMode": mode, **params}}

    if kind == "if":
        assert subject is not None
        head = mark(IF, 0, WFCondition=100, WFInput={"Type": "Variable", "Variable": _reference(*subject)})
        tail = [mark(IF, 1), mark(IF, 2)] if b.rng.random() < 0.5 else [mark(IF, 2)]
        if len(tail) == 2:
            return [head, *body, tail[0], tail[1]]
        return [head, *body, tail[0]]
    if kind == "each":
        assert subject is not None
        return [mark(EACH, 0, WFInput=_reference(*subject)), *body, mark(EACH, 2)]
    if kind == "repeat":
        return [mark(REPEAT, 0, WFRepeatCount=b.rng.choice((2, 3, 5))), *body, mark(REPEAT, 2)]
    titles = b.rng.choice((["Yes", "No"], ["Start", "Cancel"], ["Today", "Tomorrow"], ["Add", "Show"]))
    return [mark(MENU, 0, WFMenuItems=titles, WFMenuPrompt="Choose"), mark(MENU, 1, WFMenuItemTitle=titles[0]),
            *body, mark(MENU, 1, WFMenuItemTitle=titles[1]), mark(MENU, 2)]


def structure(wf: Workflow) -> tuple[int, int]:
    """(blocks, deepest nesting) of a workflow, from its control-flow starts."""
    depth = deepest = blocks = 0
    for a in wf.actions:
        if a.identifier in BLOCK_ACTIONS:
            if a.mode == 0:
                blocks += 1
                depth += 1
                deepest = max(deepest, depth)
            elif a.mode == 2:
                depth -= 1
    return blocks, deepest


def fits_level(wf: Workflow, level: str) -> bool:
    """Whether the workflow's realised structure is its level's: easy none, medium one block, hard nested."""
    blocks, deepest = structure(wf)
    want = LEVELS[level]
    if want.depth == 0:
        return blocks == 0
    if want.depth == 1:
        return blocks == 1
    return deepest >= 2


def problems(wf: Workflow, apis: Sequence[str], level: str, lib: Library, valid: frozenset[int] = frozenset()
             ) -> list[str]:
    """What keeps a workflow from being a valid sample for a spec of ``apis`` and ``level``, as
    reason slugs with details (empty: valid). ``valid``: positions of actions already found valid
    against their schemas, as they are (not checked again)."""
    idents = [a.identifier for a in wf.actions]
    out = []
    unknown = sorted({i for i in idents if i not in lib.apis})
    if unknown:
        out.append(f"unknown-api: {', '.join(unknown[:3])}")
    missing = [i for i in apis if i not in idents]
    if missing:
        out.append(f"missing-api: {', '.join(missing[:3])}")
    invalid = [a.identifier for i, a in enumerate(wf.actions)
               if i not in valid and a.identifier in lib.apis and not lib.valid(a.to_plist())]
    if invalid:
        out.append(f"invalid-parameters: {invalid[0]}")
    if not fits_level(wf, level):
        out.append(f"structure: not {level}")
    return out


def api_specs(rows: Sequence[tuple[Any, ...]], params: Sequence[tuple[Any, ...]], kinds: Mapping[str, str]
              ) -> dict[str, ApiSpec]:
    """ApiSpecs from the warehouse's ``apis`` (identifier, app, json_schema, input_key, output_name and
    optionally output_type) and ``api_params`` (identifier, key, type, required, default_value,
    enum_values, accepts_variables) rows."""
    by: dict[str, list[tuple[str, str, bool, Any, Any, bool]]] = defaultdict(list)
    for ident, key, kind, required, default, enums, variables in params:
        by[ident].append((key, kind, bool(required), _json(default), _json(enums), bool(variables)))
    return {ident: ApiSpec(ident, kinds.get(app, "built-in" if app == "shortcuts" else "third-party"), app,
                           _json(schema) or {}, tuple(by.get(ident, ())), key, name, *typed[:1])
            for ident, app, schema, key, name, *typed in rows}


def _json(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


