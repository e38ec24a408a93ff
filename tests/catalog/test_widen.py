"""Schemas widened by what real shortcuts store: each kind of gap is closed as narrowly as it can be,
recorded in the parameter's provenance and as a ``widened`` finding, and other values stay refused."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from workflowbench.catalog.build import Catalog, tables
from workflowbench.catalog.model import Api, Param
from workflowbench.catalog.schema import json_schema
from workflowbench.catalog.widen import widen
from workflowbench.shortcut.model import Action, Workflow
from workflowbench.shortcut.values import parse_value

ATTACHMENT = {"WFSerializationType": "WFTextTokenAttachment",
              "Value": {"Type": "ActionOutput", "OutputUUID": "A1", "OutputName": "Text"}}
QUANTITY = {"WFSerializationType": "WFQuantityFieldValue", "Value": {"Magnitude": "5", "Unit": "min"}}


def api(*params: Param) -> Api:
    return Api("com.example.Act", "com.example", params=list(params))


def workflow(**values: Any) -> Workflow:
    return Workflow([Action("com.example.Act", {k: parse_value(v) for k, v in values.items()})])


def valid(a: Api, **values: Any) -> bool:
    return Draft202012Validator(json_schema(a)).is_valid(values)


def test_each_gap_is_closed_narrowly() -> None:
    a = api(Param("mode", type="enum", enum=["Set", "Add"]), Param("url", type="string"),
            Param("tags", type="list"), Param("wait", type="dictionary"), Param("fixed", type="enum", enum=["x"]),
            Param("note", type="string", accepts_variables=False))
    shown = dict(mode="RemoveAll", url=["https://a.example", "https://b.example"], tags="one", wait=QUANTITY,
                 fixed=False, note=ATTACHMENT)
    assert not any(valid(a, **{k: v}) for k, v in shown.items())  # the documented schema refuses each
    documented = widen([a], [workflow(**shown)])
    assert set(documented) == {a.identifier} and documented[a.identifier].param("mode").enum == ["Set", "Add"]
    for k, v in shown.items():
        assert valid(a, **{k: v}), k
    # as narrow as it can be: the enum took one value, the list is of strings, the flag became True
    assert a.param("mode").enum == ["Set", "Add", "RemoveAll"] and not valid(a, mode="Other")
    assert valid(a, url=["x"]) and not valid(a, url=[5]) and not valid(a, url={"k": 1})
    assert valid(a, tags="two") and not valid(a, wait="text") and not valid(a, fixed=True)
    assert a.param("note").accepts_variables
    provenance = {p.key: p.provenance.get("widened") for p in a.params}
    assert provenance == {"mode": "corpus: enum value 'RemoveAll' (1 use)", "url": "corpus: lists (1 use)",
                          "tags": "corpus: string values (1 use)",
                          "wait": "corpus: WFQuantityFieldValue values (1 use)",
                          "fixed": "corpus: value False (1 use)", "note": "corpus: variables (1 use)"}


def test_nothing_to_widen_changes_nothing() -> None:
    a = api(Param("mode", type="enum", enum=["Set", "Add"]))
    before = json_schema(a)
    assert widen([a], [workflow(mode="Set")]) == {} and json_schema(a) == before


def test_widened_values_are_findings_with_what_the_documented_schema_said() -> None:
    a = api(Param("mode", type="enum", enum=["Set", "Add"]), Param("n", type="number"))
    wf = workflow(mode="RemoveAll", n=3, extra="?")
    documented = widen([a], [wf])
    catalog = Catalog([a], [], {a.identifier: json_schema(a)}, documented=documented)
    rows = tables(catalog, [("s1", wf)])
    found = sorted((r["key"], r["reason"], r["detail"]) for r in rows["catalog_findings"])
    assert found == [("extra", "unknown-key", "a string under a key the catalog does not list"),
                     ("mode", "widened", "documented schema: enum: 'RemoveAll' is not one of 'Set', 'Add'")]
    params = {r["key"]: json.loads(r["provenance"]) for r in rows["api_params"]}
    assert params["mode"]["widened"] == "corpus: enum value 'RemoveAll' (1 use)" and "widened" not in params["n"]
