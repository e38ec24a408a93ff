"""``workflowbench crawl routinehub | icloud | status`` against the fake sites."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.support.sites import FakeShortcut, FakeSites
from workflowbench.cli import app
from workflowbench.crawl.state import open_state

runner = CliRunner()


def options(sites: FakeSites) -> list[str]:
    return ["--delay", "0", "--jitter", "0", "--backoff", "0", "--icloud-url", sites.icloud_url,
            "--content-host", sites.content_host]


def test_crawl_commands(examples: list[FakeShortcut], tmp_path: Path) -> None:
    folder, links = tmp_path / "rh", tmp_path / "links.txt"
    first, last = examples[0].sid, examples[5].sid
    with FakeSites(examples) as sites:
        done = runner.invoke(app, ["crawl", "routinehub", "--to", str(folder), "--ids", f"{first}-{last}",
                                   "--routinehub-url", sites.routinehub_url, "--format", "json", *options(sites)])
        assert done.exit_code == 0, done.output
        summary = json.loads(done.stdout)
        assert (summary["new"], summary["gone"], summary["failed"]) == (6, 10, 0)
        assert len(list(folder.glob("*.shortcut"))) == len(list(folder.glob("*.shortcut.meta.json"))) == 6
        assert "6 new" in done.stderr and "requests" in done.stderr

        status = runner.invoke(app, ["crawl", "status", "--to", str(folder), "--format", "json"])
        assert status.exit_code == 0 and json.loads(status.stdout)["status"] == {"gone": 10, "ok": 6}
        assert json.loads(status.stdout)["errors"] == {"not-found": 10}

        links.write_text("".join(f"https://www.icloud.com/shortcuts/{s.rid}\n" for s in examples[6:9]))
        icloud = runner.invoke(app, ["crawl", "icloud", "--urls", str(links), "--to", str(tmp_path / "ic"),
                                     *options(sites)])
        assert icloud.exit_code == 0, icloud.output
        assert "| new | 3 |" in icloud.stdout and len(list((tmp_path / "ic").glob("*.shortcut"))) == 3

        sites.fault("api", examples[9].sid, "500", times=None)  # every shortcut asked about fails: status 1
        failed = runner.invoke(app, ["crawl", "routinehub", "--to", str(tmp_path / "x"), "--ids",
                                     f"{examples[9].sid}-{examples[9].sid}", "--attempts", "2",
                                     "--routinehub-url", sites.routinehub_url, *options(sites)])
        assert failed.exit_code == 1 and "| http-500 | 1 |" in failed.stdout

        with open_state(folder):  # one crawl at a time per folder
            busy = runner.invoke(app, ["crawl", "routinehub", "--to", str(folder), "--ids", "1-2",
                                       "--routinehub-url", sites.routinehub_url, *options(sites)])
        assert busy.exit_code == 2 and "another crawl" in busy.stderr


def test_bad_arguments(tmp_path: Path) -> None:
    for args in (["--ids", "9-3"], ["--ids", "x"], ["--ids", "1-2", "--category", "games"], ["--delay", "-1"]):
        result = runner.invoke(app, ["crawl", "routinehub", "--to", str(tmp_path), *args])
        assert result.exit_code == 2, args
    empty = tmp_path / "none.txt"
    empty.write_text("nothing here")
    result = runner.invoke(app, ["crawl", "icloud", "--urls", str(empty), "--to", str(tmp_path)])
    assert result.exit_code == 2 and "no iCloud shortcut link" in result.stderr
    result = runner.invoke(app, ["crawl", "status", "--to", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no crawl state" in result.stderr
