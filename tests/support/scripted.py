"""A scripted model for the thoughts, expand and annotate prompts, for the test server: it answers
each prompt with what its instructions ask for."""

from __future__ import annotations

import re
from typing import Any

from workflowbench.llm.client import REPAIR
from workflowbench.synth.annotate import plan_steps

LINES = re.compile(r"these lines: ([\d, ]+)\.")
STUB = re.compile(r"^def (\w+)\(", re.MULTILINE)


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """A scripted model: answers each prompt with what its instructions ask for."""
    fmt = body.get("response_format") or {}
    name = fmt.get("json_schema", {}).get("name") if fmt.get("type") == "json_schema" else None
    text = body["messages"][-1]["content"] if name else "\n".join(m["content"] for m in body["messages"])
    # the request: the last user turn that is not a repair request (an earlier one is a worked example)
    first_user = [m["content"] for m in body["messages"] if m["role"] == "user"
                  and not m["content"].startswith(REPAIR.partition("(")[0])][-1]
    if name == "expand" or "Write the new request." in first_user:
        theme = re.search(r"^Theme: (.+)$", first_user, re.MULTILINE)
        return {"query": f"Help me with something about {theme.group(1).lower() if theme else 'my day'} "
                         "and show me what came of it."}
    system = body["messages"][0]["content"]
    if name == "refine" or ("\nPlan:\n" in first_user and "\nCode:\n```python" in first_user):
        plan = first_user.split("\nPlan:\n", 1)[1].split("\n\nCode:\n", 1)[0]
        code = first_user.split("\nCode:\n```python\n", 1)[1].rsplit("\n```", 1)[0]
        return {"plan": plan_steps(plan) or ["**Run** the workflow"], "code": code + "\n"}  # as it was
    if name == "steps" or "Label these lines:" in first_user:
        wanted = re.search(r"Label these lines: ([\d, ]+)\.", first_user)
        assert wanted, "a steps prompt names its lines"
        return {"labels": [{"line": int(n), "label": 1, "reason": "moves the task on"}
                           for n in wanted.group(1).split(",")]}
    if name == "judge" or "Does the code accomplish the request" in first_user:
        return {"verdict": "pass", "reason": "Every part of the request is done with the given actions."}
    if name == "annotate" or "The APIs you may use:" in system:
        functions = STUB.findall(system.partition("The APIs you may use:")[2])
        code = "".join(f"# Do step {i}\n{f}()\n" for i, f in enumerate(functions, start=1))
        return {"plan": [f"**Step {i}** Use the given action" for i in range(1, len(functions) + 1)] or ["**Stop**"],
                "code": code or "# Stop here\nis_workflow_actions_exit()\n"}
    if name == "comments" or (name is None and "these lines:" in first_user):
        found = LINES.search(first_user)
        assert found, "a comments prompt names its lines"
        lines = [int(n) for n in found.group(1).split(",")]
        return {"comments": [{"line": n, "text": f"Explain what line {n} does"} for n in lines]}
    if name == "plan" or "Write the plan" in first_user:
        part = re.search(r"\(Part (\d+) of", first_user)
        return {"steps": [f"**Part {part.group(1) if part else 1}** Follow the code", "**Finish** Show the result"]}
    assert "realistic request" in text or "realistic request" in first_user
    return {"query": "Please help me set up something that tidies my day and shows me the result."}
