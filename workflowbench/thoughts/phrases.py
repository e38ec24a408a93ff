"""Comment phrases for frequent built-in actions, from their parameters."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..shortcut.values import Dictionary
from .context import Context
from .words import APPLE_APPS, CAMEL, join, literal

# A phrase for one action: (context, action index, parameters) -> sentence, or None for the generic one.
Phrase = Callable[[Context, int, Mapping[str, Any]], "str | None"]


def _word(p: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """An enum-like parameter (a plain string), e.g. WFCountType."""
    v = p.get(key, default)
    return v if isinstance(v, str) else None


def _url(c: Context, i: int, key: str) -> str:
    got = c.input(i, key, "the URL from the previous step")
    return f"the URL in {got}" if got.startswith("`") else got


def _gettext(c: Context, i: int, p: Mapping[str, Any]) -> str:
    got = c.param(i, "WFTextActionText", 60)
    if not got or got == "an empty text":
        return "Prepare an empty text"
    return f"Write {got}" if got.startswith("a ") else f"Write the text {got}"  # 'a 9,000-character text'


def _getvalue(c: Context, i: int, p: Mapping[str, Any]) -> str:
    kind, src = p.get("WFGetDictionaryValueType"), c.input(i, "WFInput")
    if kind == "All Keys":
        return f"Get all keys of {src}"
    if kind == "All Values":
        return f"Get all values of {src}"
    return f"Get the value for the key {c.param(i, 'WFDictionaryKey', 30) or '?'} from {src}"


def _setvalue(c: Context, i: int, p: Mapping[str, Any]) -> str:
    key, value = c.param(i, "WFDictionaryKey", 30) or "?", c.param(i, "WFDictionaryValue") or "a value"
    return f"Set the key {key} to {value} in {c.input(i, 'WFDictionary')}"


def _dictionary(c: Context, i: int, p: Mapping[str, Any]) -> str:
    items = p.get("WFItems")
    keys = c.keys(items) if isinstance(items, Dictionary) else []
    return f"Create a dictionary with the keys {join(keys)}" if keys else "Create a dictionary"


def _list(c: Context, i: int, p: Mapping[str, Any]) -> str:
    items = p.get("WFItems")
    if not isinstance(items, list) or not items:
        return "Make a list"
    values = (x["WFValue"] if isinstance(x, dict) and "WFValue" in x else x for x in items[:3])
    shown = [s for s in (c.ref(v, 20) for v in values) if s]
    return f"Make a list of {len(items)} items" + (f" such as {join(shown)}" if shown else "")


def _choose(c: Context, i: int, p: Mapping[str, Any]) -> str:
    what = "items" if p.get("WFChooseFromListActionSelectMultiple") is True else "an item"
    prompt = c.param(i, "WFChooseFromListActionPrompt")
    return f"Let the user choose {what} from {c.input(i, 'WFInput')}" + (f" with the prompt {prompt}" if prompt else "")


def _titled(what: str, title_key: str, body_key: str) -> Phrase:
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        title, body = c.param(i, title_key), c.param(i, body_key)
        if title and body:
            return f"Show {what} titled {title} saying {body}"
        return f"Show {what} saying {title or body}" if title or body else f"Show {what}"
    return phrase


def _replace(c: Context, i: int, p: Mapping[str, Any]) -> str:
    what = "the pattern " if p.get("WFReplaceTextRegularExpression") is True else ""
    find = c.param(i, "WFReplaceTextFind", 30) or "some text"
    repl = c.param(i, "WFReplaceTextReplace", 30) or "nothing"
    return f"Replace {what}{find} with {repl} in {c.input(i, 'WFInput')}"


def _variable(verb: str) -> Phrase:
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        name = p.get("WFVariableName")
        var = f"`{c.variable(name)}`" if isinstance(name, str) else "a variable"
        value = c.input(i, "WFInput")
        text = f"Set the variable {var} to {value}" if verb == "set" else f"Add {value} to the variable {var}"
        meaning = _meaning(name) if isinstance(name, str) else None
        return f"{text} ({meaning})" if meaning else text
    return phrase


_GENERIC_NAMES = frozenset("var variable value values item items text result results data temp tmp x y i n "
                           "list dict dictionary output input".split())


def _meaning(name: str) -> str | None:
    """What a variable's name says, in words: 'Matched_Device_Dictionary' -> 'the matched device
    dictionary'; None when the name says nothing more than 'a value'."""
    words = [w.lower() if not w.isupper() else w for w in re.findall(r"[A-Za-z]+", CAMEL.sub(" ", name))]
    if not words or all(w.lower() in _GENERIC_NAMES for w in words) or sum(map(len, words)) < 4:
        return None
    return "the " + " ".join(words)


def _run(c: Context, i: int, p: Mapping[str, Any]) -> str:
    name, wf = p.get("WFWorkflowName"), p.get("WFWorkflow")
    if not isinstance(name, str) and isinstance(wf, dict):
        name = wf.get("workflowName")
    given = c.param(i, "WFInput")
    what = f"the shortcut {literal(name)}" if isinstance(name, str) else "another shortcut"
    return f"Run {what}" + (f" with {given}" if given else "")


