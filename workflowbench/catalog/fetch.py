"""Put a local copy of the public catalogs in the layout ``read_catalogs`` reads.

None of these files is part of the repository. ``fetch_from(source, target)`` copies them from a
local directory (a checkout of the original repositories, or a copy like ``../shared/catalogs``),
checking each file against the SHA-256 of the version this catalog was built and tested with.
A file whose bytes differ is refused unless ``accept_changed`` is set (then it is copied and
reported). Some originals ship as Python pickles: those are read by ``load_pickle``, which admits
plain containers, strings and numbers only and refuses anything that would import or call code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The layout, and the SHA-256 of the files the catalog is tested with (see tests/test_catalog_stage.py).
LAYOUT: dict[str, str] = {
    "scpl/App_Identifiers.json": "e4f907e1bb52adb31db672cf434bb2a7c0ad4ca8f4145f727c6b7361d8996106",
    "scpl/OutActions.json": "843fd8b969e6374e0533c29ba422e7bdb8360e47d7dc07ed869e0e369b0ff043",
    "scpl/WFActions_Shortcuts_2.2.json": "208a55253ebb29139998b3779e2566ed86f693dc0fbf5df3ba0e594452da3410",
    "shortcutsbench/2_all_detailed_identifiers.json":
        "13cad48abab6e000eb23c8eccca7e514d876bcb14661d1b5d4949ab3c086c0c7",
    "shortcutsbench/all_api2info.json": "48ce7e362c8c739256b8e7f2807d8e38b61af3b74010d275c7dbb28800f0f270",
    "shortcutsbench/all_api2paraname2paratype.json": "13d51d557e70a84f6873f6d4a14e445764f27507ab556c8e6421981983fbefc3",
    "shortcutsbench/all_api2parasummary.json": "309488b2d5a2d2f9311d37f102a684cc104b0c8d3b651d8e376d3687f024caea",
    "workflowllm/api_categories.json": "cd4ccecd6085b12a0d5d5d43cd07204320cdc2f0e5592bd5c9b0692ed88c47d0",
    "workflowllm/api_docs.json": "b1bbfc427e818317b63bfd633803e73d57d2fdc069233f9ebf2e74bf23c2fd87",
    "workflowllm/api_key_params.json": "fdbb904a77e23ab185fb7713900056853ee4b208f60dc7e028857e33ed0b7ecb",
    "workflowllm/api_stubs.json": "5b908c67861c431c50d5c99e4e5929c0607cb021e8588c802d7e40b8099dcc31",
    "workflowllm/apis_with_output.json": "93d0ccb721c9cfc806e526911cf214d7e480366e1c7b7779e23272861359eab5",
}
LICENSES = ("scpl/LICENSE", "shortcutsbench/LICENSE", "workflowllm/LICENSE")

_PLAIN = (dict, list, tuple, str, bytes, int, float, bool, type(None))


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Every global a pickle names (a class, a function) is refused: plain data needs none.
        raise pickle.UnpicklingError(f"refused: the pickle refers to {module}.{name}")


def load_pickle(data: bytes) -> Any:
    """A pickle's plain data (dicts, lists, tuples, strings, numbers), without running anything."""
    value = _PlainUnpickler(io.BytesIO(data)).load()
    stack = [value]
    while stack:  # persistent ids and reducers are refused above; check what came out all the same
        v = stack.pop()
        if not isinstance(v, _PLAIN):
            raise pickle.UnpicklingError(f"refused: {type(v).__name__} is not plain data")
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return value


@dataclass
class Fetched:
    copied: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # bytes differ from the tested version
    missing: list[str] = field(default_factory=list)


def fetch_from(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
               accept_changed: bool = False) -> Fetched:
    """Copy the catalog files from ``source`` into ``target`` (same layout; a ``.pkl`` with the same
    stem is converted to JSON). Refuses changed files unless ``accept_changed``."""
    src, dst = Path(source), Path(target)
    out = Fetched()
    staged: list[tuple[str, bytes]] = []
    for rel, digest in LAYOUT.items():
        path = src / rel
        pkl = path.with_suffix(".pkl")
        if path.is_file():
            data = path.read_bytes()
        elif pkl.is_file():
            data = json.dumps(load_pickle(pkl.read_bytes()), ensure_ascii=False).encode()
        else:
            out.missing.append(rel)
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            out.changed.append(rel)
        staged.append((rel, data))
    if out.changed and not accept_changed:
        return out
    for rel, data in staged:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        (dst / rel).write_bytes(data)
        out.copied.append(rel)
    for rel in LICENSES:
        if (src / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, dst / rel)
    return out
