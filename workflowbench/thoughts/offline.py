"""The offline backend of the thoughts stage: comments, plan and query from the model and the catalog.

No LLM is involved: every sentence comes from templates filled with what the shortcut holds (action
names, short literals, the code's variable names), so the same seed always gives the same thoughts.
Variation between shortcuts comes from a hash of the shortcut id, never from ``random``. Work is
linear in the number of actions; only statements holding a multi-line string are tokenised.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..controlflow import BLOCK_ACTIONS, Block, Leaf, Node
from ..model import BUILTIN_PREFIX, Action
from ..names import function_name, loop_name
from ..names import identifier as py_name
from ..to_code import APPENDVAR, COMMENT, EACH, IF, LEGACY, MENU, REPEAT, SETVAR, Transpiled, blocks
from ..values import (
    ATTACHMENT_TYPES,
    Array,
    Attachment,
    Dictionary,
    Quantity,
    Substitutable,
    Text,
    Variable,
    parse_attachment,
)
from .base import ApiDoc, Seed, Thoughts

MAX_COMMENT = 160
MAX_STEPS = 60
MAX_SUBLINES = 12  # sub-lines under one plan step
MAX_NESTING = 4  # sub-line levels under one plan step
INDENT = "   "

# --- text helpers ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _flat(s: str) -> str:
    """One printable line: line breaks, control and format characters become spaces."""
    if not s.isprintable():
        s = "".join(c if c.isprintable() or c == "\u200d" else " " for c in s)
    return _SPACES.sub(" ", s).strip()


def _clip(s: str, n: int) -> str:
    if len(s) <= n:
        return s
    cut = s[: n - 1]
    space = cut.rfind(" ")
    if space > n // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def _literal(s: str, n: int = 40) -> str:
    if len(s) > 400:  # a blob (base64, HTML): its size says more than its start
        return f"a {len(s):,}-character text starting '{_clip(_flat(s[:80]), 20)}'"
    text = _flat(s)
    if not text:
        return "an empty text" if not s else "'" + s[:8] + "'" if s.strip(" ") == "" else "whitespace"
    return "'" + _clip(text, n) + "'"


def _number(v: int | float) -> str:
    if type(v) is float:
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        v = round(v, 3)
        return str(int(v)) if v.is_integer() else str(v)
    return str(v)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(s: str) -> str:
    """'Show the result' -> 'show the result'; acronyms ('URL ...') and quotes stay as they are."""
    if len(s) > 1 and s[0].isupper() and not s[1].isupper():
        return s[0].lower() + s[1:]
    return s


def _sentence(s: str, end: str = ".") -> str:
    s = _flat(s).lstrip("#").strip()
    s = _clip(s, MAX_COMMENT - 1).rstrip(".:;, ")
    return (s[:1].upper() + s[1:] + end) if s else "Run this step" + end


# --- names ----------------------------------------------------------------------------------------

# Human names of frequent built-ins, for when the catalog has no entry.
HUMAN: dict[str, str] = {
    "conditional": "If", "setvariable": "Set Variable", "choosefrommenu": "Choose from Menu",
    "gettext": "Text", "comment": "Comment", "getvalueforkey": "Get Dictionary Value",
    "repeat.each": "Repeat with Each", "repeat.count": "Repeat", "dictionary": "Dictionary", "url": "URL",
    "exit": "Exit Shortcut", "choosefromlist": "Choose from List", "alert": "Show Alert",
    "text.replace": "Replace Text", "appendvariable": "Add to Variable", "getvariable": "Get Variable",
    "setitemname": "Set Name", "runworkflow": "Run Shortcut", "documentpicker.save": "Save File",
    "documentpicker.open": "Get File", "downloadurl": "Get Contents of URL", "count": "Count",
    "openurl": "Open URLs", "ask": "Ask for Input", "getitemfromlist": "Get Item from List", "number": "Number",
    "setvalueforkey": "Set Dictionary Value", "text.split": "Split Text", "showresult": "Show Result",
    "notification": "Show Notification", "text.combine": "Combine Text",
    "detect.dictionary": "Get Dictionary from Input", "setclipboard": "Copy to Clipboard",
    "getclipboard": "Get Clipboard", "base64encode": "Base64 Encode", "nothing": "Nothing",
    "text.match": "Match Text", "math": "Calculate", "previewdocument": "Quick Look", "output": "Stop and Output",
    "list": "List", "detect.text": "Get Text from Input", "filter.files": "Filter Files",
    "delay": "Wait", "speaktext": "Speak Text", "openapp": "Open App", "format.date": "Format Date",
    "date": "Date", "urlencode": "URL Encode", "getdevicedetails": "Get Device Details",
}
_WORDS = frozenset((
    "get set add remove delete open save show make create find search filter sort format convert combine split "
    "replace match count text url file files folder item items list name variable value values key keys "
    "dictionary date dates time number numbers image images photo photos video videos contents content web "
    "page webpage article articles details detail of from to in on for with by picker document choose menu "
    "repeat each run workflow workflows shortcut shortcuts input output alert notification clipboard device "
    "battery level wifi bluetooth brightness volume location maps travel weather current conditions forecast "
    "message email mail contact contacts phone call music playlist song play pause skip sound speak dictate "
    "translate language encode decode base64 hash zip unzip archive pdf html markdown rich rtf json csv "
    "calendar event events reminder reminders note notes health sample quantity timer alarm focus mode dnd "
    "low power airplane cellular wallpaper app apps quick look preview print share exit stop wait delay "
    "nothing comment math round random calculate statistics measurement unit type property properties link "
    "links trim whitespace case change size resize crop rotate flip mask overlay gif frame frames extract "
    "record audio book books reading safari tab tabs bookmark post home scene script shell javascript ssh "
    "download upload select take camera screenshot screenshots lock screen orientation dark appearance "
    "network address ip connect disconnect send receive start end toggle turn off new from between adjust "
    "detect action actions library podcast podcasts episode station radio ask user account image"
).split())
_ACRONYMS = {"url": "URL", "urls": "URLs", "pdf": "PDF", "html": "HTML", "json": "JSON", "gif": "GIF",
             "csv": "CSV", "ssh": "SSH", "rtf": "RTF", "ip": "IP", "dnd": "DND", "wifi": "Wi-Fi"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _segment(word: str) -> list[str]:
    """'downloadurl' -> ['download', 'url']: fewest known words, unknown runs kept whole."""
    n = len(word)
    best: list[tuple[int, list[str]] | None] = [(0, [])] + [None] * n
    for i in range(1, n + 1):
        for j in range(max(0, i - 12), i):
            prev = best[j]
            if prev is None:
                continue
            piece = word[j:i]
            if piece in _WORDS:
                cand = (prev[0] + 1, [*prev[1], piece])
            elif i - j == 1:  # an unknown letter joins the unknown run before it
                parts = prev[1]
                glue = bool(parts) and parts[-1] not in _WORDS
                cand = (prev[0] + (0 if glue else 3), [*parts[:-1], parts[-1] + piece] if glue else [*parts, piece])
            else:
                continue
            known = best[i]
            if known is None or cand[0] < known[0]:
                best[i] = cand
    result = best[n]
    return result[1] if result is not None else [word]


def derived_name(identifier: str) -> str:
    """A readable name from the identifier alone: 'is.workflow.actions.downloadurl' -> 'download URL',
    'com.agiletortoise.Drafts5.CaptureIntent' -> 'Capture'."""
    if identifier.startswith(BUILTIN_PREFIX):
        words = []
        for part in identifier[len(BUILTIN_PREFIX):].split("."):
            words += _segment(part.lower()) if part.islower() else _CAMEL.sub(" ", part).split()
    else:
        last = identifier.rpartition(".")[2]
        last = last.removesuffix("Intent") or last
        words = _CAMEL.sub(" ", last.replace("_", " ").replace("-", " ")).split()
    return " ".join(_ACRONYMS.get(w.lower(), w) for w in words if w) or identifier


def human_name(identifier: str, doc: ApiDoc | None) -> str:
    if doc is not None and doc.name:
        return _flat(doc.name)
    short = identifier[len(BUILTIN_PREFIX):] if identifier.startswith(BUILTIN_PREFIX) else None
    if short is not None and short in HUMAN:
        return HUMAN[short]
    return derived_name(identifier)


# Apple's own apps, whose bundle ids do not read as their names.
APPLE_APPS = {
    "com.apple.mobilenotes": "Notes", "com.apple.MobileSMS": "Messages", "com.apple.mobilesafari": "Safari",
    "com.apple.mobilephone": "Phone", "com.apple.mobileslideshow": "Photos", "com.apple.reminders": "Reminders",
    "com.apple.mobilecal": "Calendar", "com.apple.mobilemail": "Mail", "com.apple.Music": "Music",
    "com.apple.podcasts": "Podcasts", "com.apple.iBooks": "Books", "com.apple.facetime": "FaceTime",
    "com.apple.news": "News", "com.apple.Maps": "Maps", "com.apple.Health": "Health", "com.apple.Home": "Home",
    "com.apple.mobiletimer": "Clock", "com.apple.shortcuts": "Shortcuts", "com.apple.findmy": "Find My",
    "com.apple.Numbers": "Numbers", "com.apple.Pages": "Pages", "com.apple.Keynote": "Keynote",
    "com.apple.weather": "Weather", "com.apple.camera": "Camera", "com.apple.Translate": "Translate",
}
_PLATFORM = re.compile(r"(?i)[-_ ]?(?:ios|osx|macos|mac|mobile|ipad|iphone|forshortcuts|for shortcuts)$|\d+$")
_GENERIC_LAST = frozenset({"app", "ios", "mac", "mobile", "iphone", "ipad", "macos", "osx"})


def app_name(action: Action) -> str | None:
    """The display name of a third-party (or Apple) app an action belongs to; None for built-ins."""
    bundle = action.app
    if bundle == "shortcuts":
        return None
    for key in ("AppIntentDescriptor", "IntentAppDefinition"):
        desc = action.parameters.get(key)
        if isinstance(desc, dict) and isinstance(desc.get("Name"), str) and desc["Name"].strip():
            return _clip(_flat(desc["Name"]), 30)
    if bundle in APPLE_APPS:
        return APPLE_APPS[bundle]
    parts = [p for p in bundle.removeprefix("maccatalyst.").split(".") if p]
    while len(parts) > 1 and parts[-1].lower() in _GENERIC_LAST:
        parts.pop()
    if not parts:
        return None
    last = parts[-1]
    for _ in range(2):
        last = _PLATFORM.sub("", last) or last
    words = _CAMEL.sub(" ", re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", last)).replace("-", " ").replace("_", " ")
    words = " ".join(w[:1].upper() + w[1:] for w in words.split())
    return _clip(words, 30) or None


# --- the context of one seed ----------------------------------------------------------------------

_SPECIAL = {
    "ExtensionInput": "the shortcut input", "Clipboard": "the clipboard", "CurrentDate": "the current date",
    "Ask": "a value asked for when run", "DeviceDetails": "the device details", "Input": "the action's input",
}
_SPECIAL_SHORT = {"ExtensionInput": "shortcut input", "Clipboard": "clipboard", "CurrentDate": "current date",
                  "Ask": "asked value", "DeviceDetails": "device details", "Input": "input"}
_TARGET = re.compile(r"\s*([^\W\d]\w*)\s*(?:\+=|=|:)")
_NAME_ARG = r"\b{}=([^\W\d]\w*)\s*[,)]"
_ASSIGNED = re.compile(r"\s*[^\W\d]\w*\s*\+?=\s*\[?([^\W\d]\w*)\]?\s*$")
# The compared name in `if x == 'a':`, `if not x:`, `if 'a' in x:` or the call form of those.
_IF_SUBJECT = re.compile(r"\s*if (?:is_workflow_actions_conditional\()?(?:not )?([^\W\d]\w*)\b(?![\w(])")
_IF_CONTAINER = re.compile(r"\s*if .* in ([^\W\d]\w*)\b(?![\w(])")


class _Context:
    """What describing one seed needs: its actions, code lines, names and block tree."""

    def __init__(self, seed: Seed, apis: Mapping[str, ApiDoc]) -> None:
        self.seed = seed
        self.apis = apis
        self.actions = seed.workflow.actions
        self.names = seed.code.names
        self.code_lines, self.pairs = _code_map(seed.code)
        self.line_of: dict[int, int] = {}
        for line, index in self.pairs:
            self.line_of.setdefault(index, line)
        self.tree, _ = blocks(seed.workflow)
        self.owner: dict[int, Block] = {}
        for block in _walk_blocks(self.tree):
            for br in block.branches:
                self.owner[br.header] = block
            if block.end is not None:
                self.owner[block.end] = block
        self.variables = self._variable_names()
        self.phrases: dict[int, str] = {}

    def _variable_names(self) -> dict[str, str]:
        """Named variable -> its name in code, read off the code lines of Set/Add to Variable."""
        out: dict[str, str] = {}
        for i, a in enumerate(self.actions):
            if a.identifier not in (SETVAR, APPENDVAR) or (a.uuid is not None and a.uuid in self.names):
                continue
            name = a.parameters.get("WFVariableName")
            line = self.line_of.get(i)
            if type(name) is str and name not in out and line is not None:
                m = _TARGET.match(self.code_lines[line - 1])
                if m is not None:
                    out[name] = m[1]
        return out

    def line_text(self, i: int) -> str:
        line = self.line_of.get(i)
        return self.code_lines[line - 1] if line is not None else ""

    def doc(self, i: int) -> ApiDoc | None:
        return self.apis.get(self.actions[i].identifier)

    def name_of(self, i: int) -> str:
        return human_name(self.actions[i].identifier, self.doc(i))

    # values -------------------------------------------------------------------------------------

    def variable(self, name: str) -> str:
        return loop_name(name) or self.variables.get(name) or py_name(name)

    def attachment(self, a: Attachment, short: bool = False) -> str:
        """A reference as prose: `name` for what has a name in code, else a short description."""
        code: str | None = None
        if a.type == "ActionOutput":
            code = self.names.get(a.output_uuid) if a.output_uuid is not None else None
            plain = f"the '{_clip(_flat(a.output_name), 30)}' result" if a.output_name else "an earlier result"
        elif a.type == "Variable" and a.variable_name is not None:
            code = self.variable(a.variable_name)
            plain = code
        else:
            table = _SPECIAL_SHORT if short else _SPECIAL
            plain = table.get(a.type or "", "a value")
        keys = ""
        prop: str | None = None
        for g in a.aggrandizements or ():
            field = g.fields.get("DictionaryKey") if g.kind == "DictionaryValue" else g.fields.get("PropertyName")
            if type(field) is not str:
                continue
            if g.kind == "DictionaryValue":
                keys += "['" + _clip(_flat(field), 24) + "']"
            elif g.kind == "Property":
                prop = _lower_first(_clip(_flat(field), 24))
        if short:
            out = (code or plain) + keys
            return f"{prop} of {out}" if prop else out
        if code is not None:
            out = f"`{code}{keys}`"
        else:
            out = plain + (f" (key {keys[1:-1]})" if keys else "")
        return f"the {prop} of {out}" if prop else out

    def ref(self, v: object, n: int = 40) -> str | None:
        """A parameter value as prose, or None when it says nothing worth a comment."""
        if isinstance(v, Variable):
            return self.attachment(v.attachment)
        if isinstance(v, Attachment):
            return self.attachment(v)
        if isinstance(v, Text):
            return self.text(v, n)
        if isinstance(v, str):
            return _literal(v, n)
        if isinstance(v, bool):
            return "on" if v else "off"
        if isinstance(v, int | float):
            return _number(v)
        if isinstance(v, Substitutable):
            return self.ref(v.value, n)
        if isinstance(v, dict):
            kind = v.get("Type")
            if kind == "Variable" and "Variable" in v:  # the subject of an If
                return self.ref(v["Variable"], n)
            if kind in ATTACHMENT_TYPES:  # a raw attachment, as old files keep them
                return self.attachment(parse_attachment(v, 0, 50))
            return None
        if isinstance(v, Dictionary):
            keys = self.keys(v)
            return f"a dictionary with the keys {_join(keys)}" if keys else "a dictionary"
        if isinstance(v, list | Array):
            items = v if isinstance(v, list) else v.items
            return f"a list of {len(items)} items" if items else "an empty list"
        if isinstance(v, Quantity):
            mag = self.ref(v.magnitude, n)
            unit = v.unit if isinstance(v.unit, str) else ""
            return f"{mag} {unit}".strip() if mag else None
        return None

    def text(self, t: Text, n: int) -> str:
        parts = t.parts
        if len(parts) == 1 and isinstance(parts[0], Attachment):
            return self.attachment(parts[0])
        if all(isinstance(p, str) for p in parts):
            return _literal("".join(p for p in parts if isinstance(p, str)), n)
        shown: list[str] = []
        size = 0
        for p in parts:  # a template: 'Hello {name}!'
            piece = p[: n * 2] if isinstance(p, str) else "{" + self.attachment(p, True) + "}"
            shown.append(piece)
            size += len(piece)
            if size > n * 2:
                break
        return "'" + _clip(_flat("".join(shown)), n + 10) + "'"

    def keys(self, d: Dictionary, most: int = 3) -> list[str]:
        keys = [self.ref(it.key, 24) for it in d.items[: most + 1] if it.key is not None]
        shown = [k for k in keys if k][:most]
        if len(d.items) > most and shown:
            shown.append(f"{len(d.items) - most} more")
        return shown

    def param(self, i: int, key: str, n: int = 40) -> str | None:
        v = self.actions[i].parameters.get(key)
        return None if v is None else self.ref(v, n)

    def input(self, i: int, key: str, fallback: str = "the previous result") -> str:
        """The action's input: its parameter, or the name the code hands over implicitly."""
        got = self.param(i, key)
        if got is not None:
            return got
        line = self.line_text(i)
        m = re.search(_NAME_ARG.format(re.escape(key)), line)
        if m is None and self.actions[i].identifier in (SETVAR, APPENDVAR):
            m = _ASSIGNED.match(line)  # `x = name`, `x += [name]`
        return f"`{m[1]}`" if m is not None else fallback

    def with_kept(self, text: str, i: int, noun: str = "result") -> str:
        """``text`` and, when the action's output has a name in code, where the output goes."""
        a = self.actions[i]
        name = self.names.get(a.uuid) if a.uuid is not None else None
        if name is None:
            return text
        forms = (" and keep the {} as `{}`", ", storing the {} in `{}`", " and save the {} as `{}`")
        form = forms[i % 3]
        if form.startswith(" and") and " and " in text:  # one 'and' per sentence reads better
            form = ", keeping the {} as `{}`"
        return text + form.format(noun, name)

    # comments -----------------------------------------------------------------------------------

    def phrase(self, i: int) -> str:
        """The comment sentence for action ``i``."""
        got = self.phrases.get(i)
        if got is None:
            got = self.phrases[i] = self._phrase(i)
        return got

    def _phrase(self, i: int) -> str:
        a = self.actions[i]
        mode = a.mode
        if a.identifier in BLOCK_ACTIONS and mode in (0, 1, 2, None):  # no mode: written as a start
            if not mode:
                return _sentence(self.header(i))
            if mode == 1:
                return _sentence(self.middle(i), ":")
            return _sentence(self.end(i))
        short = a.identifier[len(BUILTIN_PREFIX):] if a.identifier.startswith(BUILTIN_PREFIX) else ""
        spec = _SPECIFIC.get(short)
        if spec is not None:
            text = spec[0](self, i, a.parameters)
            if text is not None:
                return _sentence(self.with_kept(text, i, spec[1]))
        return _sentence(self.with_kept(self.generic(i), i))

    def generic(self, i: int) -> str:
        a = self.actions[i]
        doc = self.doc(i)
        name = self.name_of(i)
        app = app_name(a)
        where = f" in {app}" if app and app.lower() not in name.lower() else ""
        head = name if name.split(" ", 1)[0].lower() in _VERBS else f"Use '{name}'"
        args: list[tuple[bool, int, str]] = []
        for pos, (key, value) in enumerate(a.parameters.items()):
            if key in _SKIP_KEYS or value is None:
                continue
            shown = None if type(value) is bool else self.ref(value, 30)  # toggles say little
            if shown is None:
                continue
            label = doc.labels.get(key) if doc is not None else None
            label = _label_words(_flat(label)) if label else _key_label(key)
            args.append((not shown.startswith(("`", "the ")), pos, f"{shown} as {label}"))
        if args:
            picked = sorted(sorted(args)[:2], key=lambda x: x[1])
            return f"{head}{where} with {_join([x[2] for x in picked])}"
        about = _description(name, doc)
        return f"{head}{where}" + (f" ({about})" if about else "")

    def condition(self, i: int, negate: bool = False) -> str | None:
        p = self.actions[i].parameters
        code = p.get("WFCondition")
        if type(code) is str:
            code = LEGACY.get(code)
        subject = self.param(i, "WFInput")
        if subject is None:
            m = (_IF_CONTAINER if code in (99, 999) else _IF_SUBJECT).match(self.line_text(i))
            subject = f"`{m[1]}`" if m is not None else "the previous result"
        if type(code) is not int or code not in _COMPARE:
            return None
        words = (_NEGATED if negate else _COMPARE)[code]
        if code in (100, 101):
            return f"{subject} {words}"
        if code == 1003:
            low, high = self.param(i, "WFNumberValue"), self.param(i, "WFAnotherNumber")
            return f"{subject} {words} {low or '?'} and {high or '?'}"
        key = "WFConditionalActionString" if code in (4, 5, 8, 9, 99, 999) and \
            "WFConditionalActionString" in p else "WFNumberValue"
        operand = self.param(i, key)
        return f"{subject} {words} {operand if operand is not None else 'an empty text'}"

    def header(self, i: int) -> str:
        a = self.actions[i]
        ident = a.identifier
        if ident == IF:
            cond = self.condition(i)
            return f"Check whether {cond}" if cond else f"Check a condition on {self.input(i, 'WFInput')}"
        if ident == MENU:
            return self.menu_header(i)
        if ident == REPEAT:
            count = self.param(i, "WFRepeatCount")
            if count is None:
                return "Repeat the following steps"
            return "Repeat once" if count == "1" else f"Repeat {count} times"
        return f"Repeat for each item in {self.input(i, 'WFInput')}"

    def menu_header(self, i: int) -> str:
        p = self.actions[i].parameters
        items = p.get("WFMenuItems")
        titles: list[str] = []
        if type(items) is list:
            for it in items[:3]:
                shown = self.ref(it["WFValue"] if type(it) is dict and "WFValue" in it else it, 24)
                if shown:
                    titles.append(shown)
            count = len(items)
        else:
            block = self.owner.get(i)
            count = len(block.branches) - 1 if block is not None else 0
        prompt = self.param(i, "WFMenuPrompt", 50)
        options = f"{count} option" + ("" if count == 1 else "s")
        if prompt:
            return f"Offer a menu titled {prompt} with {options}"
        if titles:
            more = f" and {count - len(titles)} more" if count > len(titles) else ""
            return f"Offer a menu with the options {_join(titles)}{more}" if not more else \
                f"Offer a menu with the options {', '.join(titles)}{more}"
        return f"Offer a menu with {options}"

    def middle(self, i: int) -> str:
        a = self.actions[i]
        block = self.owner.get(i)
        if a.identifier == MENU:
            title = self.param(i, "WFMenuItemTitle", 50)
            return f"Handle the menu option {title}" if title else "Handle the next menu option"
        if a.identifier == IF:
            cond = self.condition(block.start, negate=True) if block is not None and \
                self.actions[block.start].identifier == IF else None
            return f"Otherwise, when {cond}" if cond else "Otherwise"
        return "Continue with the next part of the block"

    def end(self, i: int) -> str:
        a = self.actions[i]
        what = {IF: "the check", MENU: "the menu", REPEAT: "the loop", EACH: "the loop"}[a.identifier]
        name = self.names.get(a.uuid) if a.uuid is not None else None
        if name is None:
            return f"End {what}"
        if a.identifier in (REPEAT, EACH):
            return f"End the loop and collect the results of its runs as `{name}`"
        return f"End {what} and keep the result of the branch that ran as `{name}`"


