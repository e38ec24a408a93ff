"""The offline thoughts backend: comments for exactly the action lines, a bounded plan that follows the
blocks, and a query that names no code; on built workflows and over ../shared/corpus when present."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping

import pytest

from tests.conftest import CORPUS, SHARED
from tests.support.shortcuts import block as act
from workflowbench import read_shortcut
from workflowbench.catalog.model import Api
from workflowbench.code.names import function_name
from workflowbench.code.to_code import blocks, transpile
from workflowbench.code.view import training_view
from workflowbench.examples.shortcuts import GREATER, IS, Builder, build_samples, special, text, var
from workflowbench.quality import Tally
from workflowbench.shortcut.controlflow import Block
from workflowbench.shortcut.model import Action, Workflow
from workflowbench.shortcut.values import Variable
from workflowbench.stages.catalog import build_catalog
from workflowbench.thoughts.base import ApiDoc, Seed, Thoughts
from workflowbench.thoughts.comments import vary
from workflowbench.thoughts.offline import (
    MAX_COMMENT,
    MAX_STEPS,
    action_lines,
    derived_name,
    human_title,
    leaks,
    think,
)

P = "is.workflow.actions."


def api_doc(api: Api) -> ApiDoc:
    return ApiDoc(api.identifier, function_name(api.identifier), api.name, api.description,
                  {p.key: p.label for p in api.params if p.label}, api.output_name)


def seed_of(wf: Workflow, name: str | None = None, sid: str | None = None) -> Seed:
    name = wf.name if name is None else name
    return Seed(sid or name or "empty", name, wf, transpile(wf))


def with_comments(code: str, comments: Mapping[int, str]) -> str:
    """The code with ``# comment`` before each commented line, at that line's indentation."""
    out = []
    for n, line in enumerate(code.split("\n"), start=1):
        if n in comments:
            out.append(line[: len(line) - len(line.lstrip())] + "# " + comments[n])
        out.append(line)
    return "\n".join(out)


def top_blocks(seed: Seed) -> list[Block]:
    return [n for n in blocks(seed.workflow)[0] if type(n) is Block]


def check(seed: Seed, apis: Mapping[str, ApiDoc], th: Thoughts, *, same_ast: bool = True) -> None:
    """Everything the stage relies on, for one seed."""
    lines = action_lines(seed.code)
    assert set(th.comments) == set(lines)
    code_lines = seed.code.code.split("\n")
    for n, comment in th.comments.items():
        assert comment and comment.strip() == comment, (n, comment)
        assert len(comment.splitlines()) == 1 and "\n" not in comment, (n, comment)
        assert not comment.startswith("#") and len(comment) <= MAX_COMMENT, (n, comment)
        assert not code_lines[n - 1].lstrip().startswith("#")
    commented = with_comments(seed.code.code, th.comments)
    tree = ast.parse(commented)
    if same_ast:  # comments are invisible to the syntax tree unless one landed inside a literal
        assert ast.dump(tree) == ast.dump(ast.parse(seed.code.code))
    assert th.plan and all(step.strip() for step in th.plan)
    assert len(th.plan) <= MAX_STEPS
    for step in th.plan:
        assert len(step.split("\n")) <= 20
        assert all(len(line) <= 240 for line in step.split("\n"))
    assert th.query and "\n" not in th.query
    assert leaks(th.query, seed, apis) == [], th.query
    assert len(re.findall(r"[.?!](?=\s|$)", th.query)) <= 3, th.query


_BLOCK_STEP = re.compile(r"\*\*(?:Decide on|Check|Offer a menu|Repeat|Go through each item|Handle every item|"
                         r"Loop over the items)\b")


def blocks_mentioned(seed: Seed, th: Thoughts) -> list[int]:
    """Top-level blocks that have no plan step of their own (only when the plan is not cut)."""
    if th.plan[-1].startswith("…and"):
        return []
    blocks = [b.start for b in top_blocks(seed)]
    steps = [step for step in th.plan if _BLOCK_STEP.match(step)]
    return blocks[len(steps):]


# --- built workflows --------------------------------------------------------------------------------


