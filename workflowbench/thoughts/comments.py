"""The comment sentence of each action: block headers, branches and ends, the phrases for frequent
built-ins, and a generic sentence from the catalog for the rest."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ..code.to_code import EACH, IF, LEGACY, MENU, REPEAT
from ..shortcut.controlflow import BLOCK_ACTIONS
from ..shortcut.model import BUILTIN_PREFIX
from .base import ApiDoc, Seed
from .context import Context
from .phrases import SPECIFIC
from .words import CAMEL, VERBS, flat, join, label_words, lower_first, sentence

# The compared name in `if x == 'a':`, `if not x:`, `if 'a' in x:` or the call form of those.
_IF_SUBJECT = re.compile(r"\s*if (?:is_workflow_actions_conditional\()?(?:not )?([^\W\d]\w*)\b(?![\w(]|\s*=[^=])")
_IF_CONTAINER = re.compile(r"\s*if .* in ([^\W\d]\w*)\b(?![\w(])")


class Commenter(Context):
    """A seed's context that also writes the comment sentence of each action, once."""

    def __init__(self, seed: Seed, apis: Mapping[str, ApiDoc]) -> None:
        super().__init__(seed, apis)
        self.phrases: dict[int, str] = {}
        digest = hashlib.blake2b(seed.shortcut_id.encode("utf-8", "surrogatepass"), digest_size=4).digest()
        self.salt = int.from_bytes(digest, "big")

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

    def phrase(self, i: int) -> str:
        """The comment sentence for action ``i``: frequent sentence shapes take one of a few wordings,
        picked by the shortcut and the action, so the data does not teach one fixed phrase."""
        got = self.phrases.get(i)
        if got is None:
            got = self.phrases[i] = vary(self._phrase(i), self.salt + i)
        return got

    def _phrase(self, i: int) -> str:
        a = self.actions[i]
        mode = a.mode
        if a.identifier in BLOCK_ACTIONS and mode in (0, 1, 2, None):  # no mode: written as a start
            if not mode:
                return sentence(self.header(i))
            if mode == 1:
                return sentence(self.middle(i), ":")
            return sentence(self.end(i))
        short = a.identifier[len(BUILTIN_PREFIX):] if a.identifier.startswith(BUILTIN_PREFIX) else ""
        spec = SPECIFIC.get(short)
        if spec is not None:
            text = spec[0](self, i, a.parameters)
            if text is not None:
                return sentence(self.with_kept(text, i, spec[1]))
        return sentence(self.with_kept(self.generic(i), i))

    def generic(self, i: int) -> str:
        a = self.actions[i]
        doc = self.doc(i)
        name = self.name_of(i)
        switch = switch_value(a.identifier, a.parameters)
        if switch is not None:  # a setting's switch is the whole point of the action
            return f"Turn {setting(name)} {'on' if switch else 'off'}"
        app = self.app(i)
        where = f" in {app}" if app and app.lower() not in name.lower() else ""
        head = name if name.split(" ", 1)[0].lower() in VERBS else f"Use '{name}'"
        args: list[tuple[bool, int, str]] = []
        for pos, (key, value) in enumerate(a.parameters.items()):
            if key in _SKIP_KEYS or value is None:
                continue
            shown = None if type(value) is bool else self.ref(value, 30)  # toggles say little
            if shown is None:
                continue
            label = _label(doc.labels.get(key) if doc is not None else None, key)
            args.append((not shown.startswith(("`", "the ")), pos, f"{shown} as {label}"))
        if args:
            picked = sorted(sorted(args)[:2], key=lambda x: x[1])
            return f"{head}{where} with {join([x[2] for x in picked])}"
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
            return f"Offer a menu with the options {join(titles)}{more}" if not more else \
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


_COMPARE = {0: "is less than", 1: "is at most", 2: "is greater than", 3: "is at least", 4: "equals",
            5: "does not equal", 8: "begins with", 9: "ends with", 99: "contains", 999: "does not contain",
            100: "has any value", 101: "has no value", 1003: "is between"}
