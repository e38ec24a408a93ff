"""Prompts live as files next to this module (``<name>.system.md``, ``<name>.user.md``,
``<name>.schema.json``); a prompt's version is the hash of its files, so editing a prompt changes
every fingerprint that uses it and a rerun asks again. Templates use ``$name`` placeholders
(``string.Template``) because the code they carry is full of braces."""

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

    def messages(self, **values: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": Template(self.user).substitute(values)}]


@functools.cache
def load(name: str) -> Prompt:
    files = [HERE / f"{name}.system.md", HERE / f"{name}.user.md", HERE / f"{name}.schema.json"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"prompt {name!r}: missing {', '.join(missing)} in {HERE}")
    texts = [f.read_text(encoding="utf-8") for f in files]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:12]
    return Prompt(name, texts[0].strip(), texts[1].strip(), json.loads(texts[2]), f"{name}-{digest}")