def _walk_blocks(nodes: list[Node]) -> Iterator[Block]:
    stack = [nodes]
    while stack:
        for node in stack.pop():
            if isinstance(node, Block):
                yield node
                stack.extend(br.body for br in node.branches)


_COMPARE = {0: "is less than", 1: "is at most", 2: "is greater than", 3: "is at least", 4: "equals",
            5: "does not equal", 8: "begins with", 9: "ends with", 99: "contains", 999: "does not contain",
            100: "has any value", 101: "has no value", 1003: "is between"}
_NEGATED = {0: "is at least", 1: "is greater than", 2: "is at most", 3: "is less than", 4: "does not equal",
            5: "equals", 8: "does not begin with", 9: "does not end with", 99: "does not contain", 999: "contains",
            100: "has no value", 101: "has a value", 1003: "is not between"}
_SKIP_KEYS = frozenset({"UUID", "CustomOutputName", "GroupingIdentifier", "WFControlFlowMode", "ShowWhenRun",
                        "AppIntentDescriptor", "IntentAppDefinition", "WFShowWorkflow", "Show-text"})
_VERBS = frozenset((
    "get set add remove delete open save show make create find search filter sort format convert combine split "
    "replace match count run send post play take select ask append update edit generate start stop log query "
    "insert write read encode decode resize crop rotate copy paste share speak translate calculate round "
    "extract toggle turn change trim record scan check list clear mark move rename upload download import "
    "export print connect lock unlock capture transform spell prettify push commit pull fetch deduplicate go "
    "tweet hide quit close sign install"
).split())
_STOPWORDS = frozenset("the and for from with into onto this that get gets set sets your you its".split())