_NEGATED = {0: "is at least", 1: "is greater than", 2: "is at most", 3: "is less than", 4: "does not equal",
            5: "equals", 8: "does not begin with", 9: "does not end with", 99: "does not contain", 999: "contains",
            100: "has no value", 101: "has a value", 1003: "is not between"}
_SKIP_KEYS = frozenset({"UUID", "CustomOutputName", "GroupingIdentifier", "WFControlFlowMode", "ShowWhenRun",
                        "AppIntentDescriptor", "IntentAppDefinition", "WFShowWorkflow", "Show-text"})
_STOPWORDS = frozenset("the and for from with into onto this that get gets set sets your you its".split())


_SWITCH_KEYS = ("OnValue", "Enabled")


def setting(name: str) -> str:
    """'low power mode set' -> 'low power mode'."""
    return re.sub(r"^set |(?: set)$", "", name, flags=re.I)


def switch_value(identifier: str, params: Mapping[str, Any]) -> bool | None:
    """The on/off value a setting action (``….set``) is given, if it is given one."""
    if not identifier.endswith(".set"):
        return None
    for key in _SWITCH_KEYS:
        v = params.get(key)
        if type(v) is bool or (type(v) is int and v in (0, 1)):
            return bool(v)
    return None


@functools.lru_cache(maxsize=8192)  # the same parameters of the same APIs in every workflow
def _label(label: str | None, key: str) -> str:
    """How a comment names a parameter: the catalog's label, else words from the key."""
    return label_words(flat(label)) if label else _key_label(key)


def _key_label(key: str) -> str:
    """'WFHTTPMethod' -> 'HTTP method', 'WFSaveFileOverwrite' -> 'save file overwrite'."""
    key = key.removeprefix("WF") if key.startswith("WF") and key[2:3].isupper() else key
    return label_words(CAMEL.sub(" ", key.replace("_", " ").replace("-", " "))) or key


def _description(name: str, doc: ApiDoc | None) -> str | None:
    """The catalog's first sentence, when short and about this action (it names something the name
    names: some catalog descriptions belong to another action)."""
    if doc is None or not doc.description:
        return None
    return _first_sentence(name, doc.description)


@functools.lru_cache(maxsize=4096)  # the same few hundred APIs in every workflow
def _first_sentence(name: str, description: str) -> str | None:
    first = flat(description).split(". ")[0].rstrip(".")
    if not first or len(first) > 90:
        return None
    stem = {w.lower().rstrip("s")[:6] for w in re.findall(r"[A-Za-z]{3,}", name)} - _STOPWORDS
    said = {w.lower().rstrip("s")[:6] for w in re.findall(r"[A-Za-z]{3,}", first)} - _STOPWORDS
    if not stem & said - VERBS:
        return None
    return lower_first(first)


