from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
RAW = ROOT / "raw_shortcuts"


def corpus_manifest() -> list[dict]:
    """The corpus manifest rows, or [] when ../shared is absent (a fresh clone)."""
    manifest = CORPUS / "MANIFEST.jsonl"
    if not manifest.exists():
        return []
    return [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    rows = corpus_manifest()
    if not rows:
        pytest.skip(f"the real-shortcut corpus is not present at {CORPUS} (../shared is only in CI and dev sessions)")
    return rows
