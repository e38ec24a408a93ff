"""Old module paths from before the package was split into layers, kept importable: importing
``workflowbench.to_code`` gives the very module ``workflowbench.code.to_code`` (not a copy), so
existing code and ``python -m workflowbench.samples`` keep working."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

MOVED = {
    **{f"workflowbench.{m}": f"workflowbench.shortcut.{m}"
       for m in ("bplist", "containers", "controlflow", "errors", "model", "reader", "values", "writer")},
    **{f"workflowbench.{m}": f"workflowbench.code.{m}"
       for m in ("compile", "from_code", "inputs", "literals", "names", "roundtrip", "to_code")},
    "workflowbench.ingest": "workflowbench.stages.ingest",
    "workflowbench.transpile_stage": "workflowbench.stages.transpile",
    "workflowbench.catalog.stage": "workflowbench.stages.catalog",
    "workflowbench.thoughts.stage": "workflowbench.stages.thoughts",
    "workflowbench.thoughts.llm": "workflowbench.thoughts.llm_backend",
    "workflowbench.samples": "workflowbench.examples.shortcuts",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        sys.modules[self.target] = module  # already executed under its own name

    def get_code(self, fullname: str) -> object:  # for ``python -m <old name>``
        spec = importlib.util.find_spec(self.target)
        assert spec is not None and isinstance(spec.loader, importlib.abc.InspectLoader)
        return spec.loader.get_code(self.target)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        real = importlib.util.find_spec(new)
        return importlib.machinery.ModuleSpec(fullname, _Alias(new), origin=real.origin if real else None)


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
