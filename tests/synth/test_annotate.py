"""The annotator's answer is read strictly: the JSON object or WorkflowLLM's Thought/Code form, code
that parses and maps to a workflow; anything else is a recorded reason, never a guess."""

from __future__ import annotations

import json

import pytest

from workflowbench.llm.prompts import load
from workflowbench.synth.annotate import Annotation, Unusable, answer_text, messages, plan_steps, read_answer

SCHEMA = load("annotate").schema
CODE = ("# Ask for a city.\ncity = is_workflow_actions_ask(WFAskActionPrompt='City?')\n"
        "# Show it.\nis_workflow_actions_showresult(Text=f'''Weather in {city}''')\n")
STEPS = ["**Ask**: the city into `city`.", "**Show**:\n   - the weather in the city"]


@pytest.mark.parametrize("form", ["thought-code", "json"])
def test_both_forms_read_back_to_the_plan_code_and_workflow(form: str) -> None:
    got = read_answer(answer_text(STEPS, CODE, form), SCHEMA)  # type: ignore[arg-type]
    assert isinstance(got, Annotation) and got.form == form
    assert list(got.plan) == STEPS and got.code == CODE
    assert [a.identifier for a in got.workflow.actions] == ["is.workflow.actions.ask", "is.workflow.actions.showresult"]


def test_the_thought_code_form_as_a_fine_tuned_model_writes_it() -> None:
    text = ("Thought: 1. Ask the user for a city.\n2. Show the weather.\nCode:\n```python\n" + CODE + "```\n")
    got = read_answer(text, SCHEMA)
    assert isinstance(got, Annotation) and got.plan == ("Ask the user for a city.", "Show the weather.")
    assert plan_steps("no numbers here") == ["no numbers here"]


@pytest.mark.parametrize(("text", "reason"), [
    ("Here is your workflow: it asks for a city.", "not-an-answer"),
    ("Thought: 1. a\nCode:\n```python\n" + CODE + "```\nHope this helps!", "not-an-answer"),
    ("Thought: 1. a\nCode:\n```python\n" + CODE + "```\n```python\nx = 1\n```", "not-an-answer"),
    (json.dumps({"plan": ["a"]}), "schema"),
    (json.dumps({"plan": [], "code": CODE}), "schema"),
    ('{"plan": ["a"], "code": ', "not-an-answer"),
    (json.dumps({"plan": ["a"], "code": "city = is_workflow_actions_ask(\n"}), "syntax"),
    (json.dumps({"plan": ["a"], "code": "while True:\n    pass\n"}), "unmapped"),
    (json.dumps({"plan": ["a"], "code": "# only a note\n"}), "no-actions"),
])
def test_unusable_answers_say_why(text: str, reason: str) -> None:
    got = read_answer(text, SCHEMA)
    assert isinstance(got, Unusable) and got.reason == reason, got


def test_the_request_carries_the_instructions_the_stubs_and_the_query() -> None:
    chat = messages(load("annotate"), "What's the weather in Oslo?", ["def is_workflow_actions_ask(): ...\n"])
    assert [m["role"] for m in chat] == ["system", "user"]
    system = chat[0]["content"]
    assert system.startswith(load("annotate").system) and "def is_workflow_actions_ask" in system
    assert chat[1]["content"] == "What's the weather in Oslo?"
