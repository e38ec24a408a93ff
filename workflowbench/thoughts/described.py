"""What a publisher's description says a shortcut is for, as a user would put it.

``goal`` takes the first sentence of the description that says something (not "Updated for iOS 17"),
drops links, markup, emoji and asides, puts "this shortcut" where it names the shortcut, strips the
publisher's lead-ins ("This shortcut lets you", "A simple tool to", "Quickly"), turns the second
person into the first ("your water intake" -> "my water intake"), prefers plain verbs ("display" ->
"show") and keeps one clause of at most ``MAX_WORDS`` words. It answers a verb phrase ("log my daily
water intake") or, when the sentence names a thing, a noun phrase ("a timer for focused work"), or
None when nothing usable is left. ``copied`` measures how much of the description a text repeats
word for word, ``names`` whether it names the shortcut, both as the query checks them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..quality import quotes_title
from .words import CAMEL, VERBS

MAX_WORDS = 14
MAX_COPIED = 6  # the longest run of the description's words a query may repeat

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ASIDE = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_MARKUP = re.compile(r"[*_#>`~|<>{}\"“”«»]+")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+|\s+[-–—•·]\s+|\s*[•·]\s*")
_TOKENS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NOISE = re.compile(
    r"(?i)^(?:updated?\b|update:|version\b|v\s?\d|requires?\b|needs?\b|note\b|thanks?\b|credits?\b|made by\b|"
    r"follow\b|check out\b|please\b|support\b|changelog\b|fixed\b|fix(?:es)?\b|bugs?\b|new:|added\b|ios\s?\d|"
    r"works? (?:on|with)\b|if you\b|enjoy\b|donate\b|join\b|contact\b|feedback\b|dm me\b|for more\b|"
    r"this is (?:v|version)\b|tested\b|compatible\b|shortcut by\b|by @|don'?t\b|do not\b)")
# The publisher's ways into what the shortcut does, tried again and again at the start of the sentence.
_LEADS = tuple(re.compile(p, re.I) for p in (
    r"^(?:this|the|a|an|my|our)\s+(?:(?:very|super|really|simple|small|quick|handy|little|useful|basic|easy|"
    r"powerful|ultimate|free|new|nice|smart|cool|tiny|great|fast)\s+)*(?:ios\s+|siri\s+|apple\s+)?"
    r"(?:shortcut|tool|utility|workflow|automation|app)s?\b\s*(?:that|which|to|for|will|can)?\s*",
    r"^this shortcut\b\s*",
    r"^(?:with|using|use)\s+(?:this shortcut|this|it)\s*,?\s*(?:you can|you'll be able to|to)?\s*",
    r"^(?:it's|its|it is|this is)\s+",
    r"^(?:it|this|that|which)\s+(?:also\s+)?(?:is|will|can|does)?\s*",
    r"^(?:is\s+|was\s+)?(?:the|a|an)\s+(?:(?:best|easiest|simplest|fastest|quickest|easy|simple|quick|fast|great|"
    r"nice|new|better|handy)\s+)*way\s+to\s+",
    r"^(?:is|was)\s+(?=(?:a|an|the)\s)",
    r"^you\s+(?:can\s+)?",
    r"^(?:you can|you will be able to|lets you|let's you|let you|allows you to|allow you to|helps you(?: to)?|"
    r"help you(?: to)?|enables you to|will let you|is (?:used|designed|made|meant|built) to|designed to|"
    r"made to|meant to|built to|used to|can|will|should|simply|just|quickly|easily|also|now)\b\s*",
    r"^(?:a|an)\s+(?:way|easy way|quick way|simple way)\s+to\s+",
))
_SYNONYMS = {
    "create": "make", "creates": "makes", "creating": "making", "display": "show", "displays": "shows",
    "retrieve": "get", "retrieves": "gets", "obtain": "get", "obtains": "gets", "utilize": "use", "utilise": "use",
    "utilizes": "uses", "purchase": "buy", "modify": "change", "modifies": "changes", "launch": "open",
    "launches": "opens", "favourite": "favorite", "favourites": "favorites", "numerous": "many",
    "various": "different", "instantly": "right away", "immediately": "right away", "allows": "lets",
    "generate": "make", "generates": "makes", "provides": "gives", "provide": "give", "receive": "get",
    "receives": "gets", "determine": "work out", "determines": "works out", "assist": "help",
}
_FILLERS = frozenset("quickly easily simply just very really super basically literally".split())
_PERSON = {"your": "my", "yours": "mine", "yourself": "myself", "you've": "I've", "you'll": "I'll",
           "you'd": "I'd", "you're": "I'm", "youre": "I'm"}
_MORE_VERBS = frozenset((
    "track keep plan build pick back backup give help let find post check scan tell remind notify play open send "
    "add save make log count clean strip share sync turn view watch listen learn study draw edit type browse order "
    "book buy pay split tip convert calculate measure time schedule set start stop pause skip shuffle call text "
    "email message text join leave enter exit wake sleep rate review vote search look organize organise sort "
    "filter group merge compress resize crop rotate flip blur mark archive file store collect gather grab pull "
    "push upload download stream cast mirror print scan sign lock unlock hide show reveal announce speak read "
    "write dictate transcribe summarize summarise explain answer ask quiz test practice practise train run walk "
    "cycle drive ride fly travel navigate locate get use go bring take put move copy paste replace translate "
    "generate create display retrieve obtain launch modify provide receive determine assist toggle enable disable "
    "switch change update refresh reset clear delete remove erase empty fill estimate compare choose decide tap "
    "click press guess catch roll flip warn keep hand hear see shoot record capture note jot list plan cook "
    "convert lookup look fetch grab reply forward import export sync backup bookmark favorite love like follow"
).split()) | VERBS
_DETERMINERS = frozenset("a an the my your some one any this these those every each all two three".split())
_TRAILING = frozenset("and or to the a an with for of in on at by from my your as so but that which who when "
                      "then into".split())
_JOINTS = (_TRAILING - {"a", "an", "the", "my", "your"}) | {"using", "without", "including", "while", "before",
                                                            "after", "until", "via", "through", "between"}
_OPENING = re.compile(r"^[^,]{1,25},\s+(?=\w)")
_THIS_SHORTCUT = re.compile(r"(?i)\s+(?:with|using|in|via|from)\s+(?:this|the)\s+shortcut\b")
_STRONG = frozenset("so when which that and then while because where but with whenever".split())
_OBJECT_AFTER = frozenset("to for with at from of by on about into onto let lets help helps tell tells remind "
                          "reminds warn warns notify notifies show shows give gives send sends ask asks".split())
_BREAKS = re.compile(r"\s*(?:;|:|\s[-–—]\s|\.\s|!|\?|,\s(?:and\s)?(?:so|which|but|then|plus)\b|\s(?:and\s)?please\b)")


@dataclass(frozen=True)
class Goal:
    kind: str  # 'verb' (say "to {text}") or 'thing' (say "{text}")
    text: str


def _clean(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = "".join(" " if unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Mn") or ch in "\u200d\ufe0f"
                   else ch for ch in text)
    text = text.replace("’", "'").replace("‘", "'")
    return text


def _name_pattern(name: str) -> re.Pattern[str] | None:
    words = re.findall(r"[A-Za-z0-9]+", CAMEL.sub(" ", name))
    if len("".join(words)) < 3:
        return None
    # the name with the punctuation around it ('"Water Log"', '-h-i-g-h-') and between its words
    return re.compile(r"(?i)(?<!\w)[^\w\s]*" + r"[\W_]*".join(map(re.escape, words)) + r"[^\w\s]*(?!\w)")


def _without_names(text: str, names: Iterable[str]) -> str:
    for name in sorted(set(names), key=len, reverse=True):
        pattern = _name_pattern(name)
        if pattern is not None:
            text = pattern.sub("this shortcut", text)
    return text


def _sentences(text: str) -> list[str]:
    """The sentences worth reading: not questions, not notes about versions, credits or requirements."""
    out = []
    for raw in _SENTENCES.split(text):
        sentence = " ".join(_ASIDE.sub("", _MARKUP.sub(" ", raw)).split()).strip(" .,!;:-'")
        if sentence.endswith("?") or len(sentence.split()) < 3 or _NOISE.match(sentence):
            continue
        out.append(sentence)
    return out


def _strip_leads(text: str) -> str:
    text = _THIS_SHORTCUT.sub("", text)
    for _ in range(6):
        for lead in _LEADS:
            stripped = lead.sub("", text, count=1)
            if stripped != text:
                text = stripped
                break
        else:
            opening = _OPENING.match(text)  # 'All at once, turn on ...': an opening phrase before the verb
            if opening is None or _base_verb(text.split(" ", 1)[0]) or not _base_verb(text[opening.end():]
                                                                                       .split(" ", 1)[0]):
                return text
            text = text[opening.end():]
    return text


def _base_verb(word: str) -> str | None:
    """The base form of a verb ('logs', 'copies', 'sending' -> 'log', 'copy', 'send'), or None."""
    w = word.lower().strip(",.")
    if w in _MORE_VERBS:
        return w
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e")):
        stem = w[: len(w) - len(suffix)] + repl
        if w.endswith(suffix) and len(stem) > 1 and stem in _MORE_VERBS:
            return stem
    if w.endswith("ing") and len(w) > 5 and w[-4] == w[-5] and w[:-4] in _MORE_VERBS:  # 'logging'
        return w[:-4]
    return None


def _first_person(words: list[str]) -> list[str]:
    """'you' as 'me' after a verb or preposition, else 'I' ('you are' -> 'I am'); 'your' as 'my'."""
    out: list[str] = []
    for word in words:
        low = word.lower()
        if low in _PERSON:
            out.append(_PERSON[low])
        elif low in ("you", "you,"):
            after_verb = bool(out) and out[-1].lower() in _OBJECT_AFTER
            out.append(("me" if after_verb else "I") + ("," if low.endswith(",") else ""))
        elif low in ("are", "were") and out and out[-1] == "I":
            out.append("am" if low == "are" else "was")
        elif out and out[-1].lower() in ("and", "or", "then") and low.endswith("s") and _base_verb(low):
            out.append(_base_verb(low) or word)  # 'and keeps' -> 'and keep'
        else:
            out.append(word)
    return out


def _shorten(words: list[str]) -> list[str]:
    """At most ``MAX_WORDS`` words, cut before a joining word rather than mid-clause; no dangling end."""
    if len(words) > MAX_WORDS:
        joints = [i for i in range(3, MAX_WORDS + 1) if words[i].lower() in _TRAILING]
        strong = [i for i in joints if words[i].lower() in _STRONG and i >= 4]
        words = words[: (strong or joints)[-1]] if joints else words[:MAX_WORDS]
    while words and words[-1].lower().strip(",.") in _TRAILING:
        words.pop()
    return [w.strip(",") if i == len(words) - 1 else w for i, w in enumerate(words)]


def goal(description: str, names: Iterable[str] = ()) -> Goal | None:
    """What the description says the shortcut is for, in the user's words (see the module docstring)."""
    for sentence in _sentences(_without_names(_clean(description), names)):
        text = _strip_leads(sentence)
        cut = _BREAKS.search(text)
        if cut is not None and len(text[: cut.start()].split()) >= 2:
            text = text[: cut.start()]
        words = [w for w in text.split() if w.lower() not in _FILLERS]
        words = [w for i, w in enumerate(words) if i == 0 or w.lower() != words[i - 1].lower()]  # 'and and'
        if len(words) > 1 and words[0].lower().endswith("ly") and _base_verb(words[1]):
            words = words[1:]  # 'Randomly picks' -> 'picks'
        if len(words) > 10 and "," in " ".join(words[4:]):
            head = " ".join(words)
            words = head[: head.index(",", len(" ".join(words[:4])))].split()
        words = _shorten(_first_person([_SYNONYMS.get(w.lower(), w) for w in words]))
        if len(words) < 2 or "shortcut" in (w.lower().strip(",.") for w in words[:4]):
            continue
        verb = _base_verb(words[0])
        if verb is not None:
            return Goal("verb", " ".join([verb, *words[1:]]))
        first = words[0]
        if not (first.isupper() and len(first) > 1) and not any(c.isupper() for c in first[1:]):
            words[0] = first.lower()
        if words[0].lower() not in _DETERMINERS and not (first.lower().endswith("s") and not first.endswith("ss")):
            words.insert(0, "an" if first[0].lower() in "aeiou" else "a")
        return Goal("thing", " ".join(words))
    return None


def shorter(text: str) -> list[str]:
    """Shorter forms of a goal, longest first, each cut before a joining word ('to', 'with', 'and', ...)
    and without a dangling one: 'find the cheapest station on my route' -> 'find the cheapest station'."""
    words = text.split()
    out: list[str] = []
    for end in range(len(words) - 1, 1, -1):
        if words[end].lower().strip(",.") in _JOINTS:
            cut = words[:end]
            while cut and cut[-1].lower().strip(",.") in _TRAILING:
                cut.pop()
            if len(cut) >= 2 and " ".join(cut) not in out:
                out.append(" ".join(cut).rstrip(","))
    return out


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text.lower().replace("’", "'"))


def copied(text: str, description: str) -> int:
    """The longest run of consecutive words of ``description`` that ``text`` repeats (case-insensitive)."""
    a, b = tokens(text), tokens(description)
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def names(text: str, name: str) -> bool:
    """True if ``text`` names ``name``: its letters and digits from a word boundary to a word boundary,
    case-insensitive (names under 3 letters and digits never count): ``workflowbench stats``'s check."""
    return quotes_title(text, name)
