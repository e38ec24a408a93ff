"""The lossless workflow model: ``Workflow.from_plist(d).to_plist() == d``."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .containers import UNSIGNED, Signing
from .errors import BadStructure
from .values import (
    Aggrandizement,
    Attachment,
    DictItem,
    Serialized,
    Unknown,
    Value,
    dump_value,
    parse_items,
    parse_value,
)

if TYPE_CHECKING:
    from .controlflow import Defect, Node

BUILTIN_PREFIX = "is.workflow.actions."


@dataclass(slots=True)
class Action:
    identifier: str
    parameters: dict[str, Value] = field(default_factory=dict)
    has_parameters: bool = True  # WFWorkflowActionParameters may be absent
    extra: dict[str, Value] = field(default_factory=dict)  # other action keys (e.g. SCPLData)

    @property
    def uuid(self) -> str | None:
        v = self.parameters.get("UUID")
        return v if type(v) is str else None  # a plist's strings are str itself

    @property
    def custom_output_name(self) -> str | None:
        v = self.parameters.get("CustomOutputName")
        return v if isinstance(v, str) else None

    @property
    def group(self) -> str | None:
        v = self.parameters.get("GroupingIdentifier")
        return v if isinstance(v, str) else None

    @property
    def mode(self) -> int | None:
        v = self.parameters.get("WFControlFlowMode")
        return v if type(v) is int else None

    @property
    def app(self) -> str:
        """The app an action belongs to: 'shortcuts' for built-ins, else its bundle id."""
        if self.identifier.startswith(BUILTIN_PREFIX):
            return "shortcuts"
        for key in ("AppIntentDescriptor", "IntentAppDefinition"):
            desc = self.parameters.get(key)
            if isinstance(desc, dict) and isinstance(desc.get("BundleIdentifier"), str):
                return desc["BundleIdentifier"]
        head, _, _ = self.identifier.rpartition(".")
        return head or self.identifier

    def to_plist(self) -> dict[str, Any]:
        out: dict[str, Any] = {"WFWorkflowActionIdentifier": self.identifier}
        if self.has_parameters:
            out["WFWorkflowActionParameters"] = {k: dump_value(v) for k, v in self.parameters.items()}
        out.update({k: dump_value(v) for k, v in self.extra.items()})
        return out


@dataclass(slots=True)
class Icon:
    start_color: int | None = None
    glyph_number: int | None = None
    image_data: bytes | str | None = None
    extra: dict[str, Value] = field(default_factory=dict)


@dataclass(slots=True)
class ImportQuestion:
    action_index: int | None = None
    category: str | None = None
    parameter_key: str | None = None
    text: str | None = None
    default_value: Value | None = None
    extra: dict[str, Value] = field(default_factory=dict)


# Top-level keys with typed fields: plist key -> (attribute, accepted types).
_TOP = {
    "WFWorkflowName": ("declared_name", (str,)),
    "WFWorkflowClientVersion": ("client_version", (str, int)),
    "WFWorkflowClientRelease": ("client_release", (str,)),
    "WFWorkflowMinimumClientVersion": ("minimum_client_version", (int,)),
    "WFWorkflowMinimumClientVersionString": ("minimum_client_version_string", (str,)),
    "WFWorkflowTypes": ("types", (list,)),
    "WFWorkflowInputContentItemClasses": ("input_classes", (list,)),
    "WFWorkflowOutputContentItemClasses": ("output_classes", (list,)),
    "WFWorkflowHasOutputFallback": ("has_output_fallback", (bool,)),
    "WFWorkflowHasShortcutInputVariables": ("has_shortcut_input_variables", (bool,)),
    "WFQuickActionSurfaces": ("quick_action_surfaces", (list,)),
    "WFWorkflowNoInputBehavior": ("no_input_behavior", (dict,)),
}
_ICON = {
    "WFWorkflowIconStartColor": ("start_color", (int,)),
    "WFWorkflowIconGlyphNumber": ("glyph_number", (int,)),
    "WFWorkflowIconImageData": ("image_data", (bytes, str)),
}
_QUESTION = {
    "ActionIndex": ("action_index", (int,)),
    "Category": ("category", (str,)),
    "ParameterKey": ("parameter_key", (str,)),
    "Text": ("text", (str,)),
}


def _typed(obj: Any, raw: dict[str, Any], table: dict[str, tuple[str, tuple[type, ...]]], extra: dict) -> None:
    """Fill typed attributes from ``raw``; keys of an unexpected type go to ``extra`` untouched."""
    for key, value in raw.items():
        slot = table.get(key)
        if slot is not None and type(value) in slot[1]:
            setattr(obj, slot[0], value)
        else:
            extra[key] = parse_value(value)


def _untyped(obj: Any, table: dict[str, tuple[str, tuple[type, ...]]], out: dict[str, Any]) -> None:
    for key, (attr, _) in table.items():
        value = getattr(obj, attr)
        if value is not None:
            out[key] = value


@dataclass(eq=True)
class Workflow:
    """One shortcut. ``name``, ``source``, ``container`` and ``signing`` describe where it came from
    and are left out of equality, so the same shortcut read from different encodings compares equal."""

    actions: list[Action] = field(default_factory=list)
    icon: Icon | None = None
    import_questions: list[ImportQuestion] | None = None
    declared_name: str | None = None
    client_version: str | int | None = None
    client_release: str | None = None
    minimum_client_version: int | None = None
    minimum_client_version_string: str | None = None
    types: list | None = None
    input_classes: list | None = None
    output_classes: list | None = None
    has_output_fallback: bool | None = None
    has_shortcut_input_variables: bool | None = None
    quick_action_surfaces: list | None = None
    no_input_behavior: dict | None = None
    extra: dict[str, Value] = field(default_factory=dict)
    has_actions: bool = True
    name: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    container: str = field(default="", compare=False)
    signing: Signing = field(default=UNSIGNED, compare=False)

    # --- plist ---------------------------------------------------------------------

    @classmethod
    def from_plist(cls, raw: dict[str, Any], *, source: str = "", max_depth: int = 200) -> Workflow:
        if not isinstance(raw, dict):
            raise BadStructure(source, f"workflow is {type(raw).__name__}, expected a dictionary")
        wf = cls(source=source)
        actions = raw.get("WFWorkflowActions", [])
        if not isinstance(actions, list):
            raise BadStructure(source, f"WFWorkflowActions is {type(actions).__name__}, expected a list")
        wf.has_actions = "WFWorkflowActions" in raw
        wf.actions = [_action(a, i, source, max_depth) for i, a in enumerate(actions)]
        for key, value in raw.items():
            if key == "WFWorkflowActions":
                continue
            if key == "WFWorkflowIcon" and type(value) is dict:
                wf.icon = Icon()
                _typed(wf.icon, value, _ICON, wf.icon.extra)
            elif key == "WFWorkflowImportQuestions" and type(value) is list and all(type(q) is dict for q in value):
                wf.import_questions = []
                for q in value:
                    question = ImportQuestion()
                    # A null DefaultValue (JSON) cannot be told from an absent one, so it stays in extra.
                    _typed(question, {k: v for k, v in q.items() if k != "DefaultValue" or v is None},
                           _QUESTION, question.extra)
                    if q.get("DefaultValue") is not None:
                        question.default_value = parse_value(q["DefaultValue"], 0, max_depth)
                    wf.import_questions.append(question)
            else:
                slot = _TOP.get(key)
                if slot is not None and type(value) in slot[1]:
                    setattr(wf, slot[0], value)
                else:
                    wf.extra[key] = parse_value(value, 0, max_depth)
        wf.name = wf.declared_name or ""
        return wf

    def to_plist(self) -> dict[str, Any]:
        """The workflow dictionary, equal to the one the file held."""
        out: dict[str, Any] = {}
        if self.has_actions:
            out["WFWorkflowActions"] = [a.to_plist() for a in self.actions]
        if self.icon is not None:
            icon: dict[str, Any] = {}
            _untyped(self.icon, _ICON, icon)
            icon.update({k: dump_value(v) for k, v in self.icon.extra.items()})
            out["WFWorkflowIcon"] = icon
        if self.import_questions is not None:
            questions = []
            for q in self.import_questions:
                qd: dict[str, Any] = {}
                _untyped(q, _QUESTION, qd)
                if q.default_value is not None:
                    qd["DefaultValue"] = dump_value(q.default_value)
                qd.update({k: dump_value(v) for k, v in q.extra.items()})
                questions.append(qd)
            out["WFWorkflowImportQuestions"] = questions
        _untyped(self, _TOP, out)
        out.update({k: dump_value(v) for k, v in self.extra.items()})
        return out

    # --- derived views -------------------------------------------------------------

    @cached_property
    def structure(self) -> tuple[list[Node], list[Defect], list[int], list[str | None]]:
        from .controlflow import build_tree

        return build_tree(self.actions)

    @property
    def tree(self) -> list[Node]:
        """Control-flow tree built from GroupingIdentifier and WFControlFlowMode."""
        return self.structure[0]

    @property
    def defects(self) -> list[Defect]:
        """Damaged blocks and malformed values, each with the action index."""
        return self.structure[1]

    @property
    def depths(self) -> list[int]:
        """Nesting depth of each action (0 = top level)."""
        return self.structure[2]

    @property
    def roles(self) -> list[str | None]:
        """Control-flow role of each action: start, middle, end or None."""
        return self.structure[3]

    @property
    def max_depth(self) -> int:
        return max((d + (1 if r == "start" else 0) for d, r in zip(self.depths, self.roles)), default=0)

    def fingerprint(self) -> str:
        """Content id: the same shortcut in any container gets the same id (see ``canonical``)."""
        return content_id(self.to_plist())

    def normalized(self) -> Workflow:
        """This workflow with JSON's losses applied (see ``canonical``), for cross-encoding equality."""
        return Workflow.from_plist(canonical(self.to_plist()))


