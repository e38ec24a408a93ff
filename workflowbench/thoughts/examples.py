"""The worked example each thoughts prompt carries (``llm/prompts/<name>.example.json``).

The example's user turns are made by the same code as every request, from one shortcut of
``raw_shortcuts/`` with the catalog a default build has, so they show the training view exactly as
the prompts of samples do. Its answers are the file's own (edited by hand, from the offline
thoughts, which fill in whatever answer is missing). After a change to the view, to the offline
thoughts' inputs or to a prompt template, write the user turns again and keep the answers::

    python -m workflowbench.thoughts.examples "raw_shortcuts/Battery Saver.shortcut"

``--offline`` replaces the answers with the offline thoughts (to start a new example).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..catalog.build import build_catalog
from ..code.names import function_name
from ..code.view import training_view
from ..llm.prompts import HERE, load
from ..shortcut.reader import read_shortcut
from . import offline
from .base import ApiDoc, Seed
from .chunks import split
from .llm_backend import PROMPTS, comments_messages, plan_messages, query_messages
from .offline import action_lines


def example_seed(path: Path) -> tuple[Seed, dict[str, ApiDoc]]:
    """The seed of ``path`` as a default build of its folder sees it: the catalog of the folder's
    shortcuts, the training view with that catalog's output labels."""
    shortcuts = [read_shortcut(p) for p in sorted(path.parent.glob("*.shortcut"))]
    apis = {a.identifier: ApiDoc(a.identifier, function_name(a.identifier), a.name, a.description,
                                 {p.key: p.label for p in a.params if p.label}, a.output_name)
            for a in build_catalog(None, shortcuts).apis}
    wf = read_shortcut(path)
    view = training_view(wf, labels=lambda ident: apis[ident].output_name if ident in apis else None)
    return Seed("example", wf.name, view.workflow, view.code, None), apis


def example_files(path: Path, answers: Mapping[str, Any], budget_tokens: int) -> dict[str, dict[str, Any]]:
    """The example of each thoughts prompt for the shortcut at ``path``: its user turn and its
    answer (``answers[name]``, or the offline thoughts' where there is none)."""
    seed, apis = example_seed(path)
    lines = action_lines(seed.code)
    chunks = split(seed.code.code, sorted(lines), budget_tokens)
    if len(chunks) != 1:
        raise ValueError(f"{path}: an example must fit one request ({len(chunks)} pieces)")
    [chunk] = chunks
    th = offline.think(seed, apis)
    source = f"{path.parent.name}/{path.name}"
    out: dict[str, dict[str, Any]] = {}
    got = answers.get("comments") or {"comments": [{"line": n, "text": th.comments[n]} for n in chunk.lines]}
    out["comments"] = {"source": source, "user": comments_messages(load("comments"), seed, chunk, lines, apis)[-1]
                       ["content"], "answer": got}
    comments = {c["line"]: c["text"] for c in got["comments"]}
    got = answers.get("plan") or {"steps": th.plan}
    out["plan"] = {"source": source, "user": plan_messages(load("plan"), seed, comments, chunk)[-1]["content"],
                   "answer": got}
    got = answers.get("query") or {"query": th.query}
    out["query"] = {"source": source, "user": query_messages(load("query"), seed, out["plan"]["answer"]["steps"],
                                                             apis, budget_tokens)[-1]["content"], "answer": got}
    return out


def stored() -> dict[str, dict[str, Any]]:
    """The example files as they are."""
    return {name: json.loads((HERE / f"{name}.example.json").read_text(encoding="utf-8"))
            for name in PROMPTS if (HERE / f"{name}.example.json").is_file()}


def main(argv: list[str] | None = None) -> None:
    from ..stages.thoughts import ThoughtsSettings  # the stage's default budget; the stage imports this package

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shortcut", type=Path)
    parser.add_argument("--offline", action="store_true", help="answer with the offline thoughts")
    args = parser.parse_args(argv)
    source = f"{args.shortcut.parent.name}/{args.shortcut.name}"
    old = stored()
    answers = {} if args.offline else {n: d["answer"] for n, d in old.items() if d.get("source") == source}
    for name, data in example_files(args.shortcut, answers, ThoughtsSettings().budget).items():
        (HERE / f"{name}.example.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")
        print(f"{name}: {len(data['user']):,} characters; answer {'kept' if name in answers else 'offline'}")


if __name__ == "__main__":
    main()
