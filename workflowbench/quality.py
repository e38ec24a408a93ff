"""How good the ``samples`` are as training data: figures over the ok rows of the published warehouse
(``sample_quality``) and their markdown section of the build report (``quality_markdown``).

Tokens are approximated as characters / 4 everywhere (no tokenizer is loaded): a sample's tokens are
the characters of its query, task plan and workflow code, divided by 4. The code is analysed with
``tokenize`` (string literals, comments) and ``ast.parse`` (assignments, conditions); it is never run.
Each sample is analysed on its own, in time linear in its size, and a sample that cannot be analysed
is counted (``unparsable_code``) instead of stopping the report.
"""

from __future__ import annotations

import ast
import hashlib
import io
import itertools
import json
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import warehouse as wh
from .code.syntax import parse
from .warehouse.shards import STATE, write_state

CHARS_PER_TOKEN = 4  # tokens are approximated as characters / 4
LONG_LITERAL = 1_000  # characters of a string literal's token text (prefix and quotes included)
MAX_TOKENS = 16_000
MAX_ACTIONS = 300
TOP_OPENINGS = 6
TOP_COMMENTS = 20
OPENING_WORDS = 3
CONDITIONAL = "is_workflow_actions_conditional"

_BULLET = re.compile(r"^\s*(?:(?:\d+\.|[-*])\s+)?")  # "12. ", "- ", "* " before a plan line
_WORD_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # punctuation (and symbols) around a word
_ALNUM = re.compile(r"[^\W_]+")  # runs of letters and digits
_TEMPLATE_NAME = re.compile(r"`[^`]*`")
_TEMPLATE_VALUE = re.compile(r"'[^']*'")
_WF_KEY = re.compile(r"\bWF[A-Z][A-Za-z]+")
# Quoted text in a comment is the shortcut's own data (a shortcut that edits shortcut files quotes
# 'WFWorkflowActions'); a key named outside quotes is the comment talking in parameter keys.
_QUOTED = re.compile(r"'[^']*'|“[^”]*”|\"[^\"]*\"")
# "X to X": X a `name`, a 'value' or a plain word (not the end of a longer name), the same both times.
_X_TO_X = re.compile(r"(?<![\w.'`])(`[^`]+`|'[^']+'|\w[\w.']*)\s+to\s+\1(?![\w'`]|\.\w)")
_NUMBERED = re.compile(r"\d$")

SQL = """
SELECT s.query, s.task_plan, s.workflow_code, sh.name, coalesce(a.n, 0) AS actions
FROM samples s
LEFT JOIN shortcuts sh ON sh.id = s.shortcut_id
LEFT JOIN (SELECT shortcut_id, count(*) AS n FROM actions GROUP BY shortcut_id) a ON a.shortcut_id = s.shortcut_id
WHERE s.status = 'ok' AND (CAST($origin AS VARCHAR) IS NULL OR s.origin = $origin)
"""
# A deterministic sample of them (the report's figures at any size cost the same)
SAMPLED = " ORDER BY hash(s.sample_id), s.sample_id LIMIT $limit"


def normalize_line(text: str) -> str:
    """A plan line or comment text as compared: without a leading ``12.``, ``-`` or ``*`` and the
    whitespace around it, without surrounding ``**``, with runs of whitespace as one space, and
    without a trailing ``.`` or ``:`` (a plan says "Repeat for each item in `x`:" where the comment
    says "Repeat for each item in `x`.")."""
    text = _BULLET.sub("", text, count=1).strip()
    if len(text) >= 4 and text.startswith("**") and text.endswith("**"):
        text = text[2:-2]
    return " ".join(text.split()).rstrip(".: ")


def opening(query: str) -> str:
    """The first three words of a query, lowercased, with punctuation stripped from each word."""
    words = (_WORD_EDGES.sub("", w) for w in query.lower().split())
    return " ".join([w for w in words if w][:OPENING_WORDS])


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _ALNUM.findall(text)]


def quotes_title(query: str, title: str | None) -> bool:
    """True if the query contains the shortcut's title, compared case-insensitively on letters and
    digits only, from a word boundary to a word boundary: the title "quickSaveClipboard" is quoted
    by “quick Save Clipboard” and "add-upcoming-albums" by "add upcoming albums" (the offline query
    writes a name as a person would), "sos" is not quoted by "sosa". A title with fewer than 3
    letters and digits is never counted as quoted."""
    key = "".join(_words(title or ""))
    if len(key) < 3:
        return False
    words = _words(query)
    squashed = "".join(words)
    bounds = set(itertools.accumulate(map(len, words), initial=0))
    start = squashed.find(key)
    while start >= 0:
        if start in bounds and start + len(key) in bounds:
            return True
        start = squashed.find(key, start + 1)
    return False


