"""Literal emitters and Python names, fuzzed over random text (seeded, standard library only).

Every literal is checked by reading it back with ``ast`` (analysis only; nothing is executed).
"""

from __future__ import annotations

import ast
import keyword
import math
import random
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime

import pytest

from workflowbench.code.literals import (
    _controls,
    _printable,
    can_quote_bare,
    date,
    number,
    quote,
    quote_bare,
    triple_body,
)
from workflowbench.code.names import (
    HELPERS,
    RESERVED,
    Namer,
    action_label,
    function_name,
    identifier,
    loop_name,
    loop_names,
    loop_variable,
    plain_identifier,
    snake,
)

# Characters that stress literals: quotes, backslashes, braces, every kind of line break, controls,
# format characters, lone surrogates, joiners, combining marks, emoji, RTL, noncharacters.
SPECIAL = [
    *"'\"\\{}\n\r\t\x0b\x0c\x00\x01\x1b\x7f\x85\xa0\xad #!:",
    "\u200b", "\u200c", "\u200d", "\u200e", "\u202e", "\u2028", "\u2029", "\ufeff", "\ufffc", "\ufffe", "\uffff",
    "\u0301", "\ud800", "\udbff", "\udc00", "\udfff", "é", "ß", "日", "本", "ش", "א", "😀", "👍🏽", "\U0010ffff",
    "'''", '"""', "''", "\\'", "{{", "}}", "\r\n", "\\N{DASH}", "\\x41",
]
ASCII = [chr(c) for c in range(32, 127)]
# Characters str.splitlines breaks at besides \n: none may stay raw in the code (its lines are \n-separated).
LINE_BREAKS = frozenset(c for c in map(chr, range(0x3000)) if c != "\n" and len(f"a{c}b".splitlines()) == 2)


def random_text(r: random.Random, longest: int = 24) -> str:
    out = []
    for _ in range(r.randint(0, longest)):
        pick = r.random()
        if pick < 0.45:
            out.append(r.choice(ASCII))
        elif pick < 0.85:
            out.append(r.choice(SPECIAL))
        elif pick < 0.93:
            out.append(chr(r.randrange(0xD800, 0xE000)))  # lone surrogates (JSON can carry them)
        else:
            out.append(chr(r.randrange(0x110000)))
    return "".join(out)


def texts(seed: int, count: int, longest: int = 24) -> Iterator[str]:
    r = random.Random(seed)
    for _ in range(count):
        yield random_text(r, longest)


FIXED = ["", "'", '"', "\\", "'''", '"""', "''", "a'", "a''", "'a", "\\'", "'\\", "{", "}", "{}", "{{x}}", "\n", "\r",
         "\r\n", "\x00", "\ud800", "\udfff\ud800", "😀", "\u200d", "\u2028", "a\\", "x'''", "'''x", "\\\n", "\n'",
         "N{DASH}", "\\N{DASH}", "#", "!r", ":>10", "\t\x0b\x0c"]


def fstring_constants(source: str) -> str:
    """The literal text of an f-string: the joined constant parts of its JoinedStr."""
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.JoinedStr)
    return "".join(v.value for v in node.values if isinstance(v, ast.Constant))


# --- quote ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("s", FIXED, ids=repr)
def test_quote_fixed(s: str) -> None:
    q = quote(s)
    assert ast.literal_eval(q) == s
    assert q[0] == q[-1] == "'"


@pytest.mark.parametrize("seed", range(4))
def test_quote_fuzz(seed: int) -> None:
    for s in texts(seed, 1000):
        q = quote(s)
        assert ast.literal_eval(q) == s, (s, q)
        assert q[0] == q[-1] == "'"
        assert "\n" not in q and not LINE_BREAKS.intersection(q), q  # no line break in a single-quoted literal
        q.encode("utf-8")  # no lone surrogate is left raw: the code can be written as UTF-8


def test_quote_plain_text_is_left_alone() -> None:
    assert quote("hello world") == "'hello world'"
    assert quote("é 日本 😀") == "'é 日本 😀'"
    assert quote("👨\u200d👩\u200d👧") == "'👨\u200d👩\u200d👧'"  # a joiner stays, emoji stay readable
    assert quote("it's") == "'it\\'s'"
    assert quote("a\\b") == "'a\\\\b'"
    assert quote("a\nb\tc\rd") == "'a\\nb\\tc\\rd'"
    assert quote("\x00\x7f") == "'\\x00\\x7f'"
    assert quote("\ud800\u2028") == "'\\ud800\\u2028'"
    assert quote('"') == "'\"'"


