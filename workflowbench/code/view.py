"""The training view of a shortcut's code: what a model should learn from, derived from the
lossless workflow (the ``code`` table stays lossless).

It differs from ``to_code(wf)`` in these ways (docs/CODE.md, "The training view"):

- **Blobs become placeholders.** Data (``bytes``), base64 text and ``data:`` URLs of at least
  ``BLOB_MIN`` characters become a short string naming what they were and their size,
  ``'<PNG image, 34 KB>'``; plain text longer than ``TEXT_LIMIT`` characters is cut there with a
  marker, and a list of more than ``LIST_LIMIT`` text or dictionary items keeps that many and one
  marker item; an action whose parameters still hold more than ``ACTION_LIMIT`` characters keeps a
  quarter of those texts and a fifth of those lists. Each replacement is a ``Placeholder``
  (action, parameter path, kind, size, sha256): the original is at that path of the shortcut's
  stored plist.
- **Parameters that do not change what the workflow does are dropped:** ``Show-…`` disclosure
  flags (editor UI), ``WFConditionalLegacyComparisonBehavior``, and a condition's operand that its
  comparison does not read (a stale value left by an earlier edit, the number operand of an
  equality whose text operand says the same, or the operand a coerced input does not read), and
  parameters of other actions left on an If (``FOREIGN``). A legacy condition name ('Equals')
  becomes the code the app upgrades it to (4).
- **Inferred parameters are written out** (``View.filled``): a missing condition is the default
  (Contains), and a missing input is the one the app hands the If: the variable a Set Variable just
  before it set, or the input of the If whose branch it opens. Conditions then read ``if a == b:``.
- **Output labels** are compared with the catalog's default output names (``labels``): an
  annotation appears only where the label differs.
- **Names are reused** once the output they named is no longer referenced, so numeric suffixes
  mark outputs that are alive at the same time.

The view is valid code that ``from_code`` reads into a workflow with the same actions, in order.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..shortcut.model import Workflow
from ..shortcut.values import Text, dump_value, parse_value
from .to_code import COMMENT, IF, LEGACY, SETVAR, Plan, Transpiled, plan, transpile

BLOB_MIN = 200  # characters of base64 (or a data: URL) that make a blob
TEXT_LIMIT = 600  # characters of plain text kept; the rest is cut with a marker
CUT = " …[{more:,} more characters cut]"
LIST_LIMIT = 40  # items of a list (of text or of dictionary items) kept; one marker item stands for the rest
MORE_ITEMS = "<…{more:,} more items>"
STRUCTURE = frozenset({"WFMenuItems"})  # the menu's own list of its cases: never cut
ACTION_LIMIT = 12_000  # characters of one action's parameters over which texts and lists are cut 4-5x shorter
UI_ONLY_PREFIX = "Show-"  # the editor's "show more" disclosure state
LEGACY_FLAGS = frozenset({"WFConditionalLegacyComparisonBehavior"})
# Parameters of other actions found on Ifs (left by editing tools); the If action defines none of them.
FOREIGN = frozenset({"WFShowWorkflow"})
DEFAULT_CONDITION = 99  # an If with no WFCondition compares with the parameter's default, Contains
# Condition codes and the operands each one reads (to_code.condition_form): the rest are stale.
_NUMBER, _TEXT, _OTHER = "WFNumberValue", "WFConditionalActionString", "WFAnotherNumber"
_READS: dict[int, frozenset[str]] = {
    **dict.fromkeys((0, 1, 2, 3), frozenset({_NUMBER})), 1003: frozenset({_NUMBER, _OTHER}),
    **dict.fromkeys((8, 9, 99, 999), frozenset({_TEXT})), 100: frozenset(), 101: frozenset(),
}
BLOB_CHARS = 200  # the fewest characters of base64 that count as a blob (none of them a space)
BASE64_RUN = re.compile(rf"[A-Za-z0-9+/]{{{BLOB_CHARS},}}={{0,2}}")  # base64 that did not decode is still a blob
_B64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,", re.I)
_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"bplist", "binary plist"), (b"%PDF", "PDF document"), (b"PK\x03\x04", "ZIP archive"),
    (b"<?xml", "XML document"), (b"RIFF", "RIFF media"), (b"\x00\x00\x01\x00", "icon"),
)


@dataclass(frozen=True)
class Placeholder:
    position: int  # the action's index
    path: str  # where in its parameters, e.g. 'WFImage' or 'WFItems/2/WFValue/string'
    kind: str  # 'PNG image', 'data', 'base64 JPEG image', 'text', ...
    size: int  # bytes of data (decoded for base64), characters of text
    sha256: str  # of the original bytes (text: UTF-8)
    text: str  # what the view shows instead


@dataclass(frozen=True)
class View:
    code: Transpiled
    workflow: Workflow  # what the view's code stands for: placeholders in, dropped parameters out
    placeholders: tuple[Placeholder, ...]
    dropped: tuple[tuple[int, str], ...]  # (action index, parameter key) left out
    filled: tuple[tuple[int, str], ...] = ()  # (action index, parameter key) the app infers, written out

    @property
    def changed(self) -> frozenset[int]:
        """Positions of the actions whose parameters the view changed."""
        return frozenset({i for i, _ in (*self.dropped, *self.filled)} | {p.position for p in self.placeholders})


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:,.1f} MB"


def _list_marker(items: list[Any], text: str) -> Any:
    """The element that stands for a list's cut tail (saying ``text``), in the form of the list's own
    elements: a dictionary item (``WFItemType``) of text, or a plain string; None (no cut) for other
    lists."""
    if all(type(x) is dict and "WFItemType" in x for x in items):
        return {"WFItemType": 0, "WFValue": {"WFSerializationType": "WFTextTokenString", "Value": {"string": text}}}
    if all(type(x) is str for x in items):
        return text
    return None


def _kind(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "MP4 video"
    return "data"


def _base64(s: str) -> bytes | None:
    if len(s) < BLOB_MIN:
        return None
    return _decoded(s)


@functools.lru_cache(maxsize=4096)  # the same blobs recur: one shortcut in several encodings, fragments reused
def _decoded(s: str) -> bytes | None:
    if not _B64.fullmatch(s):
        return None
    compact = "".join(s.split())
    if len(compact) % 4 or not re.search(r"[0-9+/]", compact):  # plain words are not base64
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


# Where a value sits in an action's parameters, built only when a placeholder names it: (parent, key).
_Path = tuple[Any, Any]


def _joined(path: _Path | None) -> str:
    """'WFItems/2/WFValue' of (((None, 'WFItems'), 2), 'WFValue')."""
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(str(key))
    return "/".join(reversed(keys))


class _Views:
    def __init__(self, position: int, out: list[Placeholder], text_limit: int = TEXT_LIMIT,
                 list_limit: int = LIST_LIMIT) -> None:
        self.position = position
        self.out = out
        self.text_limit = text_limit
        self.list_limit = list_limit

    def note(self, path: _Path, kind: str, size: int, digest: str, text: str) -> str:
        self.out.append(Placeholder(self.position, _joined(path), kind, size, digest, text))
        return text

    def string(self, s: str, path: _Path) -> str:
        if len(s) < BLOB_MIN and len(s) <= self.text_limit:  # most texts: no blob, nothing to cut
            return s
        url = _DATA_URL.match(s)
        if url and len(s) >= BLOB_MIN:
            data = _base64(s[url.end():]) or b""
            kind = _kind(data) if data else (url[1] or "data")
            return self.note(path, f"data URL {kind}", len(data), hashlib.sha256(s.encode()).hexdigest(),
                             f"<data URL: {kind}, {_size(len(data))}>")
        data = _base64(s)
        if data is not None:
            kind = _kind(data)
            return self.note(path, f"base64 {kind}", len(data), hashlib.sha256(data).hexdigest(),
                             f"<base64 {kind}, {_size(len(data))}>")
        if len(s) > self.text_limit:
            more = len(s) - self.text_limit
            marker = CUT.format(more=more)
            self.note(path, "text", len(s), hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest(), marker)
            return s[:self.text_limit] + marker
        return s

    def value(self, v: Any, path: _Path) -> Any:
        """``v`` (a raw plist value) with its blobs replaced."""
        if type(v) is bytes:
            kind = _kind(v)
            return self.note(path, kind, len(v), hashlib.sha256(v).hexdigest(), f"<{kind}, {_size(len(v))}>")
        if type(v) is str:
            return self.string(v, path)
        if type(v) is list:
            n = self.list_limit
            text = MORE_ITEMS.format(more=len(v) - n)
            marker = _list_marker(v, text) if len(v) > n else None
            if marker is None:
                return [self.value(x, (path, i)) for i, x in enumerate(v)]
            kept = [self.value(x, (path, i)) for i, x in enumerate(v[:n])]
            digest = hashlib.sha256(repr(v[n:]).encode("utf-8", "surrogatepass")).hexdigest()
            self.note((path, n), "items", len(v) - n, digest, text)
            return [*kept, marker]
        if type(v) is dict:
            if v.get("WFSerializationType") == "WFTextTokenString":
                return self.text(v, path)
            return {k: self.value(x, (path, k)) for k, x in v.items()}
        return v

    def text(self, raw: dict[str, Any], path: _Path) -> Any:
        """A text token: its plain pieces between variables are replaced or cut one by one (through
        the model, which maps the UTF-16 offsets of the variables)."""
        inner = raw.get("Value")
        whole = inner.get("string") if type(inner) is dict else None
        if type(whole) is not str or (len(whole) < BLOB_MIN and len(whole) <= self.text_limit):
            return raw  # its pieces are shorter still (or it is malformed): nothing to replace
        try:
            t = parse_value(raw)
        except Exception:  # a malformed token stays as it is
            return raw
        if type(t) is not Text:
            return raw
        parts = [self.string(part, (((path, "Value"), "string"), i)) if type(part) is str else part
                 for i, part in enumerate(t.parts)]
        if parts == t.parts:
            return raw
        return dump_value(Text(parts, t.has_ranges, t.value_extra, t.extra))


def _replaced(position: int, params: Mapping[str, Any], drop: set[str]
              ) -> tuple[dict[str, Any], list[Placeholder]]:
    """An action's parameters (but ``drop``) with blobs replaced and long texts cut, and what was."""
    found: list[Placeholder] = []
    views = _Views(position, found)
    kept = {k: v if k in STRUCTURE else views.value(v, (None, k)) for k, v in params.items() if k not in drop}
    if len(repr(kept)) > ACTION_LIMIT:  # much data in small pieces: keep less of each
        found.clear()
        views = _Views(position, found, TEXT_LIMIT // 4, LIST_LIMIT // 5)
        kept = {k: v if k in STRUCTURE else views.value(v, (None, k)) for k, v in params.items() if k not in drop}
    return kept, found


def holds_blob(params: Mapping[str, Any]) -> bool:
    """Whether the view of an action with these (raw plist) parameters would hold a placeholder, a
    cut marker or a run of base64 that is not one (what the no-placeholders rule looks for): the
    offline generator leaves such actions out, since a sample that keeps one is dropped."""
    kept, found = _replaced(0, params, set())
    return bool(found) or BASE64_RUN.search(repr(kept)) is not None


def _same_operand(text: Any, number: Any) -> bool:
    """The text operand and the number operand say the same thing ('1242' and 1242)."""
    if type(text) is not str or type(number) not in (int, float, str):
        return False
    try:
        return float(text) == float(number)
    except ValueError:
        return False


def _coercion(subject: Any) -> str | None:
    """The content class a condition's input (raw ``WFInput``) is coerced to last, if any."""
    try:
        aggrandizements = subject["Variable"]["Value"].get("Aggrandizements") or []
    except (TypeError, KeyError, AttributeError):
        return None
    found = [a.get("CoercionItemClass") for a in aggrandizements
             if type(a) is dict and a.get("Type") == "WFCoercionVariableAggrandizement"]
    return found[-1] if found and type(found[-1]) is str else None


def _named(name: str) -> dict[str, Any]:
    """A condition's input that is the variable ``name``."""
    return {"Type": "Variable", "Variable": {"WFSerializationType": "WFTextTokenAttachment",
                                             "Value": {"Type": "Variable", "VariableName": name}}}


def _condition(params: Mapping[str, Any]) -> tuple[int | None, set[str]]:
    """A conditional's condition code as a number (a legacy name such as 'Equals' is the code the
    app upgrades it to), and the operands its comparison does not read (stale)."""
    code = params.get("WFCondition")
    code = LEGACY.get(code) if type(code) is str else code
    if type(code) is not int:
        return None, set()
    operands = {_NUMBER, _TEXT, _OTHER} & params.keys()
    if code in _READS:
        return code, operands - _READS[code]
    if code in (4, 5):  # equality reads the text operand for text and the number for numbers
        stale = {_OTHER} & operands
        if _TEXT in params and _NUMBER in params:
            blank = [k for k in (_TEXT, _NUMBER) if params[k] in ("", None)]
            coerced = _coercion(params.get("WFInput"))
            if len(blank) == 1:
                stale.add(blank[0])
            elif _same_operand(params[_TEXT], params[_NUMBER]):
                stale.add(_NUMBER)
            elif coerced == "WFStringContentItem":  # the input is made text: its operand is the text one
                stale.add(_NUMBER)
            elif coerced == "WFNumberContentItem":
                stale.add(_TEXT)
        return code, stale
    return code, set()


def training_view(wf: Workflow, *, input_keys: Mapping[str, str] | None = None,
                  labels: Callable[[str], str | None] | None = None,
                  raws: Sequence[Mapping[str, Any]] | None = None) -> View:
    """The training view of ``wf`` (see the module's docstring). ``raws``: the plists ``wf``'s
    actions were read from, when the caller has them (saves writing each action out again)."""
    plists = raws if raws is not None else [a.to_plist() for a in wf.actions]
    return view_of(plists, wf.source, input_keys=input_keys, labels=labels)


def view_of(raws: Sequence[Mapping[str, Any]], source: str, *, input_keys: Mapping[str, str] | None = None,
            labels: Callable[[str], str | None] | None = None, blobs: bool = True) -> View:
    """The training view of the workflow whose actions are the plists ``raws``: a caller that made
    the plists itself (the offline generator) need not read them into a workflow first.
    ``blobs=False``: the caller vouches that no action holds a blob or long text (``holds_blob``),
    so parameters are not searched for them."""
    placeholders: list[Placeholder] = []
    dropped: list[tuple[int, str]] = []
    filled: list[tuple[int, str]] = []
    actions = []
    subjects: dict[Any, Any] = {}  # an If's group -> its input, which its branches' first actions take
    prev: int | None = None  # the previous action other than a comment
    starts: dict[Any, int] = {}  # an If's group -> its start
    chained: dict[int, Any] = {}  # an If with no input that is first in a branch of the If of this group
    for i, raw in enumerate(raws):
        identifier = raw.get("WFWorkflowActionIdentifier")
        params = raw.get("WFWorkflowActionParameters")
        if type(params) is dict:
            given = params
            drop = _ui_keys(params)
            code = None
            if identifier == IF:
                drop |= FOREIGN & params.keys()
            if identifier == IF and _mode(params) == 0:
                if "WFInput" not in params:
                    subject = _implicit(raws, prev, subjects)
                    if subject is not None:
                        params = {**params, "WFInput": subject}
                        filled.append((i, "WFInput"))
                    elif prev is not None and _is_if_start_or_middle(raws[prev]):
                        chained[i] = _params(raws[prev]).get("GroupingIdentifier")
                starts.setdefault(params.get("GroupingIdentifier"), i)
                if "WFCondition" not in params and _TEXT in params:
                    params = {**params, "WFCondition": DEFAULT_CONDITION}
                    filled.append((i, "WFCondition"))
                subjects[params.get("GroupingIdentifier")] = params.get("WFInput")
                code, stale = _condition(params)
                drop |= stale
            if drop:
                dropped.extend((i, k) for k in params if k in drop)
            if blobs:
                kept, found = _replaced(i, params, drop)
                placeholders.extend(found)
                params = kept
            elif drop:
                params = {k: v for k, v in params.items() if k not in drop}
            if code is not None and type(params.get("WFCondition")) is str:
                params = {**params, "WFCondition": code}
            if params is not given:  # the caller's plists are left as they are
                raw = {**raw, "WFWorkflowActionParameters": params}
        actions.append(raw)
        if identifier != COMMENT:
            prev = i
    view = Workflow.from_plist({"WFWorkflowActions": actions}, source=source)
    if chained and _hand_on(view, actions, chained, starts, plan(view, input_keys, labels), filled):
        view = Workflow.from_plist({"WFWorkflowActions": actions}, source=source)
    code = transpile(view, input_keys=input_keys, labels=labels, reuse_names=True)
    return View(code, view, tuple(placeholders), tuple(dropped), tuple(filled))


_UI_KEYS: dict[tuple[Any, ...], frozenset[str]] = {}  # a parameter key list -> its keys the view drops


def _ui_keys(params: Mapping[Any, Any]) -> frozenset[str]:
    """The editor-only keys of ``params``: its disclosure state and legacy flags. Remembered per key
    list, which repeats from action to action."""
    keys = tuple(params)
    got = _UI_KEYS.get(keys)
    if got is None:
        if len(_UI_KEYS) > 100_000:
            _UI_KEYS.clear()
        got = _UI_KEYS[keys] = frozenset(k for k in keys if type(k) is str and (k.startswith(UI_ONLY_PREFIX)
                                                                              or k in LEGACY_FLAGS))
    return got


def _implicit(raws: Sequence[Mapping[str, Any]], prev: int | None, subjects: Mapping[Any, Any]) -> Any:
    """The input an If with no ``WFInput`` takes from the action before it, when the code would not
    show it otherwise: the variable a Set Variable just set (its output is that value), or, for the
    first action of a branch, the input of the If around it (an If hands its input to both
    branches). None when it is neither."""
    if prev is None:
        return None
    before = raws[prev]
    params = _params(before)
    name = params.get("WFVariableName")
    if before.get("WFWorkflowActionIdentifier") == SETVAR and type(name) is str:
        return _named(name)
    if _is_if_start_or_middle(before):
        return subjects.get(params.get("GroupingIdentifier"))
    return None


def _params(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    params = raw.get("WFWorkflowActionParameters")
    return params if type(params) is dict else {}


def _mode(params: Mapping[str, Any]) -> int | None:
    mode = params.get("WFControlFlowMode")
    return mode if type(mode) is int else None


def _is_if_start_or_middle(raw: Mapping[str, Any]) -> bool:
    return raw.get("WFWorkflowActionIdentifier") == IF and _mode(_params(raw)) in (0, 1)


def _hand_on(view: Workflow, actions: list[dict[str, Any]], chained: Mapping[int, Any], starts: Mapping[Any, int],
             p: Plan, filled: list[tuple[int, str]]) -> bool:
    """Write out the input of an If first in a branch of an If whose input is handed on from the
    action before it (the code shows that one as an argument): both read that action's output."""
    changed = False
    for i, group in chained.items():
        start, seen = starts.get(group), {i}
        while start in chained and start not in seen:  # an else-if chain: up to the first If
            seen.add(start)
            start = starts.get(chained[start])
        hand = p.implicit.get(start) if start is not None else None
        if hand is None:
            continue
        producer = hand[1]
        params = _params(actions[producer])
        if type(params.get("UUID")) is not str:  # the view's own id for the output, on a copy
            params = {**params, "UUID": f"00000000-0000-4000-8000-{producer:012d}"}
            actions[producer] = {**actions[producer], "WFWorkflowActionParameters": params}
        ref: dict[str, Any] = {"Type": "ActionOutput", "OutputUUID": params["UUID"]}
        if p.labels.get(producer) is not None:
            ref["OutputName"] = p.labels[producer]
        attachment = {"Type": "Variable", "Variable": {"WFSerializationType": "WFTextTokenAttachment", "Value": ref}}
        actions[i] = {**actions[i], "WFWorkflowActionParameters": {**_params(actions[i]), "WFInput": attachment}}
        filled.append((i, "WFInput"))
        changed = True
    return changed