def if_else() -> Workflow:
    b = Builder("Status Check")
    status = b.add("gettext", {"WFTextActionText": text("done")}, output="Text", custom="Status")
    with b.if_(status, IS, WFConditionalActionString="done") as blk:
        b.add("notification", {"WFNotificationActionBody": text("All done ", status)})
        blk.middle()
        b.add("alert", {"WFAlertActionTitle": "Not yet"})
    return b.workflow(color=1, glyph=1)


def menu() -> Workflow:
    b = Builder("Pick One")
    with b.menu("Pick one", ["High", "Low", "None"]) as blk:
        blk.middle(WFMenuItemTitle="High")
        b.add("number", {"WFNumberActionNumber": 3}, output="Number")
        blk.middle(WFMenuItemTitle="Low")
        b.add("number", {"WFNumberActionNumber": 1}, output="Number")
        blk.middle(WFMenuItemTitle="None")
    assert blk.result is not None
    b.add("showresult", {"Text": text("Priority ", blk.result)})
    return b.workflow(color=1, glyph=1)


def loops() -> Workflow:
    b = Builder("Loops")
    files = b.add("documentpicker.open", {"WFGetFilePath": "notes/"}, output="File", custom="Files")
    with b.repeat_each(files):
        b.add("setvariable", {"WFVariableName": "Current", "WFInput": Variable(var("Repeat Item"))})
        with b.repeat_count(3):
            b.add("appendvariable", {"WFVariableName": "Log", "WFInput": text(var("Current"), " #",
                                                                               var("Repeat Index"))})
    b.add("showresult", {"Text": text(var("Log"))})
    return b.workflow(color=1, glyph=1)


def nested() -> Workflow:
    b = Builder("Nested")
    count = b.add("count", {"Input": Variable(special("Clipboard")), "WFCountType": "Words"}, output="Count")
    with b.if_(count, GREATER, WFNumberValue=10) as outer:
        with b.menu("Shorten?", ["Yes", "No"]) as m:
            m.middle(WFMenuItemTitle="Yes")
            with b.repeat_count(2):
                with b.if_(count, GREATER, WFNumberValue=100):
                    b.add("text.replace", {"WFInput": text(special("Clipboard")), "WFReplaceTextFind": "  ",
                                           "WFReplaceTextReplace": " "}, output="Updated Text")
            m.middle(WFMenuItemTitle="No")
            b.add("exit", {})
        outer.middle()
        b.comment("Short enough.")
    return b.workflow(color=1, glyph=1)


def multiline() -> Workflow:
    """Multi-line literals: before statements, at the end of a body (where the implicit end maps)."""
    b = Builder("Multi")
    first = b.add("gettext", {"WFTextActionText": text("line one\nline two\n    indented\n# not a comment")},
                  output="Text")
    with b.if_(first, IS, WFConditionalActionString="a\nb"):
        b.add("gettext", {"WFTextActionText": text("x\n", first, "\npass\n")}, output="Text")
    b.comment("two\nlines")
    b.add("showresult", {"Text": text(first)})
    with b.repeat_count(2):
        b.add("alert", {"WFAlertActionTitle": text("multi\nline"), "WFAlertActionMessage": "'''"})
    return b.workflow(color=1, glyph=1)


def damaged() -> Workflow:
    raw = [
        act("conditional", 2, "STRAY"),                                        # stray end
        act("repeat.count", 0, "G2", WFRepeatCount=2),                         # mismatched end below
        act("gettext", WFTextActionText="in loop"),
        act("conditional", 2, "G2"),
        act("conditional", 0, "G3", WFCondition=100, WFInput={"Type": "Variable", "Variable": Variable(
            special("Clipboard"))}),
        act("choosefrommenu", 0, "G4", WFMenuItems=["A"], WFMenuPrompt="Pick"),  # interleaved
        act("choosefrommenu", 1, "G4", WFMenuItemTitle="A"),
        act("conditional", 2, "G3"),
        act("choosefrommenu", 2, "G4"),
        act("conditional", WFCondition="Equals", WFConditionalActionString="1"),  # a start without mode
        act("conditional", 1, None),
        act("repeat.each", 0, "G5"),                                            # unclosed
        act("showresult", Text="never closed"),
    ]
    return Workflow(actions=[Action(a["WFWorkflowActionIdentifier"], a["WFWorkflowActionParameters"]) for a in raw],
                    name="Damaged")


