"""The 28 shortcut categories (RoutineHub-style themes) and the rule that puts a shortcut in one.

The fixed list (``CATEGORIES``; its order is the ``position`` in the warehouse)::

    Business            work documents, office suites, meetings, contacts at work
    Calendar            events, reminders, dates and times
    Communication       messages, mail, calls, SMS
    Developer           scripting, APIs, JSON, git, SSH, encoding and cryptography
    Device              device settings, battery, connectivity, system state
    Education           learning, reference, science
    Entertainment       films, TV, streaming, fun
    Finance             money, banking, payments, rewards
    Food & Drink        recipes, restaurants, coffee, groceries
    Games               games and gaming services
    Health & Fitness    health data, workouts, sleep, water
    Home                smart home, HomeKit, home energy
    Lifestyle           journaling, habits, mood, personal life
    Location            maps, places, directions, addresses
    Media               podcasts, radio, audio and media files
    Music               music libraries, playlists, recognition
    News                news, RSS, articles
    Photography & Video photos, camera, images, video, image recognition
    Productivity        tasks, notes, to-dos, search, AI assistants
    Reading             read-later services, books
    Shopping            shops, deliveries, e-commerce
    Social Networking   social networks
    Sports              sports results and apps
    Tools               files, storage, documents, clipboard managers, PDF
    Travel              transport, flights, rides, cars, logistics
    Utilities           general helpers; the fallback
    Weather             forecasts and conditions
    Writing             text editing, text analysis, translation, drafting

The rule (``categorize``), deterministic:

1. every WorkflowLLM tag of the shortcut's actions votes for its category (``TAGS``) with its weight
   times the tag's count. WorkflowLLM puts some tags on nearly every common built-in action, so they
   say little: Tools, Communication, Business, Data, Text Analysis and Other weigh 0.25; Devices,
   Monitoring, Music, Sports, Media, Entertainment, Finance and Search weigh 0.5; the rest 1.
   WorkflowLLM also tags about 100 generic APIs (open URL, get variable, alert, get clipboard, ...)
   with Weather, Sports and Music together: the count the three share (their minimum) is noise and
   is taken off each of them first (``NOISE``);
2. every distinct app whose bundle id names a known theme (``APP_KEYWORDS``: a keyword equal to, or
   starting, one of the bundle id's words, see ``app_category``) votes ``APP_WEIGHT`` for it; an app says more about a
   shortcut's theme than generic tags do;
3. the highest score wins; a tie goes to the category that comes first in ``PRECEDENCE`` (specific
   themes before general ones); no vote at all gives ``FALLBACK`` (Utilities).

A category the shortcut's site gives (RoutineHub's, in table ``shortcut_metadata``) wins over the
vote when it maps onto one of the 28 (``site_category``): names are compared on their words in
lowercase without "and" (``&`` is one), so "Health & Fitness", "health and fitness" and the slug
"health-fitness" all name that category; ``SITE_ALIASES`` maps the other names sites use::

    Photography & Video  photography, photo(s), photo & video, photos & videos, video(s), camera
    Health & Fitness     health, fitness, medical
    Social Networking    social, social media, social network(s)
    Food & Drink         food, food & drinks, cooking, recipes
    Reading              books, book
    Location             navigation, maps
    Travel               transport, transportation
    Developer            developers, developer tools, development, programming, coding
    Home                 smart home, homekit, home automation
    Games                game, gaming
    Communication        messaging, email, mail
    Utilities            utility
    Tools                tool
    Device               devices, system, settings
    Entertainment        fun
    Media                podcasts, video & audio
    Finance              money

Anything else (for example "Other", "Siri" or "Widgets") maps onto nothing: the vote decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CATEGORIES = (
    "Business", "Calendar", "Communication", "Developer", "Device", "Education", "Entertainment", "Finance",
    "Food & Drink", "Games", "Health & Fitness", "Home", "Lifestyle", "Location", "Media", "Music", "News",
    "Photography & Video", "Productivity", "Reading", "Shopping", "Social Networking", "Sports", "Tools", "Travel",
    "Utilities", "Weather", "Writing",
)
FALLBACK = "Utilities"
# Tie-break order: specific themes first, the general ones (and the fallback) last.
PRECEDENCE = (
    "Weather", "Music", "Sports", "Games", "Health & Fitness", "Food & Drink", "Finance", "Shopping", "Travel",
    "Location", "News", "Reading", "Education", "Photography & Video", "Entertainment", "Media",
    "Social Networking", "Home", "Lifestyle", "Calendar", "Communication", "Writing", "Developer", "Business",
    "Device", "Productivity", "Tools", "Utilities",
)

GENERIC, NOISY = 0.25, 0.5
NOISE = ("Weather", "Sports", "Music")  # tagged together on generic APIs, see the module docstring
# WorkflowLLM's 44 functional tags -> (category, weight).
TAGS: dict[str, tuple[str, float]] = {
    "Tools": ("Utilities", GENERIC),
    "Communication": ("Communication", GENERIC),
    "Business": ("Business", GENERIC),
    "Devices": ("Device", NOISY),
    "Data": ("Utilities", GENERIC),
    "Music": ("Music", NOISY),
    "Weather": ("Weather", 1.0),
    "Sports": ("Sports", NOISY),
    "Media": ("Media", NOISY),
    "Entertainment": ("Entertainment", NOISY),
    "Text Analysis": ("Writing", GENERIC),
    "Social": ("Social Networking", 1.0),
    "Events": ("Calendar", 1.0),
    "Storage": ("Tools", 1.0),
    "Finance": ("Finance", NOISY),
    "Location": ("Location", 1.0),
    "Search": ("Productivity", NOISY),
    "Visual Recognition": ("Photography & Video", 1.0),
    "Video, Images": ("Photography & Video", 1.0),
    "Education": ("Education", 1.0),
    "Health and Fitness": ("Health & Fitness", 1.0),
    "Monitoring": ("Device", NOISY),
    "Gaming": ("Games", 1.0),
    "Transportation": ("Travel", 1.0),
    "Mapping": ("Location", 1.0),
    "Artificial Intelligence/Machine Learning": ("Productivity", 1.0),
    "Database": ("Developer", 1.0),
    "News, Media": ("News", 1.0),
    "Cybersecurity": ("Developer", 1.0),
    "Payments": ("Finance", 1.0),
    "eCommerce": ("Shopping", 1.0),
    "Cryptography": ("Developer", 1.0),
    "Commerce": ("Shopping", 1.0),
    "Email": ("Communication", 1.0),
    "Energy": ("Device", 1.0),
    "SMS": ("Communication", 1.0),
    "Reward": ("Finance", 1.0),
    "Other": ("Utilities", GENERIC),
    "Science": ("Education", 1.0),
    "Travel": ("Travel", 1.0),
    "Movies": ("Entertainment", 1.0),
    "Translation": ("Writing", 1.0),
    "Financial": ("Finance", 1.0),
    "Logistics": ("Travel", 1.0),
}

APP_WEIGHT = 2.0
# Bundle-id words -> category, checked in this order (first match wins for an app).
APP_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Weather", ("weather", "carrot", "darksky", "weathergraph", "mercury")),
    ("Music", ("music", "spotify", "shazam", "soundcloud", "itunes", "marvis", "albums", "deezer", "tidal")),
    ("Sports", ("sport", "sports", "espn", "scores", "nba", "nfl", "football", "soccer", "golf")),
    ("Games", ("game", "games", "steam", "xbox", "playstation", "nintendo", "chess")),
    ("Health & Fitness", ("health", "fitness", "workout", "strava", "sleep", "waterminder", "fitbod", "autosleep",
                          "nike", "runkeeper", "meditation", "headspace", "calm")),
    ("Food & Drink", ("recipe", "recipes", "paprika", "mela", "food", "coffee", "starbucks", "ubereats",
                      "doordash", "grocery", "anylist", "beer", "wine", "nutrition")),
    ("Finance", ("bank", "money", "budget", "finance", "paypal", "venmo", "cash", "ynab", "moneywiz", "coinbase",
                 "crypto", "stocks", "cardpointers", "getcardpointers")),
    ("Shopping", ("amazon", "shop", "shopify", "ebay", "deliveries", "parcel", "arrive", "etsy")),
    ("Travel", ("flight", "flighty", "uber", "lyft", "transit", "citymapper", "airbnb", "booking", "tripit",
                "trainline", "tesla", "rivian", "milage", "mileage")),
    ("Location", ("maps", "location", "gps", "waze", "mapaper")),
    ("News", ("news", "reeder", "feedly", "rss", "unread", "netnewswire")),
    ("Reading", ("instapaper", "pocket", "readwise", "kindle", "ibooks", "books", "goodreads", "matter")),
    ("Education", ("duolingo", "school", "learn", "dictionary", "anki", "study", "wolfram", "lookup")),
    ("Photography & Video", ("photo", "photos", "camera", "lightroom", "darkroom", "pixelmator", "halide", "video",
                             "vsco", "snapseed", "mobileslideshow", "aviaryapp")),
    ("Entertainment", ("netflix", "youtube", "movie", "movies", "letterboxd", "imdb", "plex", "infuse", "twitch",
                       "sequel", "fandango")),
    ("Media", ("podcast", "podcasts", "overcast", "castro", "radio", "pocketcasts")),
    ("Social Networking", ("twitter", "tweetbot", "mastodon", "joinmastodon", "ivory", "facebook", "instagram",
                           "reddit", "apollo", "tumblr", "threads")),
    ("Home", ("home", "homekit", "hue", "homebridge", "homeassistant", "nest", "smartthings")),
    ("Lifestyle", ("journal", "dayone", "habit", "streaks", "mood", "daylio", "diary")),
    ("Calendar", ("calendar", "mobilecal", "fantastical", "timepage", "reminders", "mobiletimer")),
    ("Communication", ("mail", "mobilemail", "message", "messages", "mobilesms", "whatsapp", "telegram", "signal",
                       "mobilephone", "facetime", "slack", "discord", "skype", "spark", "airmail")),
    ("Writing", ("drafts", "drafts5", "ulysses", "bear", "writer", "byword", "editorial", "text", "tot",
                 "totmobile")),
    ("Developer", ("working", "workingcopy", "pythonista", "scriptable", "ashell", "shell", "textastic", "jayson",
                   "termius", "prompt", "ssh", "git", "github", "console", "datajar")),
    ("Business", ("office", "excel", "powerpoint", "microsoft", "keynote", "pages", "numbers", "salesforce", "zoom",
                  "teams", "linkedin", "docusign", "invoice")),
    ("Device", ("battery", "bluetooth", "wifi", "settings", "airbuddy", "accessibility", "axsettingsshortcuts")),
    ("Productivity", ("things", "thingsipad", "thingsiphone", "omnifocus", "todoist", "notes", "mobilenotes",
                      "evernote", "notion", "taskpaper", "trello", "craft", "lukiapp", "obsidian", "devonthink",
                      "thinktogo", "toggl")),
    ("Tools", ("files", "documents", "dropbox", "drive", "onedrive", "pdf", "scanner", "paste", "clipboard",
               "anybuffer", "toolbox", "toolboxpro", "toolboxproforshortcuts", "actions", "gizmopack", "taio")),
)
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Categorization:
    category: str
    rule: str  # 'vote' (tags and apps), or 'fallback' (nothing voted)
    scores: dict[str, float]  # category -> score, for the record


def app_category(bundle_id: str) -> str | None:
    """The theme a bundle id names, if any: 'com.apple.Health' -> 'Health & Fitness'; 'shortcuts'
    (the built-in actions) names none. A keyword matches a word of the id after the first (the
    domain), or the start of one when it has 4 letters or more; the longest matching keyword wins
    ('textastic' over 'text'), then the earlier in ``APP_KEYWORDS``."""
    if bundle_id == "shortcuts":
        return None
    words = _WORDS.findall(bundle_id.lower().replace("-", ""))[1:]
    best: tuple[int, str] | None = None
    for category, keywords in APP_KEYWORDS:
        for keyword in keywords:
            if (best is None or len(keyword) > best[0]) and any(
                    w == keyword or (len(keyword) >= 4 and w.startswith(keyword)) for w in words):
                best = (len(keyword), category)
    return None if best is None else best[1]


def scores(tag_counts: Mapping[str, int], apps: Iterable[str]) -> dict[str, float]:
    """category -> score under the rule above (categories without a vote are left out)."""
    out: dict[str, float] = {}
    shared = min(max(tag_counts.get(t, 0), 0) for t in NOISE)
    for tag, count in tag_counts.items():
        hit = TAGS.get(tag)
        if tag in NOISE:
            count -= shared
        if hit is not None and count > 0:
            out[hit[0]] = out.get(hit[0], 0.0) + hit[1] * count
    for app in sorted(set(apps)):
        category = app_category(app)
        if category is not None:
            out[category] = out.get(category, 0.0) + APP_WEIGHT
    return out


_RANK = {c: i for i, c in enumerate(PRECEDENCE)}

SITE_ALIASES: dict[str, str] = {
    **dict.fromkeys(("photography", "photo", "photos", "photo & video", "photos & videos", "video", "videos",
                     "camera"), "Photography & Video"),
    **dict.fromkeys(("health", "fitness", "medical"), "Health & Fitness"),
    **dict.fromkeys(("social", "social media", "social network", "social networks"), "Social Networking"),
    **dict.fromkeys(("food", "food & drinks", "cooking", "recipes"), "Food & Drink"),
    **dict.fromkeys(("books", "book"), "Reading"),
    **dict.fromkeys(("navigation", "maps"), "Location"),
    **dict.fromkeys(("transport", "transportation"), "Travel"),
    **dict.fromkeys(("developers", "developer tools", "development", "programming", "coding"), "Developer"),
    **dict.fromkeys(("smart home", "homekit", "home automation"), "Home"),
    **dict.fromkeys(("game", "gaming"), "Games"),
    **dict.fromkeys(("messaging", "email", "mail"), "Communication"),
    "utility": "Utilities", "tool": "Tools", "fun": "Entertainment", "money": "Finance",
    **dict.fromkeys(("devices", "system", "settings"), "Device"),
    **dict.fromkeys(("podcasts", "video & audio"), "Media"),
}


def _site_key(name: str) -> str:
    """A category name as compared: its words without "and" ('&' is one), run together."""
    return "".join(w for w in _WORDS.findall(name.lower().replace("&", " and ")) if w != "and")


_SITE = {**{_site_key(c): c for c in CATEGORIES}, **{_site_key(k): v for k, v in SITE_ALIASES.items()}}


def site_category(name: str | None) -> str | None:
    """The one of ``CATEGORIES`` a site's category name maps onto, or None (see the module docstring)."""
    return _SITE.get(_site_key(name)) if name else None


def explain(tag_counts: Mapping[str, int], apps: Iterable[str]) -> Categorization:
    """The category with the scores that chose it."""
    votes = scores(tag_counts, apps)
    if not votes:
        return Categorization(FALLBACK, "fallback", votes)
    best = min(votes, key=lambda c: (-votes[c], _RANK[c]))
    return Categorization(best, "vote", votes)


def categorize(tag_counts: Mapping[str, int], apps: Iterable[str]) -> str:
    """One of ``CATEGORIES`` for a shortcut: ``tag_counts`` are the WorkflowLLM tags of its actions'
    APIs (tag -> number of actions carrying it), ``apps`` the bundle ids of its actions."""
    return explain(tag_counts, apps).category
