"""One catalog from many sources: per field, the first source (in ``SOURCES`` order) that states it.

A record states a field when its ``provenance`` names the field (how the readers in ``sources``
mark what they read), or, for records built by hand, when the field differs from its default.
The merged record's ``provenance[field]`` is the source the value came from.

Exceptions to first-wins:

- ``enum``: the ordered union over sources; ``provenance['enum']`` is the first contributing source
  and ``provenance['enum:<value>']`` the source of each value a later source added. Values count only
  when the merged type is 'enum': a corpus guess must not close a text field, and ShortcutsBench
  lists a duration's units ('sec', 'min', 'hr') as the values of a quantity WFActions types 'object';
- ``required``: see ``merged_required``;
- ``uses`` comes from the corpus, ``tags`` from WorkflowLLM (the only sources that set them);
- ``app``: an app no source states is the identifier's (``sources.default_app``);
- ``output_name``: the corpus first. It is the label references to the action's output carry in
  real shortcuts (Ask for Input's output is 'Provided Input'); catalogs often give the action's title.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .model import SOURCES, Api, App, Param
from .sources import default_app

_API_FIELDS = ("name", "description", "input_key", "output_name", "output_type", "tags")
_PARAM_FIELDS = ("label", "type", "default", "accepts_variables", "description")
_DEFAULTS: dict[str, Any] = {"type": "unknown", "default": None, "accepts_variables": True}


def _states(record: Api | Param, name: str) -> bool:
    if name in record.provenance:
        return True
    value = getattr(record, name)
    if name in _DEFAULTS:
        return value != _DEFAULTS[name]
    return value is not None and value != "" and value != []


def _source(record: Api | Param, name: str, source: str) -> str:
    return record.provenance.get(name, source)


def source_order(by_source: dict[str, Any]) -> list[str]:
    """SOURCES first, in their order; any other source after them, by name."""
    return [s for s in SOURCES if s in by_source] + sorted(s for s in by_source if s not in SOURCES)


def merged_required(claims: list[tuple[str, Param]]) -> tuple[bool, str | None]:
    """(required, provenance) from every source's view of one parameter.

    WorkflowLLM lists many parameters as required that real shortcuts leave out (Get Contents of
    URL's headers and form values, for one), so a single source's word is not enough: a parameter
    is required when WFActions marks it required (the action's ``Input`` is required; WFActions says
    nothing else about requiredness), or when at least two sources say so (WorkflowLLM, and the
    corpus, where the key is present in every use). The provenance names the agreeing sources
    joined by '+', e.g. 'workflowllm+corpus'."""
    sayers: list[str] = []
    for source, param in claims:
        said = _source(param, "required", source)
        if param.required and said not in sayers:
            sayers.append(said)
    if "wfactions" in sayers:
        return True, "wfactions"
    if len(sayers) >= 2:
        return True, "+".join(sayers)
    return False, None


def _enum_key(value: Any) -> tuple[str, str]:
    return type(value).__name__, repr(value)


def merge_params(claims: list[tuple[str, Param]]) -> Param:
    """One parameter from each source's record of it, ``claims`` in precedence order."""
    merged = Param(claims[0][1].key)
    for name in _PARAM_FIELDS:
        for source, param in claims:
            if _states(param, name):
                setattr(merged, name, getattr(param, name))
                merged.provenance[name] = _source(param, name, source)
                break
    # A catalog's enum values are kept whatever the merged type (they are facts about the action);
    # values guessed from the corpus only where some source calls the parameter an enum.
    _union_enums(merged, claims if merged.type == "enum" else [c for c in claims if c[0] != "corpus"])
    merged.required, said = merged_required(claims)
    if said is not None:
        merged.provenance["required"] = said
    return merged


def _union_enums(merged: Param, claims: list[tuple[str, Param]]) -> None:
    """Every source's values in precedence order, each once, each value's first source recorded."""
    seen: set[tuple[str, str]] = set()
    for source, param in claims:
        said = _source(param, "enum", source)
        for value in param.enum:
            if _enum_key(value) in seen:
                continue
            seen.add(_enum_key(value))
            merged.enum.append(value)
            if "enum" not in merged.provenance:
                merged.provenance["enum"] = said
            elif said != merged.provenance["enum"]:
                merged.provenance[f"enum:{value}"] = said


def merge_api(records: list[tuple[str, Api]]) -> Api:
    """One API from each source's record of it, ``records`` in precedence order."""
    identifier = records[0][1].identifier
    merged = Api(identifier, default_app(identifier))
    for source, api in records:
        if "app" in api.provenance or api.app != default_app(identifier):
            merged.app = api.app
            merged.provenance["app"] = _source(api, "app", source)
            break
    for name in _API_FIELDS:
        ordered = sorted(records, key=lambda r: r[0] != "corpus") if name == "output_name" else records
        for source, api in ordered:
            if _states(api, name):
                setattr(merged, name, list(getattr(api, name)) if name == "tags" else getattr(api, name))
                merged.provenance[name] = _source(api, name, source)
                break
    merged.uses = max(api.uses for _, api in records)
    claims: dict[str, list[tuple[str, Param]]] = {}
    for source, api in records:
        for param in api.params:
            claims.setdefault(param.key, []).append((source, param))
    merged.params = [merge_params(c) for c in claims.values()]
    return merged


def merge(by_source: dict[str, list[Api]]) -> list[Api]:
    """One Api per identifier any source knows, sorted by identifier (see the module docstring)."""
    records: dict[str, list[tuple[str, Api]]] = {}
    for source in source_order(by_source):
        for api in by_source[source]:
            records.setdefault(api.identifier, []).append((source, api))
    merged = [merge_api(records[identifier]) for identifier in sorted(records)]
    borrow_descriptions(merged)
    return merged


def family(identifier: str) -> tuple[str, str]:
    """(developer, intent name): the Mac Catalyst build (``maccatalyst.`` prefix) and other builds
    of one developer's app (``com.agiletortoise.Drafts5`` / ``...Drafts-OSX``) define the same intents."""
    head, _, intent = identifier.removeprefix("maccatalyst.").rpartition(".")
    return ".".join(head.split(".")[:2]), intent


def borrow_descriptions(apis: list[Api]) -> None:
    """An API no source describes takes the name and description of its one described sibling in
    the same family (see ``family``), with provenance ``sibling:<identifier>``. Built-ins never do."""
    described: dict[tuple[str, str], list[Api]] = {}
    for api in apis:
        if api.description and not api.identifier.startswith("is.workflow.actions."):
            described.setdefault(family(api.identifier), []).append(api)
    for api in apis:
        if api.description or api.identifier.startswith("is.workflow.actions."):
            continue
        siblings = [s for s in described.get(family(api.identifier), []) if s.identifier != api.identifier]
        if len({s.description for s in siblings}) != 1:
            continue  # none, or siblings that disagree: no guess
        donor = siblings[0]
        api.description = donor.description
        api.provenance["description"] = f"sibling:{donor.identifier}"
        if not api.name and donor.name:
            api.name = donor.name
            api.provenance["name"] = f"sibling:{donor.identifier}"


def app_kind(bundle_id: str) -> str:
    if bundle_id == "shortcuts":
        return "built-in"
    return "apple" if bundle_id.startswith("com.apple.") else "third-party"


def apps(apis: list[Api], names: dict[str, str]) -> list[App]:
    """One row per app the APIs belong to, sorted by bundle id. Names are looked up exactly, then
    ignoring case (catalogs disagree on 'bear-iOS' and 'bear-IOS')."""
    counts = Counter(api.app for api in apis)
    folded: dict[str, str] = {}
    for bundle, name in names.items():
        folded.setdefault(bundle.casefold(), name)
    rows = []
    for bundle, count in sorted(counts.items()):
        name = names.get(bundle) or folded.get(bundle.casefold()) or ("Shortcuts" if bundle == "shortcuts" else None)
        rows.append(App(bundle, name, app_kind(bundle), count))
    return rows
