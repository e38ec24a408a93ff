"""Every real shortcut in ../shared/corpus reads, round-trips losslessly, and agrees across encodings."""

from __future__ import annotations

import json
import plistlib
from collections import defaultdict

import pytest

from tests.conftest import CORPUS
from workflowbench import read_shortcut
from workflowbench.shortcut.containers import DEFAULT_LIMITS, extract_wflow, unwrap_aea

# Manifest format -> containers read_shortcut may report ('wflow' is a Workflow-app era binary plist).
FORMATS = {"signed": {"signed"}, "bplist": {"bplist", "wflow"}, "xml": {"xml"}, "json": {"json"}}


def oracle(data: bytes) -> dict:
    """The workflow dictionary as the standard library reads it (independent of our plist decoder)."""
    if data[:4] == b"AEA1":
        payload, _ = unwrap_aea(data, "oracle", DEFAULT_LIMITS)
        return plistlib.loads(extract_wflow(payload, "oracle"))
    if data[:6] == b"bplist" or data.lstrip()[:1] == b"<":
        return plistlib.loads(data)
    return json.loads(data)


def test_every_file_reads_and_round_trips(manifest: list[dict]) -> None:
    failures = []
    for row in manifest:
        path = CORPUS / row["path"]
        data = path.read_bytes()
        wf = read_shortcut(path)
        if wf.container not in FORMATS[row["format"]]:
            failures.append((row["path"], "container", wf.container))
        if len(wf.actions) != row["actions"]:
            failures.append((row["path"], "actions", len(wf.actions)))
        if wf.to_plist() != oracle(data):
            failures.append((row["path"], "round trip"))
        if read_shortcut(data).to_plist() != wf.to_plist():
            failures.append((row["path"], "bytes vs path"))
    assert failures == []
    assert len(manifest) == 1066


def test_signing_kinds(manifest: list[dict]) -> None:
    kinds = {read_shortcut(CORPUS / r["path"]).signing.kind for r in manifest if r["format"] == "signed"}
    assert kinds == {"icloud", "contact"}


def test_encodings_give_equal_models(manifest: list[dict]) -> None:
    """Shortcuts stored in several encodings give equal models. JSON cannot carry bytes, dates or the
    int/float distinction, so models are compared after ``normalized()`` (see model.canonical)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in manifest:
        groups[row["group"]].append(row)
    multi = {g: rows for g, rows in groups.items() if len(rows) > 1}
    assert len(multi) == 25
    for rows in multi.values():
        models = [read_shortcut(CORPUS / r["path"]) for r in rows]
        first = models[0].normalized()
        for r, wf in zip(rows[1:], models[1:], strict=True):
            assert wf.normalized() == first, r["path"]
            assert wf.fingerprint() == models[0].fingerprint(), r["path"]
        # Same-kind encodings (plist vs plist) are equal without normalising.
        plists = [wf for wf in models if wf.container != "json"]
        assert all(wf == plists[0] for wf in plists[1:])


@pytest.mark.parametrize("fmt", ["signed", "bplist", "xml", "json"])
def test_distinct_shortcuts_get_distinct_ids(manifest: list[dict], fmt: str) -> None:
    rows = [r for r in manifest if r["format"] == fmt and r["representative"]]
    ids = {read_shortcut(CORPUS / r["path"]).fingerprint(): r["group"] for r in rows}
    assert len(ids) == len({r["group"] for r in rows})