def no_catalog_entry() -> Workflow:
    b = Builder("Third Party")
    b.add("com.example.taskly.AddTaskIntent", {"title": text("Buy milk"), "ShowWhenRun": False}, output="Task")
    got = b.add("downloadurl", {"WFURL": text("https://example.com/api")}, output="Contents of URL",
                custom="Response")
    b.add("showresult", {"Text": text(got)})
    return b.workflow(color=1, glyph=1)


def huge(n: int = 625) -> Workflow:
    """5,000 actions: n rounds of eight."""
    b = Builder("Huge")
    for k in range(n):
        t = b.add("gettext", {"WFTextActionText": text(f"item {k}")}, output="Text")
        b.add("setvariable", {"WFVariableName": f"v{k}", "WFInput": Variable(t)})
        with b.if_(t, IS, WFConditionalActionString="item 7") as blk:
            b.add("showresult", {"Text": text(t)})
            blk.middle()
            b.add("alert", {"WFAlertActionTitle": "no"})
        b.comment(f"round {k}")
    return b.workflow(color=1, glyph=1)


def odd_names() -> Workflow:
    b = Builder("Add_Task-v2 (is.workflow.actions.gettext) `x` my_var() \u2028odd\nname")
    t = b.add("gettext", {"WFTextActionText": text("é\u0000\u202e\ud800 text\r\nwith breaks")}, output="Text",
              custom="snake_case name")
    b.add("setvariable", {"WFVariableName": "My Var!", "WFInput": Variable(t)})
    b.add("setvariable", {"WFVariableName": "übung 2", "WFInput": text(var("My Var!"), "🙂")})
    with b.menu(text("Choose\nnow"), ["a\u2029b", "it's", "`code`"]) as blk:
        for title in ("a\u2029b", "it's", "`code`"):
            blk.middle(WFMenuItemTitle=title)
            b.add("alert", {"WFAlertActionTitle": title})
    return b.workflow(color=1, glyph=1)


BUILT = {"if_else": if_else, "menu": menu, "loops": loops, "nested": nested, "multiline": multiline,
         "damaged": damaged, "no_catalog_entry": no_catalog_entry, "odd_names": odd_names}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_built_workflows(name: str) -> None:
    seed = seed_of(BUILT[name]())
    th = think(seed, {})
    check(seed, {}, th)
    assert think(seed, {}) == th
    assert blocks_mentioned(seed, th) == []


def test_samples_get_distinct_queries() -> None:
    samples = build_samples()
    queries = set()
    for stem, wf in samples.items():
        seed = seed_of(wf, stem)
        th = think(seed, {})
        check(seed, {}, th)
        assert blocks_mentioned(seed, th) == []
        queries.add(th.query)
    assert len(queries) == len(samples)


def wordings(text: str) -> set[str]:
    """Every wording the commenter may give a sentence of this shape."""
    return {vary(text, k) for k in range(12)}


def said(text: str, comments: Iterable[str]) -> bool:
    return bool(wordings(text) & set(comments))


def test_comments_describe_the_action() -> None:
    seed = seed_of(if_else())
    th = think(seed, {})
    by_text = {seed.code.code.split("\n")[n - 1].strip(): c for n, c in th.comments.items()}
    assert by_text["if status == 'done':"] in wordings("Check whether `status` equals 'done'.")
    assert by_text["else:"] in wordings("Otherwise, when `status` does not equal 'done':")
    assert said("Show a notification saying 'All done {status}'.", th.comments.values())
    assert th.comments[1] in wordings("Write the text 'done' and keep the text as `status`.")
    th = think(seed_of(menu()), {})
    assert said("Offer a menu titled 'Pick one' with 3 options.", th.comments.values())
    assert said("Handle the menu option 'High':", th.comments.values())
    assert th.plan[0].startswith("**Offer a menu** asking 'Pick one' with 3 options:\n   - Option 'High'")
    th = think(seed_of(loops()), {})
    assert said("Repeat for each item in `files`.", th.comments.values())
    assert said("Repeat 3 times.", th.comments.values())
    assert {vary("Check whether `a` equals 'b'.", k) for k in range(4)} == {
        "Check whether `a` equals 'b'.", "See if `a` equals 'b'.", "Test whether `a` equals 'b'.",
        "Branch on whether `a` equals 'b'."}
    assert vary("Rename `x` to `x`.", 0) == "Rename `x`, leaving it as it is."


