"""The judge against the project's test server (real ``openai`` client, real HTTP on 127.0.0.1):
pass keeps, fail drops with the judge's reason; a timeout, garbage or a 5xx is ``unknown``, never
``fail``; two judges that disagree are ``unknown``; offline every verdict is ``unknown``; samples an
earlier gate dropped are not judged; a rerun sends no request."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAW
from tests.support.llm_server import Fault, LLMServer
from tests.support.scripted import answer as scripted
from workflowbench import warehouse as wh
from workflowbench.llm import LLMConfig
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.judge import JUDGE, JudgeSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.warehouse.reader import ShardReader

SEEDS = len(list(RAW.glob("*.shortcut")))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("judged") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    return target


@pytest.fixture
def warehouse(seeded: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(wh.parts_dir(seeded), wh.parts_dir(tmp_path / "w.duckdb"))
    yield tmp_path / "w.duckdb"


def judge(server: LLMServer, model: str = "judge-model", **options: Any) -> LLMConfig:
    return LLMConfig(server.url, model, **({"timeout": 2.0, "attempts": 2, "max_wait": 0.05} | options))


def verdicts(target: Path) -> dict[str, tuple[str, str, str]]:
    return {s: (v, r, d) for s, v, r, d in ShardReader(target).rows(
        "verdicts", "sample_id, verdict, reason, detail", where="gate = 'judge'")}


def queries(target: Path) -> dict[str, str]:
    return dict(ShardReader(target).rows("samples", "sample_id, query", where="status = 'ok'"))


def test_offline_every_verdict_is_unknown(warehouse: Path) -> None:
    run_stage(JUDGE, warehouse, JudgeSettings())
    got = verdicts(warehouse)
    assert len(got) == SEEDS and {v[:2] for v in got.values()} == {("unknown", "offline")}


def test_pass_keeps_fail_drops_and_faults_are_unknown(warehouse: Path) -> None:
    asked = queries(warehouse)
    ids = sorted(asked)
    failing, slow, garbage, broken = ids[:4]

    def model(body: dict[str, Any]) -> Any:
        if asked[failing] in body["messages"][-1]["content"]:
            return {"verdict": "fail", "reason": "It never shows the result."}
        if asked[garbage] in "\n".join(m["content"] for m in body["messages"]):
            return "I think it is fine"
        return scripted(body)

    def mine(sample: str) -> Any:
        return lambda body: asked[sample] in "\n".join(m["content"] for m in body["messages"])

    with LLMServer(answer=model) as server:
        server.script(Fault.slow(5.0), Fault.slow(5.0), when=mine(slow))
        server.script(Fault.server_error(503), Fault.server_error(503), when=mine(broken))
        run_stage(JUDGE, warehouse, JudgeSettings(llm=judge(server), steps=False))
        bodies = list(server.bodies)
    got = verdicts(warehouse)
    assert got[failing] == ("drop", "judge-fail", "It never shows the result.")
    assert got[slow][:2] == got[garbage][:2] == got[broken][:2] == ("unknown", "judge-error")
    assert "503" in got[broken][2]
    assert all(v[:2] == ("keep", "judge-pass") for s, v in got.items() if s not in (failing, slow, garbage, broken))
    stubs = dict(ShardReader(warehouse).rows("apis", "identifier, stub"))
    code = dict(ShardReader(warehouse).rows("samples", "sample_id, workflow_code"))
    apis = dict(ShardReader(warehouse).rows("samples", "sample_id, apis"))
    [body] = [b for b in bodies if asked[ids[5]] in b["messages"][-1]["content"]]
    text = body["messages"][-1]["content"]
    assert code[ids[5]].strip() in text and all(stubs[a].strip() in text for a in apis[ids[5]] if a in stubs)


def test_two_judges_must_agree_and_a_rerun_asks_nothing(warehouse: Path) -> None:
    asked = queries(warehouse)
    doubted = sorted(asked)[0]

    def strict(body: dict[str, Any]) -> Any:
        if body["model"] == "second" and asked[doubted] in body["messages"][-1]["content"]:
            return {"verdict": "fail", "reason": "The second judge disagrees."}
        return scripted(body)

    with LLMServer(answer=strict) as server:
        settings = JudgeSettings(llm=judge(server), second=judge(server, "second"), steps=False)
        run_stage(JUDGE, warehouse, settings)
        sent = server.requests
        run_stage(JUDGE, warehouse, settings)
        assert sent == 2 * SEEDS and server.requests == sent
    got = verdicts(warehouse)
    assert got[doubted][:2] == ("unknown", "judges-disagree") and "second judge disagrees" in got[doubted][2]
    assert sum(v[0] == "keep" for v in got.values()) == SEEDS - 1


def test_samples_an_earlier_gate_dropped_are_not_judged(warehouse: Path) -> None:
    run_stage(MIN_ACTIONS, warehouse, MinActionsSettings(min_actions=10))
    dropped = {s for (s,) in ShardReader(warehouse).rows("verdicts", "sample_id", where="verdict = 'drop'")}
    assert 0 < len(dropped) < SEEDS
    with LLMServer(answer=scripted) as server:
        run_stage(JUDGE, warehouse, JudgeSettings(llm=judge(server), steps=False))
        assert server.requests == SEEDS - len(dropped)
    assert set(verdicts(warehouse)) == set(queries(warehouse)) - dropped


def test_the_judge_labels_every_step_and_a_step_it_leaves_out_is_neutral_and_flagged(warehouse: Path) -> None:
    asked = queries(warehouse)
    partial = sorted(asked)[1]

    def model(body: dict[str, Any]) -> Any:
        data = scripted(body)
        if "labels" in data and asked[partial] in body["messages"][-1]["content"]:
            data["labels"] = [{**x, "label": -1, "reason": "wrong"} for x in data["labels"][:1]]  # only the first
        return data

    with LLMServer(answer=model) as server:
        run_stage(JUDGE, warehouse, JudgeSettings(llm=judge(server)))
        steps = [b for b in server.bodies if "Label these lines:" in b["messages"][-1]["content"]]
    labels = ShardReader(warehouse).rows("step_labels", "sample_id, position, line, label, reason",
                                          where="source = 'judge'", order="sample_id, position")
    by: dict[str, list[tuple[int, int, int, str]]] = {}
    for sid, position, line, label, reason in labels:
        by.setdefault(sid, []).append((position, line, label, reason))
    assert len(steps) == len(by) == SEEDS
    for sid, rows in by.items():
        assert [p for p, *_ in rows] == list(range(len(rows)))
        if sid == partial:
            first_line = rows[0][1]
            assert all(lb == -1 for _, line, lb, _ in rows if line == first_line)
            assert all((lb, why) == (0, "not-labelled") for _, line, lb, why in rows if line != first_line)
        else:
            assert {lb for _, _, lb, _ in rows} == {1}
    code = dict(ShardReader(warehouse).rows("samples", "sample_id, workflow_code"))
    [body] = [b for b in steps if asked[partial] in b["messages"][-1]["content"]]
    numbered = body["messages"][-1]["content"]
    assert all(f"{line:>5}| " in numbered for _, line, _, _ in by[partial])
    assert code[partial].splitlines()[0] in numbered