def _key_label(key: str) -> str:
    """'WFHTTPMethod' -> 'HTTP method', 'WFSaveFileOverwrite' -> 'save file overwrite'."""
    key = key.removeprefix("WF") if key.startswith("WF") and key[2:3].isupper() else key
    return _label_words(_CAMEL.sub(" ", key.replace("_", " ").replace("-", " "))) or key


def _label_words(label: str) -> str:
    """A label inside a sentence: 'Key Path' -> 'key path'; 'URL' and 'iCloud' stay."""
    return " ".join(w.lower() if w[1:].islower() or len(w) == 1 else w for w in label.split())


def _description(name: str, doc: ApiDoc | None) -> str | None:
    """The catalog's first sentence, when short and about this action (it names something the name
    names: some catalog descriptions belong to another action)."""
    if doc is None or not doc.description:
        return None
    first = _flat(doc.description).split(". ")[0].rstrip(".")
    if not first or len(first) > 90:
        return None
    stem = {w.lower().rstrip("s")[:6] for w in re.findall(r"[A-Za-z]{3,}", name)} - _STOPWORDS
    said = {w.lower().rstrip("s")[:6] for w in re.findall(r"[A-Za-z]{3,}", first)} - _STOPWORDS
    if not stem & said - _VERBS:
        return None
    return _lower_first(first)