def test_an_action_without_a_catalog_entry_is_named_from_its_identifier() -> None:
    seed = seed_of(no_catalog_entry())
    th = think(seed, {})
    assert th.comments[1].startswith("Add Task in Taskly with 'Buy milk' as title")
    assert th.comments[2] == "Download the contents of 'https://example.com/api', storing the response in `response`."
    doc = ApiDoc("com.example.taskly.AddTaskIntent", "com_example_taskly_AddTaskIntent", "Create Task",
                 "Creates a task in Taskly.", {"title": "Title"})
    th = think(seed, {doc.identifier: doc})
    assert th.comments[1].startswith("Create Task in Taskly with 'Buy milk' as title")
    assert "Taskly" in th.query


def test_derived_names() -> None:
    assert derived_name(P + "downloadurl") == "download URL"
    assert derived_name(P + "getitemfromlist") == "get item from list"
    assert derived_name(P + "documentpicker.save") == "document picker save"
    assert derived_name("com.agiletortoise.Drafts5.CaptureIntent") == "Capture"
    assert human_title("Add_Task-v2") == "Add Task v2"
    assert human_title("captureToDrafts.shortcut") == "capture To Drafts"
    assert human_title("iPhone macOS (beta)") == "iPhone macOS beta"


def test_empty_shortcut() -> None:
    seed = seed_of(Workflow(name="Nothing"))
    th = think(seed, {})
    assert th.comments == {} and th.plan == ["Do nothing: the shortcut has no actions."]
    check(seed, {}, th)
    only_notes = Workflow(actions=[Action(P + "comment", {"WFCommentActionText": "just a note"})])
    seed = seed_of(only_notes, "")
    th = think(seed, {})
    assert th.comments == {} and len(th.plan) == 1
    check(seed, {}, th)


def test_action_lines_skip_comments_pass_and_literal_lines() -> None:
    seed = seed_of(multiline())
    code = seed.code.code.split("\n")
    lines = action_lines(seed.code)
    assert all(not code[n - 1].lstrip().startswith(("#", "pass")) for n in lines)
    # each line starts the statement of its own action, also after a multi-line literal
    starts = {i: code[n - 1].strip() for n, i in lines.items()}
    assert starts[0].startswith("text: 'Text' = is_workflow_actions_gettext(")
    assert starts[1].startswith("if text == ")
    assert starts[2].startswith("is_workflow_actions_gettext(WFTextActionText=f")
    assert starts[5].startswith("is_workflow_actions_showresult(")
    assert starts[6].startswith("for Repeat_Index in range(")
    assert starts[7].startswith("is_workflow_actions_alert(")
    assert 3 not in starts and 4 not in starts  # the implicit end, the comment action


def test_a_5000_action_shortcut_gets_a_bounded_plan(capsys: pytest.CaptureFixture[str]) -> None:
    wf = huge()
    assert len(wf.actions) == 5000
    seed = seed_of(wf)
    th = think(seed, {})
    check(seed, {}, th)
    assert len(th.plan) == MAX_STEPS and th.plan[-1].startswith("…and ")
    assert len(th.comments) == 625 * 6
    with capsys.disabled():
        print(f"\n5,000 actions: {len(th.plan)} plan steps, {len(th.comments)} comments")


def test_query_is_deterministic_and_varies() -> None:
    wf = if_else()
    a, b = think(seed_of(wf, sid="one"), {}), think(seed_of(wf, sid="one"), {})
    assert a == b
    queries = {think(seed_of(wf, sid=f"id-{k}"), {}).query for k in range(12)}
    assert len(queries) >= 3  # the template follows the id


