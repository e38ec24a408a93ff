"""A hostile folder: every entry discovery finds is either ingested or has a rejects row with its
reason, and every good file is in the warehouse."""

from __future__ import annotations

import json
import os
import plistlib
from pathlib import Path

import pytest

from tests.support import aea
from tests.support.shortcuts import tiny_workflow
from workflowbench import warehouse as wh
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings, discover, shown


def encodings(name: str) -> dict[str, bytes]:
    """One shortcut in every container the reader knows."""
    wf = tiny_workflow(name, 3)
    inner = plistlib.dumps(wf, fmt=plistlib.FMT_BINARY)
    return {"bplist.shortcut": inner, "xml.plist": plistlib.dumps(wf), "export.json": json.dumps(wf).encode(),
            "signed.shortcut": aea.make_signed(inner),
            "old.wflow": plistlib.dumps({**wf, "WFWorkflowClientRelease": "2.1"}, fmt=plistlib.FMT_BINARY)}


def hostile(folder: Path) -> set[str]:
    """The folder; returns the good files' paths."""
    folder.mkdir()
    good = set()
    for i, (name, data) in enumerate(encodings("good").items()):
        path = folder / f"good-{name}"
        path.write_bytes(data)
        good.add(str(path))
        (folder / f"cut-{name}").write_bytes(data[: len(data) * 2 // 3])
        flipped = bytearray(data)
        flipped[len(data) // 2 + i] ^= 0x55
        (folder / f"flip-{name}").write_bytes(bytes(flipped))
    latin = os.path.join(os.fsdecode(folder), os.fsdecode(b"caf\xe9.shortcut"))  # not valid UTF-8
    Path(latin).write_bytes(plistlib.dumps(tiny_workflow("latin"), fmt=plistlib.FMT_BINARY))
    good.add(latin)
    (folder / "loop.shortcut").symlink_to("loop.shortcut")
    (folder / "ping.shortcut").symlink_to("pong.shortcut")
    (folder / "pong.shortcut").symlink_to("ping.shortcut")
    (folder / "gone.shortcut").symlink_to("nowhere.shortcut")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.json").write_text(json.dumps(tiny_workflow("deep")))
    good.add(str(folder / "sub" / "deep.json"))
    (folder / "to-sub").symlink_to("sub")
    (folder / "link.shortcut").symlink_to("sub/deep.json")
    good.add(str(folder / "link.shortcut"))
    (folder / "bundle.shortcut").mkdir()
    (folder / "bundle.shortcut" / "inside.json").write_text("{}")
    (folder / ".shortcut").mkdir()
    (folder / "bare.json").write_text(json.dumps({"hello": "world"}))
    os.mkfifo(folder / "pipe.shortcut")
    (folder / "empty.shortcut").write_bytes(b"")
    return good


@pytest.mark.timeout(120)
def test_every_entry_is_ingested_or_rejected_with_its_reason(tmp_path: Path) -> None:
    good = hostile(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    found = discover([tmp_path / "in"])
    run_stage(INGEST, target, IngestSettings(sources=(str(tmp_path / "in"),), batch_size=7))
    wh.publish(target)
    with wh.connect(target) as con:
        files = {p for (p,) in con.execute("SELECT path FROM files").fetchall()}
        rejects = dict(con.execute("SELECT path, reason FROM rejects WHERE stage = 'ingest'").fetchall())
        latin = con.execute("SELECT name FROM shortcuts WHERE source_path LIKE '%caf%'").fetchone()
    entries = {shown(f.path) for f in found}
    print(f"\n{len(entries)} entries: {len(files)} ingested, {len(rejects)} rejected")
    assert files | set(rejects) == entries and not files & set(rejects)  # one row each
    assert {shown(p) for p in good} <= files
    assert latin == ("caf\\xe9",)
    name = {Path(p).name: r for p, r in rejects.items()}
    assert name["loop.shortcut"] == name["ping.shortcut"] == name["pong.shortcut"] == "link-loop"
    assert name["gone.shortcut"] == "dangling-link" and name["to-sub"] == "linked-folder"
    assert name["bundle.shortcut"] == name[".shortcut"] == name["pipe.shortcut"] == "not-a-file"
    assert name["bare.json"] == "no-workflow-actions"
    for kind in ("bplist.shortcut", "xml.plist", "export.json", "signed.shortcut", "old.wflow"):
        assert f"cut-{kind}" in name, kind  # every truncated copy is refused
        assert f"flip-{kind}" in name or any(p.endswith(f"flip-{kind}") for p in files)
    assert "inside.json" not in " ".join(entries)  # a folder named like a file is not looked into
