"""Which parameter holds an action's input, for making implicit data flow explicit.

An action whose input parameter is unset takes the previous action's output. The code shows that
hand-over as an argument, so it needs the input parameter's key. This table covers common built-in
actions; a catalog can supply more (``to_code(..., input_keys=...)``). An action missing from both
keeps its implicit input, and the code says nothing about it.
"""

from __future__ import annotations

_P = "is.workflow.actions."

_WFINPUT = (
    "appendvariable base64encode choosefromlist conditional count detect.date detect.dictionary "
    "detect.images detect.link detect.number detect.text documentpicker.save file.delete "
    "getitemfromlist getitemname getitemtype gethtmlfromrichtext getmapslink getmarkdownfromrichtext "
    "getrichtextfrommarkdown gettimebetweendates gettypeaction getvalueforkey hash image.combine "
    "image.convert image.crop makepdf makezip math measurement.convert notification openin openurl "
    "playsound previewdocument properties.appstore properties.articles properties.contacts repeat.each "
    "round runworkflow savetocameraroll setclipboard setitemname setvariable share text.match "
    "text.replace text.trimwhitespace urlencode wallpaper.set"
).split()

INPUT_KEYS: dict[str, str] = {_P + name: "WFInput" for name in _WFINPUT} | {
    _P + "count": "Input",
    _P + "statistics": "Input",
    _P + "text.split": "text",
    _P + "text.combine": "text",
    _P + "text.changecase": "text",
    _P + "showresult": "Text",
    _P + "downloadurl": "WFURL",
    _P + "geturlcomponent": "WFURL",
    _P + "setvalueforkey": "WFDictionary",
    _P + "filter.files": "WFContentItemInputParameter",
    _P + "image.resize": "WFImage",
    _P + "getrichtextfromhtml": "WFHTML",
    _P + "unzip": "WFArchive",
    _P + "text.match.getgroup": "matches",
    _P + "encodemedia": "WFMedia",
    _P + "speaktext": "WFText",
    _P + "documentpicker.open": "WFFile",
    _P + "playmusic": "WFMediaItems",
}

# Actions whose output is only their input handed on: the next action's implicit input is not
# theirs to name, so the hand-over stays implicit.
PASSTHROUGH = frozenset({_P + "comment", _P + "setvariable", _P + "appendvariable"})