# --- phrases for frequent built-ins -----------------------------------------------------------------

# A phrase for one action: (context, action index, parameters) -> sentence, or None for the generic one.
Phrase = Callable[[_Context, int, Mapping[str, Any]], "str | None"]


def _word(p: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """An enum-like parameter (a plain string), e.g. WFCountType."""
    v = p.get(key, default)
    return v if isinstance(v, str) else None


def _url(c: _Context, i: int, key: str) -> str:
    got = c.input(i, key, "the URL from the previous step")
    return f"the URL in {got}" if got.startswith("`") else got


def _gettext(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    got = c.param(i, "WFTextActionText", 60)
    if not got or got == "an empty text":
        return "Prepare an empty text"
    return f"Write {got}" if got.startswith("a ") else f"Write the text {got}"  # 'a 9,000-character text'


def _getvalue(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    kind, src = p.get("WFGetDictionaryValueType"), c.input(i, "WFInput")
    if kind == "All Keys":
        return f"Get all keys of {src}"
    if kind == "All Values":
        return f"Get all values of {src}"
    return f"Get the value for the key {c.param(i, 'WFDictionaryKey', 30) or '?'} from {src}"


def _setvalue(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    key, value = c.param(i, "WFDictionaryKey", 30) or "?", c.param(i, "WFDictionaryValue") or "a value"
    return f"Set the key {key} to {value} in {c.input(i, 'WFDictionary')}"


def _dictionary(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    items = p.get("WFItems")
    keys = c.keys(items) if isinstance(items, Dictionary) else []
    return f"Create a dictionary with the keys {_join(keys)}" if keys else "Create a dictionary"


def _list(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    items = p.get("WFItems")
    if not isinstance(items, list) or not items:
        return "Make a list"
    values = (x["WFValue"] if isinstance(x, dict) and "WFValue" in x else x for x in items[:3])
    shown = [s for s in (c.ref(v, 20) for v in values) if s]
    return f"Make a list of {len(items)} items" + (f" such as {_join(shown)}" if shown else "")


def _choose(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    what = "items" if p.get("WFChooseFromListActionSelectMultiple") is True else "an item"
    prompt = c.param(i, "WFChooseFromListActionPrompt")
    return f"Let the user choose {what} from {c.input(i, 'WFInput')}" + (f" with the prompt {prompt}" if prompt else "")


def _titled(what: str, title_key: str, body_key: str) -> Phrase:
    def phrase(c: _Context, i: int, p: Mapping[str, Any]) -> str:
        title, body = c.param(i, title_key), c.param(i, body_key)
        if title and body:
            return f"Show {what} titled {title} saying {body}"
        return f"Show {what} saying {title or body}" if title or body else f"Show {what}"
    return phrase


def _replace(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    what = "the pattern " if p.get("WFReplaceTextRegularExpression") is True else ""
    find = c.param(i, "WFReplaceTextFind", 30) or "some text"
    repl = c.param(i, "WFReplaceTextReplace", 30) or "nothing"
    return f"Replace {what}{find} with {repl} in {c.input(i, 'WFInput')}"


def _variable(verb: str) -> Phrase:
    def phrase(c: _Context, i: int, p: Mapping[str, Any]) -> str:
        name = p.get("WFVariableName")
        var = f"`{c.variable(name)}`" if isinstance(name, str) else "a variable"
        value = c.input(i, "WFInput")
        return f"Set the variable {var} to {value}" if verb == "set" else f"Add {value} to the variable {var}"
    return phrase


def _run(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    name, wf = p.get("WFWorkflowName"), p.get("WFWorkflow")
    if not isinstance(name, str) and isinstance(wf, dict):
        name = wf.get("workflowName")
    given = c.param(i, "WFInput")
    what = f"the shortcut {_literal(name)}" if isinstance(name, str) else "another shortcut"
    return f"Run {what}" + (f" with {given}" if given else "")


def _save(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    path = c.param(i, "WFFileDestinationPath", 40)
    if p.get("WFAskWhereToSave", True) is not False:
        where = "a file, asking where to save it"
    else:
        where = f"the file {path}" if path else "a file"
    return f"Save {c.input(i, 'WFInput')} to {where}"


def _open_file(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    path = c.param(i, "WFGetFilePath", 40)
    return f"Open the file {path}" if path else "Let the user pick a file"


def _download(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    method, url = _word(p, "WFHTTPMethod"), _url(c, i, "WFURL")
    return f"Send a {method} request to {url}" if method and method != "GET" else f"Download the contents of {url}"


def _count(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    kind = _word(p, "WFCountType", "Items") or "Items"
    return f"Count the {kind.lower()} in {c.input(i, 'Input')}"


def _ask(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    prompt, kind = c.param(i, "WFAskActionPrompt", 60), _word(p, "WFInputType")
    kind_text = f" for a {kind.lower()}" if kind and kind != "Text" else ""
    return f"Ask the user {prompt}{kind_text}" if prompt else f"Ask the user for input{kind_text}"


def _item(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    spec, src = _word(p, "WFItemSpecifier", "First Item"), c.input(i, "WFInput")
    if spec == "Item At Index":
        return f"Get item {c.param(i, 'WFItemIndex') or 'at an index'} of {src}"
    if spec == "Items in Range":
        return f"Get items {c.param(i, 'WFItemRangeStart') or '?'} to {c.param(i, 'WFItemRangeEnd') or '?'} of {src}"
    which = {"First Item": "the first item", "Last Item": "the last item", "Random Item": "a random item"}
    return f"Get {which.get(spec or '', 'an item')} from {src}"


def _split(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    how = {"New Lines": "by new lines", "Spaces": "by spaces", "Every Character": "into characters"}
    by = how.get(_word(p, "WFTextSeparator", "New Lines") or "")
    return f"Split {c.input(i, 'text')} {by or 'at ' + (c.param(i, 'WFTextCustomSeparator', 20) or 'a separator')}"


def _combine(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    how = {"New Lines": "new lines", "Spaces": "spaces", "None": "nothing in between"}
    by = how.get(_word(p, "WFTextSeparator", "New Lines") or "")
    return f"Join {c.input(i, 'text')} with {by or c.param(i, 'WFTextCustomSeparator', 20) or 'a separator'}"


def _math(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    op = _word(p, "WFMathOperation", "+") or "+"
    operand = c.param(i, "WFMathOperand") or c.param(i, "WFScientificMathOperand")
    src = c.input(i, "WFInput")
    return f"Calculate {src} {op} {operand}" if operand else f"Calculate {op} of {src}"


def _openapp(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    app, ident = p.get("WFSelectedApp"), _word(p, "WFAppIdentifier")
    name = app.get("Name") if isinstance(app, dict) else None
    if not isinstance(name, str) and ident:
        name = APPLE_APPS.get(ident, ident)
    return f"Open the app {_literal(name, 40)}" if isinstance(name, str) else "Open an app"


def _coding(encode: str, decode: str) -> Phrase:
    def phrase(c: _Context, i: int, p: Mapping[str, Any]) -> str:
        return (decode if p.get("WFEncodeMode") == "Decode" else encode).format(c.input(i, "WFInput"))
    return phrase


def _on_input(template: str, key: str = "WFInput") -> Phrase:
    def phrase(c: _Context, i: int, p: Mapping[str, Any]) -> str:
        return template.format(c.input(i, key))
    return phrase


def _on_param(template: str, key: str, fallback: str) -> Phrase:
    def phrase(c: _Context, i: int, p: Mapping[str, Any]) -> str:
        got = c.param(i, key, 60)
        return template.format(got) if got and got != "an empty text" else fallback
    return phrase


def _fixed(text: str) -> Phrase:
    return lambda c, i, p: text


def _case(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Change {c.input(i, 'text')} to {(_word(p, 'WFCaseType') or 'another case').lower()}"


def _device(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Get the device's {(_word(p, 'WFDeviceDetail') or 'details').lower()}"


def _match(c: _Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Find matches of the pattern {c.param(i, 'WFMatchTextPattern', 30) or '?'} in {c.input(i, 'text')}"


# short identifier -> (phrase, what its output is called)
_SPECIFIC: dict[str, tuple[Phrase, str]] = {
    "gettext": (_gettext, "text"),
    "comment": (_on_param("Leave a note: {}", "WFCommentActionText", "Leave an empty note"), "result"),
    "getvalueforkey": (_getvalue, "value"),
    "setvalueforkey": (_setvalue, "updated dictionary"),
    "dictionary": (_dictionary, "dictionary"),
    "url": (_on_param("Define the URL {}", "WFURLActionURL", "Define a URL"), "URL"),
    "exit": (_fixed("Stop the shortcut"), "result"),
    "output": (_on_param("Stop the shortcut and output {}", "WFOutput", "Stop the shortcut and output the result"),
               "result"),
    "choosefromlist": (_choose, "choice"),
    "alert": (_titled("an alert", "WFAlertActionTitle", "WFAlertActionMessage"), "result"),
    "notification": (_titled("a notification", "WFNotificationActionTitle", "WFNotificationActionBody"), "result"),
    "text.replace": (_replace, "updated text"),
    "appendvariable": (_variable("add"), "result"),
    "setvariable": (_variable("set"), "result"),
    "getvariable": (_on_param("Get the value of {}", "WFVariable", "Get a variable"), "value"),
    "setitemname": (lambda c, i, p: f"Rename {c.input(i, 'WFInput')} to {c.param(i, 'WFName') or 'a new name'}",
                    "renamed item"),
    "runworkflow": (_run, "result"),
    "documentpicker.save": (_save, "saved file"),
    "documentpicker.open": (_open_file, "file"),
    "downloadurl": (_download, "response"),
    "count": (_count, "count"),
    "openurl": (lambda c, i, p: f"Open {_url(c, i, 'WFInput')}", "result"),
    "ask": (_ask, "answer"),
    "getitemfromlist": (_item, "item"),
    "number": (_on_param("Define the number {}", "WFNumberActionNumber", "Define a number"), "number"),
    "text.split": (_split, "parts"),
    "text.combine": (_combine, "combined text"),
    "text.match": (_match, "matches"),
    "text.changecase": (_case, "text"),
    "showresult": (_on_param("Show {}", "Text", "Show the result"), "result"),
    "detect.dictionary": (_on_input("Read {} as a dictionary"), "dictionary"),
    "detect.text": (_on_input("Get the text of {}"), "text"),
    "detect.number": (_on_input("Get the number in {}"), "number"),
    "detect.link": (_on_input("Get the URLs in {}"), "URLs"),
    "detect.images": (_on_input("Get the images in {}"), "images"),
    "detect.date": (_on_input("Get the dates in {}"), "dates"),
    "setclipboard": (_on_input("Copy {} to the clipboard"), "result"),
    "getclipboard": (_fixed("Get the contents of the clipboard"), "contents"),
    "base64encode": (_coding("Encode {} as Base64", "Decode the Base64 in {}"), "result"),
    "urlencode": (_coding("URL-encode {}", "URL-decode {}"), "result"),
    "nothing": (_fixed("Do nothing, which clears the current result"), "result"),
    "list": (_list, "list"),
    "math": (_math, "result"),
    "delay": (_on_param("Wait {} seconds", "WFDelayTime", "Wait a moment"), "result"),
    "previewdocument": (_on_input("Preview {} with Quick Look"), "result"),
    "speaktext": (_on_input("Speak {} aloud", "WFText"), "result"),
    "openapp": (_openapp, "app"),
    "getitemname": (_on_input("Get the name of {}"), "name"),
    "getitemtype": (_on_input("Get the type of {}"), "type"),
    "share": (_on_input("Share {}"), "result"),
    "savetocameraroll": (_on_input("Save {} to the photo library"), "saved media"),
    "getdevicedetails": (_device, "detail"),
    "format.date": (_on_input("Format {} as text", "WFDate"), "formatted date"),
    "date": (_on_param("Get the date {}", "WFDateActionDate", "Get the current date"), "date"),
}


# --- action lines ---------------------------------------------------------------------------------


def action_lines(code: Transpiled) -> dict[int, int]:
    """Code line -> the action that starts there (the first mapping per line), for lines that are not
    already comments. An implicit block end maps to the last line of its body, which may be ``pass``;
    that starts no action."""
    return _action_lines(*_code_map(code))


def _action_lines(lines: list[str], pairs: list[tuple[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    seen: set[int] = set()
    for line, index in pairs:
        if line in seen:
            continue
        seen.add(line)
        text = lines[line - 1].lstrip()
        if text and not text.startswith("#") and text != "pass":
            out[line] = index
    return out


def _code_map(code: Transpiled) -> tuple[list[str], list[tuple[int, int]]]:
    """The code's lines, and ``code.lines`` (code line, action index)."""
    lines = code.code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, [(n, index) for n, index in code.lines if 0 < n <= len(lines)]


# --- plan -----------------------------------------------------------------------------------------

_MERGED = {BUILTIN_PREFIX + short: text for short, text in {
    "setvariable": "Set {n} variables", "appendvariable": "Add to variables {n} times",
    "gettext": "Prepare {n} texts", "getvalueforkey": "Read {n} dictionary values", "number": "Define {n} numbers",
    "url": "Define {n} URLs", "dictionary": "Build {n} dictionaries", "downloadurl": "Make {n} web requests",
    "alert": "Show {n} alerts", "notification": "Show {n} notifications",
    "setvalueforkey": "Set {n} dictionary values", "text.replace": "Make {n} text replacements",
    "getvariable": "Get {n} variables",
}.items()}


def _is_note(c: _Context, node: Node) -> bool:
    return isinstance(node, Leaf) and c.actions[node.index].identifier == COMMENT


def _size(node: Node) -> int:
    """How many actions a node holds."""
    if isinstance(node, Leaf):
        return 1
    total = 0
    for block in _walk_blocks([node]):
        total += len(block.branches) + (block.end is not None)
        total += sum(1 for br in block.branches for n in br.body if isinstance(n, Leaf))
    return total


def _groups(c: _Context, nodes: list[Node]) -> list[Block | list[Leaf]]:
    """Nodes to show, with runs of the same simple action merged into one group."""
    out: list[Block | list[Leaf]] = []
    for node in nodes:
        if _is_note(c, node):
            continue
        if isinstance(node, Block):
            out.append(node)
            continue
        last = out[-1] if out else None
        ident = c.actions[node.index].identifier
        if isinstance(last, list) and c.actions[last[0].index].identifier == ident and ident not in BLOCK_ACTIONS:
            last.append(node)
        else:
            out.append([node])
    return out


class _Planner:
    def __init__(self, c: _Context) -> None:
        self.c = c

    def steps(self) -> list[str]:
        c = self.c
        if not c.actions:
            return ["Do nothing: the shortcut has no actions."]
        groups = _groups(c, c.tree)
        if not groups:
            return [f"Keep {len(c.actions)} notes as comments; the shortcut has no other actions."]
        out: list[str] = []
        for k, group in enumerate(groups):
            if len(out) == MAX_STEPS - 1 and k < len(groups) - 1:
                out.append(self.rest(groups[k:]))
                break
            out.append(self.step(group))
        return out

    def step(self, group: Block | list[Leaf]) -> str:
        c = self.c
        budget = [MAX_SUBLINES]
        if isinstance(group, Block):
            return "\n".join(self.block(group, 0, budget))
        if len(group) == 1:
            return c.phrase(group[0].index)
        first = group[0].index
        head = _MERGED.get(c.actions[first].identifier, "Use '{name}' {n} times in a row")
        return "\n".join([head.format(n=len(group), name=c.name_of(first)) + ":", *self.body(list(group), 1, budget)])

    def block(self, block: Block, level: int, budget: list[int]) -> list[str]:
        """The block's header line at ``level`` and its branches below it."""
        c = self.c
        head = _sentence(c.header(block.start), ":")
        pad = INDENT * level
        if level >= MAX_NESTING - 1:
            return [pad + head[:-1] + f" ({_size(block) - 1} more actions inside)."]
        lines = [pad + head]
        if block.identifier in (IF, MENU):
            for k, br in enumerate(block.branches):
                if block.identifier == MENU and k == 0 and not [n for n in br.body if not _is_note(c, n)]:
                    continue
                if budget[0] <= 0:
                    lines.append(INDENT * (level + 1) + "- …and the other branches.")
                    break
                budget[0] -= 1
                lines.append(INDENT * (level + 1) + "- " + self.label(block, k))
                lines += self.body(br.body, level + 2, budget)
        else:
            lines += self.body(block.branches[0].body, level + 1, budget)
        return lines

    def label(self, block: Block, k: int) -> str:
        c = self.c
        if block.identifier == IF:
            return "If so:" if k == 0 else "Otherwise:"
        if k == 0:
            return "Before the options:"
        title = c.param(block.branches[k].header, "WFMenuItemTitle", 40)
        return f"For {title}:" if title else "For the next option:"

    def body(self, nodes: list[Node], level: int, budget: list[int]) -> list[str]:
        c = self.c
        pad = INDENT * level
        shown = [n for n in nodes if not _is_note(c, n)]
        if not shown:
            return [pad + "- Nothing."]
        lines: list[str] = []
        for k, node in enumerate(shown):
            if budget[0] <= 0 or level > MAX_NESTING:
                left = sum(_size(n) for n in shown[k:])
                lines.append(pad + f"- …and {left} more action{'s' if left != 1 else ''}.")
                break
            budget[0] -= 1
            if isinstance(node, Leaf):
                lines.append(pad + "- " + c.phrase(node.index))
            else:
                inner = self.block(node, level, budget)
                inner[0] = pad + "- " + inner[0].lstrip()
                lines += inner
        return lines

    def rest(self, groups: list[Block | list[Leaf]]) -> str:
        """The last step: what the steps left out hold."""
        c = self.c
        kinds: Counter[str] = Counter()
        actions = 0
        for group in groups:
            if isinstance(group, Block):
                actions += _size(group)
                kinds[group.identifier] += 1
            else:
                actions += len(group)
                kinds[c.actions[group[0].index].identifier] += len(group)
        top = [f"'{human_name(ident, c.apis.get(ident))}'" for ident, _ in kinds.most_common(3)]
        return f"…and {len(groups)} more steps ({actions} actions), mostly {_join(top)}."


# --- query ----------------------------------------------------------------------------------------

# What a user would ask for, per distinctive built-in (base-form verb phrases).
_ASKS: dict[str, str] = {
    "downloadurl": "fetch data from a web service", "openurl": "open a web page", "notification": "notify me",
    "alert": "show me an alert", "ask": "ask me for some input", "choosefromlist": "let me pick from a list",
    "documentpicker.save": "save the result to a file", "documentpicker.open": "open a file",
    "setclipboard": "copy the result to my clipboard", "getclipboard": "read what is on my clipboard",
    "text.replace": "clean up text", "text.match": "find patterns in text", "base64encode": "encode data as Base64",
    "sendmessage": "send a message", "sendemail": "send an email", "speaktext": "read text aloud",
    "playmusic": "play music", "getcurrentlocation": "use my current location", "weather.currentconditions":
    "check the weather", "weather.forecast": "get the weather forecast", "takephoto": "take a photo",
    "selectphoto": "pick photos from my library", "image.resize": "resize images", "makepdf": "make a PDF",
    "runworkflow": "run my other shortcuts", "getmyworkflows": "go through my shortcuts",
    "detect.dictionary": "read JSON data", "showresult": "show me the result", "share": "share the result",
    "previewdocument": "preview the result", "savetocameraroll": "save images to my photo library",
    "getwebpagecontents": "read the contents of a web page", "searchweb": "search the web",
    "image.convert": "convert images", "image.crop": "crop images", "overlayimageonimage": "overlay images",
    "makezip": "make a ZIP archive", "unzip": "unzip archives", "file.createfolder": "create folders",
    "file.delete": "delete files", "filter.files": "filter files", "properties.images": "read image details",
    "getdevicedetails": "check details of my device", "getbatterylevel": "check my battery level",
    "setbrightness": "adjust the screen brightness", "setvolume": "set the volume", "openapp": "open apps",
    "addnewevent": "add calendar events", "addnewreminder": "add reminders", "filter.calendarevents":
    "look up my calendar events", "filter.reminders": "look up my reminders", "searchitunes": "search the iTunes Store",
    "gethtmlfromrichtext": "turn rich text into HTML", "getrichtextfromhtml": "turn HTML into rich text",
    "getmarkdownfromrichtext": "convert rich text to Markdown", "format.date": "format dates",
    "urlencode": "encode text for URLs", "hash": "compute hashes", "math": "do some calculations",
    "number.random": "pick random numbers", "translate": "translate text", "dictatetext": "dictate text",
    "runjavascriptonwebpage": "run JavaScript on a web page", "runsshscript": "run commands over SSH",
    "runshellscript": "run a shell script", "gettraveltime": "estimate travel time", "delay": "wait between steps",
    "playsound": "play a sound", "vibrate": "vibrate my phone",
    "image.combine": "combine images", "makegif": "make GIFs", "encodemedia": "encode media",
    "lowpowermode.set": "toggle Low Power Mode", "dnd.set": "change my Focus settings",
    "wifi.set": "toggle Wi-Fi", "bluetooth.set": "toggle Bluetooth", "appearance": "switch dark mode",
}
# Plumbing: what nearly every shortcut does; only named when nothing else is there.
_PLUMBING: dict[str, str | None] = {
    "conditional": None, "setvariable": None, "getvariable": None, "appendvariable": None, "comment": None,
    "gettext": "work with text", "number": None, "nothing": None, "exit": None, "output": None,
    "choosefrommenu": "offer me a menu of choices", "repeat.each": "go through a list of items",
    "repeat.count": "repeat some steps", "dictionary": "keep data in a dictionary",
    "getvalueforkey": "look up values in a dictionary", "setvalueforkey": "update a dictionary",
    "list": "work with a list", "count": "count items", "text.combine": "combine text", "text.split": "split text",
    "url": "work with web links", "getitemfromlist": "pick items from a list", "detect.text": "work with text",
    "detect.number": "work with numbers", "setitemname": "rename items", "detect.link": "find links",
}

_TEMPLATES_NAMED = (
    "How can I create a shortcut called “{name}” that can {features}?",
    "What steps would I need to take to build “{name}”, a shortcut to {features}?",
    "I'd like a shortcut named “{name}” which will {features}. How should I set it up?",
    "Can you help me make a shortcut, “{name}”, that will {features}?",
    "I want to automate a routine on my iPhone: {features}. How would I build that as a shortcut called “{name}”?",
    "Please write a shortcut called “{name}” to {features}.",
)
_TEMPLATES_UNNAMED = (
    "How can I create a shortcut that can {features}?",
    "What steps would I need to take to build a shortcut to {features}?",
    "I'd like a shortcut which will {features}. How should I set it up?",
    "Can you help me make a shortcut that will {features}?",
)
_APPS_SENTENCE = ("It should work with {apps}.", "I use {apps} for this.", "It needs to use {apps}.")


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


_EXTENSION = re.compile(r"(?i)\.(shortcut|plist|json|wflow)$")


def human_title(name: str) -> str:
    """A shortcut's name as a person would write it: 'Add_Task-v2' -> 'Add Task v2'."""
    name = _EXTENSION.sub("", _flat(name))
    name = re.sub(r"[_()\[\]{}<>`|\\]+", " ", name)
    name = re.sub(r"(?<=[A-Za-z])[-.](?=[A-Za-z])", " ", name)  # word-word, a.b.c
    name = re.sub(r"(?<=[a-z]{2})(?=[A-Z][a-z])|(?<=[A-Z][a-z])(?=[A-Z][a-z])", " ", name)  # not iPhone, macOS
    return _clip(_SPACES.sub(" ", name).strip(" -.,;:\"'“”"), 60)


def _features(c: _Context) -> tuple[list[str], list[str]]:
    """Up to four things the shortcut does, most distinctive first, and the apps it uses."""
    scored: dict[str, tuple[int, int, int]] = {}  # phrase -> (rank, -uses, first position)
    apps: list[str] = []
    for pos, a in enumerate(c.actions):
        short = a.identifier[len(BUILTIN_PREFIX):] if a.identifier.startswith(BUILTIN_PREFIX) else None
        phrase: str | None
        if short is None:
            app = app_name(a)
            if app and app not in apps:
                apps.append(app)
            name = _phrase_name(human_name(a.identifier, c.apis.get(a.identifier)))
            phrase, rank = (f"{name} in {app}" if app and app.lower() not in name.lower() else name), 0
        elif short in _ASKS:
            phrase, rank = _ASKS[short], 1
        elif short in _PLUMBING:
            phrase, rank = _PLUMBING[short], 3
        else:
            phrase, rank = _phrase_name(human_name(a.identifier, c.apis.get(a.identifier))), 2
        if not phrase:
            continue
        rank_, uses, first = scored.get(phrase, (rank, 0, pos))
        scored[phrase] = (min(rank, rank_), uses - 1, first)
    ordered = sorted(scored, key=lambda ph: scored[ph])
    main = [ph for ph in ordered if scored[ph][0] < 3][:4]
    if len(main) < 2:
        main += [ph for ph in ordered if scored[ph][0] == 3][: 2 - len(main)]
    return main, apps[:2]


def _phrase_name(name: str) -> str:
    """A human name as a verb phrase: 'Get Details of Images' -> 'get details of images'."""
    text = _label_words(name)
    return text if text.split(" ", 1)[0] in _VERBS else f"use {text}"


def _query(c: _Context) -> str:
    seed = c.seed
    h = _hash(seed.shortcut_id)
    features, apps = _features(c)
    title = human_title(seed.name)
    features = features[: 2 + (h >> 24) % 3]  # two to four of them, so same-looking shortcuts differ too
    if not features:
        features = ["do a few steps for me"] if c.actions else ["do nothing for now"]
    named = _TEMPLATES_NAMED if title else _TEMPLATES_UNNAMED
    text = named[h % len(named)].format(name=title, features=_join(features))
    if apps and (h >> 8) % 3 != 0:
        text += " " + _APPS_SENTENCE[(h >> 16) % len(_APPS_SENTENCE)].format(apps=_join(apps))
    return _scrub(text, seed, c.apis)


def _scrub(text: str, seed: Seed, apis: Mapping[str, ApiDoc]) -> str:
    """Rewrite whatever ``leaks`` finds into plain words; a query must never name code."""
    for _ in range(3):
        found = leaks(text, seed, apis)
        if not found:
            return text
        for token in sorted(found, key=len, reverse=True):
            words = _CAMEL.sub(" ", re.sub(r"[`()_.\-]+", " ", token)).strip()
            text = text.replace(token, words if words != token else "")
        text = _SPACES.sub(" ", text).strip()
    return "How can I build a shortcut that automates this routine on my iPhone?"


# --- leaks ----------------------------------------------------------------------------------------

_BACKTICKS = re.compile(r"`[^`\n]*`?")
_CALL = re.compile(r"[^\W\d][\w.]*\(")
_TOKEN = re.compile(r"\w(?:[\w.\-]*\w)?")
_DOTTED = re.compile(r"[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*){2,}"
                     r"|(?:com|net|org|io|is|dk|de|me|app|co|ke|br|fr|uk|ch|nl|maccatalyst)\.[A-Za-z][\w-]*")
_PARTS = re.compile(r"[.\-]")


def _plain_word(word: str) -> bool:
    """An English word as prose writes it: 'text', 'Text', 'URL'; not 'myVar', 'Text2' or 'a_b'."""
    if not word.isalpha():
        return False
    return word.islower() or (word[0].isupper() and (word[1:].islower() or not word[1:])) or \
        (word.rstrip("s").isupper() and len(word) <= 6)  # URL, URLs, PDF


def _code_words(seed: Seed, apis: Mapping[str, ApiDoc]) -> set[str]:
    """Identifiers, function names and bundle ids of the seed's actions, and its code names, that
    are not plain words."""
    out: set[str] = set()
    for a in seed.workflow.actions:
        out.add(a.identifier)
        out.add(function_name(a.identifier))
        if a.app != "shortcuts":
            out.add(a.app)
        doc = apis.get(a.identifier)
        if doc is not None:
            out.add(doc.function)
    out.update(seed.code.names.values())
    return {w for w in out if w and not _plain_word(w)}


def leaks(text: str, seed: Seed, apis: Mapping[str, ApiDoc]) -> list[str]:
    """Python or API identifiers a natural-language text names: the seed's action identifiers and
    function names, bundle-id-like dotted tokens, snake_case, code names that are not plain words,
    backticks and ``name(`` call syntax. Empty for a clean text."""
    found: dict[str, None] = {}
    for m in _BACKTICKS.finditer(text):
        found[m.group()] = None
    for m in _CALL.finditer(text):
        found[m.group()] = None
    code = _code_words(seed, apis)
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in code or _DOTTED.fullmatch(token):
            found[token] = None
            continue
        for part in _PARTS.split(token):
            if part in code or ("_" in part and any(ch.isalpha() for ch in part)):
                found[part] = None
    return list(found)


# --- entry point ----------------------------------------------------------------------------------


def think(seed: Seed, apis: Mapping[str, ApiDoc]) -> Thoughts:
    """Comments for every action line, a numbered plan and a user query, deterministically."""
    c = _Context(seed, apis)
    comments = {line: c.phrase(index) for line, index in _action_lines(c.code_lines, c.pairs).items()}
    return Thoughts(comments, _Planner(c).steps(), _query(c))