def test_quote_of_long_text() -> None:
    s = ("<p class='x'>\\{a}\r\n日本😀\t" * 50_000)[:1_000_000]
    assert ast.literal_eval(quote(s)) == s


# ASCII text with tabs, line feeds and carriage returns (base64 with CRLF line breaks, HTML) skips the
# scans for other control characters; the literal must be the one the general path writes.
ASCII_LAYOUT = [*ASCII, "\t", "\n", "\r", "\r\n", "'''", '"', "\\", "{", "}", "\x00", "\x1b", "\x7f"]


def general_quote(s: str) -> str:
    return "'" + _printable(_controls(s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n"))) + "'"


def general_triple_body(s: str, fstring: bool, q: str) -> str:
    t = _controls(s.replace("\\", "\\\\"))
    if fstring:
        t = t.replace("{", "{{").replace("}", "}}")
    t = re.sub(q + "(?=" + q + "|\\Z)", "\\\\" + q, t)
    return "\n".join(_printable(line) for line in t.split("\n"))


@pytest.mark.parametrize("seed", range(3))
def test_ascii_text_gets_the_general_literal(seed: int) -> None:
    r = random.Random(300 + seed)
    for n in range(600):
        s = "".join(r.choice(ASCII_LAYOUT if r.random() < 0.3 else ASCII) for _ in range(r.randint(0, 150)))
        if n % 2:  # most real text has no other control character
            s = s.replace("\x00", "").replace("\x1b", "").replace("\x7f", "")
        assert quote(s) == general_quote(s), s
        for fstring in (False, True):
            for q in ("'", '"'):
                assert triple_body(s, fstring, q) == general_triple_body(s, fstring, q), (s, fstring, q)
        assert ast.literal_eval(quote(s)) == s


# --- triple_body --------------------------------------------------------------------------------------


def check_triple(s: str) -> None:
    body = triple_body(s, False)
    assert ast.literal_eval("'''" + body + "'''") == s, (s, body)
    assert not LINE_BREAKS.intersection(body), body  # newlines stay newlines; other breaks are escaped
    ("'''" + body + "'''").encode("utf-8")
    fbody = triple_body(s, True)
    assert fstring_constants("f'''" + fbody + "'''") == s, (s, fbody)
    assert not LINE_BREAKS.intersection(fbody), fbody
    # a literal part next to replacement fields, as in f'''a{x}b''': each part keeps its text
    assert fstring_constants("f'''" + fbody + "{x}" + fbody + "{y}'''") == s + s


@pytest.mark.parametrize("s", FIXED, ids=repr)
def test_triple_body_fixed(s: str) -> None:
    check_triple(s)


@pytest.mark.parametrize("seed", range(4))
def test_triple_body_fuzz(seed: int) -> None:
    for s in texts(100 + seed, 800):
        check_triple(s)


def test_triple_body_keeps_text_readable() -> None:
    assert triple_body("line 1\nline 2", False) == "line 1\nline 2"
    assert triple_body("it's", False) == "it's"
    assert triple_body("ends'", False) == "ends\\'"
    assert triple_body("a'''b", False) == "a\\'\\''b"
    assert triple_body("{x}", False) == "{x}"
    assert triple_body("{x}", True) == "{{x}}"
    assert triple_body("a\\b", True) == "a\\\\b"
    assert triple_body("cr\r\n", False) == "cr\\r\n"  # a raw CR would be read as a line break
    assert triple_body("日本 😀 👨\u200d👩\u200d👧", True) == "日本 😀 👨\u200d👩\u200d👧"
    assert triple_body("\ud800", False) == "\\ud800"


def test_triple_body_of_long_text() -> None:
    s = ("<p class='x'>\\{a}\r\n日本😀\t'" * 50_000)[:1_000_000]
    assert ast.literal_eval("'''" + triple_body(s, False) + "'''") == s
    assert fstring_constants("f'''" + triple_body(s, True) + "'''") == s


# --- bare literals inside f-string expressions ----------------------------------------------------------


def check_bare(s: str) -> None:
    if not can_quote_bare(s):
        return
    q = quote_bare(s)
    assert "\\" not in q
    assert ast.literal_eval(q) == s
    node = ast.parse("f'''<{x[" + q + "]}>'''", mode="eval").body
    assert isinstance(node, ast.JoinedStr)
    [_, field, _] = node.values
    assert isinstance(field, ast.FormattedValue) and isinstance(field.value, ast.Subscript)
    assert ast.literal_eval(field.value.slice) == s


@pytest.mark.parametrize("seed", range(2))
def test_quote_bare_fuzz(seed: int) -> None:
    bare = 0
    for s in texts(200 + seed, 1500, 8):
        bare += can_quote_bare(s)
        check_bare(s)
    assert bare > 100  # the check ran on enough strings


@pytest.mark.parametrize(("s", "ok"), [
    ("plain", True), ("it's", True), ('say "hi"', True), ("it's \"x\"", False), ("a\\b", False), ("a\nb", False),
    ("\x00", False), ("\ud800", False), ("日本 😀", True), ("👨\u200d👩\u200d👧", True), ("#tag", True), ("{}", True),
])
def test_can_quote_bare(s: str, ok: bool) -> None:
    assert can_quote_bare(s) is ok
    check_bare(s)


@pytest.mark.parametrize("s", ["a'''b", "'''"])
def test_quote_bare_with_triple_quote(s: str) -> None:
    check_bare(s)


# --- numbers and dates ---------------------------------------------------------------------------------


def test_number_fuzz() -> None:
    r = random.Random(7)
    for _ in range(2000):
        v = r.choice([r.randint(-10**30, 10**30), r.uniform(-1e6, 1e6), r.random() * 10 ** r.randint(-320, 308),
                      -r.random() * 10 ** r.randint(-320, 308), 0.0, -0.0])
        text = number(v)
        back = ast.literal_eval(text)
        assert type(back) is type(v) and back == v, (v, text)
        assert math.copysign(1, back) == math.copysign(1, v)


def test_number_special_values() -> None:
    assert number(float("nan")) == "float('nan')"
    assert number(float("inf")) == "float('inf')"
    assert number(float("-inf")) == "-float('inf')"
    assert number(1.0) == "1.0"
    for special in ("float('nan')", "float('inf')", "-float('inf')"):
        ast.parse(special, mode="eval")


def test_date() -> None:
    assert date(datetime(2024, 2, 29, 13, 5, 0)) == "datetime(2024, 2, 29, 13, 5, 0)"
    assert date(datetime(1, 1, 1)) == "datetime(1, 1, 1, 0, 0, 0)"
    assert date(datetime(9999, 12, 31, 23, 59, 59, 999999)) == "datetime(9999, 12, 31, 23, 59, 59, 999999)"
    r = random.Random(3)
    for _ in range(300):
        v = datetime(r.randint(1, 9999), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59),
                     r.randint(0, 59), r.choice([0, r.randint(1, 999999)]))
        call = ast.parse(date(v), mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "datetime"
        assert datetime(*[ast.literal_eval(a) for a in call.args]) == v


# --- names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ident", "name"), [
    ("is.workflow.actions.downloadurl", "is_workflow_actions_downloadurl"),
    ("is.workflow.actions.text.split", "is_workflow_actions_text_split"),
    ("com.x-y.Do", "com_x_y_Do"),
    ("1password.x", "_1password_x"),
    ("class", "_class"),
    ("a..b", "a__b"),
    ("com.ünï.x", "com__n__x"),
    ("", "_"),
])
def test_function_name(ident: str, name: str) -> None:
    assert function_name(ident) == name


