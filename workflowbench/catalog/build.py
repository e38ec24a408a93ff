"""The catalog itself: the public catalogs merged with what the corpus shows, as warehouse rows."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..code.names import function_name
from ..shortcut.model import Workflow
from .categories import CATEGORIES, explain, site_category
from .merge import apps as app_rows
from .merge import merge
from .model import Api, App
from .schema import json_schema
from .sources import Problem, corpus_app_names, observe, read_catalogs
from .stub import stub
from .validate import check_action, validators
from .widen import findings, widen


@dataclass
class Catalog:
    apis: list[Api]
    apps: list[App]
    schemas: dict[str, dict]
    problems: list[Problem] = field(default_factory=list)  # unreadable catalog files or entries
    # the APIs whose schemas the corpus widened, as documented (``widen``)
    documented: dict[str, Api] = field(default_factory=dict)


def build_catalog(directory: str | os.PathLike[str] | None, workflows: Iterable[Workflow]) -> Catalog:
    """Merge the public catalogs in ``directory`` (None: none) with what ``workflows`` show."""
    by_source, names, problems = read_catalogs(Path(directory) if directory is not None else None)
    workflows = list(workflows)
    by_source = {**by_source, "corpus": observe(workflows)}
    apis = merge(by_source)
    documented = widen(apis, workflows)
    names = {**corpus_app_names(workflows), **names}  # the catalogs' names first
    return Catalog(apis, app_rows(apis, names), {a.identifier: json_schema(a) for a in apis}, problems,
                   documented)


def tables(catalog: Catalog, shortcuts: Sequence[tuple[str, Workflow]],
           sites: Mapping[str, tuple[str, str]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The catalog's warehouse rows, with every corpus action checked against its API's schema.
    ``sites``: shortcut id -> (site, the site's category) where a site gave one (table
    shortcut_metadata); a category that maps onto the 28 wins over the vote."""
    sites = sites or {}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "apis", "api_params", "apps", "categories", "shortcut_categories", "catalog_findings")}
    for a in catalog.apis:
        out["apis"].append({
            "identifier": a.identifier, "function": function_name(a.identifier), "app": a.app, "name": a.name,
            "description": a.description, "input_key": a.input_key, "output_name": a.output_name,
            "output_type": a.output_type, "tags": json.dumps(a.tags), "stub": stub(a), "uses": a.uses,
            "json_schema": json.dumps(catalog.schemas[a.identifier], ensure_ascii=False, default=str),
            "provenance": json.dumps(a.provenance),
        })
        for i, p in enumerate(a.params):
            out["api_params"].append({
                "identifier": a.identifier, "key": p.key, "position": i, "label": p.label, "type": p.type,
                "required": p.required,
                "default_value": None if p.default is None else json.dumps(p.default, default=str),
                "enum_values": json.dumps(p.enum, default=str) if p.enum else None,
                "accepts_variables": p.accepts_variables, "description": p.description,
                "provenance": json.dumps(p.provenance),
            })
    out["apps"] = [{"bundle_id": a.bundle_id, "name": a.name, "kind": a.kind, "api_count": a.api_count}
                   for a in catalog.apps]
    out["categories"] = [{"name": name, "position": i} for i, name in enumerate(CATEGORIES)]
    by_id = {a.identifier: a for a in catalog.apis}
    checks = validators(catalog.apis)
    before = validators(catalog.documented)
    for sid, wf in shortcuts:
        tags: Counter[str] = Counter()
        for pos, action in enumerate(wf.actions):
            api = by_id.get(action.identifier)
            if api is not None:
                tags.update(api.tags)
            for f in findings(action, catalog.documented, before, check_action(action, by_id, checks)):
                out["catalog_findings"].append({"shortcut_id": sid, "position": pos, "identifier": f.identifier,
                                                "key": f.key or "", "reason": f.reason, "detail": f.detail})
        chosen = explain(tags, (a.app for a in wf.actions))
        detail: dict[str, Any] = {"tags": dict(sorted(tags.items())), "scores": chosen.scores}
        category, rule = chosen.category, chosen.rule
        if sid in sites:
            site, named = sites[sid]
            detail["site_category"] = named
            mapped = site_category(named)
            if mapped is not None:
                detail |= {"site": site, "vote": chosen.category}
                category, rule = mapped, site
        out["shortcut_categories"].append({"shortcut_id": sid, "category": category, "rule": rule,
                                           "detail": json.dumps(detail)})
    return out