def test_leaks() -> None:
    wf = Workflow(actions=[Action(P + "downloadurl", {"UUID": "U1"}),
                           Action("com.agiletortoise.Drafts5.CaptureIntent", {"UUID": "U2"})])
    seed = Seed("s", "s", wf, transpile(wf))
    seed.code.names.update({"U1": "contents_of_url", "U2": "myDraft", "U3": "text", "U4": "Text"})
    doc = ApiDoc(P + "downloadurl", "fetchUrlFunction")
    apis = {doc.identifier: doc}
    for bad, token in [
        ("Use is.workflow.actions.downloadurl to fetch it.", "is.workflow.actions.downloadurl"),
        ("Call is_workflow_actions_downloadurl on the page.", "is_workflow_actions_downloadurl"),
        ("Save it in api_url please.", "api_url"),
        ("Keep contents_of_url for later.", "contents_of_url"),
        ("Then run fetch(the page).", "fetch("),
        ("Show `text` to me.", "`text`"),
        ("Open com.agiletortoise.Drafts5 now.", "com.agiletortoise.Drafts5"),
        ("Put it in myDraft.", "myDraft"),
        ("Call fetchUrlFunction.", "fetchUrlFunction"),
        ("Capture with com.example now.", "com.example"),
    ]:
        assert token in leaks(bad, seed, apis), bad
    for good in ["Download the weather and show it as text in a notification.",
                 "How can I make a shortcut for iPhone and macOS, e.g. with 2.5 km steps (roughly)?",
                 "Send the URL to Drafts, then show the Text and the PDF.",
                 "Check example.com every day — it’s “Status v2.1”."]:
        assert leaks(good, seed, apis) == [], good


# --- the corpus -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(manifest: list[dict]) -> tuple[list[Seed], dict[str, ApiDoc]]:
    rows = [r for r in manifest if r.get("representative", True)]
    workflows = [(r, read_shortcut(CORPUS / r["path"])) for r in rows]
    catalogs = SHARED / "catalogs"
    catalog = build_catalog(catalogs if catalogs.is_dir() else None, [wf for _, wf in workflows])
    apis = {a.identifier: api_doc(a) for a in catalog.apis}
    seeds = []
    for r, wf in workflows:  # as the thoughts stage sees them: the training view of the code
        view = training_view(wf, labels=lambda ident: apis[ident].output_name if ident in apis else None)
        seeds.append(Seed(wf.fingerprint(), r["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0], view.workflow, view.code))
    return seeds, apis


def test_corpus(corpus: tuple[list[Seed], dict[str, ApiDoc]], capsys: pytest.CaptureFixture[str]) -> None:
    seeds, apis = corpus
    results = [think(seed, apis) for seed in seeds]
    missing: list[str] = []
    for seed, th in zip(seeds, results, strict=True):
        check(seed, apis, th, same_ast=len(seed.code.code) < 1_000_000)
        missing += [f"{seed.name}: action {i}" for i in blocks_mentioned(seed, th)]
    assert missing == []
    assert [think(s, apis) for s in seeds[:50]] == results[:50]
    tally = Tally()
    for seed, th in zip(seeds, results, strict=True):
        plan = "\n".join(f"{i}. {step}" for i, step in enumerate(th.plan, start=1))
        tally.add(th.query, plan, with_comments(seed.code.code, th.comments), seed.name, len(seed.workflow.actions))
    q = tally.figures()
    with capsys.disabled():
        print("\n" + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in q.items()
                               if not isinstance(v, list)))
    # The figures training-grade samples must meet (docs: workflowbench stats).
    assert q["long_string_token_share"] < 0.05 and q["samples_with_byte_literals"] == 0
    assert q["samples_over_16k_tokens_at_most_300_actions"] == 0
    assert q["plan_lines_copied_share"] < 0.10 and q["queries_quoting_title_share"] < 0.25
    assert q["top_opening_share"] < 0.10 and q["top20_comment_template_share"] < 0.15
    assert q["comments_naming_wf_keys"] == 0 and q["x_to_x_comments"] == 0
    assert q["label_annotation_share"] < 0.10 and q["call_form_condition_share"] < 0.02
    assert q["numbered_names_share"] < 0.25 and q["unparsable_code"] == 0
    queries = {th.query for th in results}
    assert len(queries) >= 0.95 * len(seeds)
    comments = [len(c) for th in results for c in th.comments.values()]
    steps = [len(th.plan) for th in results]
    actions = sum(len(s.workflow.actions) for s in seeds)
    with capsys.disabled():
        print(f"\n{len(seeds)} shortcuts, {actions} actions; "
              f"{len(comments)} comments of {sum(comments) / len(comments):.1f} characters on average; "
              f"{sum(steps) / len(steps):.1f} plan steps on average (max {max(steps)}); "
              f"{len(queries)} distinct queries")
