"""Words for comments, plans and queries: text helpers, and human names of actions and apps."""

from __future__ import annotations

import functools
import re

from ..shortcut.model import BUILTIN_PREFIX, Action
from .base import ApiDoc

MAX_COMMENT = 160

# --- text helpers ---------------------------------------------------------------------------------

SPACES = re.compile(r"\s+")


def flat(s: str) -> str:
    """One printable line: line breaks, control and format characters become spaces."""
    if not s.isprintable():
        s = s.replace("\n", " ").replace("\t", " ").replace("\r", " ")  # what the loop below makes of them
        if not s.isprintable():
            s = "".join(c if c.isprintable() or c == "\u200d" else " " for c in s)
    elif "  " not in s:  # the only whitespace a printable text holds is the space: nothing to squeeze
        return s.strip(" ")
    return SPACES.sub(" ", s).strip()


def clip(s: str, n: int) -> str:
    if len(s) <= n:
        return s
    cut = s[: n - 1]
    space = cut.rfind(" ")
    if space > n // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def literal(s: str, n: int = 40) -> str:
    if len(s) > 400:  # a blob (base64, HTML): its size says more than its start
        return f"a {len(s):,}-character text starting '{clip(flat(s[:80]), 20)}'"
    text = flat(s)
    if not text:
        return "an empty text" if not s else "'" + s[:8] + "'" if s.strip(" ") == "" else "whitespace"
    return "'" + clip(text, n) + "'"


def number(v: int | float) -> str:
    if type(v) is float:
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        v = round(v, 3)
        return str(int(v)) if v.is_integer() else str(v)
    return str(v)


def join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def lower_first(s: str) -> str:
    """'Show the result' -> 'show the result'; acronyms ('URL ...') and quotes stay as they are."""
    if len(s) > 1 and s[0].isupper() and not s[1].isupper():
        return s[0].lower() + s[1:]
    return s


def sentence(s: str, end: str = ".") -> str:
    s = flat(s).lstrip("#").strip()
    s = clip(s, MAX_COMMENT - 1).rstrip(".:;, ")
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
    "replace match count text url urls file files folder item items list name variable value values key keys "
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
# a plural acronym stays whole (URLs, PDFs)
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])(?![A-Z]s(?![a-z]))")


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


@functools.lru_cache(maxsize=8192)  # the same identifiers in every workflow
def derived_name(identifier: str) -> str:
    """A readable name from the identifier alone: 'is.workflow.actions.downloadurl' -> 'download URL',
    'com.agiletortoise.Drafts5.CaptureIntent' -> 'Capture'."""
    if identifier.startswith(BUILTIN_PREFIX):
        words = []
        for part in identifier[len(BUILTIN_PREFIX):].split("."):
            words += _segment(part.lower()) if part.islower() else CAMEL.sub(" ", part).split()
    else:
        last = identifier.rpartition(".")[2]
        last = last.removesuffix("Intent") or last
        words = CAMEL.sub(" ", last.replace("_", " ").replace("-", " ")).split()
    return " ".join(_ACRONYMS.get(w.lower(), w) for w in words if w) or identifier


def human_name(identifier: str, doc: ApiDoc | None) -> str:
    if doc is not None and doc.name:
        return flat(doc.name)
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
    if action.identifier.startswith(BUILTIN_PREFIX):  # what Action.app checks first
        return None
    bundle = action.app
    if bundle == "shortcuts":
        return None
    for key in ("AppIntentDescriptor", "IntentAppDefinition"):
        desc = action.parameters.get(key)
        if isinstance(desc, dict) and isinstance(desc.get("Name"), str) and desc["Name"].strip():
            return clip(flat(desc["Name"]), 30)
    return bundle_name(bundle)


@functools.lru_cache(maxsize=4096)  # asked for every action of an app, by comments, plan and query
def bundle_name(bundle: str) -> str | None:
    """The display name of an app from its bundle id."""
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
    words = CAMEL.sub(" ", re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", last)).replace("-", " ").replace("_", " ")
    words = " ".join(w[:1].upper() + w[1:] for w in words.split())
    return clip(words, 30) or None


# Verbs a name or label may start with: such a name reads as an instruction on its own.
VERBS = frozenset((
    "get set add remove delete open save show make create find search filter sort format convert combine split "
    "replace match count run send post play take select ask append update edit generate start stop log query "
    "insert write read encode decode resize crop rotate copy paste share speak translate calculate round "
    "extract toggle turn change trim record scan check list clear mark move rename upload download import "
    "export print connect lock unlock capture transform spell prettify push commit pull fetch deduplicate go "
    "tweet hide quit close sign install"
).split())


@functools.lru_cache(maxsize=8192)  # names and labels recur in every workflow
def label_words(label: str) -> str:
    """A label inside a sentence: 'Key Path' -> 'key path'; 'URL' and 'iCloud' stay."""
    return " ".join(w.lower() if w[1:].islower() or len(w) == 1 else w for w in label.split())
