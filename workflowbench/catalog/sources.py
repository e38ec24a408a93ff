"""Readers: the public action catalogs and the corpus, each into ``Api`` records of one source.

A reader states only what its source says: every field it sets is recorded in ``provenance``
(field -> source), and ``merge`` takes, per field, the first source that stated it. A field a reader
did not state keeps its default and no provenance (an ``app`` guessed from the identifier, for one).

Catalog layout (the directory holds what ``read_catalogs`` reads; any file may be absent):

- ``scpl/WFActions_Shortcuts_2.2.json``, ``scpl/OutActions.json``: Apple's action definitions
  (source ``wfactions``; OutActions only fills parameter lists WFActions leaves empty);
- ``scpl/App_Identifiers.json``: app display names;
- ``shortcutsbench/all_api2info.json``, ``all_api2paraname2paratype.json``,
  ``2_all_detailed_identifiers.json`` (source ``shortcutsbench``);
- ``workflowllm/api_docs.json``, ``api_categories.json``, ``api_key_params.json``,
  ``apis_with_output.json`` (source ``workflowllm``).

Only JSON is read; nothing is unpickled or executed (defaults are parsed with ``ast.literal_eval``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..code.names import function_name
from ..code.syntax import literal as parse_literal
from ..shortcut.model import BUILTIN_PREFIX, Workflow
from ..shortcut.values import (
    Array,
    Attachment,
    Dictionary,
    PredicateTable,
    Quantity,
    Substitutable,
    Text,
    Variable,
    attachments,
)
from .model import Api, Param

WFACTIONS = "scpl/WFActions_Shortcuts_2.2.json"
OUTACTIONS = "scpl/OutActions.json"
APP_IDENTIFIERS = "scpl/App_Identifiers.json"
SB_INFO = "shortcutsbench/all_api2info.json"
SB_TYPES = "shortcutsbench/all_api2paraname2paratype.json"
SB_APPS = "shortcutsbench/2_all_detailed_identifiers.json"
WL_DOCS = "workflowllm/api_docs.json"
WL_CATEGORIES = "workflowllm/api_categories.json"
WL_KEY_PARAMS = "workflowllm/api_key_params.json"
WL_WITH_OUTPUT = "workflowllm/apis_with_output.json"



@dataclass(frozen=True)
class Problem:
    """Something wrong in a catalog file, kept instead of raised. ``reason`` is the rejects slug:
    missing, unreadable, bad-structure (the file's shape), malformed-entry (one ``entry``)."""

    file: str  # relative to the catalog directory, or the directory itself
    reason: str
    detail: str
    entry: str | None = None

    def __str__(self) -> str:
        return ": ".join(x for x in (self.file, self.entry, self.detail) if x)


Problems = list[Problem]

# --- parameter types ----------------------------------------------------------------

# Apple's parameter classes (WFActions, WorkflowLLM and ShortcutsBench all use them) -> TYPES,
# checked against the value kinds the corpus holds for each class.
WF_CLASSES = {
    "WFTextInputParameter": "string",
    "WFURLParameter": "string",
    "WFCustomDateFormatParameter": "string",
    "WFVariableFieldParameter": "string",  # a variable's name
    "WFDynamicEnumerationParameter": "string",  # values come from the app at run time
    "WFNumericDynamicEnumerationParameter": "number",
    "WFNumberFieldParameter": "number",
    "WFSliderParameter": "number",
    "WFSpeakTextRateParameter": "number",
    "WFStepperParameter": "integer",
    "WFSwitchParameter": "boolean",
    "WFExpandingParameter": "boolean",  # a disclosure toggle, stored as a boolean
    "WFEnumerationParameter": "enum",
    "WFDateFieldParameter": "date",
    "WFDatePickerParameter": "date",
    "WFDictionaryParameter": "dictionary",
    "WFArrayParameter": "list",
    "WFContentArrayParameter": "list",
    "WFChooseFromMenuArrayParameter": "list",
    "WFVariablePickerParameter": "object",
    "WFFilePickerParameter": "file",
    "WFTumblrComposeInAppParameter": "boolean",
    "WFOSAScriptEditorParameter": "string",
}
# Pickers the corpus shows holding a plain name ('English', 'Zip', a notebook's title).
WF_CLASSES.update(dict.fromkeys((
    "WFArchiveFormatParameter", "WFCalendarPickerParameter", "WFDictateTextLanguagePickerParameter",
    "WFEmailAccountPickerParameter", "WFEvernoteNotebookPickerParameter", "WFFileSizePickerParameter",
    "WFGetDistanceUnitPickerParameter", "WFIFTTTTriggerNameParameter", "WFImageConvertFormatPickerParameter",
    "WFiTunesStoreCountryPickerParameter", "WFListeningModePickerParameter", "WFLocationAccuracyParameter",
    "WFMailSenderPickerParameter", "WFMakeImageFromPDFPageColorspaceParameter",
    "WFMakeImageFromPDFPageImageFormatParameter", "WFNetworkPickerParameter", "WFPhotoAlbumPickerParameter",
    "WFQuantityTypePickerParameter", "WFSpeakTextLanguagePickerParameter", "WFSpeakTextVoicePickerParameter",
    "WFStorageServicePickerParameter", "WFTranslateTextLanguagePickerParameter", "WFTumblrBlogPickerParameter",
    "WFUnitTypePickerParameter", "WFWorkoutTypePickerParameter",
), "string"))
# Suffix rules for the many classes named after what they hold; other pickers store a descriptor
# dictionary or an entity.
_WF_SUFFIXES = (("DateFieldParameter", "date"), ("TagFieldParameter", "string"), ("EnumerationParameter", "string"),
                ("Parameter", "object"))

# WorkflowLLM's own type names.
_WL_TYPES = {
    "STRING": "string", "NUMBER": "number", "FLOAT": "number", "INTEGER": "integer", "BOOLEAN": "boolean",
    "ENUM": "enum", "DATETIME": "date", "FILE": "file", "OBJECT": "object", "ENTITY": "object",
}

# ShortcutsBench's scalar type names ("Bool = True", "Float = \"10\"", ...).
_SB_TYPES = {
    "String": "string", "Bool": "boolean", "Integer": "integer", "Float": "number", "Double": "number",
    "Number": "number", "NSNumber": "number", "Enum": "enum", "File": "file", "None": "unknown",
}


def wf_class_type(cls: str) -> str:
    """Apple's parameter class -> one of TYPES."""
    if cls in WF_CLASSES:
        return WF_CLASSES[cls]
    for suffix, kind in _WF_SUFFIXES:
        if cls.startswith("WF") and cls.endswith(suffix):
            return kind
    return "unknown"


def workflowllm_type(name: str) -> str:
    """WorkflowLLM's type (STRING, ENUM, ... or an Apple class name) -> one of TYPES."""
    return _WL_TYPES.get(name.upper()) or wf_class_type(name)


def shortcutsbench_type(text: str) -> tuple[str, Any, bool]:
    """ShortcutsBench's 'Type = default' -> (type, default, has a default).

    Forms: 'String', 'Bool = True', 'Enum = "GET"', 'Mode(Enum) = "x"', 'Entity(Object)',
    'WFDictionaryParameter(Object)', 'array(String)'."""
    base, sep, raw = text.partition(" = ")
    base = base.strip()
    m = re.fullmatch(r"(\w*)\((Enum|Object)\)", base)
    if base.startswith("array("):
        kind = "list"
    elif m and m[2] == "Enum":
        kind = "enum"
    elif m:
        kind = _SB_TYPES.get(m[1]) or (wf_class_type(m[1]) if m[1].startswith("WF") else "object")
    elif base in _SB_TYPES:
        kind = _SB_TYPES[base]
    else:
        kind = wf_class_type(base) if base.startswith("WF") else "object"
    if not sep:
        return kind, None, False
    return kind, coerce(literal(raw), kind), True


def literal(text: str) -> Any:
    """A Python/JSON literal ('True', '"GET"', "['One', 'Two']"), or the text itself."""
    try:
        return parse_literal(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def coerce(value: Any, kind: str) -> Any:
    """Catalogs write numeric defaults as text ('10'); give them the parameter's type."""
    if isinstance(value, str) and kind in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if isinstance(value, str) and kind == "boolean" and value in ("True", "False", "true", "false"):
        return value.lower() == "true"
    return value


# --- small helpers ------------------------------------------------------------------


def default_app(identifier: str) -> str:
    """The app an identifier belongs to when no source says: 'shortcuts' for built-ins, else the
    identifier without its last component (the same rule as ``Action.app``)."""
    if identifier.startswith(BUILTIN_PREFIX):
        return "shortcuts"
    head, _, _ = identifier.rpartition(".")
    return head or identifier


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def make_param(source: str, key: str, **fields: Any) -> Param:
    """A Param with the given fields; every field given a value is recorded as stated by ``source``."""
    stated = {k: v for k, v in fields.items() if _present(v)}
    param = Param(key, **stated)
    param.provenance = dict.fromkeys(stated, source)
    return param


def make_api(source: str, identifier: str, app: str | None = None, **fields: Any) -> Api:
    """An Api with the given fields stated by ``source``; ``app`` None means 'not stated' (guessed)."""
    stated = {k: v for k, v in fields.items() if _present(v)}
    api = Api(identifier, app or default_app(identifier), **stated)
    api.provenance = dict.fromkeys(stated, source)
    api.provenance.pop("params", None)  # params carry their own provenance
    api.provenance.pop("uses", None)
    if app:
        api.provenance["app"] = source
    return api


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _load(directory: Path | None, name: str, problems: Problems) -> Any:
    """Parsed JSON of one catalog file, or None (with a problem noted) when absent or unreadable."""
    if directory is None:
        return None
    path = directory / name
    if not path.is_file():
        problems.append(Problem(name, "missing", "missing"))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(name, "unreadable", f"unreadable ({exc})"))
        return None


def _entries(data: Any, name: str, problems: Problems) -> dict[str, Any]:
    """The identifier -> entry mapping of a file; ScPL's files wrap it in a one-element list."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(name, "bad-structure", f"expected an object, found {type(data).__name__}"))
        return {}
    return data


def _each(entries: dict[str, Any], name: str, problems: Problems, read: Callable[[str, Any], Api | None]) -> list[Api]:
    """Apply ``read`` to every entry; a malformed entry becomes a problem instead of an exception."""
    out = []
    for identifier, entry in entries.items():
        try:
            api = read(identifier, entry)
        except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
            problems.append(Problem(name, "malformed-entry", f"malformed ({type(exc).__name__}: {exc})",
                                    identifier))
            continue
        if api is not None:
            out.append(api)
    return out


# --- WFActions (ScPL) -------------------------------------------------------------------


def _content_type(types: list[str]) -> str | None:
    """A TYPES name for WFActions' input content classes, when they agree on one."""
    table = (("String", "string"), ("NSString", "string"), ("Number", "number"), ("Date", "date"),
             ("Dictionary", "dictionary"), ("URL", "string"), ("File", "file"), ("Image", "file"),
             ("PDF", "file"), ("public.data", "file"))
    kinds = {next((k for marker, k in table if marker in t), "object") for t in types if isinstance(t, str)}
    return kinds.pop() if len(kinds) == 1 else None


def _wfactions_param(raw: dict[str, Any]) -> Param:
    items = raw.get("Items")
    enum = list(items) if isinstance(items, list) else []
    kind = "enum" if enum else wf_class_type(str(raw.get("Class", "")))
    disallowed = raw.get("DisallowedVariableTypes")
    return make_param(
        "wfactions", raw["Key"],
        label=_text(raw.get("Label")),
        type=None if kind == "unknown" else kind,
        default=coerce(raw.get("DefaultValue"), kind),
        enum=enum,
        accepts_variables=False if isinstance(disallowed, list) and "Variable" in disallowed else None,
        description=_text(raw.get("Description")),
    )


def read_wfactions_entry(identifier: str, entry: dict[str, Any], extra: dict[str, Any] | None = None,
                         input_key: str | None = None) -> Api:
    """One WFActions action. ``extra`` (its OutActions twin) adds parameters WFActions lacks.

    WFActions says whether an action takes input (``Input``) but not under which key; ``input_key``
    (WorkflowLLM's key parameter) names it, so the input's ``Required`` can mark that parameter
    required. The key name itself is WorkflowLLM's and is left to that source."""
    description = entry.get("Description")
    summary = description.get("DescriptionSummary") if isinstance(description, dict) else description
    params = [_wfactions_param(p) for p in entry.get("Parameters") or [] if isinstance(p, dict) and "Key" in p]
    keys = {p.key for p in params}
    for raw in (extra or {}).get("Parameters") or []:
        if isinstance(raw, dict) and "Key" in raw and raw["Key"] not in keys:
            params.append(_wfactions_param(raw))
            keys.add(raw["Key"])
    inp = entry.get("Input")
    if isinstance(inp, dict) and input_key:
        param = next((p for p in params if p.key == input_key), None)
        kind = _content_type(inp.get("Types") or [])
        if param is None:
            param = make_param("wfactions", input_key, type=kind)
            params.append(param)
        if inp.get("Required") is True:
            param.required = True
            param.provenance["required"] = "wfactions"
    output = entry.get("Output") if isinstance(entry.get("Output"), dict) else {}
    types = [t for t in output.get("Types") or [] if isinstance(t, str)]
    app = entry.get("AppIdentifier")
    return make_api(
        "wfactions", identifier,
        app=app if isinstance(app, str) and app and not identifier.startswith(BUILTIN_PREFIX) else None,
        name=_text(entry.get("Name")),
        description=_text(summary),
        params=params,
        output_name=_text(output.get("OutputName")) or _text(entry.get("OutputName")),
        output_type=" | ".join(types) or None,
    )


def read_wfactions(actions: Any, out_actions: Any, input_keys: dict[str, str], problems: Problems) -> list[Api]:
    entries = _entries(actions, WFACTIONS, problems)
    extra = _entries(out_actions, OUTACTIONS, problems)
    # OutActions alone (271 entries, the same identifiers today) still counts as WFActions-like.
    merged = {**{k: v for k, v in extra.items() if k not in entries}, **entries}
    return _each(merged, WFACTIONS, problems, lambda ident, entry: read_wfactions_entry(
        ident, entry, extra.get(ident) if ident in entries else None, input_keys.get(ident)))


# --- ShortcutsBench -----------------------------------------------------------------------

_HEADER = re.compile(r"(Parameters|Return Value|Description|ParameterSummary):\s?(.*)")
_PARAM_LINE = re.compile(r" {4}([^\s:]+):  ?(.*)")
_ENUM_CLAUSE = re.compile(r"\s*The value of this Enum must be one of the following values[^:]*:\s*")
_DEPENDS = re.compile(r"\s*This (?:value depends on|parameter is only valid when)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_DOUBLE_STOP = re.compile(r"\.\.(?=\s|$)")


def _sections(info: str) -> dict[str, list[str]]:
    """ShortcutsBench's info text by section; unindented notes after Description stay in it."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in info.splitlines()[1:]:  # the first line is the signature
        m = _HEADER.fullmatch(line)
        if m:
            current = m[1]
            sections[current] = [m[2]] if m[2] else []
        elif current is not None and (line.startswith(" ") or current == "Description"):
            sections[current].append(line)
    return sections


def enum_values(text: str) -> list[str]:
    """'"a"(Label A), "b"(Label B).' or '"GET", "POST".' -> ['a', 'b']: the quoted values, each
    optionally followed by a parenthesised label (which may itself hold parentheses)."""
    values = []
    pos = 0
    while (m := _QUOTED.match(text, pos)) is not None:
        values.append(m[1].replace('\\"', '"'))
        pos = m.end()
        if pos < len(text) and text[pos] == "(":
            depth = 0
            for i in range(pos, len(text)):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                if depth == 0:
                    pos = i + 1
                    break
            else:
                break
        if not text.startswith(", ", pos):
            break
        pos += 2
    return values


def _sb_param_text(text: str) -> tuple[str | None, str | None, list[str]]:
    """'Label. Description. The value of this Enum must be one of ...: "a", "b".' -> parts."""
    enum: list[str] = []
    m = _ENUM_CLAUSE.search(text)
    if m:
        enum = enum_values(text[m.end():])
        text = text[: m.start()]
    d = _DEPENDS.search(text)
    if d:
        text = text[: d.start()]
    label, _, rest = text.strip().partition(". ")
    label = label.removesuffix(".").strip()
    rest = _DOUBLE_STOP.sub(".", rest).strip()  # ShortcutsBench ends sentences that had a stop with another
    return label or None, rest or None, enum


def _sb_description(lines: list[str]) -> tuple[str | None, str | None]:
    """'Name: what it does' (first line), then notes -> (name, description)."""
    text = _DOUBLE_STOP.sub(".", "\n".join(line.strip() for line in lines).strip())
    head, sep, rest = text.partition(": ")
    if sep and "\n" not in head and len(head) <= 80:
        return head.strip() or None, rest.strip() or None
    return None, text or None


def read_shortcutsbench_entry(identifier: str, info: Any, types: Any) -> Api:
    """One ShortcutsBench API from its info text and its parameter types."""
    sections = _sections(info) if isinstance(info, str) else {}
    texts: dict[str, str] = {}
    last = None
    for line in sections.get("Parameters", []):
        m = _PARAM_LINE.fullmatch(line)
        if m:
            last = m[1]
            texts[last] = m[2]
        elif last is not None:
            texts[last] += " " + line.strip()
    params = []
    output_name = output_type = None
    for key, spec in (types or {}).items():
        if key.startswith("ThisIsReturnValue:"):
            if output_name is None:
                output_name = key.partition(":")[2].strip() or None
                output_type = re.sub(r"\((Object|Enum)\)$", "", str(spec)).strip() or None
            continue
        kind, default, _ = shortcutsbench_type(str(spec))
        label, description, enum = _sb_param_text(texts.get(key, ""))
        params.append(make_param(
            "shortcutsbench", key, label=label, type=None if kind == "unknown" else kind,
            default=default, enum=enum, description=description))
    name, description = _sb_description(sections.get("Description", []))
    return make_api("shortcutsbench", identifier, name=name, description=description, params=params,
                    output_name=output_name, output_type=output_type)


def read_shortcutsbench(info: Any, types: Any, detailed: Any, problems: Problems) -> list[Api]:
    infos = _entries(info, SB_INFO, problems)
    typed = _entries(types, SB_TYPES, problems)
    apis = _each({k: infos.get(k) for k in {**infos, **typed}}, SB_INFO, problems,
                 lambda ident, text: read_shortcutsbench_entry(ident, text, typed.get(ident)))
    # The app lists name more identifiers (without any detail): they are APIs all the same.
    seen = {api.identifier for api in apis}
    for ident in _detailed_identifiers(detailed, problems):
        if ident not in seen:
            seen.add(ident)
            apis.append(make_api("shortcutsbench", ident))
    return apis


def _detailed_identifiers(detailed: Any, problems: Problems) -> Iterator[str]:
    if detailed is None:
        return
    if not isinstance(detailed, list):
        problems.append(Problem(SB_APPS, "bad-structure", f"expected a list, found {type(detailed).__name__}"))
        return
    for i, app in enumerate(detailed):
        apis = app.get("APIs") if isinstance(app, dict) else None
        if not isinstance(apis, list):
            problems.append(Problem(SB_APPS, "malformed-entry", "no APIs list", f"entry {i}"))
            continue
        for api in apis:
            name = api.get("APIName") if isinstance(api, dict) else None
            if isinstance(name, str) and name:
                yield name
            else:
                problems.append(Problem(SB_APPS, "malformed-entry", "an API without APIName", f"entry {i}"))


# --- WorkflowLLM ----------------------------------------------------------------------------


def _wl_doc(value: Any) -> dict[str, Any]:
    """api_docs values are [identifier, doc] or [[identifier, doc]]."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], dict)):
        raise ValueError("expected [identifier, {...}]")
    return value[1]


def by_function_name(identifiers: Iterable[str]) -> dict[str, str]:
    """WorkflowLLM keys its side files by function name; its names keep '-' (a_b-c), ours do not."""
    out: dict[str, str] = {}
    for ident in identifiers:
        out.setdefault(function_name(ident), ident)
        out.setdefault(ident.replace(".", "_"), ident)
        out.setdefault(ident, ident)  # apis_with_output lists a few identifiers as they are
    return out


def read_workflowllm_entry(identifier: str, doc: dict[str, Any], tags: list[str], input_key: str | None,
                           has_output: bool) -> Api:
    """One WorkflowLLM API. Its required list is recorded as stated; ``merge`` decides whether to
    believe it. Return data names are only taken for built-ins (for intents WorkflowLLM names the
    result properties itself: 'property', 'result')."""
    params = []
    for group, required in (("required_parameters", True), ("optional_parameters", False)):
        for raw in doc.get(group) or []:
            kind = workflowllm_type(str(raw.get("type", "")))
            params.append(make_param("workflowllm", raw["name"], type=None if kind == "unknown" else kind,
                                     required=required or None, description=_text(raw.get("description"))))
    returns = doc.get("return_data") or []
    output_name = None
    if has_output and identifier.startswith(BUILTIN_PREFIX) and len(returns) == 1:
        output_name = _text(returns[0].get("name"))
    return make_api("workflowllm", identifier, description=_text(doc.get("description")), params=params,
                    input_key=input_key, output_name=output_name, tags=[t for t in tags if isinstance(t, str)])


def _keyed(data: Any, name: str, names: dict[str, str], problems: Problems) -> dict[str, Any]:
    """A function-name-keyed side file, re-keyed by identifier."""
    out = {}
    for key, value in _entries(data, name, problems).items():
        if key in names:
            out[names[key]] = value
        else:
            problems.append(Problem(name, "malformed-entry", f"no such API in {WL_DOCS}", key))
    return out


def workflowllm_input_keys(docs: Any, key_params: Any, problems: Problems) -> dict[str, str]:
    names = by_function_name(_entries(docs, WL_DOCS, []))
    return {k: v for k, v in _keyed(key_params, WL_KEY_PARAMS, names, problems).items() if isinstance(v, str)}


def read_workflowllm(docs: Any, categories: Any, key_params: Any, with_output: Any, problems: Problems) -> list[Api]:
    entries = _entries(docs, WL_DOCS, problems)
    names = by_function_name(entries)
    tags = _keyed(categories, WL_CATEGORIES, names, problems)
    input_keys = workflowllm_input_keys(docs, key_params, [])
    outputs = set()
    if isinstance(with_output, list):
        outputs = {names[n] for n in with_output if isinstance(n, str) and n in names}
    elif with_output is not None:
        problems.append(Problem(WL_WITH_OUTPUT, "bad-structure",
                                f"expected a list, found {type(with_output).__name__}"))
    return _each(entries, WL_DOCS, problems, lambda ident, value: read_workflowllm_entry(
        ident, _wl_doc(value), tags.get(ident) or [], input_keys.get(ident), ident in outputs))


# --- app names --------------------------------------------------------------------------------

_TEAM_ID = re.compile(r"[A-Z0-9]{10}\.")


def read_app_names(data: Any, problems: Problems) -> dict[str, str]:
    """bundle id -> display name from ScPL's App_Identifiers (team id prefixes dropped; the iPad
    and iPhone bundle ids an entry lists get its name too)."""
    names: dict[str, str] = {}
    for key, entry in _entries(data, APP_IDENTIFIERS, problems).items():
        name = entry.get("Name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(Problem(APP_IDENTIFIERS, "malformed-entry", "no Name", key))
            continue
        names.setdefault(_TEAM_ID.sub("", key, count=1) if _TEAM_ID.match(key) else key, name)
        variants = entry.get("BundleIdentifiers")
        for bundle in variants.values() if isinstance(variants, dict) else []:
            if isinstance(bundle, str):
                names.setdefault(bundle, name)
    return names


# --- all catalogs -------------------------------------------------------------------------------


def read_catalogs(directory: Path | None) -> tuple[dict[str, list[Api]], dict[str, str], Problems]:
    """Api records per source ('wfactions', 'shortcutsbench', 'workflowllm'), app display names
    (bundle id -> name) and the problems found. Missing files give empty sources, not errors;
    ``directory`` None means no catalogs at all (and no problems).

    ShortcutsBench's app list names apps by bundle-id prefixes ('com.omz-software'), not display
    names, so names come from ScPL's App_Identifiers (and, for the corpus, ``corpus_app_names``)."""
    problems: Problems = []
    if directory is None or not Path(directory).is_dir():
        if directory is not None:  # None asks for no catalogs; a path that is not there is worth a note
            problems.append(Problem(str(directory), "missing", "no catalog directory"))
        return {"wfactions": [], "shortcutsbench": [], "workflowllm": []}, {}, problems
    directory = Path(directory)

    def load(name: str) -> Any:
        return _load(directory, name, problems)

    docs, key_params = load(WL_DOCS), load(WL_KEY_PARAMS)
    by_source = {
        "wfactions": read_wfactions(load(WFACTIONS), load(OUTACTIONS),
                                    workflowllm_input_keys(docs, key_params, []), problems),
        "shortcutsbench": read_shortcutsbench(load(SB_INFO), load(SB_TYPES), load(SB_APPS), problems),
        "workflowllm": read_workflowllm(docs, load(WL_CATEGORIES), key_params, load(WL_WITH_OUTPUT), problems),
    }
    return by_source, read_app_names(load(APP_IDENTIFIERS), problems), problems


# --- the corpus ---------------------------------------------------------------------------------

SKIPPED_KEYS = frozenset({"UUID", "GroupingIdentifier", "WFControlFlowMode", "CustomOutputName"})
_DESCRIPTORS = ("AppIntentDescriptor", "IntentAppDefinition")
VARIABLE = "variable"  # a value kind that says nothing about the parameter's type

# An observed enum: a key that only ever holds plain strings (or variables), 2 to ENUM_MAX distinct
# ones, none longer than ENUM_MAX_LENGTH or spanning lines, not all numerals (number fields store
# text too), each seen ENUM_MIN_REPEAT times on average (free text rarely repeats), and never a token
# string (which is how text fields store text). One value alone is a constant, not a choice.
ENUM_MAX = 12
CODES_MAX = 32
ENUM_MAX_LENGTH = 40
ENUM_MIN_REPEAT = 2
# A parameter present in every use of an action (used at least this often) is observed as required.
REQUIRED_MIN_USES = 3
_NUMERAL = re.compile(r"\s*[-+]?\d+([.,]\d*)?\s*")


def value_kind(value: Any) -> str | None:
    """The TYPES name a stored value suggests, VARIABLE for a variable, None for no evidence."""
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int:
        return "integer"
    if kind is float:
        return "number"
    if kind is str or kind is Text:
        return "string"
    if kind is Variable:
        return VARIABLE
    if kind is Dictionary:
        return "dictionary"
    if kind is list or kind is Array:
        return "list"
    if kind is Substitutable:
        if isinstance(value.value, Attachment):
            return VARIABLE
        return "number" if value.type == "WFNumberSubstitutableState" else value_kind(value.value)
    if kind is datetime:
        return "date"
    if kind is bytes:
        return "file"
    if kind is dict or kind is Quantity or kind is PredicateTable:
        return "object"
    return None  # Unknown and anything unexpected


def join_kinds(kinds: Iterable[str]) -> str:
    """One type for the kinds a key was seen with: integers widen to numbers; any other mix is unknown."""
    found = set(kinds) - {VARIABLE}
    if found == {"integer", "number"}:
        return "number"
    return found.pop() if len(found) == 1 else "unknown"


def _has_variable(value: Any) -> bool:
    if type(value) is Text:
        return any(type(p) is Attachment for p in value.parts)
    return value_kind(value) == VARIABLE


@dataclass
class _KeyStats:
    seen: int = 0
    kinds: Counter = field(default_factory=Counter)
    strings: Counter = field(default_factory=Counter)  # plain string values, while still an enum candidate
    codes: Counter = field(default_factory=Counter)  # integer values, while there are few (see observed_codes)
    variables: bool = False
    enum_candidate: bool = True


@dataclass
class _ApiStats:
    uses: int = 0
    keys: dict[str, _KeyStats] = field(default_factory=dict)
    apps: Counter = field(default_factory=Counter)  # bundle ids from app descriptors
    outputs: Counter = field(default_factory=Counter)  # OutputName of references to its outputs


def _observe_value(stats: _KeyStats, value: Any) -> None:
    stats.seen += 1
    kind = value_kind(value)
    if kind is not None:
        stats.kinds[kind] += 1
    if _has_variable(value):
        stats.variables = True
    if type(value) is int and stats.codes is not None:
        stats.codes[value] += 1
        if len(stats.codes) > CODES_MAX:
            stats.codes = None  # type: ignore[assignment]
        return  # integers do not rule out string values (WFCondition holds codes and legacy names)
    if not stats.enum_candidate:
        return
    if type(value) is str and len(value) <= ENUM_MAX_LENGTH and "\n" not in value:
        stats.strings[value] += 1
        if len(stats.strings) > ENUM_MAX:
            stats.enum_candidate = False
            stats.strings.clear()
    elif kind != VARIABLE:
        stats.enum_candidate = False
        stats.strings.clear()


def observed_codes(stats: _KeyStats) -> list[int]:
    """The integer values of a key (at most CODES_MAX distinct), most common first. Files store some
    enums as codes where catalogs list names (WFCondition: 4 for 'Equals'); ``merge`` keeps them only
    for a parameter a catalog types as an enum, so number fields never become enums this way."""
    if not stats.codes:
        return []
    return [v for v, _ in sorted(stats.codes.items(), key=lambda kv: (-kv[1], kv[0]))]


def observed_enum(stats: _KeyStats) -> list[str]:
    """The values of a key that looks like an enum (see ENUM_* above), most common first."""
    total = sum(stats.strings.values())
    if not stats.enum_candidate or len(stats.strings) < 2 or total < ENUM_MIN_REPEAT * len(stats.strings):
        return []
    if all(_NUMERAL.fullmatch(v) for v in stats.strings):
        return []
    return [v for v, _ in sorted(stats.strings.items(), key=lambda kv: (-kv[1], kv[0]))]


def _collect(workflows: Iterable[Workflow]) -> dict[str, _ApiStats]:
    stats: dict[str, _ApiStats] = {}
    for wf in workflows:
        # Output references name the output as the action labels it, unless the user renamed it.
        producers = {a.uuid: a.identifier for a in wf.actions if a.uuid is not None and a.custom_output_name is None}
        for action in wf.actions:
            api = stats.get(action.identifier)
            if api is None:
                api = stats[action.identifier] = _ApiStats()
            api.uses += 1
            params = action.parameters
            if not action.identifier.startswith(BUILTIN_PREFIX):
                for key in _DESCRIPTORS:
                    desc = params.get(key)
                    if isinstance(desc, dict) and isinstance(desc.get("BundleIdentifier"), str):
                        api.apps[desc["BundleIdentifier"]] += 1
                        break
            for key, value in params.items():
                if key in SKIPPED_KEYS:
                    continue
                ks = api.keys.get(key)
                if ks is None:
                    ks = api.keys[key] = _KeyStats()
                _observe_value(ks, value)
                if type(value) in (str, int, float, bool):
                    continue  # no attachments inside
                for att in attachments(value):
                    if att.type == "ActionOutput" and att.output_name and att.output_uuid in producers:
                        target = producers[att.output_uuid]
                        target_stats = stats.get(target)
                        if target_stats is None:
                            target_stats = stats[target] = _ApiStats()
                        target_stats.outputs[att.output_name] += 1
    return stats


def _observed_param(key: str, ks: _KeyStats, uses: int) -> Param:
    enum = observed_enum(ks)
    kind = "enum" if enum else join_kinds(ks.kinds)
    return make_param(
        "corpus", key,
        type=None if kind == "unknown" else kind,
        enum=[*enum, *observed_codes(ks)],
        accepts_variables=True if ks.variables else None,
        required=True if uses >= REQUIRED_MIN_USES and ks.seen == uses else None,
    )


def observe(workflows: Iterable[Workflow]) -> list[Api]:
    """One Api (source 'corpus') per action identifier the workflows use: ``uses``, every parameter
    key seen (but UUID, GroupingIdentifier, WFControlFlowMode, CustomOutputName) with the type its
    values suggest (``value_kind``/``join_kinds``), observed enums (``observed_enum``), the most
    common output label of references to the action's output, and the app its descriptors name.

    The descriptors' ``Name`` is the app's name ('Drafts'), not the action's, so it is left to
    ``corpus_app_names`` rather than used as ``Api.name``."""
    stats = _collect(workflows)
    apis = []
    for identifier in sorted(stats):
        s = stats[identifier]
        app = s.apps.most_common(1)[0][0] if s.apps else None
        output = s.outputs.most_common(1)[0][0] if s.outputs else None
        params = [_observed_param(key, ks, s.uses) for key, ks in s.keys.items()]
        api = make_api("corpus", identifier, app=app, params=params, output_name=output)
        api.uses = s.uses
        apis.append(api)
    return apis


def corpus_app_names(workflows: Iterable[Workflow]) -> dict[str, str]:
    """bundle id -> the app name its descriptors carry (most common spelling wins)."""
    seen: dict[str, Counter] = {}
    for wf in workflows:
        for action in wf.actions:
            for key in _DESCRIPTORS:
                desc = action.parameters.get(key)
                if isinstance(desc, dict) and isinstance(desc.get("BundleIdentifier"), str) \
                        and isinstance(desc.get("Name"), str) and desc["Name"]:
                    seen.setdefault(desc["BundleIdentifier"], Counter())[desc["Name"]] += 1
    return {bundle: names.most_common(1)[0][0] for bundle, names in sorted(seen.items())}