def quotes_title_verbatim(query: str, title: str | None) -> bool:
    """True if the query contains the title as it is written (case-insensitive; 3 characters or more)."""
    title = (title or "").strip()
    return len(title) >= 3 and title.casefold() in query.casefold()


def comment_template(comment: str) -> str:
    """A comment with its names and values left out: `name` as `V`, 'value' as 'S', and the text of
    a Comment action (a comment that starts with three quotes) as a whole as ``'''S'''`` (a
    heuristic: an apostrophe inside a word starts a value too)."""
    if comment.startswith("'''"):
        return "'''S'''"
    return _TEMPLATE_VALUE.sub("'S'", _TEMPLATE_NAME.sub("`V`", comment))


def is_x_to_x(comment: str) -> bool:
    """A comment that says "X to X" with the same X (``Set the variable `V` to `V`.``, "Set name to name")."""
    return "to" in comment and _X_TO_X.search(comment) is not None


def _is_bytes(literal: str) -> bool:
    """True for a STRING token with a bytes prefix (b, rb, br in any case)."""
    return "b" in literal[: len(literal) - len(literal.lstrip("bBrRuUfF"))].lower()


@dataclass
class Lexical:
    """What ``tokenize`` finds in a sample's code."""

    long_literal_chars: int = 0
    byte_literals: int = 0
    comments: list[str] = field(default_factory=list)


def lexical(code: str) -> Lexical | None:
    """String literals and comments of ``code`` (a comment's text is what follows ``#``, stripped);
    None when the code does not tokenize."""
    out = Lexical()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.STRING:
                if len(tok.string) >= LONG_LITERAL:
                    out.long_literal_chars += len(tok.string)
                if _is_bytes(tok.string):
                    out.byte_literals += 1
            elif tok.type == tokenize.COMMENT:
                out.comments.append(tok.string[1:].strip())
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


def comment_lines(code: str) -> list[str]:
    """Comments of code that does not tokenize: the lines that start with ``#``."""
    return [s[1:].strip() for s in (line.lstrip() for line in code.splitlines()) if s.startswith("#")]


@dataclass
class Syntax:
    """What ``ast.parse`` finds in a sample's code."""

    assigns: int = 0
    annotations: int = 0
    ifs: int = 0
    call_conditions: int = 0
    names: list[str] = field(default_factory=list)


