"""Content kinds: what an action's output is, what a parameter takes, and which pairs cannot meet.

The catalog's output types are class names from several sources (``NSDecimalNumber``,
``WFImageContentItem``, ``public.data``, unions such as ``NSString | NSURL``); ``output_kinds`` maps
them to a few kinds, and anything it does not know (``Object``, app entities, no type at all) to no
kind, which is never judged. Shortcuts coerces freely (anything becomes text, text becomes a
number or a date), so ``wrong_type`` is deliberately narrow: only media, places and contacts
handed to a parameter that needs a number, a switch, a date, a choice or a dictionary, where the
app has no conversion and the action fails. A coercion the reference asks for (``Get … as
Number``) is what counts, not the producer's type; a property of the value (an image's width) is
not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TEXT, NUMBER, BOOLEAN, DATE, URL, DICTIONARY, FILE = "text", "number", "boolean", "date", "url", "dictionary", "file"
IMAGE, MEDIA, PDF, LOCATION, CONTACT = "image", "media", "pdf", "location", "contact"

_CLASSES = {
    TEXT: ("NSString", "String", "WFStringContentItem", "NSAttributedString", "public.html", "public.plain-text",
           "WFTextMatch", "WFRichTextContentItem", "WFPhoneNumber", "WFPhoneNumberContentItem", "WFEmailAddress",
           "WFEmailAddressContentItem"),
    NUMBER: ("NSDecimalNumber", "NSNumber", "WFNumberContentItem", "Float", "Integer", "NSMeasurement"),
    BOOLEAN: ("Bool", "WFBooleanContentItem"),
    DATE: ("NSDate", "WFDateContentItem"),
    URL: ("NSURL", "WFURLContentItem", "RichURL"),
    DICTIONARY: ("NSDictionary", "WFDictionaryContentItem"),
    FILE: ("public.data", "File", "WFGenericFileContentItem", "public.folder"),
    IMAGE: ("UIImage", "WFImageContentItem", "WFImage", "public.image", "com.compuserve.gif", "PHAsset",
            "WFPhotoMediaContentItem", "WFPosterRepresentation", "public.jpeg", "public.png"),
    MEDIA: ("AVAsset", "com.apple.coreaudio-format", "com.apple.m4a-audio", "public.mpeg-4",
            "com.apple.quicktime-movie", "MPMediaItem", "WFAVAssetContentItem", "public.audio", "public.movie"),
    PDF: ("WFPDFContentItem", "com.adobe.pdf"),
    LOCATION: ("CLLocation", "WFLocationContentItem", "MKMapItem", "Placemark", "WFStreetAddress", "CLPlacemark"),
    CONTACT: ("WFContact", "WFContactContentItem", "CNContact"),
}
_KIND = {cls: kind for kind, classes in _CLASSES.items() for cls in classes}
_WORD = re.compile(r"[A-Za-z][\w.-]*")
# Kinds no parameter of these types can take: the app has no conversion for them.
_UNCONVERTIBLE = frozenset({IMAGE, MEDIA, LOCATION, CONTACT})
_STRICT_PARAMS = frozenset({"number", "integer", "boolean", "date", "enum", "dictionary"})
# What each parameter type is fed best by (its own kind), for wiring.
PARAM_KIND = {"string": TEXT, "enum": TEXT, "number": NUMBER, "integer": NUMBER, "boolean": BOOLEAN, "date": DATE,
              "dictionary": DICTIONARY, "file": FILE}
_FILE_LIKE = frozenset({FILE, IMAGE, MEDIA, PDF})
_COERCIONS = {"WFStringContentItem": TEXT, "WFNumberContentItem": NUMBER, "WFBooleanContentItem": BOOLEAN,
              "WFDateContentItem": DATE, "WFURLContentItem": URL, "WFDictionaryContentItem": DICTIONARY,
              "WFImageContentItem": IMAGE, "WFPDFContentItem": PDF, "WFLocationContentItem": LOCATION,
              "WFContactContentItem": CONTACT, "WFGenericFileContentItem": FILE, "WFAVAssetContentItem": MEDIA,
              "WFRichTextContentItem": TEXT, "WFPhoneNumberContentItem": TEXT, "WFEmailAddressContentItem": TEXT}


def output_kinds(output_type: str | None) -> frozenset[str]:
    """The kinds an output of this catalog type may be; empty when any class in it is unknown (then
    nothing about it is judged). ``array(X)`` is a list of X: its items' kinds."""
    if not output_type:
        return frozenset()
    kinds = set()
    for word in _WORD.findall(output_type.replace("array(", " ").replace("(Object)", " ")):
        if word in ("or", "Object"):
            continue
        kind = _KIND.get(word)
        if kind is None:
            return frozenset()
        kinds.add(kind)
    return frozenset(kinds)


def coerced(aggrandizements: Iterable[object]) -> tuple[bool, frozenset[str] | None]:
    """(judgeable, kinds) of a reference's aggrandizements: a coercion replaces the kinds; a property
    or dictionary lookup makes the value something else (not judged)."""
    kinds: frozenset[str] | None = None
    for agg in aggrandizements:
        if not isinstance(agg, dict):
            return False, None
        kind = agg.get("Type")
        if kind == "WFCoercionVariableAggrandizement":
            cls = agg.get("CoercionItemClass")
            kinds = frozenset({_COERCIONS[cls]}) if isinstance(cls, str) and cls in _COERCIONS else frozenset()
        else:
            return False, None
    return True, kinds


def wrong_type(kinds: frozenset[str], param_type: str | None) -> bool:
    """Whether a value of ``kinds`` can never be taken by a parameter of ``param_type``: every kind
    it may be is one the parameter has no conversion for."""
    return bool(kinds) and param_type in _STRICT_PARAMS and kinds <= _UNCONVERTIBLE


def fits(kinds: frozenset[str], param_type: str | None) -> bool:
    """Whether an output of ``kinds`` is what a parameter of ``param_type`` is made for (a file
    parameter takes images, media and PDFs too)."""
    want = PARAM_KIND.get(param_type or "")
    if want is None or not kinds:
        return False
    return kinds <= _FILE_LIKE if want == FILE else want in kinds