def test_plain_identifier_inverts_function_name_for_plain_identifiers() -> None:
    for ident in ["is.workflow.actions.downloadurl", "com.apple.mobilenotes.SharingExtension", "a.b.c"]:
        assert plain_identifier(function_name(ident)) == ident


@pytest.mark.parametrize(("text", "name"), [
    ("My Var", "My_Var"), ("", "var"), ("1st", "var_1st"), ("ﬁle", "file"), ("a--b", "a_b"), ("__x__", "x"),
    ("名前", "名前"), ("😀", "var"), ("re.run", "re_run"), ("café", "café"), ("x²", "x2"), ("Ⅸ", "IX"),
    ("a\u200db", "a_b"), ("class", "class"),  # keywords are the Namer's business
])
def test_identifier(text: str, name: str) -> None:
    assert identifier(text) == name


def test_identifier_fallback() -> None:
    assert identifier("", "thing") == "thing"
    assert identifier("9", "thing") == "thing_9"


@pytest.mark.parametrize(("text", "name"), [
    ("Contents of URL", "contents_of_url"), ("GetDraftIntent", "get_draft_intent"), ("URLComponents", "url_components"),
    ("HTTPStatus", "http_status"), ("already_snake", "already_snake"), ("ABC", "abc"), ("", "output"),
    ("3 Items", "output_3_items"), ("Text", "text"), ("Dictionary Value", "dictionary_value"),
])
def test_snake(text: str, name: str) -> None:
    assert snake(text) == name