def _func_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def syntax(code: str) -> Syntax | None:
    """Assignments (and their Name targets), label annotations and conditions of ``code``; None when
    ``ast.parse`` refuses it."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out = Syntax()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            out.annotations += 1
            if isinstance(node.target, ast.Name):
                out.names.append(node.target.id)
        elif isinstance(node, ast.Assign):
            out.assigns += 1
            out.names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.If):
            out.ifs += 1
            if isinstance(node.test, ast.Call) and _func_name(node.test.func).startswith(CONDITIONAL):
                out.call_conditions += 1
    return out


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _top(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` most frequent, ties in text order (so the result never depends on row order)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass
class Tally:
    """The figures, accumulated one sample at a time."""

    samples: int = 0
    unparsable: int = 0
    chars: int = 0
    long_literal_chars: int = 0
    over: int = 0
    over_few_actions: int = 0
    with_bytes: int = 0
    plan_lines: int = 0
    plan_lines_copied: int = 0
    plans_all_copied: int = 0
    quoting: int = 0
    verbatim: int = 0
    openings: Counter[str] = field(default_factory=Counter)
    comments: Counter[str] = field(default_factory=Counter)
    templates: Counter[str] = field(default_factory=Counter)
    wf_keys: int = 0
    x_to_x: int = 0
    assigns: int = 0
    annotations: int = 0
    with_annotations: int = 0
    ifs: int = 0
    call_conditions: int = 0
    with_call_conditions: int = 0
    names: int = 0
    numbered: int = 0

    def add(self, query: str | None, plan: str | None, code: str | None, title: str | None, actions: int) -> None:
        """Count one sample: everything is computed first, then added, so a sample that raises adds nothing."""
        query, plan, code = query or "", plan or "", code or ""
        chars = len(query) + len(plan) + len(code)
        start = opening(query)
        quoting, verbatim = quotes_title(query, title), quotes_title_verbatim(query, title)
        lex, tree = lexical(code), syntax(code)
        comments = lex.comments if lex is not None else comment_lines(code)
        wf_keys = sum(_WF_KEY.search(_QUOTED.sub("", c)) is not None for c in comments)
        x_to_x = sum(map(is_x_to_x, comments))
        said = {normalize_line(c) for c in comments}
        lines = [n for n in (normalize_line(line) for line in plan.splitlines() if line.strip()) if n]
        copied = sum(line in said for line in lines)
        numbered = sum(_NUMBERED.search(n) is not None for n in tree.names) if tree is not None else 0

        self.samples += 1
        self.chars += chars
        if chars / CHARS_PER_TOKEN > MAX_TOKENS:
            self.over += 1
            self.over_few_actions += actions <= MAX_ACTIONS
        self.quoting += quoting
        self.verbatim += verbatim
        if start:
            self.openings[start] += 1
        self.unparsable += lex is None or tree is None
        if lex is not None:
            self.long_literal_chars += lex.long_literal_chars
            self.with_bytes += lex.byte_literals > 0
        self.comments.update(comments)
        self.templates.update(map(comment_template, comments))
        self.wf_keys += wf_keys
        self.x_to_x += x_to_x
        self.plan_lines += len(lines)
        self.plan_lines_copied += copied
        self.plans_all_copied += bool(lines) and copied == len(lines)
        if tree is not None:
            self.assigns += tree.assigns
            self.annotations += tree.annotations
            self.with_annotations += tree.annotations > 0
            self.ifs += tree.ifs
            self.call_conditions += tree.call_conditions
            self.with_call_conditions += tree.call_conditions > 0
            self.names += len(tree.names)
            self.numbered += numbered

    def failed(self, query: str | None, plan: str | None, code: str | None) -> None:
        """Count a sample whose analysis raised: its tokens, as unparsable code, and nothing else."""
        self.samples += 1
        self.unparsable += 1
        self.chars += sum(len(v) for v in (query, plan, code) if isinstance(v, str))

    def figures(self) -> dict[str, Any]:
        tokens = self.chars / CHARS_PER_TOKEN
        openings = _top(self.openings, TOP_OPENINGS)
        comments = _top(self.comments, TOP_COMMENTS)
        templates = _top(self.templates, TOP_COMMENTS)
        total_comments = sum(self.comments.values())
        return {
            "samples": self.samples,
            "unparsable_code": self.unparsable,
            "tokens": round(tokens),
            "long_string_tokens": round(self.long_literal_chars / CHARS_PER_TOKEN),
            "long_string_token_share": _share(self.long_literal_chars, self.chars),
            "samples_over_16k_tokens": self.over,
            "samples_over_16k_tokens_at_most_300_actions": self.over_few_actions,
            "samples_with_byte_literals": self.with_bytes,
            "plan_lines": self.plan_lines,
            "plan_lines_copied": self.plan_lines_copied,
            "plan_lines_copied_share": _share(self.plan_lines_copied, self.plan_lines),
            "plans_all_copied": self.plans_all_copied,
            "queries_quoting_title": self.quoting,
            "queries_quoting_title_share": _share(self.quoting, self.samples),
            "queries_with_verbatim_title": self.verbatim,
            "queries_with_verbatim_title_share": _share(self.verbatim, self.samples),
            "top_query_openings": [[k, n] for k, n in openings],
            "top_opening_share": _share(openings[0][1] if openings else 0, self.samples),
            "comments": total_comments,
            "top20_comment_share": _share(sum(n for _, n in comments), total_comments),
            "top_comments": [[k, n] for k, n in comments],
            "top20_comment_template_share": _share(sum(n for _, n in templates), total_comments),
            "top_comment_templates": [[k, n] for k, n in templates],
            "comments_naming_wf_keys": self.wf_keys,
            "x_to_x_comments": self.x_to_x,
            "assignments": self.assigns + self.annotations,
            "label_annotations": self.annotations,
            "samples_with_label_annotations": self.with_annotations,
            "label_annotation_share": _share(self.annotations, self.assigns + self.annotations),
            "if_statements": self.ifs,
            "call_form_conditions": self.call_conditions,
            "samples_with_call_form_conditions": self.with_call_conditions,
            "call_form_condition_share": _share(self.call_conditions, self.ifs),
            "assigned_names": self.names,
            "numbered_names": self.numbered,
            "numbered_names_share": _share(self.numbered, self.names),
        }


def sample_quality(warehouse: str | os.PathLike[str], origin: str | None = None, limit: int | None = None
                   ) -> dict[str, Any]:
    """Quality figures over the ``samples`` rows with status ok of the published warehouse (opened
    read-only with ``warehouse.connect``; SELECTs only), of one ``origin`` (seed, synthetic) if given,
    and of at most ``limit`` of them (the same ones every time: by a hash of the sample id) if given.
    Tokens are approximated as characters / 4.

    - ``long_string_token_share``: share of all tokens (query + task plan + code) inside string
      literals of at least 1,000 characters of the code (a literal's token text, prefix and quotes
      included; an f-string is one literal).
    - ``samples_over_16k_tokens``, and ``..._at_most_300_actions`` among those whose shortcut has at
      most 300 rows in ``actions``.
    - ``samples_with_byte_literals``: code with a ``b''`` / ``rb''`` literal (any case).
    - ``plan_lines_copied_share``: share of non-blank plan lines equal to a ``#`` comment of the
      same code (both compared by ``normalize_line``); ``plans_all_copied``: plans all of whose
      lines are.
    - ``queries_quoting_title_share``: queries quoting the shortcut's name (``quotes_title``: on
      letters and digits, at word boundaries), ``queries_with_verbatim_title_share``: containing it
      as written (case-insensitive); ``top_query_openings`` (first three words) and
      ``top_opening_share`` (the most common one's share of samples).
    - ``top20_comment_share``: share of all comments (the text after ``#``) taken by the 20 most
      frequent (``top_comments``), and ``top20_comment_template_share`` with names and values left
      out (``comment_template``, ``top_comment_templates``); ``comments_naming_wf_keys`` (outside quoted text)
      (``WFSomething``); ``x_to_x_comments`` ("Set the variable `V` to `V`.").
    - ``label_annotations`` (``name: 'Label' = ...``), ``samples_with_label_annotations``,
      ``label_annotation_share`` of all assignments; ``call_form_conditions`` (``if
      is_workflow_actions_conditional(...):``), ``samples_with_call_form_conditions`` and
      ``call_form_condition_share`` of all ``if`` statements; ``numbered_names_share``: Name targets
      of assignments ending in a digit, of ``assigned_names`` (one per target per assignment).

    ``unparsable_code`` counts samples whose code ``tokenize`` or ``ast.parse`` refuses: they count
    no literal characters (and their comments are the lines that start with ``#``) when it does not
    tokenize, and add nothing to the assignment and condition figures when it does not parse.
    """
    tally = Tally()
    # A cursor is another connection to the same sandboxed database (settings locked, no file access),
    # without the Python client's progress bar, which DuckDB prints to stdout once a query has been
    # open two seconds: the analysis between fetches keeps this streaming query open.
    with wh.connect(warehouse) as con, con.cursor() as cursor:
        cursor.execute(SQL + (SAMPLED if limit is not None else ""),
                       {"origin": origin} | ({"limit": limit} if limit is not None else {}))
        while rows := cursor.fetchmany(64):
            for query, plan, code, title, actions in rows:
                try:
                    tally.add(query, plan, code, title, int(actions))
                except Exception:  # one bad row never stops the report: counted, not analysed
                    tally.failed(query, plan, code)
    return tally.figures()


# The tables SQL reads: the figures of a published file are a function of their rows (and this code).
READS = ("samples", "shortcuts", "actions")


def published_quality(warehouse: str | os.PathLike[str], origin: str | None = None, limit: int | None = None
                      ) -> dict[str, Any]:
    """``sample_quality``, remembered beside the shards (``<parts>/.reports/``) for the fingerprints
    the published file records of the tables it reads: a rebuild that changed none of them reads
    the figures back instead of analysing every sample again."""
    from .stages.contract import code_version  # the stages import much; only this needs them

    made_from = wh.recorded(warehouse)
    if any(t not in made_from for t in READS):  # no file, or one whose tables record nothing: no key
        return sample_quality(warehouse, origin, limit)
    key = hashlib.sha256(json.dumps([[made_from[t] for t in READS], code_version(__name__, "workflowbench.code"),
                                     origin, limit]).encode()).hexdigest()[:24]
    folder = wh.parts_dir(warehouse) / STATE[1]
    path = folder / f"quality-{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    figures = sample_quality(warehouse, origin, limit)
    write_state(path, json.dumps(figures))
    for old in folder.glob("quality-*.json"):  # only the current figures are worth keeping
        if old != path:
            old.unlink(missing_ok=True)
    return figures


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _cell(text: str, width: int = 80) -> str:
    """Text for a markdown table cell: at most ``width`` characters, pipes escaped."""
    if not text:
        return "(empty)"
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _counts(head: str, what: str, pairs: list[list[Any]]) -> str:
    body = "\n".join(f"| {_cell(k)} | {n:,} |" for k, n in pairs) or "| (none) | 0 |"
    return f"| {head} | {what} |\n|---|---:|\n{body}\n"


def quality_markdown(q: dict[str, Any], of: int | None = None) -> str:
    """The "Sample quality" section of the build report: the figures (shares as percentages), the
    most common query openings, comments and comment templates (cut to 80 characters). ``of``: how
    many ok samples there are, when the figures are of a sample of them."""
    rows = [
        ("ok samples", f"{q['samples']:,}"),
        ("code that does not tokenize or parse", f"{q['unparsable_code']:,}"),
        ("tokens (characters / 4)", f"{q['tokens']:,}"),
        ("tokens in string literals of ≥ 1,000 characters", _pct(q["long_string_token_share"])),
        ("samples over 16k tokens", f"{q['samples_over_16k_tokens']:,}"),
        ("… of which with ≤ 300 actions", f"{q['samples_over_16k_tokens_at_most_300_actions']:,}"),
        ("samples with byte literals", f"{q['samples_with_byte_literals']:,}"),
        ("plan lines", f"{q['plan_lines']:,}"),
        ("plan lines copied from a code comment", _pct(q["plan_lines_copied_share"])),
        ("plans all copied from comments", f"{q['plans_all_copied']:,}"),
        ("queries quoting the shortcut's title", _pct(q["queries_quoting_title_share"])),
        ("queries with the title as written", _pct(q["queries_with_verbatim_title_share"])),
        ("samples with the most common query opening", _pct(q["top_opening_share"])),
        ("comments", f"{q['comments']:,}"),
        (f"comments taken by the {TOP_COMMENTS} most frequent", _pct(q["top20_comment_share"])),
        (f"comments taken by the {TOP_COMMENTS} most frequent templates", _pct(q["top20_comment_template_share"])),
        ("comments naming WF keys", f"{q['comments_naming_wf_keys']:,}"),
        ("\"X to X\" comments", f"{q['x_to_x_comments']:,}"),
        ("assignments", f"{q['assignments']:,}"),
        ("label annotations", f"{q['label_annotations']:,}"),
        ("samples with label annotations", f"{q['samples_with_label_annotations']:,}"),
        ("assignments with a label annotation", _pct(q["label_annotation_share"])),
        ("if statements", f"{q['if_statements']:,}"),
        ("call-form conditions", f"{q['call_form_conditions']:,}"),
        ("samples with call-form conditions", f"{q['samples_with_call_form_conditions']:,}"),
        ("if statements in call form", _pct(q["call_form_condition_share"])),
        ("assigned names", f"{q['assigned_names']:,}"),
        ("assigned names ending in a digit", _pct(q["numbered_names_share"])),
    ]
    return (
        "## Sample quality\n\n"
        + ("Over the samples with status ok" if of is None or of <= q["samples"] else
           f"Over {q['samples']:,} of the {of:,} samples with status ok (the same ones every run: by a hash of "
           "their ids; `workflowbench stats` gives the figures over all)")
        + "; tokens are approximated as characters / 4.\n\n"
        "| figure | value |\n|---|---:|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows) +
        f"\n### Most common query openings (first {OPENING_WORDS} words)\n\n" +
        _counts("opening", "samples", q["top_query_openings"]) +
        f"\n### The {TOP_COMMENTS} most frequent comments\n\n" + _counts("comment", "count", q["top_comments"]) +
        f"\n### The {TOP_COMMENTS} most frequent comment templates (`V`: a name, 'S': a value)\n\n" +
        _counts("template", "count", q["top_comment_templates"])
    )