# Frequent sentence shapes and other wordings of each ({1}, {2}: the captured parts).
_VARIANTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple((re.compile(p), forms) for p, forms in (
    (r"Set the variable (`[^`]+`) to (.+?)( \(the [^()]*\))?\.", (
        "Set the variable {1} to {2}{3}.", "Store {2} in {1}{3}.", "Save {2} as the variable {1}{3}.",
        "Put {2} into {1}{3}.")),
    (r"Add (.+?) to the variable (`[^`]+`)( \(the [^()]*\))?\.", (
        "Add {1} to the variable {2}{3}.", "Append {1} to {2}{3}.", "Put {1} at the end of {2}{3}.")),
    (r"Check whether (.+)\.", ("Check whether {1}.", "See if {1}.", "Test whether {1}.", "Branch on whether {1}.",
                               "Go on only if {1}.", "Ask whether {1}.", "Decide by whether {1}.")),
    (r"Otherwise, when (.+):", ("Otherwise, when {1}:", "If not, that is when {1}:", "Else, when {1}:",
                               "In the other case, when {1}:", "When instead {1}:", "Failing that, when {1}:")),
    (r"Handle the menu option (.+):", ("Handle the menu option {1}:", "When {1} is chosen:", "For the option {1}:",
                                       "If the user picks {1}:", "After a tap on {1}:", "Choice {1}:",
                                       "Picking {1} leads here:")),
    (r"Get the value of (.+)\.", ("Get the value of {1}.", "Read {1}.", "Fetch the current value of {1}.",
                                  "Look up {1}.", "Take what {1} holds.", "Bring back {1}.")),
    (r"Write the text (.+)", ("Write the text {1}", "Prepare the text {1}", "Compose the text {1}",
                              "Set up the text {1}")),
    (r"Get the value for the key (.+) from (.+)", ("Get the value for the key {1} from {2}",
                                                   "Read the key {1} of {2}", "Look up {1} in {2}")),
    (r"Copy (.+) to the clipboard\.", ("Copy {1} to the clipboard.", "Put {1} on the clipboard.",
                                       "Place {1} on the clipboard.")),
    (r"Repeat for each item in (.+)\.", ("Repeat for each item in {1}.", "Go through every item of {1}.",
                                         "Loop over {1}.", "For each item in {1}, do the following.")),
    (r"End the check and keep the result of the branch that ran as (`[^`]+`)\.", (
        "End the check and keep the result of the branch that ran as {1}.",
        "Close the check; the result of the branch that ran is {1}.", "End the if block, keeping its result as {1}.",
        "Finish the check; {1} is what the chosen branch produced.")),
    (r"End the loop and collect the results of its runs as (`[^`]+`)\.", (
        "End the loop and collect the results of its runs as {1}.", "Close the loop; {1} holds what each run gave.",
        "End the loop, gathering every run's result in {1}.")),
    (r"End the (check|menu|loop)\.", ("End the {1}.", "Close the {1}.", "That ends the {1}.")),
    (r"Stop the shortcut\.", ("Stop the shortcut.", "End the shortcut here.", "Stop running.", "Quit the shortcut.")),
    (r"Do nothing, which clears the current result\.", ("Do nothing, which clears the current result.",
                                                       "Clear the current result.", "Reset the result to nothing.")),
    (r"Open the URL in (.+)\.", ("Open the URL in {1}.", "Open {1} in the browser.", "Visit {1}.")),
    (r"Preview (.+) with Quick Look\.", ("Preview {1} with Quick Look.", "Show {1} in Quick Look.",
                                         "Open a Quick Look preview of {1}.")),
    (r"Save (.+) to the file (.+)\.", ("Save {1} to the file {2}.", "Write {1} into the file {2}.",
                                      "Store {1} as the file {2}.")),
    (r"Run another shortcut\.", ("Run another shortcut.", "Call another shortcut.", "Hand over to another shortcut.")),
))


_SAME_TWICE = re.compile(r"(`[^`]+`) to \1(?![\w`])")
# The variants by the first three characters of the literal text each pattern starts with (a text
# that starts otherwise cannot match it), in their order.
_LITERAL_START = re.compile(r"[^\\()\[\].?*+{|^$]*")
_BY_START: dict[str, list[tuple[re.Pattern[str], tuple[str, ...]]]] = {}
for _variant in _VARIANTS:
    _start = _LITERAL_START.match(_variant[0].pattern).group()  # type: ignore[union-attr]
    assert len(_start) >= 3, _variant[0].pattern
    _BY_START.setdefault(_start[:3], []).append(_variant)


def vary(text: str, salt: int) -> str:
    """``text`` in the wording ``salt`` picks, when its shape is a frequent one. 'X to X' (a rename
    or a copy onto itself) says what happens instead."""
    if "` to `" in text:  # what _SAME_TWICE needs to match at all
        text = _SAME_TWICE.sub(r"\1, leaving it as it is", text)
    for pattern, forms in _BY_START.get(text[:3], ()):
        m = pattern.fullmatch(text)
        if m is not None:
            form = forms[salt % len(forms)]
            for n, part in enumerate(m.groups(), start=1):
                form = form.replace(f"{{{n}}}", part or "")
            return form
    return text