@pytest.mark.parametrize(("variable", "name"), [
    ("Repeat Item", "Repeat_Item"), ("Repeat Index", "Repeat_Index"), ("Repeat Item 2", "Repeat_Item_2"),
    ("Repeat Index 12", "Repeat_Index_12"),
])
def test_loop_name_and_loop_variable(variable: str, name: str) -> None:
    assert loop_name(variable) == name
    assert loop_variable(name) == variable


@pytest.mark.parametrize("text", ["Repeat Item 0", "Repeat Item 01", "repeat item", "Repeat  Item", "Repeat Items",
                                  "Repeat_Item", "Repeat Item 2 ", ""])
def test_not_loop_names(text: str) -> None:
    assert loop_name(text) is None


@pytest.mark.parametrize("name", ["Repeat Item", "Repeat_Item_0", "repeat_item", "Repeat_Items", "Repeat_Item_02"])
def test_not_loop_variables(name: str) -> None:
    assert loop_variable(name) is None


def test_loop_names() -> None:
    assert loop_names(1) == ("Repeat_Index", "Repeat_Item")
    assert loop_names(2) == ("Repeat_Index_2", "Repeat_Item_2")
    assert loop_names(3) == ("Repeat_Index_3", "Repeat_Item_3")
    for depth in range(1, 20):
        index, item = loop_names(depth)
        assert loop_variable(index) == "Repeat Index" + ("" if depth == 1 else f" {depth}")
        assert loop_variable(item) == "Repeat Item" + ("" if depth == 1 else f" {depth}")


def test_action_label() -> None:
    assert action_label("is.workflow.actions.text.split") == "text split"
    assert action_label("com.agiletortoise.Drafts5.CaptureIntent") == "Capture"
    assert action_label("x.Intent") == "Intent"
    assert action_label("plain") == "plain"


def test_namer_collisions_and_reserved_names() -> None:
    n = Namer()
    assert [n.claim(x) for x in ["a", "a", "a", "list", "input", "print", "class", "match", "plist", "a_2"]] == [
        "a", "a_2", "a_3", "list_2", "input_2", "print_2", "class_2", "match_2", "plist_2", "a_2_2"]
    assert {"input", "plist", "missing_output", "labeled", "datetime"} <= HELPERS <= RESERVED
    own = Namer(set())
    assert [own.claim("list"), own.claim("list")] == ["list", "list_2"]


def test_namer_never_hands_out_a_loop_name() -> None:
    n = Namer()
    assert n.claim("Repeat_Item_2_x") == "Repeat_Item_2_x"


@pytest.mark.timeout(10)  # it once looped forever
@pytest.mark.parametrize("base", ["Repeat_Item", "Repeat_Index"])
def test_namer_claim_of_a_loop_like_name(base: str) -> None:
    name = Namer().claim(base)
    assert loop_variable(name) is None


@pytest.mark.parametrize("seed", range(2))
def test_names_fuzz(seed: int) -> None:
    n = Namer()
    claimed: set[str] = set()
    for text in texts(300 + seed, 1500, 12):
        fn = function_name(text)
        assert fn.isidentifier() and fn.isascii() and not keyword.iskeyword(fn), (text, fn)
        for name in (identifier(text), snake(text)):
            assert name.isidentifier(), (text, name)
            assert unicodedata.normalize("NFKC", name) == name, (text, name)  # Python would normalise it
        base = identifier(text)
        name = n.claim(base)
        assert name.isidentifier() and not keyword.iskeyword(name) and name not in RESERVED
        assert loop_variable(name) is None
        assert name not in claimed
        claimed.add(name)
