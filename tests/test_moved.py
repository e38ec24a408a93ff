"""The module paths from before the package was split into layers still import, as the very same
modules, and ``python -m workflowbench.samples`` still runs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workflowbench.moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_paths_are_the_new_modules(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)


def test_names_the_readme_documents() -> None:
    from workflowbench.ingest import discover
    from workflowbench.to_code import transpile
    from workflowbench.transpile_stage import TRANSPILER_VERSION

    from workflowbench.llm import run

    assert callable(run) and callable(transpile) and callable(discover) and len(TRANSPILER_VERSION) == 12


def test_old_module_entry_point_runs() -> None:
    for module in ("workflowbench.samples", "workflowbench.examples"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, (module, done.stderr[-500:])
        assert done.stdout.startswith("usage: python -m workflowbench.examples [-h] [out]")
