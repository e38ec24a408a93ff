"""The worked example each thoughts prompt carries: its user turns are what the prompts of samples
show today (the training view, the same builders), and its answers meet the figures a training-grade
sample must meet."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.thoughts.test_offline import with_comments
from workflowbench.quality import Tally
from workflowbench.stages.thoughts import ThoughtsSettings
from workflowbench.thoughts.examples import example_files, example_seed, stored
from workflowbench.thoughts.llm_backend import PROMPTS, _check_comments
from workflowbench.thoughts.offline import action_lines, leaks


def test_each_prompt_has_an_example_from_one_shortcut_that_regenerates_unchanged() -> None:
    files = stored()
    assert set(files) == set(PROMPTS)
    [source] = {d["source"] for d in files.values()}
    again = example_files(ROOT / source, {n: d["answer"] for n, d in files.items()}, ThoughtsSettings().budget)
    for name in PROMPTS:  # when this fails: python -m workflowbench.thoughts.examples "<source>"
        assert again[name]["user"] == files[name]["user"], f"{name}.example.json is stale"


def test_the_example_meets_the_training_grade_figures() -> None:
    files = stored()
    [source] = {d["source"] for d in files.values()}
    seed, apis = example_seed(Path(ROOT / source))
    assert seed.code.general == 0 and "is_workflow_actions_conditional(" not in seed.code.code
    assert "if " in seed.code.code  # the plan shows a block as one step with sub-points
    lines = sorted(action_lines(seed.code))
    answer = files["comments"]["answer"]
    assert _check_comments(lines)(answer) is None
    comments = {c["line"]: c["text"] for c in answer["comments"]}
    steps = files["plan"]["answer"]["steps"]
    assert any("\n   - " in s for s in steps) and all(s.startswith("**") for s in steps)
    query = files["query"]["answer"]["query"]
    assert leaks(query, seed, apis) == []
    tally = Tally()
    plan = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))
    tally.add(query, plan, with_comments(seed.code.code, comments), seed.name, len(seed.workflow.actions))
    q = tally.figures()
    assert q["plan_lines_copied"] == 0 and q["queries_quoting_title"] == 0
    assert q["comments_naming_wf_keys"] == 0 and q["x_to_x_comments"] == 0
    assert q["label_annotations"] == 0 and q["call_form_conditions"] == 0 and q["numbered_names"] == 0
    assert q["long_string_tokens"] == 0 and q["samples_with_byte_literals"] == 0
