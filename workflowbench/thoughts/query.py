"""The user query: what a person would ask for to get this shortcut, in plain words; and ``leaks``, the
check that a text names no code."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping

from ..code.names import function_name
from ..shortcut.model import BUILTIN_PREFIX
from .base import ApiDoc, Seed
from .context import Context
from .described import MAX_COPIED, Goal, copied, goal, names, shorter
from .words import CAMEL, SPACES, VERBS, clip, flat, join, label_words

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
# Built-ins whose mode parameter decides what they do: (key, mode -> what a user would ask for).
_MODES: dict[str, tuple[str, dict[str, str]]] = {
    "base64encode": ("WFEncodeMode", {"Decode": "decode Base64 data"}),
    "urlencode": ("WFEncodeMode", {"Decode": "decode URL-encoded text"}),
    "text.changecase": ("WFCaseType", {"UPPERCASE": "make text uppercase", "lowercase": "make text lowercase",
                                       "Capitalize Every Word": "capitalize words", "Title Case": "title-case text"}),
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
    "I would love a shortcut which will {features}. How should I set it up?",
    "Can you help me make a shortcut that will {features}?",
    "Is there a way to {features} with one tap?",
    "I need my iPhone to {features}.",
    "Could you put together a shortcut to {features}?",
    "Make me something that will {features}.",
    "What's the easiest way to {features} automatically?",
    "Every day I have to {features} by hand; can a shortcut do it for me?",
    "Help me {features} without opening five apps.",
    "Build a shortcut to {features}, please.",
    "My goal is to {features}. What would the shortcut look like?",
    "Looking for a quick way to {features}.",
    "Set up an automation that will {features}.",
    "Show me how to {features} using Shortcuts.",
)
# How often a query names the shortcut, in percent: most people ask for what they want done.
NAMED_SHARE = 12
_TOPIC = ("It's all about {topic}.", "This is for my {topic}.", "The theme is {topic}.")
_TOPIC_STOP = frozenset("a an and the of for to in on my your with from by at or v shortcut shortcuts app "
                        "tool tools helper menu pro lite new old beta".split())
# What a workflow of a category is for, when nothing else names its purpose (a synthetic sample has
# no title; its spec's theme is its category): two ways to say each, picked by the hash.
_PURPOSES: dict[str, tuple[str, str]] = {
    "Business": ("my work", "running my small business"), "Calendar": ("planning my week", "my schedule"),
    "Communication": ("keeping in touch with people", "my messages"), "Developer": ("my coding work",
    "the tools I use as a developer"), "Device": ("managing my phone", "my device settings"),
    "Education": ("my studies", "learning something new"), "Entertainment": ("my free time", "a bit of fun"),
    "Finance": ("my finances", "keeping track of money"), "Food & Drink": ("cooking and meals", "what I eat"),
    "Games": ("a game night", "playing games"), "Health & Fitness": ("my workouts", "staying healthy"),
    "Home": ("my home", "running the house"), "Lifestyle": ("my daily routine", "everyday life"),
    "Location": ("getting around", "places I go"), "Media": ("my media library", "the videos and files I keep"),
    "Music": ("my music", "listening to music"), "News": ("keeping up with the news", "the news I follow"),
    "Photography & Video": ("my photos", "the pictures and videos I take"), "Productivity": ("getting things done",
    "my to-do list"), "Reading": ("my reading", "the articles and books I read"), "Shopping": ("my shopping",
    "buying things online"), "Social Networking": ("my social media", "posting online"), "Sports": ("following sports",
    "the games I follow"), "Tools": ("small everyday tasks", "my files and data"), "Travel": ("my trips",
    "travel planning"), "Utilities": ("small everyday tasks", "a chore I repeat"), "Weather": ("checking the weather",
    "planning around the weather"), "Writing": ("my writing", "notes and drafts"),
}
_PURPOSE = ("It's for {purpose}.", "This would help with {purpose}.", "I need it for {purpose}.",
            "It's part of {purpose}.")
_APPS_SENTENCE = ("It should work with {apps}.", "I use {apps} for this.", "It needs to use {apps}.")
# With a publisher's description: what it is for (a verb phrase, or a thing), then maybe how it does it.
_GOAL_VERB = (
    "How can I build a shortcut to {goal}?",
    "I'd like a shortcut that will {goal}.",
    "Can you help me {goal} with one tap?",
    "Is there a way to {goal} from my iPhone?",
    "Make me a shortcut to {goal}, please.",
    "I want to {goal} without doing it all by hand.",
    "What would a shortcut look like that can {goal}?",
    "Help me set up something to {goal}.",
    "I need an automation to {goal}.",
    "Could you put together a shortcut so I can {goal}?",
)
_GOAL_THING = (
    "Could you help me build {goal}?",
    "I'm looking for {goal} that runs as a shortcut.",
    "Can you make me {goal} on my iPhone?",
    "I want to set up {goal} with Shortcuts.",
    "What would it take to build {goal}?",
)
_HOW = ("Along the way it should {features}.", "It needs to {features}.", "It should also {features}.",
        "Ideally it would {features}.")


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


_EXTENSION = re.compile(r"(?i)\.(shortcut|plist|json|wflow)$")


def human_title(name: str) -> str:
    """A shortcut's name as a person would write it: 'Add_Task-v2' -> 'Add Task v2'."""
    name = _EXTENSION.sub("", flat(name))
    name = re.sub(r"[_()\[\]{}<>`|\\]+", " ", name)
    name = re.sub(r"(?<=[A-Za-z])[-.](?=[A-Za-z])", " ", name)  # word-word, a.b.c
    name = re.sub(r"(?<=[a-z]{2})(?=[A-Z][a-z])|(?<=[A-Z][a-z])(?=[A-Z][a-z])", " ", name)  # not iPhone, macOS
    return clip(SPACES.sub(" ", name).strip(" -.,;:\"'“”"), 60)