def _save(c: Context, i: int, p: Mapping[str, Any]) -> str:
    path = c.param(i, "WFFileDestinationPath", 40)
    if p.get("WFAskWhereToSave", True) is not False:
        where = "a file, asking where to save it"
    else:
        where = f"the file {path}" if path else "a file"
    return f"Save {c.input(i, 'WFInput')} to {where}"


def _open_file(c: Context, i: int, p: Mapping[str, Any]) -> str:
    path = c.param(i, "WFGetFilePath", 40)
    return f"Open the file {path}" if path else "Let the user pick a file"


def _download(c: Context, i: int, p: Mapping[str, Any]) -> str:
    method, url = _word(p, "WFHTTPMethod"), _url(c, i, "WFURL")
    return f"Send a {method} request to {url}" if method and method != "GET" else f"Download the contents of {url}"


def _count(c: Context, i: int, p: Mapping[str, Any]) -> str:
    kind = _word(p, "WFCountType", "Items") or "Items"
    return f"Count the {kind.lower()} in {c.input(i, 'Input')}"


def _ask(c: Context, i: int, p: Mapping[str, Any]) -> str:
    prompt, kind = c.param(i, "WFAskActionPrompt", 60), _word(p, "WFInputType")
    kind_text = f" for a {kind.lower()}" if kind and kind != "Text" else ""
    return f"Ask the user {prompt}{kind_text}" if prompt else f"Ask the user for input{kind_text}"


def _item(c: Context, i: int, p: Mapping[str, Any]) -> str:
    spec, src = _word(p, "WFItemSpecifier", "First Item"), c.input(i, "WFInput")
    if spec == "Item At Index":
        return f"Get item {c.param(i, 'WFItemIndex') or 'at an index'} of {src}"
    if spec == "Items in Range":
        return f"Get items {c.param(i, 'WFItemRangeStart') or '?'} to {c.param(i, 'WFItemRangeEnd') or '?'} of {src}"
    which = {"First Item": "the first item", "Last Item": "the last item", "Random Item": "a random item"}
    return f"Get {which.get(spec or '', 'an item')} from {src}"


def _split(c: Context, i: int, p: Mapping[str, Any]) -> str:
    how = {"New Lines": "by new lines", "Spaces": "by spaces", "Every Character": "into characters"}
    by = how.get(_word(p, "WFTextSeparator", "New Lines") or "")
    return f"Split {c.input(i, 'text')} {by or 'at ' + (c.param(i, 'WFTextCustomSeparator', 20) or 'a separator')}"


def _combine(c: Context, i: int, p: Mapping[str, Any]) -> str:
    how = {"New Lines": "new lines", "Spaces": "spaces", "None": "nothing in between"}
    by = how.get(_word(p, "WFTextSeparator", "New Lines") or "")
    return f"Join {c.input(i, 'text')} with {by or c.param(i, 'WFTextCustomSeparator', 20) or 'a separator'}"


def _math(c: Context, i: int, p: Mapping[str, Any]) -> str:
    op = _word(p, "WFMathOperation", "+") or "+"
    operand = c.param(i, "WFMathOperand") or c.param(i, "WFScientificMathOperand")
    src = c.input(i, "WFInput")
    return f"Calculate {src} {op} {operand}" if operand else f"Calculate {op} of {src}"


def _openapp(c: Context, i: int, p: Mapping[str, Any]) -> str:
    app, ident = p.get("WFSelectedApp"), _word(p, "WFAppIdentifier")
    name = app.get("Name") if isinstance(app, dict) else None
    if not isinstance(name, str) and ident:
        name = APPLE_APPS.get(ident, ident)
    return f"Open the app {literal(name, 40)}" if isinstance(name, str) else "Open an app"


def _coding(encode: str, decode: str) -> Phrase:
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        return (decode if p.get("WFEncodeMode") == "Decode" else encode).format(c.input(i, "WFInput"))
    return phrase


def _on_input(template: str, key: str = "WFInput") -> Phrase:
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        return template.format(c.input(i, key))
    return phrase


def _on_param(template: str, key: str, fallback: str) -> Phrase:
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        got = c.param(i, key, 60)
        return template.format(got) if got and got != "an empty text" else fallback
    return phrase


def _fixed(text: str) -> Phrase:
    return lambda c, i, p: text


def _case(c: Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Change {c.input(i, 'text')} to {(_word(p, 'WFCaseType') or 'another case').lower()}"


def _device(c: Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Get the device's {(_word(p, 'WFDeviceDetail') or 'details').lower()}"


def _match(c: Context, i: int, p: Mapping[str, Any]) -> str:
    return f"Find matches of the pattern {c.param(i, 'WFMatchTextPattern', 30) or '?'} in {c.input(i, 'text')}"


def _level(what: str, key: str) -> Phrase:
    """Set a 0-1 level (brightness, volume): a number reads as a percentage."""
    def phrase(c: Context, i: int, p: Mapping[str, Any]) -> str:
        v = p.get(key)
        if type(v) in (int, float) and 0 <= v <= 1:
            return f"Set the {what} to {round(v * 100)}%"
        got = c.param(i, key, 40)
        return f"Set the {what} to {got}" if got else f"Set the {what}"
    return phrase


# short identifier -> (phrase, what its output is called)
SPECIFIC: dict[str, tuple[Phrase, str]] = {
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
    "setbrightness": (_level("screen brightness", "WFBrightness"), "result"),
    "setvolume": (_level("volume", "WFVolume"), "result"),
}