def _action(raw: Any, index: int, source: str, max_depth: int) -> Action:
    if not isinstance(raw, dict):
        raise BadStructure(source, f"action {index} is {type(raw).__name__}, expected a dictionary")
    identifier = raw.get("WFWorkflowActionIdentifier")
    if not isinstance(identifier, str):
        raise BadStructure(source, f"action {index} has no string WFWorkflowActionIdentifier")
    params = raw.get("WFWorkflowActionParameters", {})
    if not isinstance(params, dict):
        raise BadStructure(source, f"action {index} parameters are {type(params).__name__}, expected a dictionary")
    action = Action(identifier, parse_items(params, params, 0, max_depth) if params else {},
                    "WFWorkflowActionParameters" in raw)
    if len(raw) > 1 + action.has_parameters:
        action.extra = {k: parse_value(v, 1, max_depth) for k, v in raw.items()
                        if k not in ("WFWorkflowActionIdentifier", "WFWorkflowActionParameters")}
    return action


def content_id(plist: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a workflow dictionary."""
    text = json.dumps(canonical(plist), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value: Any) -> Any:
    """What survives a JSON export: integral floats become ints, bytes become base64 text,
    dates become ISO-8601 text. Equality across encodings is equality of this form."""
    kind = type(value)
    if kind is dict:
        return {k: canonical(v) for k, v in value.items()}
    if kind is list:
        return [canonical(v) for v in value]
    if kind is float and value.is_integer():
        return int(value)
    if kind is bytes:
        return base64.b64encode(value).decode("ascii")
    if kind is datetime:
        return value.isoformat()
    return value


def iter_values(value: Any) -> Any:
    """Yield every nested model value (depth first), for scans such as malformed-value defects."""
    stack = [value]
    while stack:
        v = stack.pop()
        yield v
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, (Serialized, DictItem, Attachment, Aggrandizement)) and not isinstance(v, Unknown):
            stack.extend(getattr(v, f) for f in v.__dataclass_fields__)  # type: ignore[attr-defined]