def _features(c: Context) -> tuple[list[str], list[str]]:
    """Up to four things the shortcut does, most distinctive first, and the apps it uses."""
    scored: dict[str, tuple[int, int, int]] = {}  # phrase -> (rank, -uses, first position)
    apps: list[str] = []
    by_app: dict[str, list[str]] = {}  # app -> what is done in it, in order: said once per app
    for pos, a in enumerate(c.actions):
        short = a.identifier[len(BUILTIN_PREFIX):] if a.identifier.startswith(BUILTIN_PREFIX) else None
        phrase: str | None
        if short is None:
            app = c.app(pos)
            if app and app not in apps:
                apps.append(app)
            name = _phrase_name(c.name_of(pos))
            if app and app.lower() not in name.lower():
                done = by_app.setdefault(app, [])
                if name not in done:
                    done.append(name)
                phrase, rank = f"\0{app}", 0  # stands for the app's group until the end
            else:
                phrase, rank = name, 0
        elif short in _MODES and a.parameters.get(_MODES[short][0]) in _MODES[short][1]:
            phrase, rank = _MODES[short][1][a.parameters[_MODES[short][0]]], 1  # type: ignore[index]
        elif short in _ASKS:
            phrase, rank = _ASKS[short], 1
        elif short in _PLUMBING:
            phrase, rank = _PLUMBING[short], 3
        else:
            phrase, rank = _phrase_name(c.name_of(pos)), 2
        if not phrase:
            continue
        rank_, uses, first = scored.get(phrase, (rank, 0, pos))
        scored[phrase] = (min(rank, rank_), uses - 1, first)
    ordered = sorted(scored, key=lambda ph: scored[ph])
    main = [ph for ph in ordered if scored[ph][0] < 3][:4]
    if len(main) < 2:
        main += [ph for ph in ordered if scored[ph][0] == 3][: 2 - len(main)]
    named = {ph[1:] for ph in main if ph.startswith("\0")}
    main = [f"{join(by_app[ph[1:]][:3])} in {ph[1:]}" if ph.startswith("\0") else ph for ph in main]
    return main, [app for app in apps if app not in named][:2]


def _phrase_name(name: str) -> str:
    """A human name as a verb phrase: 'Get Details of Images' -> 'get details of images'."""
    text = label_words(name)
    return text if text.split(" ", 1)[0] in VERBS else f"use {text}"


def user_query(c: Context) -> str:
    """What a user would ask for: two to four of the shortcut's features in one of many templates,
    picked by a hash of the shortcut id; the title is named in about ``NAMED_SHARE`` percent of
    queries, otherwise one of its words may give the topic; with no title (a synthetic sample), its
    category may say what it is for. A shortcut its publisher described asks for what the description
    says it is for (``described_query``) and never names the shortcut."""
    seed = c.seed
    if seed.description:
        asked = described_query(c)
        if asked is not None:
            return asked
    h = _hash(seed.shortcut_id)
    features, apps = _features(c)
    title = human_title(seed.name)
    features = features[: 2 + (h >> 24) % 3]  # two to four of them, so same-looking shortcuts differ too
    if not features:
        features = ["do a few steps for me"] if c.actions else ["do nothing for now"]
    named = title and (h >> 40) % 100 < NAMED_SHARE and not seed.description
    templates = _TEMPLATES_NAMED if named else _TEMPLATES_UNNAMED
    text = templates[h % len(templates)].format(name=title, features=join(features))
    topic = None if named else _topic(title)
    purpose = _PURPOSES.get(seed.category or "") if not title else None
    if topic and (h >> 32) % 3 != 0:
        text += " " + _TOPIC[(h >> 36) % len(_TOPIC)].format(topic=topic)
    elif purpose and (h >> 32) % 4 != 0:
        text += " " + _PURPOSE[(h >> 36) % len(_PURPOSE)].format(purpose=purpose[(h >> 44) % 2])
    elif apps and (h >> 8) % 3 != 0:
        text += " " + _APPS_SENTENCE[(h >> 16) % len(_APPS_SENTENCE)].format(apps=join(apps))
    return _scrub(text, seed, c.apis)


