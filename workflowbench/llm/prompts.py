"""Prompts live as files next to this module (``<name>.system.md``, ``<name>.user.md``,
``<name>.schema.json`` and optionally ``<name>.example.json``, one worked example sent as an earlier
user turn and its answer, as WorkflowLLM's prompts carried one); a prompt's version is the hash of
its files, so editing a prompt changes every fingerprint that uses it and a rerun asks again.
Templates use ``$name`` placeholders (``string.Template``) because the code they carry is full of
braces."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

HERE = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str
    schema: dict[str, Any]
    version: str
    example: tuple[str, str] | None = None  # (user turn, answer as JSON text)

    def messages(self, **values: str) -> list[dict[str, str]]:
        shown = []
        if self.example is not None:
            shown = [{"role": "user", "content": self.example[0]}, {"role": "assistant", "content": self.example[1]}]
        return [{"role": "system", "content": self.system}, *shown,
                {"role": "user", "content": Template(self.user).substitute(values)}]


@functools.cache
def load(name: str) -> Prompt:
    files = [HERE / f"{name}.system.md", HERE / f"{name}.user.md", HERE / f"{name}.schema.json"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"prompt {name!r}: missing {', '.join(missing)} in {HERE}")
    texts = [f.read_text(encoding="utf-8") for f in files]
    example_file = HERE / f"{name}.example.json"
    example = None
    if example_file.is_file():
        texts.append(example_file.read_text(encoding="utf-8"))
        data = json.loads(texts[-1])
        example = (data["user"], json.dumps(data["answer"], ensure_ascii=False))
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:12]
    return Prompt(name, texts[0].strip(), texts[1].strip(), json.loads(texts[2]), f"{name}-{digest}", example)
