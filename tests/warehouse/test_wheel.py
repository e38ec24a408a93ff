"""A plain (non-editable) install from a wheel builds and publishes: schema.sql and the prompts ship
inside the package, nothing is read from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import RAW, ROOT

pytestmark = pytest.mark.timeout(600)


def test_a_wheel_in_a_fresh_venv_builds_and_publishes(tmp_path: Path) -> None:
    src = tmp_path / "src"  # build from a copy, so the checkout gets no build/ or egg-info
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("workflowbench", "flows"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                    str(src)], check=True)
    [wheel] = (tmp_path / "dist").glob("workflowbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "workflowbench/warehouse/schema.sql" in names and "workflowbench/llm/prompts/query.user.md" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-deps", str(wheel)], check=True)
    # The dependencies come from this environment's site-packages, added as a plain path: its .pth
    # files (the editable install of the checkout among them) are not processed.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    shutil.copytree(RAW, work / "shortcuts")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PREFECT_", "OPENAI_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    where = subprocess.run([str(python), "-c", "import workflowbench, flows; print(workflowbench.__file__)"],
                           cwd=work, env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    run = subprocess.run([str(venv / "bin" / "workflowbench"), "build", "--source", "shortcuts", "--warehouse",
                          "out/w.duckdb"], cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Error logging to API" not in run.stderr  # logs were sent before the temporary server stopped
    result = json.loads(run.stdout)
    assert result["shortcuts"] == 17 and result["samples"] == {"ok": 17} and result["code"]["failed"] == 0
    assert (work / "out" / "w.duckdb").is_file()
    query = subprocess.run([str(venv / "bin" / "workflowbench"), "sql",
                            "SELECT count(*) AS n FROM verdicts WHERE gate = 'min-actions'",
                            "-w", "out/w.duckdb", "-f", "json"], cwd=work, env=env, check=True,
                           capture_output=True, text=True)
    assert json.loads(query.stdout) == [{"n": 17 + 28}]  # the seeds and the default 28 synthetic samples
