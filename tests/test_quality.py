"""The samples quality report (``workflowbench.quality``, ``workflowbench stats``): every figure pinned
on hand-made samples written as a shard, and sane on a real offline build of ``raw_shortcuts``.
Sample code is analysed with tokenize and ast, never run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.cli import app
from workflowbench.quality import (
    comment_template,
    is_x_to_x,
    lexical,
    normalize_line,
    opening,
    published_quality,
    quality_markdown,
    quotes_title,
    quotes_title_verbatim,
    sample_quality,
    syntax,
)
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.thoughts.lines import commentable

pytestmark = pytest.mark.timeout(300)

AT = datetime(2026, 1, 1)
DEFAULTS: dict[str, dict[str, Any]] = {
    "samples": {"origin": "seed", "status": "ok", "error": None, "apis": [], "category": None, "backend": "offline",
                "model": "handmade", "prompt_versions": None, "chunks": 1, "created_at": AT, "spec_id": None,
                "lineage": None, "action_count": None},
    "shortcuts": {"source": "handmade", "source_path": "x.shortcut", "container": "bplist", "signing": "unsigned",
                  "bytes": 1, "file_sha256": "0" * 64, "action_count": 0, "max_depth": 0, "defect_count": 0,
                  "client_version": None, "ingested_at": AT},
    "actions": {"identifier": "is.workflow.actions.comment", "app": "shortcuts", "depth": 0, "role": None,
                "block_group": None, "parameters": "{}"},
}


def row(table: str, **values: Any) -> dict[str, Any]:
    """A row with every column of ``table``: the given values, else the defaults above."""
    out = DEFAULTS[table] | values
    assert set(out) == set(wh.table(table).columns), set(wh.table(table).columns) ^ set(out)
    return out


LONG = "'" + "x" * 1998 + "'"  # a 2,000-character literal token
SHORT = "'" + "y" * 997 + "'"  # 999 characters: under the threshold
FSTRING = "f'{text_2}" + "z" * 1000 + "'"  # one STRING token in Python 3.11
UNTOKENIZED_LONG = "'" + "w" * 1500 + "'"

STEPS = "".join(f"# Set the variable `v{i:02}` to `w{i:02}`.\nis_workflow_actions_exit()\n" for i in range(25))


def pad(total: int, plan: str, code: str, start: str = "Pad, WORD word ") -> str:
    """A query that makes the sample exactly ``total`` characters long."""
    return start + "q" * (total - len(start) - len(plan) - len(code))


# name: (title, query, plan, code, action rows); comments per sample are counted in COMMENTS.
HANDMADE: dict[str, tuple[str, str, str | None, str, int]] = {
    "a": ("Tip Calculator", "How can I create a shortcut called “Tip Calculator”?", "1. Define the text 'xxx…'.",
          f"# Define the text 'xxx…'.\ntext: 'Text' = is_workflow_actions_gettext(WFTextActionText={LONG})\n", 2),
    "b": ("Zap Maker", "Please help me build something", "1. Something else entirely\n\n"
          "2. **Set the variable `name` to `name`:**",
          "# Set the variable `name` to `name`.\nname = name\n# Uses WFTextActionText.\n"
          f"data = is_workflow_actions_base64(WFInput=b'abc')\nshort = {SHORT}\nnote = '# not a comment'\n", 3),
    "c": ("quickSaveClipboard", "I want “quick Save Clipboard” now!", "1. Check whether `x` is on:\n"
          "   - Set name to name",
          "# Check whether `x` is on.\n# Set name to name\n# No WFs here.\n# Split at 'WFWorkflowActions'.\n"
          "text_2 = is_workflow_actions_getclipboard()\ncount_3: 'Count' = 1\na = b = Rb'\\d'\n(p, q) = 1, 2\n"
          f"joined = {FSTRING}\ncount_3 += 1\n"
          "if is_workflow_actions_conditional(WFInput=text_2, WFCondition=4):\n    pass\n"
          "if count_3 == 1:\n    pass\n", 4),
    "k": ("ci", "ci ci ci", None, STEPS + "# Stop the shortcut.\nis_workflow_actions_exit()\n" * 5, 30),
}
D_CODE = "s = \"it's b'x'\"\n"
HANDMADE |= {
    "d": ("Long one", pad(64_004, "", D_CODE), "", D_CODE, 301),
    "e": ("Long one", pad(64_004, "", ""), "", "", 300),
    "f": ("Long one", pad(64_000, "", ""), "", "", 0),
    "g": ("Lost", "Lost", "1. Lost comment", f"# Lost comment\nx = {UNTOKENIZED_LONG}\ny = (\n", 1),
    "h": ("sos", "Make sosa please", "1. Nothing", "# Check\nx: 'L' = = 1\n", 1),
}
COMMENTS = {"a": 1, "b": 2, "c": 4, "k": 30, "d": 0, "e": 0, "f": 0, "g": 1, "h": 1}
FAILED = ("Failed", "Failed Failed", "1. x", f"# Failed\nbad: 'B' = {LONG}\nz = b'1'\n", 1)


def handmade(tmp_path: Path) -> Path:
    target = tmp_path / "hand.duckdb"
    samples, shortcuts, actions = [], [], []
    for name, (title, query, plan, code, n) in [*HANDMADE.items(), ("failed", FAILED)]:
        sid = f"shortcut-{name}"
        shortcuts.append(row("shortcuts", id=sid, name=title))
        samples.append(row("samples", sample_id=f"seed-{name}", shortcut_id=sid, query=query, task_plan=plan,
                           workflow_code=code, status="failed" if name == "failed" else "ok"))
        actions += [row("actions", shortcut_id=sid, position=i) for i in range(n)]
    assert wh.write_shard(target, "thoughts-" + "0" * 32, {"samples": samples, "shortcuts": shortcuts,
                                                           "actions": actions})
    wh.publish(target)
    return target


def test_every_figure_on_handmade_samples(tmp_path: Path) -> None:
    q = sample_quality(handmade(tmp_path))
    ok = HANDMADE.values()
    chars = sum(len(query) + len(plan or "") + len(code) for _, query, plan, code, _ in ok)
    comments = sum(COMMENTS.values())
    assert q["samples"] == 9  # the failed sample is left out
    assert q["unparsable_code"] == 2  # g does not tokenize, h does not parse
    assert q["tokens"] == round(chars / 4)
    assert q["long_string_tokens"] == round((len(LONG) + len(FSTRING)) / 4)  # not SHORT, not g's
    assert q["long_string_token_share"] == pytest.approx((len(LONG) + len(FSTRING)) / chars)
    assert q["samples_over_16k_tokens"] == 2  # d and e; f is exactly 16,000 tokens
    assert q["samples_over_16k_tokens_at_most_300_actions"] == 1  # e (300), not d (301)
    assert q["samples_with_byte_literals"] == 2  # b'abc', Rb'\d'; not d's b'x' inside a string
    assert (q["plan_lines"], q["plan_lines_copied"], q["plans_all_copied"]) == (7, 5, 3)  # a, c and g all
    assert q["plan_lines_copied_share"] == pytest.approx(5 / 7)
    # a, c ("quickSaveClipboard" as “quick Save Clipboard”) and g; as written: a, g and h ("sos" in "sosa")
    assert (q["queries_quoting_title"], q["queries_with_verbatim_title"]) == (3, 3)
    assert q["queries_quoting_title_share"] == pytest.approx(3 / 9)
    assert q["queries_with_verbatim_title_share"] == pytest.approx(3 / 9)
    assert q["top_query_openings"][0] == ["pad word word", 3]
    assert len(q["top_query_openings"]) == 6 and q["top_opening_share"] == pytest.approx(3 / 9)
    assert q["comments"] == comments
    assert q["top_comments"][0] == ["Stop the shortcut.", 5] and len(q["top_comments"]) == 20
    assert q["top20_comment_share"] == pytest.approx((5 + 19) / comments)
    assert q["top_comment_templates"][0] == ["Set the variable `V` to `V`.", 26]
    assert q["top20_comment_template_share"] == 1.0  # fewer than 20 templates
    assert q["comments_naming_wf_keys"] == 1
    assert q["x_to_x_comments"] == 2  # b's `name` to `name`, c's name to name; not k's `v00` to `w00`
    assert (q["assignments"], q["label_annotations"], q["samples_with_label_annotations"]) == (11, 2, 2)
    assert q["label_annotation_share"] == pytest.approx(2 / 11)
    assert (q["if_statements"], q["call_form_conditions"], q["samples_with_call_form_conditions"]) == (2, 1, 1)
    assert q["call_form_condition_share"] == 0.5
    # text, name, data, short, note, text_2, count_3, a, b, joined, s: text_2 and count_3 end in a digit
    assert (q["assigned_names"], q["numbered_names"]) == (11, 2)
    assert q["numbered_names_share"] == pytest.approx(2 / 11)

    md = quality_markdown(q)
    assert md.startswith("## Sample quality\n") and "| ok samples | 9 |" in md
    assert f"| tokens in string literals of ≥ 1,000 characters | {q['long_string_token_share'] * 100:.1f}% |" in md
    assert "| plan lines copied from a code comment | 71.4% |" in md and "| pad word word | 3 |" in md
    assert "| Stop the shortcut. | 5 |" in md and "| call-form conditions | 1 |" in md


def test_stats_command(tmp_path: Path) -> None:
    target = handmade(tmp_path)
    runner = CliRunner()
    out = runner.invoke(app, ["stats", "-w", str(target), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == sample_quality(target)
    table = runner.invoke(app, ["stats", "-w", str(target)])
    assert table.exit_code == 0 and table.stdout == quality_markdown(sample_quality(target))
    missing = runner.invoke(app, ["stats", "-w", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no warehouse yet" in missing.output
    assert runner.invoke(app, ["stats", "-w", str(target), "-f", "csv"]).exit_code == 2


def test_markdown_cells_are_cut_and_escaped() -> None:
    figures = {k: 0 for k in ("samples", "unparsable_code", "tokens", "samples_over_16k_tokens",
                              "samples_over_16k_tokens_at_most_300_actions", "samples_with_byte_literals",
                              "plan_lines", "plans_all_copied", "comments", "comments_naming_wf_keys",
                              "x_to_x_comments", "assignments", "label_annotations",
                              "samples_with_label_annotations", "if_statements", "call_form_conditions",
                              "samples_with_call_form_conditions", "assigned_names")}
    figures |= {k: 0.5 for k in ("long_string_token_share", "plan_lines_copied_share", "queries_quoting_title_share",
                                 "queries_with_verbatim_title_share", "top_opening_share", "top20_comment_share",
                                 "top20_comment_template_share", "label_annotation_share",
                                 "call_form_condition_share", "numbered_names_share")}
    long = "a|b " + "c" * 100
    figures |= {"top_query_openings": [], "top_comments": [[long, 3], ["", 2]], "top_comment_templates": []}
    md = quality_markdown(figures)
    assert "| " + ("a\\|b " + "c" * 75 + "…") + " | 3 |" in md  # 80 characters, then the pipe escaped
    assert "| (empty) | 2 |" in md and "| (none) | 0 |" in md
    assert "| plan lines copied from a code comment | 50.0% |" in md


def test_line_helpers() -> None:
    assert normalize_line("12. **Repeat for each item in `x`:**") == "Repeat for each item in `x`"
    assert normalize_line("   - Set  name\tto name.") == normalize_line("* Set name to name") == "Set name to name"
    assert normalize_line("**bold** text") == "**bold** text" and normalize_line("-5 degrees") == "-5 degrees"
    assert opening("“Can you,  HELP me?”") == "can you help" and opening("...") == ""
    assert quotes_title("build “make Pdfs From Safari”", "makePdfsFromSafari")
    assert quotes_title("the “w f actions” one", "-w-f-actions") and not quotes_title("sosa", "sos")
    assert not quotes_title("cc cc", "cc") and not quotes_title("anything", None)
    assert quotes_title_verbatim("A TIP calculator", "Tip Calculator ")
    assert not quotes_title_verbatim("a tip-calculator", "Tip Calculator")
    assert is_x_to_x("Set the variable `V` to `V`.") and is_x_to_x("Set name to name") and is_x_to_x("Set 'a' to 'a'")
    assert not is_x_to_x("Set the key 'filename' to '{d['user']}'") and not is_x_to_x("Set x.name to name")
    assert not is_x_to_x("Set name to name_2") and not is_x_to_x("Add `a` to the variable `a`")
    assert comment_template("Check whether `x` equals 'a'.") == "Check whether `V` equals 'S'."
    assert comment_template("'''my own note'''") == "'''S'''"


def test_code_helpers() -> None:
    lex = lexical(f"# one\nx = {LONG} + B'x' + rB'y' + 'b' + \"#two\"  # three\n")
    assert lex is not None and lex.long_literal_chars == 2000 and lex.byte_literals == 2
    assert lex.comments == ["one", "three"]
    assert lexical("x = (\n") is None and lexical("x = '''open\n") is None
    tree = syntax("if is_workflow_actions_conditional_2(x):\n    y_1: 'Y' = 1\nelif f(x):\n    z = w.y = 2\n")
    assert tree is not None and (tree.ifs, tree.call_conditions, tree.annotations, tree.assigns) == (2, 1, 1, 1)
    assert tree.names == ["y_1", "z"]
    assert syntax("x = = 1") is None and syntax("a\0b") is None


def test_figures_on_a_real_offline_build(tmp_path: Path) -> None:
    target = tmp_path / "raw.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    wh.publish(target)
    with wh.connect(target) as con:
        [(shortcuts, ok)] = con.execute("SELECT (SELECT count(*) FROM shortcuts), "
                                        "(SELECT count(*) FROM samples WHERE status = 'ok')").fetchall()
        action_lines = sum(len(commentable(code.split("\n"), [(line, i) for line, i in json.loads(lines)]))
                           for code, lines in con.execute("SELECT code, lines FROM code").fetchall())
    q = sample_quality(target)
    assert q["samples"] == ok == shortcuts == len(list(RAW.glob("*.shortcut")))
    assert q["unparsable_code"] == 0
    assert q["comments"] >= action_lines > 0  # one before every line that starts an action
    assert q["plan_lines_copied"] <= q["plan_lines"] / 10 and q["plans_all_copied"] == 0  # plans sit above the code
    assert q["queries_quoting_title"] < q["samples"]  # most offline queries do not name the shortcut
    assert q["assigned_names"] > 0 and 0 <= q["numbered_names"] <= q["assigned_names"]
    assert q["samples_over_16k_tokens"] == 0  # small example shortcuts
    assert sum(n for _, n in q["top_query_openings"]) <= q["samples"]
    assert 0.0 <= q["long_string_token_share"] < 1.0
    assert "## Sample quality" in quality_markdown(q)


def test_a_limited_report_reads_the_same_few_samples_every_time(tmp_path: Path) -> None:
    target = handmade(tmp_path)
    full = sample_quality(target)
    assert sample_quality(target, limit=full["samples"]) == full  # a limit over the count changes nothing
    few = sample_quality(target, limit=2)
    assert few["samples"] == 2 and few == sample_quality(target, limit=2)
    assert "Over 2 of the" in quality_markdown(few, of=full["samples"])
    assert "Over the samples with status ok" in quality_markdown(full, of=full["samples"])


def test_published_figures_are_remembered_for_the_rows_they_are_of(tmp_path: Path) -> None:
    target = handmade(tmp_path)
    fresh = published_quality(target, limit=5)
    assert fresh == sample_quality(target, limit=5)  # what is remembered reads back the same
    [kept] = (wh.parts_dir(target) / ".reports").glob("quality-*.json")
    # The remembered figures are read back while the file's tables are those they are of: a forged
    # figure shows it (the samples are not analysed again) ...
    kept.write_text(json.dumps({**fresh, "samples": -1}), encoding="utf-8")
    assert published_quality(target, limit=5)["samples"] == -1
    assert published_quality(target, limit=6)["samples"] == sample_quality(target, limit=6)["samples"]
    # ... and never once a table they read was published from other shards.
    sid = "shortcut-extra"
    wh.write_shard(target, "thoughts-" + "1" * 32, {
        "samples": [row("samples", sample_id="seed-extra", shortcut_id=sid, query="q", task_plan="1. p",
                        workflow_code="x = 1\n", status="ok")],
        "shortcuts": [row("shortcuts", id=sid, name="Extra")], "actions": []})
    wh.publish(target)
    again = published_quality(target)
    assert again == sample_quality(target) and again["samples"] == 10
    assert [p.name for p in (wh.parts_dir(target) / ".reports").glob("quality-*.json")] != [kept.name]