def described_query(c: Context) -> str | None:
    """The request of a shortcut with a publisher's description: the goal it states in the user's words
    (``described.goal``), in one of the templates, then, in about two of three queries, two of the
    shortcut's features. It repeats no more than ``MAX_COPIED`` words of the description in a row and
    names neither the shortcut nor its other titles; None when no such query can be made."""
    seed = c.seed
    description = seed.description or ""
    titles = [t for t in (seed.name, *seed.titles) if t]
    found = goal(description, titles)
    if found is None:
        return None
    h = _hash(seed.shortcut_id)
    features, _ = _features(c)
    how = _HOW[(h >> 28) % len(_HOW)].format(features=join(features[:2])) if features and (h >> 20) % 3 else ""
    for phrase in (found.text, *shorter(found.text)):  # shorter when the full goal repeats too much
        for extra in (how, ""):
            text = _scrub(_goal_text(Goal(found.kind, phrase), h) + (" " + extra if extra else ""), seed, c.apis)
            if copied(text, description) <= MAX_COPIED and not any(names(text, t) for t in titles):
                return text
    return None


def _goal_text(found: Goal, h: int) -> str:
    templates = _GOAL_VERB if found.kind == "verb" else _GOAL_THING
    return templates[(h >> 4) % len(templates)].format(goal=found.text.rstrip(",;"))


def _topic(title: str) -> str | None:
    """One word of the title that says what the shortcut is about (its longest content word), or
    None when that word would be the whole title."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", title) if w.lower() not in _TOPIC_STOP]
    if len(words) < 2:
        return None
    word = max(words, key=len)
    return word if word.isupper() else word.lower()


def _scrub(text: str, seed: Seed, apis: Mapping[str, ApiDoc]) -> str:
    """Rewrite whatever ``leaks`` finds into plain words; a query must never name code."""
    code = seed_code_words(seed, apis)
    for _ in range(3):
        found = named_code(text, code)
        if not found:
            return text
        for token in sorted(found, key=len, reverse=True):
            words = CAMEL.sub(" ", re.sub(r"[`()_.\-]+", " ", token)).strip()
            text = text.replace(token, words if words != token else "")
        text = SPACES.sub(" ", text).strip()
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


def code_words(identifiers: Iterable[str], names: Iterable[str], apis: Mapping[str, ApiDoc]) -> set[str]:
    """Action identifiers and their function names, and ``names`` (code names, bundle ids), that
    are not plain words."""
    out = {w for w in names if w and not _plain_word(w)}
    for ident in identifiers:
        doc = apis.get(ident)
        out |= _api_words(ident, doc.function if doc is not None else None)
    return out


@functools.lru_cache(maxsize=8192)  # the same APIs in sample after sample
def _api_words(ident: str, function: str | None) -> frozenset[str]:
    return frozenset(w for w in (ident, function_name(ident), function) if w and not _plain_word(w))


def leaks(text: str, seed: Seed, apis: Mapping[str, ApiDoc]) -> list[str]:
    """Python or API identifiers a natural-language text names: the seed's action identifiers and
    function names, bundle-id-like dotted tokens, snake_case, code names that are not plain words,
    backticks and ``name(`` call syntax. Empty for a clean text."""
    return named_code(text, seed_code_words(seed, apis))


def seed_code_words(seed: Seed, apis: Mapping[str, ApiDoc]) -> set[str]:
    """``code_words`` of a seed: its action identifiers, code names and apps' bundle ids."""
    actions = seed.workflow.actions
    # Built-ins' app is 'shortcuts'; each identifier and app once (a workflow repeats them).
    apps = {a.app for a in actions if not a.identifier.startswith(BUILTIN_PREFIX)} - {"shortcuts"}
    return code_words(dict.fromkeys(a.identifier for a in actions), [*seed.code.names.values(), *apps], apis)


def named_code(text: str, code: set[str]) -> list[str]:
    """The identifiers of ``code`` (and any bundle-id-like, snake_case, backticked or called name)
    that ``text`` names."""
    found: dict[str, None] = {}
    for m in _BACKTICKS.finditer(text):
        found[m.group()] = None
    for m in _CALL.finditer(text):
        found[m.group()] = None
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in code or _DOTTED.fullmatch(token):
            found[token] = None
            continue
        for part in _PARTS.split(token):
            if part in code or ("_" in part and any(ch.isalpha() for ch in part)):
                found[part] = None
    return list(found)
