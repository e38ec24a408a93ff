"""Realistic example shortcuts, built through the model and written with the project's own writer.

``python -m workflowbench.examples raw_shortcuts/`` (or the older ``python -m workflowbench.samples``)
writes each one as ``<name>.shortcut`` (a binary plist). Every UUID is derived from the shortcut's
name and a counter, so the bytes are the same on every run and the committed files can be checked
against a fresh build.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from workflowbench.shortcut.model import BUILTIN_PREFIX, Action, Icon, ImportQuestion, Workflow
from workflowbench.shortcut.values import (
    Aggrandizement,
    Array,
    Attachment,
    Dictionary,
    DictItem,
    PredicateTable,
    Quantity,
    Substitutable,
    Text,
    Unknown,
    Value,
    Variable,
    dump_attachment,
)
from workflowbench.shortcut.writer import write_shortcut

# Fixed namespace for uuid5: the same shortcut name and counter always give the same UUID.
_NAMESPACE = uuid.UUID(int=0x5EED0F5A_3B1E_4C0D_9A7E_000000000001)

CLIENT_VERSION = "2302.0.4"
ALL_INPUT_CLASSES = [
    "WFAppStoreAppContentItem", "WFArticleContentItem", "WFContactContentItem", "WFDateContentItem",
    "WFEmailAddressContentItem", "WFFolderContentItem", "WFGenericFileContentItem", "WFImageContentItem",
    "WFiTunesProductContentItem", "WFLocationContentItem", "WFDCMapsLinkContentItem", "WFAVAssetContentItem",
    "WFPDFContentItem", "WFPhoneNumberContentItem", "WFRichTextContentItem", "WFSafariWebPageContentItem",
    "WFStringContentItem", "WFURLContentItem",
]

# WFCondition codes (see FORMAT.md).
LESS, LESS_OR_EQUAL, GREATER, IS, IS_NOT, BEGINS_WITH, CONTAINS, HAS_ANY_VALUE = 0, 1, 2, 4, 5, 8, 99, 100


# --- value helpers -------------------------------------------------------------------


def text(*parts: str | Attachment) -> Text:
    """A WFTextTokenString; adjacent literals are joined and empty ones dropped, as a parse would."""
    merged: list[str | Attachment] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += part
                continue
        merged.append(part)
    return Text(merged)


def var(name: str, *aggs: Aggrandizement) -> Attachment:
    """A named variable (set with Set Variable, or a loop's Repeat Item / Repeat Index)."""
    return Attachment("Variable", variable_name=name, aggrandizements=list(aggs) or None)


def special(kind: str, *aggs: Aggrandizement) -> Attachment:
    """Shortcut Input (ExtensionInput), Clipboard, Current Date, Ask Each Time."""
    return Attachment(kind, aggrandizements=list(aggs) or None)


def with_aggs(att: Attachment, *aggs: Aggrandizement) -> Attachment:
    """The same attachment with aggrandizements applied (the original is left as it is)."""
    return Attachment(att.type, att.output_uuid, att.output_name, att.variable_name,
                      [*(att.aggrandizements or []), *aggs], dict(att.extra))


def key(name: str) -> Aggrandizement:
    return Aggrandizement("WFDictionaryValueVariableAggrandizement", {"DictionaryKey": name})


def prop(name: str, user_info: Value | None = None) -> Aggrandizement:
    fields: dict[str, Value] = {"PropertyName": name}
    if user_info is not None:
        fields["PropertyUserInfo"] = user_info
    return Aggrandizement("WFPropertyVariableAggrandizement", fields)


def coerce(item_class: str) -> Aggrandizement:
    return Aggrandizement("WFCoercionVariableAggrandizement", {"CoercionItemClass": item_class})


def date_format(fmt: str) -> Aggrandizement:
    return Aggrandizement("WFDateFormatVariableAggrandizement",
                          {"WFDateFormatStyle": "Custom", "WFISO8601IncludeTime": False, "WFDateFormat": fmt})


def item(name: str | Text, value: Value) -> DictItem:
    """One dictionary field, its WFItemType chosen from the value the way the editor does
    (0 text, 1 dictionary, 2 array, 3 number, 4 boolean, 5 file)."""
    name = text(name) if isinstance(name, str) else name
    if isinstance(value, bool):
        return DictItem(name, 4, Substitutable("WFNumberSubstitutableState", value))
    if isinstance(value, int | float):
        return DictItem(name, 3, text(str(value)))
    if isinstance(value, str):
        return DictItem(name, 0, text(value))
    if isinstance(value, Dictionary):
        return DictItem(name, 1, value)
    if isinstance(value, Array):
        return DictItem(name, 2, value)
    if isinstance(value, Substitutable):
        return DictItem(name, 5 if value.type == "WFTokenAttachmentParameterState" else 4, value)
    return DictItem(name, 0, value)


def condition_input(att: Attachment) -> dict[str, Value]:
    """The WFInput of an If action: the compared variable wrapped as a Variable."""
    return {"Type": "Variable", "Variable": Variable(att)}


# --- shortcut builder ----------------------------------------------------------------


class OpenBlock:
    """An open control-flow block: adds middles, and after it closes holds its result."""

    def __init__(self, builder: Builder, identifier: str, group: str) -> None:
        self.builder = builder
        self.identifier = identifier
        self.group = group
        self.result: Attachment | None = None

    def middle(self, **params: Value) -> None:
        self.builder.add(self.identifier, {**params, "GroupingIdentifier": self.group, "WFControlFlowMode": 1})


class Builder:
    """Collects one shortcut's actions. UUIDs come from the name and a counter, so runs are identical."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.actions: list[Action] = []
        self._counter = 0

    def new_uuid(self) -> str:
        self._counter += 1
        return str(uuid.uuid5(_NAMESPACE, f"{self.name}/{self._counter}")).upper()

    def add(self, identifier: str, params: dict[str, Value] | None = None, *, output: str | None = None,
            custom: str | None = None) -> Attachment:
        """Append an action. With ``output`` (the output's default name) it gets a UUID and the returned
        attachment refers to that output (``custom`` renames it, as CustomOutputName does); without,
        the returned attachment has no UUID and is not meant to be used."""
        full = identifier if identifier.startswith("com.") else BUILTIN_PREFIX + identifier
        parameters = dict(params or {})
        if custom is not None:
            parameters["CustomOutputName"] = custom
        uid = None
        if output is not None or custom is not None:
            uid = self.new_uuid()
            parameters["UUID"] = uid
        self.actions.append(Action(full, parameters))
        return Attachment("ActionOutput", output_uuid=uid, output_name=custom or output)

    def comment(self, note: str) -> None:
        self.add("comment", {"WFCommentActionText": note})

    @contextmanager
    def block(self, identifier: str, params: dict[str, Value], result: str | None = None) -> Iterator[OpenBlock]:
        group = self.new_uuid()
        self.add(identifier, {**params, "GroupingIdentifier": group, "WFControlFlowMode": 0})
        blk = OpenBlock(self, identifier, group)
        yield blk
        end: dict[str, Value] = {"GroupingIdentifier": group, "WFControlFlowMode": 2}
        if result is not None:
            end["UUID"] = self.new_uuid()
            blk.result = Attachment("ActionOutput", output_uuid=end["UUID"], output_name=result)
        self.add(identifier, end)

    def if_(self, att: Attachment, condition: int | str, **compare: Value) -> AbstractContextManager[OpenBlock]:
        """If <att> <condition> <compare...>; call ``.middle()`` on the block for Otherwise."""
        return self.block("conditional", {"WFInput": condition_input(att), "WFCondition": condition, **compare},
                          result="If Result")

    def menu(self, prompt: str | Text, items: Sequence[str]) -> AbstractContextManager[OpenBlock]:
        return self.block("choosefrommenu", {"WFMenuPrompt": prompt, "WFMenuItems": list(items)},
                          result="Menu Result")

    def repeat_count(self, count: int) -> AbstractContextManager[OpenBlock]:
        return self.block("repeat.count", {"WFRepeatCount": count}, result="Repeat Results")

    def repeat_each(self, att: Attachment) -> AbstractContextManager[OpenBlock]:
        return self.block("repeat.each", {"WFInput": Variable(att)}, result="Repeat Results")

    def workflow(self, *, color: int, glyph: int, types: list[str] | None = None,
                 input_classes: list[str] | None = None, questions: list[ImportQuestion] | None = None,
                 **fields: object) -> Workflow:
        """The finished shortcut with the top-level keys a current Shortcuts export carries."""
        wf = Workflow(
            actions=self.actions,
            icon=Icon(start_color=color, glyph_number=glyph),
            import_questions=questions or [],
            client_version=CLIENT_VERSION,
            minimum_client_version=900,
            minimum_client_version_string="900",
            types=types or [],
            input_classes=input_classes if input_classes is not None else list(ALL_INPUT_CLASSES),
            output_classes=[],
            has_output_fallback=False,
            has_shortcut_input_variables=False,
            quick_action_surfaces=[],
        )
        for attr, value in fields.items():
            setattr(wf, attr, value)
        wf.name = self.name
        return wf


# --- the samples ---------------------------------------------------------------------


def morning_briefing() -> Workflow:
    b = Builder("Morning Briefing")
    b.comment("Reads the weather and the top headlines. Set your news API key in the URL below.")
    weather = b.add("weather.currentconditions", {}, output="Current Weather")
    greeting = b.add("gettext", {"WFTextActionText": text(
        "🌅 Good morning! Today is ", special("CurrentDate", date_format("EEEE, MMMM d")), ".\n",
        "🌡 It is ", with_aggs(weather, prop("Temperature", "WFWeatherTemperature")), " and ",
        with_aggs(weather, prop("Condition", "WFWeatherCondition")), " outside.")}, output="Text")
    news = b.add("downloadurl", {"WFURL": text("https://newsapi.example.com/v2/top-headlines?country=us&pageSize=5"),
                                 "WFHTTPMethod": "GET"}, output="Contents of URL")
    articles = b.add("getvalueforkey", {"WFInput": Variable(news), "WFDictionaryKey": "articles",
                                        "WFGetDictionaryValueType": "Value"},
                     output="Dictionary Value", custom="Articles")
    with b.repeat_each(articles):
        line = b.add("gettext", {"WFTextActionText": text(
            "• ", var("Repeat Item", key("title")), " (", var("Repeat Item", key("source"), key("name")), ")")},
            output="Text")
        b.add("appendvariable", {"WFVariableName": "Headlines", "WFInput": Variable(line)})
    headlines = b.add("getvariable", {"WFVariable": Variable(var("Headlines"))}, output="Variable")
    briefing = b.add("gettext", {"WFTextActionText": text(greeting, "\n\n📰 Headlines\n", headlines)},
                     output="Text", custom="Briefing")
    b.add("speaktext", {"WFText": Variable(briefing), "WFSpeakTextRate": 0.5})
    b.add("showresult", {"Text": text(briefing)})
    return b.workflow(color=4282601983, glyph=59818, types=["NCWidget", "WatchKit"])


def save_article_to_reading_list() -> Workflow:
    b = Builder("Save Article to Reading List")
    page = special("ExtensionInput")
    article = b.add("getarticle", {"WFWebPage": Variable(page)}, output="Article")
    title = with_aggs(article, coerce("WFArticleContentItem"), prop("Title", "WFArticleTitle"))
    with b.if_(title, HAS_ANY_VALUE) as blk:
        url = b.add("geturls", {"WFURLs": Variable(page)}, output="URLs")
        first = b.add("getitemfromlist", {"WFInput": Variable(url), "WFItemSpecifier": "First Item"},
                      output="Item from List")
        b.add("readinglist", {"WFURL": Variable(first)})
        b.add("notification", {"WFNotificationActionTitle": text("Saved to Reading List 📚"),
                               "WFNotificationActionBody": text(title)})
        blk.middle()
        b.add("alert", {"WFAlertActionTitle": "No article found",
                        "WFAlertActionMessage": text("Safari could not read an article on this page."),
                        "WFAlertActionCancelButtonShown": False})
    return b.workflow(
        color=463140863, glyph=59446, types=["ActionExtension"],
        input_classes=["WFSafariWebPageContentItem", "WFURLContentItem", "WFArticleContentItem"],
        has_shortcut_input_variables=True,
        no_input_behavior={"Name": "WFWorkflowNoInputBehaviorGetClipboard", "Parameters": {}},
    )


def tip_calculator() -> Workflow:
    b = Builder("Tip Calculator")
    ask_index = len(b.actions)
    bill = b.add("ask", {"WFAskActionPrompt": "How much was the bill?", "WFInputType": "Number",
                         "WFAskActionDefaultAnswerNumber": text("40")}, output="Provided Input", custom="Bill")
    with b.menu("How was the service?", ["😐 Okay", "🙂 Good", "🤩 Great", "Custom…"]) as blk:
        blk.middle(WFMenuItemTitle="😐 Okay")
        b.add("number", {"WFNumberActionNumber": 15}, output="Number")
        blk.middle(WFMenuItemTitle="🙂 Good")
        b.add("number", {"WFNumberActionNumber": 18}, output="Number")
        blk.middle(WFMenuItemTitle="🤩 Great")
        b.add("number", {"WFNumberActionNumber": 22}, output="Number")
        blk.middle(WFMenuItemTitle="Custom…")
        b.add("ask", {"WFAskActionPrompt": "Tip percentage", "WFInputType": "Number"}, output="Provided Input")
    assert blk.result is not None
    b.add("setvariable", {"WFVariableName": "Tip Percent", "WFInput": Variable(blk.result)})
    rate = b.add("math", {"WFInput": Variable(var("Tip Percent")), "WFMathOperation": "÷",
                          "WFMathOperand": 100}, output="Calculation Result")
    tip = b.add("math", {"WFInput": Variable(bill), "WFMathOperation": "×",
                         "WFMathOperand": Substitutable("WFNumberSubstitutableState", rate)},
                output="Calculation Result", custom="Tip")
    total = b.add("math", {"WFInput": Variable(bill), "WFMathOperation": "+",
                           "WFMathOperand": Substitutable("WFNumberSubstitutableState", tip)},
                  output="Calculation Result", custom="Total")
    rounded = b.add("round", {"WFInput": Variable(total), "WFRoundTo": "Hundredths"}, output="Rounded Number")
    b.add("showresult", {"Text": text("💵 Tip (", var("Tip Percent"), "%): ", tip, "\nTotal: ", rounded)})
    questions = [ImportQuestion(ask_index, "Parameter", "WFAskActionDefaultAnswerNumber",
                                "What bill amount should be suggested?", "40")]
    return b.workflow(color=4292093695, glyph=59747, types=["WatchKit"], questions=questions)


def clipboard_cleaner() -> Workflow:
    b = Builder("Clipboard Cleaner")
    clip = b.add("getclipboard", {}, output="Clipboard")
    with b.if_(special("Clipboard"), CONTAINS, WFConditionalActionString="utm_") as blk:
        b.comment("Strip tracking parameters from links.")
        cleaned = b.add("text.replace", {
            "WFInput": text(clip), "WFReplaceTextRegularExpression": True,
            "WFReplaceTextFind": r"[?&]utm_[^&\s]+", "WFReplaceTextReplace": "",
        }, output="Updated Text")
        b.add("setclipboard", {"WFInput": Variable(cleaned), "WFLocalOnly": True})
        b.add("notification", {"WFNotificationActionBody": text("Clipboard cleaned ✨")})
        blk.middle()
        trimmed = b.add("text.trimwhitespace", {"WFInput": text(clip)}, output="Updated Text")
        b.add("setclipboard", {"WFInput": Variable(trimmed)})
    return b.workflow(color=4271458815, glyph=61440, types=["MenuBar", "QuickActions"],
                      quick_action_surfaces=["Finder", "Services"])


def pomodoro_timer() -> Workflow:
    b = Builder("Pomodoro Timer")
    focus = b.add("measurement.create", {"WFMeasurementUnitType": "Duration",
                                         "WFMeasurementUnit": Quantity("25", "min")},
                  output="Measurement", custom="Focus Length")
    b.add("dnd.set", {"Enabled": 1, "FocusModes": {"Identifier": "com.apple.donotdisturb.mode.default",
                                                    "DisplayString": "Do Not Disturb"}})
    with b.repeat_count(4):
        b.add("notification", {"WFNotificationActionTitle": text("🍅 Focus round ", var("Repeat Index")),
                               "WFNotificationActionBody": text("Work for ", focus, ".")})
        b.add("timer.start", {"WFDuration": Quantity(dump_attachment(focus), "min")})
        b.add("delay", {"WFDelayTime": 1500})
        with b.if_(var("Repeat Index"), LESS, WFNumberValue=4) as blk:
            b.add("notification", {"WFNotificationActionBody": text("☕️ Take a 5 minute break.")})
            b.add("delay", {"WFDelayTime": 300})
            blk.middle()
            b.add("notification", {"WFNotificationActionBody": text("🎉 Four rounds done: take 20 minutes.")})
    b.add("dnd.set", {"Enabled": 0})
    return b.workflow(color=4274264319, glyph=59511, types=["WatchKit"])


def log_water_intake() -> Workflow:
    b = Builder("Log Water Intake")
    sizes = b.add("list", {"WFItems": ["250", "330", "500", "750"]}, output="List")
    amount = b.add("choosefromlist", {"WFInput": Variable(sizes), "WFChooseFromListActionPrompt": "How much (mL)?"},
                   output="Chosen Item", custom="Amount")
    b.add("health.quantity.log", {
        "WFQuantitySampleType": "Water",
        "WFQuantitySampleQuantity": Quantity(dump_attachment(amount), "mL"),
        "WFQuantitySampleDate": Substitutable("WFTokenAttachmentParameterState", special("CurrentDate")),
    }, output="Health Sample")
    total = b.add("health.quantity.get", {"WFHealthQuantityType": "Water", "WFHealthSamplesDate": "Today"},
                  output="Health Samples")
    summed = b.add("statistics", {"WFInput": Variable(total), "WFStatisticsOperation": "Sum"},
                   output="Sum", custom="Today's Water")
    with b.if_(summed, GREATER, WFNumberValue=2000) as blk:
        b.add("notification", {"WFNotificationActionBody": text("💧 Goal reached: ", summed, " mL today!")})
        blk.middle()
        b.add("notification", {"WFNotificationActionBody": text("💧 ", summed, " mL so far. Keep going!")})
    return b.workflow(color=1440408063, glyph=59694, types=["WatchKit", "NCWidget"])


def daily_journal_entry() -> Workflow:
    b = Builder("Daily Journal Entry")
    mood = b.add("ask", {"WFAskActionPrompt": "How are you feeling? (1–5)", "WFInputType": "Number"},
                 output="Provided Input", custom="Mood")
    entry = b.add("ask", {"WFAskActionPrompt": "What happened today?", "WFAllowsMultilineText": True},
                  output="Provided Input", custom="Entry")
    location = b.add("getcurrentlocation", {}, output="Current Location")
    tags = Array([text("journal"), text("daily"), text(special("CurrentDate", date_format("yyyy")))])
    place = Dictionary([
        item("city", text(with_aggs(location, prop("City")))),
        item("latitude", text(with_aggs(location, prop("Latitude")))),
        item("longitude", text(with_aggs(location, prop("Longitude")))),
    ])
    record = b.add("dictionary", {"WFItems": Dictionary([
        item("date", text(special("CurrentDate", date_format("yyyy-MM-dd")))),
        item("mood", text(mood)),
        item("entry", text(entry)),
        item("version", 2),
        item("private", True),
        item("place", place),
        item("tags", tags),
    ])}, output="Dictionary", custom="Journal Record")
    filename = text("Journal/", special("CurrentDate", date_format("yyyy-MM-dd")), ".json")
    save_index = len(b.actions)
    b.add("documentpicker.save", {"WFInput": Variable(record), "WFAskWhereToSave": False,
                                  "WFFileDestinationPath": filename, "WFSaveFileOverwrite": True},
          output="Saved File")
    b.add("notification", {"WFNotificationActionBody": text("📓 Entry saved for ",
                                                            special("CurrentDate", date_format("EEEE"))),
                           "WFNotificationActionSound": False})
    questions = [ImportQuestion(save_index, "Parameter", "WFFileDestinationPath",
                                "Where in iCloud Drive should entries be saved?", "Journal/")]
    return b.workflow(color=4251333119, glyph=59650, questions=questions)


def clean_up_screenshots() -> Workflow:
    b = Builder("Clean Up Screenshots")
    photos = b.add("filter.photos", {"WFContentItemFilter": PredicateTable(1, [
        {"Operator": 4, "Values": {"Bool": True}, "Removable": True, "Property": "Is a Screenshot"},
        {"Operator": 1001, "Values": {"Number": 30, "Unit": 16}, "Removable": True, "Property": "Date Taken"},
        {"Operator": 5, "Values": {"Enumeration": Substitutable("WFStringSubstitutableState", "Favorites")},
         "Removable": True, "Property": "Album"},
    ], {"WFContentPredicateBoundedDate": False}),
        "WFContentItemSortProperty": "Date Taken", "WFContentItemSortOrder": "Oldest First",
        "WFContentItemLimitEnabled": True, "WFContentItemLimitNumber": 200.0}, output="Photos")
    count = b.add("count", {"Input": Variable(photos), "WFCountType": "Items"}, output="Count")
    with b.if_(count, GREATER, WFNumberValue=0) as blk:
        b.add("deletephotos", {"photos": Variable(photos)})
        b.add("notification", {"WFNotificationActionBody": text("🧹 Removed ", count, " old screenshots.")})
        blk.middle()
        b.add("notification", {"WFNotificationActionBody": text("No screenshots older than 30 days.")})
    return b.workflow(color=3980825855, glyph=59787, types=["NCWidget"])


def currency_converter() -> Workflow:
    b = Builder("Currency Converter")
    amount = b.add("ask", {"WFAskActionPrompt": "Amount in USD", "WFInputType": "Number"},
                   output="Provided Input")
    currency = b.add("choosefromlist", {"WFInput": ["EUR", "GBP", "JPY", "CHF"],
                                        "WFChooseFromListActionPrompt": "Convert to"}, output="Chosen Item")
    rates = b.add("downloadurl", {"WFURL": text("https://api.exchangerate.example.org/latest?base=USD&symbols=",
                                                currency)}, output="Contents of URL")
    rate = b.add("getvalueforkey", {
        "WFInput": Variable(with_aggs(rates, key("rates"))),
        "WFDictionaryKey": text(currency), "WFGetDictionaryValueType": "Value",
    }, output="Dictionary Value", custom="Rate")
    converted = b.add("math", {"WFInput": Variable(amount), "WFMathOperation": "×",
                               "WFMathOperand": Substitutable("WFNumberSubstitutableState", rate)},
                      output="Calculation Result")
    formatted = b.add("format.number", {"WFNumber": Variable(converted), "WFNumberFormatDecimalPlaces": 2},
                      output="Formatted Number")
    b.add("showresult", {"Text": text("💱 ", amount, " USD = ", formatted, " ", currency)})
    return b.workflow(color=2071128575, glyph=59763, types=["WatchKit"])


def add_task_to_taskly() -> Workflow:
    b = Builder("Add Task to Taskly")
    title = b.add("ask", {"WFAskActionPrompt": "New task"}, output="Provided Input", custom="Task Title")
    with b.menu("Priority", ["High", "Normal", "Someday"]) as blk:
        for label in ("High", "Normal", "Someday"):
            blk.middle(WFMenuItemTitle=label)
            b.add("gettext", {"WFTextActionText": label.lower()}, output="Text")
    assert blk.result is not None
    due = b.add("detect.date", {"WFInput": text("tomorrow 9am")}, output="Dates")
    intent_index = len(b.actions)
    b.add("com.example.taskly.AddTaskIntent", {
        "AppIntentDescriptor": {"TeamIdentifier": "A1B2C3D4E5", "BundleIdentifier": "com.example.taskly",
                                "Name": "Taskly", "AppIntentIdentifier": "AddTaskIntent"},
        "title": text(title),
        "dueDate": Variable(due),
        "priority": Variable(blk.result),
        "list": Substitutable("WFINSpeakableStringSubstitutableState", "Inbox"),
        "ShowWhenRun": False,
    }, output="Task")
    b.add("notification", {"WFNotificationActionBody": text("✅ Added “", title, "” to Taskly")})
    questions = [ImportQuestion(intent_index, "Parameter", "list", "Which Taskly list should new tasks go to?",
                                "Inbox")]
    return b.workflow(color=946986751, glyph=59834, types=["WatchKit", "ActionExtension"],
                      input_classes=["WFStringContentItem"], questions=questions)


def weekly_planner() -> Workflow:
    b = Builder("Weekly Planner")
    days = b.add("list", {"WFItems": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]}, output="List")
    with b.repeat_each(days):
        b.add("setvariable", {"WFVariableName": "Day", "WFInput": Variable(var("Repeat Item"))})
        with b.repeat_count(3):
            slot = b.add("ask", {"WFAskActionPrompt": text("Focus #", var("Repeat Index"), " for ", var("Day")),
                                 "WFAskActionDefaultAnswer": "—"}, output="Provided Input")
            b.add("appendvariable", {"WFVariableName": "Plan",
                                     "WFInput": text(var("Day"), " · ", slot)})
    plan = b.add("getvariable", {"WFVariable": Variable(var("Plan"))}, output="Variable")
    joined = b.add("text.combine", {"text": Variable(plan), "WFTextSeparator": "New Lines"},
                   output="Combined Text")
    b.add("com.apple.mobilenotes.SharingExtension", {"WFCreateNoteInput": Variable(joined),
                                                     "ShowWhenRun": False}, output="Note")
    return b.workflow(color=4292093695, glyph=59706)


def running_late() -> Workflow:
    b = Builder("Running Late")
    here = b.add("getcurrentlocation", {}, output="Current Location")
    travel = b.add("gettraveltime", {"WFDestination": Variable(var("Home")), "WFGetDirectionsActionMode": "Driving",
                                     "WFTravelTimeInput": Variable(here)}, output="Travel Time")
    eta = b.add("adjustdate", {"WFDate": text(special("CurrentDate")), "WFAdjustOperation": "Add",
                               "WFDuration": Quantity(dump_attachment(travel), "min")}, output="Adjusted Date")
    recipients = Unknown({"WFSerializationType": "WFContactFieldValue", "Value": {"WFContactFieldValues": [
        {"EntryType": 2, "SerializedEntry": {"link.contactvalue.phone": "+1 555 0100"}}]}})
    b.add("sendmessage", {
        "WFSendMessageActionRecipients": recipients,
        "WFSendMessageContent": text("Running late 🏃‍♀️ — I'll be there in ", travel, " (around ",
                                     with_aggs(eta, date_format("h:mm a")), ")."),
        "ShowWhenRun": False,
        "IntentAppDefinition": {"BundleIdentifier": "com.apple.MobileSMS", "Name": "Messages",
                                "TeamIdentifier": "0000000000"},
    })
    return b.workflow(color=4282601983, glyph=61453, types=["WatchKit"])


def random_dinner_picker() -> Workflow:
    b = Builder("Random Dinner Picker")
    options = b.add("list", {"WFItems": ["Pizza", "Tacos", "Ramen", "Curry", "Salad"]}, output="List")
    pick = b.add("getitemfromlist", {"WFInput": Variable(options), "WFItemSpecifier": "Random Item"},
                 output="Item from List", custom="Dinner")
    with b.if_(pick, IS, WFConditionalActionString="Pizza") as blk:
        b.add("gettext", {"WFTextActionText": "🍕 Pizza night! Order from the usual place?"}, output="Text")
        blk.middle()
        b.add("gettext", {"WFTextActionText": text("🍽 Tonight: ", pick)}, output="Text")
    assert blk.result is not None
    with b.menu(text(blk.result), ["Order", "Find a Recipe", "Pick Again"]) as menu:
        menu.middle(WFMenuItemTitle="Order")
        b.add("openurl", {"WFInput": text("https://delivery.example.com/search?q=", pick)})
        menu.middle(WFMenuItemTitle="Find a Recipe")
        b.add("searchweb", {"WFSearchWebDestination": "Google", "WFInputText": text(pick, " recipe")})
        menu.middle(WFMenuItemTitle="Pick Again")
        b.add("runworkflow", {"WFWorkflowName": "Random Dinner Picker", "WFShowWorkflow": False,
                              "WFWorkflow": {"workflowName": "Random Dinner Picker", "isSelf": True}},
              output="Shortcut Result")
    return b.workflow(color=4251333119, glyph=59446)


def battery_saver() -> Workflow:
    b = Builder("Battery Saver")
    level = b.add("getbatterylevel", {}, output="Battery Level")
    with b.if_(level, LESS_OR_EQUAL, WFNumberValue=20) as blk:
        b.add("lowpowermode.set", {"OnValue": True})
        b.add("setbrightness", {"WFBrightness": 0.35})
        b.add("bluetooth.set", {"OnValue": False})
        with b.if_(level, LESS, WFNumberValue=10):
            b.add("alert", {"WFAlertActionTitle": "🪫 Battery critical",
                            "WFAlertActionMessage": text("Only ", level, "% left. Find a charger!"),
                            "WFAlertActionCancelButtonShown": False})
        blk.middle()
        b.add("lowpowermode.set", {"OnValue": False})
        b.add("setbrightness", {"WFBrightness": 0.75})
    return b.workflow(color=463140863, glyph=59495, types=["NCWidget", "WatchKit"])


def word_count() -> Workflow:
    b = Builder("Word Count")
    given = b.add("detect.text", {"WFInput": Variable(special("ExtensionInput"))}, output="Text")
    words = b.add("count", {"Input": Variable(given), "WFCountType": "Words"}, output="Count", custom="Words")
    chars = b.add("count", {"Input": Variable(given), "WFCountType": "Characters"}, output="Count",
                  custom="Characters")
    minutes = b.add("math", {"WFInput": Variable(words), "WFMathOperation": "÷", "WFMathOperand": 238},
                    output="Calculation Result")
    b.add("alert", {"WFAlertActionTitle": "📝 Word Count",
                    "WFAlertActionMessage": text(words, " words\n", chars, " characters\n≈ ",
                                                 with_aggs(minutes, coerce("WFNumberContentItem")),
                                                 " min read"),
                    "WFAlertActionCancelButtonShown": False})
    return b.workflow(color=2846468607, glyph=59658, types=["ActionExtension", "MenuBar"],
                      input_classes=["WFStringContentItem", "WFRichTextContentItem", "WFPDFContentItem"],
                      has_shortcut_input_variables=True)


def upload_to_pastebin() -> Workflow:
    b = Builder("Upload to Pastebin")
    source = special("ExtensionInput")
    name = with_aggs(source, prop("Name", "WFItemName"))
    headers = Dictionary([item("Authorization", text("Bearer ", var("Token")))])
    # Nested dictionary fields are wrapped twice, as the editor writes them.
    files = Dictionary([item(text(name), Dictionary([item("content", text(source))], wrapped=True))], wrapped=True)
    body = Dictionary([
        item("description", text("Shared from ", name)),
        item("public", Substitutable("WFNumberSubstitutableState", Variable(special("Ask")))),
        item("files", files),
        item("attachment", Substitutable("WFTokenAttachmentParameterState", source)),
    ])
    b.add("setvariable", {"WFVariableName": "Token", "WFInput": text("paste-token-here")})
    response = b.add("downloadurl", {
        "WFURL": text("https://paste.example.net/api/v1/pastes"), "WFHTTPMethod": "POST",
        "ShowHeaders": True, "WFHTTPHeaders": headers, "WFHTTPBodyType": "JSON", "WFJSONValues": body,
    }, output="Contents of URL")
    link = b.add("getvalueforkey", {"WFInput": Variable(response), "WFDictionaryKey": "html_url"},
                 output="Dictionary Value", custom="Paste URL")
    b.add("setclipboard", {"WFInput": Variable(link)})
    b.add("openurl", {"WFInput": Variable(link), "Show-WFInput": True})
    questions = [ImportQuestion(0, "Parameter", "WFInput", "Paste your API token.", "paste-token-here")]
    return b.workflow(color=4271458815, glyph=59777, types=["ActionExtension"],
                      input_classes=["WFGenericFileContentItem", "WFStringContentItem"],
                      has_shortcut_input_variables=True, questions=questions)


def burst_to_gif() -> Workflow:
    """A Workflow-app era shortcut: an old client release, string conditions and an empty icon image."""
    b = Builder("Burst to GIF")
    b.add("selectphoto", {"WFSelectMultiplePhotos": True}, output="Photos")
    # No input parameter: Count takes the photos from the action before it.
    count = b.add("count", {"WFCountType": "Items"}, output="Count")
    # The old editor stored conditions and numbers as strings.
    with b.if_(count, "Is Less Than", WFNumberValue="2") as blk:
        b.add("alert", {"WFAlertActionTitle": "Pick at least two photos"})
        b.add("exit", {})
        blk.middle()
    gif = b.add("makegif", {"WFMakeGIFActionDelayTime": 0.2, "WFMakeGIFActionLoopEnabled": True,
                            "WFMakeGIFActionAutoSize": True}, output="GIF")
    b.add("previewdocument", {"WFInput": Variable(gif)})
    b.add("savetocameraroll", {"WFInput": Variable(gif)})
    wf = b.workflow(color=4292093695, glyph=59483, client_version="754", client_release="2.1.2",
                    minimum_client_version=411, minimum_client_version_string=None,
                    input_classes=["WFImageContentItem"], has_output_fallback=None,
                    has_shortcut_input_variables=None, quick_action_surfaces=None, output_classes=None)
    assert wf.icon is not None
    wf.icon.image_data = b""
    return wf


SAMPLES: dict[str, Callable[[], Workflow]] = {
    "Morning Briefing": morning_briefing,
    "Save Article to Reading List": save_article_to_reading_list,
    "Tip Calculator": tip_calculator,
    "Clipboard Cleaner": clipboard_cleaner,
    "Pomodoro Timer": pomodoro_timer,
    "Log Water Intake": log_water_intake,
    "Daily Journal Entry": daily_journal_entry,
    "Clean Up Screenshots": clean_up_screenshots,
    "Currency Converter": currency_converter,
    "Add Task to Taskly": add_task_to_taskly,
    "Weekly Planner": weekly_planner,
    "Running Late": running_late,
    "Random Dinner Picker": random_dinner_picker,
    "Battery Saver": battery_saver,
    "Word Count": word_count,
    "Upload to Pastebin": upload_to_pastebin,
    "Burst to GIF": burst_to_gif,
}


def build_samples() -> dict[str, Workflow]:
    """Every sample shortcut, keyed by its file stem."""
    return {stem: build() for stem, build in SAMPLES.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflowbench.examples", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="raw_shortcuts", type=Path, help="folder to write into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for stem, wf in build_samples().items():
        path = write_shortcut(wf, args.out / f"{stem}.shortcut")
        print(f"{path}  ({len(wf.actions)} actions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
