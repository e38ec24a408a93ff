"""The plan: the shortcut's steps as a person would outline them, above the code.

Each step is a short bold heading and a few words, or sub-points: a run of plain actions of one
kind ("**Collect the input**"), or one block (a check with its branches, a menu with its options,
a loop with its body). Sub-points name actions briefly ("get contents of URL into `page`"); they
are not the comment sentences. At most ``MAX_STEPS`` steps, ``MAX_SUBLINES`` sub-lines under a
step, ``MAX_NESTING`` levels.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from ..code.to_code import COMMENT, EACH, IF, MENU, REPEAT
from ..shortcut.controlflow import BLOCK_ACTIONS, Block, Leaf, Node
from ..shortcut.model import BUILTIN_PREFIX
from .comments import Commenter, setting, switch_value
from .context import walk_blocks
from .phrases import SPECIFIC
from .words import SPACES, clip, human_name, join, label_words, lower_first

_FIELD = re.compile(r" ?\{(\w+)\}")

MAX_STEPS = 25
MAX_SUBLINES = 10  # sub-lines under one plan step
MAX_NESTING = 3  # sub-line levels under one plan step
RUN = 4  # plain actions in one step at most
INDENT = "   "

# What a run of plain actions is for, by the kind of its actions (built-in short identifiers).
_KINDS: dict[str, tuple[str, ...]] = {
    "input": ("ask", "getclipboard", "choosefromlist", "documentpicker.open", "selectphoto", "takephoto",
              "dictatetext", "getcurrentlocation", "file.select", "selectcontacts", "getdevicedetails",
              "getbatterylevel", "date", "getcurrentsong", "weather.currentconditions", "weather.forecast",
              "filter.calendarevents", "filter.reminders"),
    "web": ("downloadurl", "getwebpagecontents", "url", "searchweb", "detect.link", "getarticle",
            "runjavascriptonwebpage", "url.getheaders", "expandurl", "geturlcomponent"),
    "text": ("gettext", "text.replace", "text.split", "text.combine", "text.match", "text.match.getgroup",
             "text.changecase", "detect.text", "urlencode", "base64encode", "hash", "text.trimwhitespace",
             "getrichtextfromhtml", "gethtmlfromrichtext", "getmarkdownfromrichtext", "format.date",
             "detect.date", "adjustdate", "gettimebetweendates", "format.number"),
    "data": ("dictionary", "getvalueforkey", "setvalueforkey", "list", "getitemfromlist", "count",
             "detect.dictionary", "number", "math", "calculateexpression", "number.random", "round",
             "statistics", "detect.number", "filter.files", "properties.files", "setitemname", "getitemname",
             "getitemtype", "properties.images", "properties.articles", "measurement.create"),
    "variables": ("setvariable", "getvariable", "appendvariable"),
    "output": ("showresult", "alert", "notification", "setclipboard", "share", "speaktext", "previewdocument",
               "documentpicker.save", "savetocameraroll", "sendmessage", "sendemail", "openurl", "openapp",
               "output", "quicklook", "showdefinition", "viewresult", "airdropdocument", "print"),
    "media": ("image.resize", "image.convert", "image.crop", "image.combine", "overlayimageonimage", "makegif",
              "encodemedia", "image.rotate", "image.flip", "makepdf", "makezip", "unzip", "file.createfolder",
              "file.delete", "file.move", "file.rename", "file.append"),
    "device": ("setbrightness", "setvolume", "lowpowermode.set", "dnd.set", "wifi.set", "bluetooth.set",
               "appearance", "flashlight", "cellulardata.set", "airplanemode.set", "vibrate", "playsound",
               "playmusic", "pausemusic", "delay", "waittoreturn"),
    "flow": ("exit", "nothing", "runworkflow", "getmyworkflows", "handoff"),
}
_KIND_OF = {short: kind for kind, shorts in _KINDS.items() for short in shorts}
# Headings per kind, picked by the step's position so plans do not all read alike.
_HEADINGS: dict[str, tuple[str, ...]] = {
    "input": ("Collect the input", "Get what to work on", "Gather the details"),
    "web": ("Fetch from the web", "Call the web service", "Load the page"),
    "text": ("Prepare the text", "Shape the text", "Build the text"),
    "data": ("Work out the values", "Organise the data", "Look up the values"),
    "variables": ("Keep track of values", "Store the values", "Remember the values"),
    "output": ("Show the result", "Deliver the result", "Share the outcome"),
    "media": ("Process the files", "Work on the media", "Handle the files"),
    "device": ("Adjust the device", "Change the settings", "Control the device"),
    "flow": ("Finish up", "Hand over", "Wrap up"),
    "app": ("Use {app}", "Work in {app}", "Call on {app}"),
    "other": ("Carry on", "Next", "Continue"),
}
_LOOP_HEADINGS = ("Go through each item", "Handle every item", "Loop over the items")
# Brief forms of frequent built-ins: {key} is that parameter as prose (left out when absent).
_BRIEF = {
    "gettext": "write a text", "getvariable": "read {WFVariable}",
    "getvalueforkey": "read {WFDictionaryKey} from {WFInput}",
    "downloadurl": "call {WFURL}", "showresult": "show {Text}", "speaktext": "speak {WFText}",
    "notification": "notify {WFNotificationActionBody}", "alert": "alert {WFAlertActionMessage}",
    "setclipboard": "copy {WFInput} to the clipboard", "getclipboard": "read the clipboard",
    "ask": "ask for {WFAskActionPrompt}", "openurl": "open {WFInput}", "url": "make the link {WFURLActionURL}",
    "count": "count {Input}", "number": "set the number {WFNumberActionNumber}", "exit": "stop",
    "nothing": "clear the result", "dictionary": "build a dictionary", "list": "make a list",
    "weather.currentconditions": "get the current weather", "getcurrentlocation": "get the current location",
    "text.replace": "replace {WFReplaceTextFind} in {WFInput}", "text.split": "split {text}",
    "text.combine": "join {text}", "getitemfromlist": "pick {WFItemSpecifier} from {WFInput}",
    "choosefromlist": "ask the user to pick from {WFInput}", "runworkflow": "run {WFWorkflowName}",
}


_LEVELS = frozenset({"setbrightness", "setvolume"})  # their comment phrase is brief already


def _short(identifier: str) -> str | None:
    return identifier[len(BUILTIN_PREFIX):] if identifier.startswith(BUILTIN_PREFIX) else None


@functools.lru_cache(maxsize=8192)  # asked several times per action
def _kind(identifier: str) -> str:
    short = _short(identifier)
    if short is None:
        return "app"
    return _KIND_OF.get(short, "other")


def _is_note(c: Commenter, node: Node) -> bool:
    return isinstance(node, Leaf) and c.actions[node.index].identifier == COMMENT


def _size(node: Node) -> int:
    """How many actions a node holds."""
    if isinstance(node, Leaf):
        return 1
    total = 0
    for block in walk_blocks([node]):
        total += len(block.branches) + (block.end is not None)
        total += sum(1 for br in block.branches for n in br.body if isinstance(n, Leaf))
    return total


class Planner:
    """The plan steps of one seed from its block tree and catalog names."""

    def __init__(self, c: Commenter) -> None:
        self.c = c

    def kind(self, i: int) -> str:
        return _kind(self.c.actions[i].identifier)

    def groups(self, nodes: list[Node]) -> list[Block | list[Leaf]]:
        """Blocks, and runs of up to ``RUN`` plain actions of one kind."""
        out: list[Block | list[Leaf]] = []
        for node in nodes:
            if _is_note(self.c, node):
                continue
            if isinstance(node, Block):
                out.append(node)
                continue
            last = out[-1] if out else None
            if isinstance(last, list) and len(last) < RUN and self.kind(last[0].index) == self.kind(node.index) \
                    and (self.kind(node.index) != "app" or self.c.app(last[0].index)
                         == self.c.app(node.index)):
                last.append(node)
            else:
                out.append([node])
        return out

    def steps(self) -> list[str]:
        c = self.c
        if not c.actions:
            return ["Do nothing: the shortcut has no actions."]
        groups = self.groups(c.tree)
        if not groups:
            return [f"Keep {len(c.actions)} notes as comments; the shortcut has no other actions."]
        out: list[str] = []
        for k, group in enumerate(groups):
            if len(out) == MAX_STEPS - 1 and k < len(groups) - 1:
                out.append(self.rest(groups[k:]))
                break
            out.append(self.step(group, k))
        return out

    def heading(self, kind: str, k: int, i: int) -> str:
        if kind == "other":  # no better word for it than its own name
            name = self.c.name_of(i)
            return clip(name[:1].upper() + name[1:], 40)
        forms = _HEADINGS[kind]
        return forms[(k + i) % len(forms)].format(app=self.c.app(i) or "the app")

    def step(self, group: Block | list[Leaf], k: int) -> str:
        budget = [MAX_SUBLINES]
        if isinstance(group, Block):
            return "\n".join(self.block(group, 0, budget, k))
        first = group[0].index
        if len(group) == 1 and self.kind(first) == "other":  # its own name is the best heading
            brief = self.brief(first)
            return f"**{brief[:1].upper() + brief[1:]}**."
        head = f"**{self.heading(self.kind(first), k, first)}**"
        if len(group) == 1:
            return f"{head}: {self.brief(first)}."
        return "\n".join([head + ":", *(INDENT + "- " + self.brief(n.index) for n in group)])

    def brief(self, i: int) -> str:
        """A few words for action ``i``: its name, what it works on, where its output goes."""
        c = self.c
        a = c.actions[i]
        name = label_words(c.name_of(i))
        app = c.app(i)
        if app and app.lower() not in name.lower():
            name += f" in {app}"
        short = _short(a.identifier)
        if short in ("setvariable", "appendvariable"):
            target = a.parameters.get("WFVariableName")
            if type(target) is str:
                verb = "store" if short == "setvariable" else "add"
                what = c.input(i, "WFInput", "the result")
                return f"{verb} {what} {'as' if verb == 'store' else 'to'} `{c.variable(target)}`"
        out = c.names.get(a.uuid) if a.uuid is not None else None
        switch = switch_value(a.identifier, a.parameters)
        if switch is not None:
            return f"turn {setting(name)} {'on' if switch else 'off'}"
        if short in _LEVELS:
            return lower_first(SPECIFIC[short][0](c, i, a.parameters))
        form = _BRIEF.get(short or "")
        if form is not None:
            name = _FIELD.sub(lambda m: " " + (c.param(i, m[1], 30) or "") if m[1] != "WFInput"
                              else " " + c.input(i, "WFInput", ""), form)
            name = re.sub(r" (?:from|in|to|for)(?= |$)(?= (?:from|in|to|for) | ?$)", "", SPACES.sub(" ", name)).strip()
        return lower_first(name) + (f" into `{out}`" if out else "")

    def block(self, block: Block, level: int, budget: list[int], k: int = 0) -> list[str]:
        """The block's line at ``level`` and its branches or body below it."""
        c = self.c
        pad = INDENT * level
        head = self.block_head(block, k)
        if level >= MAX_NESTING:
            return [pad + f"{head} ({_size(block) - 1} more actions inside)"]
        lines = [pad + head + ":"]
        if block.identifier in (IF, MENU):
            for n, br in enumerate(block.branches):
                if block.identifier == MENU and n == 0 and not [x for x in br.body if not _is_note(c, x)]:
                    continue
                if budget[0] <= 0:
                    lines.append(INDENT * (level + 1) + "- …and the other branches")
                    break
                budget[0] -= 1
                lines += self.branch(self.label(block, n), br.body, level + 1, budget)
        else:
            lines += self.body(block.branches[0].body, level + 1, budget)
        return lines

    def block_head(self, block: Block, k: int) -> str:
        c = self.c
        i = block.start
        if block.identifier == IF:
            subject = c.input(i, "WFInput")
            return f"**Decide on {subject}**" if k % 2 == 0 else f"**Check {subject}**"
        if block.identifier == MENU:
            count = len(block.branches) - 1
            prompt = c.param(i, "WFMenuPrompt", 40)
            return f"**Offer a menu**{f' asking {prompt}' if prompt else ''} with {count} option" + \
                ("s" if count != 1 else "")
        if block.identifier == REPEAT:
            count = c.param(i, "WFRepeatCount")
            return f"**Repeat {count} times**" if count and count != "1" else "**Repeat the steps**"
        if block.identifier == EACH:
            subject = c.input(i, "WFInput", "")
            head = _LOOP_HEADINGS[k % len(_LOOP_HEADINGS)]
            return f"**{head}** of {subject}" if subject else f"**{head}**"
        return f"**{label_words(human_name(block.identifier, c.doc(i)))}**"

    def label(self, block: Block, n: int) -> str:
        c = self.c
        if block.identifier == IF:
            if n == 0:
                cond = c.condition(block.start)
                return f"When {cond}" if cond else "When it holds"
            return "Otherwise"
        if n == 0:
            return "First"
        title = c.param(block.branches[n].header, "WFMenuItemTitle", 40)
        return f"Option {title}" if title else "The next option"

    def branch(self, label: str, nodes: list[Node], level: int, budget: list[int]) -> list[str]:
        """One sub-point for a branch: its label and, when short, its actions on the same line."""
        pad = INDENT * level
        shown = [n for n in nodes if not _is_note(self.c, n)]
        if not shown:
            return [pad + f"- {label}: nothing"]
        if all(isinstance(n, Leaf) for n in shown) and len(shown) <= 2:
            return [pad + f"- {label}: " + join([self.brief(n.index) for n in shown])]
        return [pad + f"- {label}:", *self.body(shown, level + 1, budget)]

    def body(self, nodes: list[Node], level: int, budget: list[int]) -> list[str]:
        pad = INDENT * level
        shown = [n for n in nodes if not _is_note(self.c, n)]
        if not shown:
            return [pad + "- nothing"]
        lines: list[str] = []
        for k, node in enumerate(shown):
            if budget[0] <= 0 or level > MAX_NESTING:
                left = sum(_size(n) for n in shown[k:])
                lines.append(pad + f"- …and {left} more action{'s' if left != 1 else ''}")
                break
            budget[0] -= 1
            if isinstance(node, Leaf):
                lines.append(pad + "- " + self.brief(node.index))
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
        top = [f"'{clip(human_name(ident, c.apis.get(ident)), 40)}'" for ident, _ in kinds.most_common(3)]
        return f"…and {len(groups)} more steps ({actions} actions), mostly {join(top)}."


__all__ = ["BLOCK_ACTIONS", "MAX_STEPS", "Planner"]
