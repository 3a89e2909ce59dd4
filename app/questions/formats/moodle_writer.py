"""The bank's questions as Moodle XML, the way Moodle's own export lays them out.

A question's images (`files`, {name: bytes}) are written as Moodle does: a base64
`<file name="…" path="/" encoding="base64">` beside each text that refers to it as
`@@PLUGINFILE@@/<name>` (Moodle keeps files per text area), and beside the question
text when no text refers to it.
"""
import base64
import html
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from app.questions.formats.cloze import write_gaps
from app.questions.formats.common import (
    answer_parts,
    category_for,
    extras_of,
    fraction_text,
    is_html,
    is_true,
    name_for,
)

MOODLE_TYPES = {
    "mcq": "multichoice", "multiple_select": "multichoice", "true_false": "truefalse",
    "short_answer": "shortanswer", "numeric": "numerical", "matching": "matching",
    "descriptive": "essay", "fill_in_blanks": "cloze", "ordering": "ordering",
}


def write(questions: list[dict]) -> bytes:
    quiz, topic = Element("quiz"), object()
    for question in questions:
        if question.get("topic") != topic:
            topic = question.get("topic")
            category = SubElement(quiz, "question", type="category")
            _text_node(category, "category", category_for(topic), fmt=None)
        _question(quiz, question)
    indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(quiz, encoding="utf-8") + b"\n"


def _text_node(parent, tag: str, text: str | None, *, fmt: str | None = "auto", **attrs):
    node = SubElement(parent, tag, **attrs)
    if fmt == "auto":
        node.set("format", "html" if is_html(text or "") else "plain_text")
    SubElement(node, "text").text = text or ""
    return node


def _question(quiz, question: dict) -> None:
    kind = question["type"]
    element = SubElement(quiz, "question", type=MOODLE_TYPES[kind])
    _text_node(element, "name", name_for(question), fmt=None)
    text = write_gaps(question.get("text") or "", question.get("blanks") or []) if kind == "fill_in_blanks" \
        else question.get("text")
    _text_node(element, "questiontext", text)
    general = question.get("sample_answer") if kind in ("short_answer", "descriptive") else None
    _text_node(element, "generalfeedback", general)
    SubElement(element, "defaultgrade").text = str(question.get("marks") or 1)
    SubElement(element, "penalty").text = "0"
    SubElement(element, "hidden").text = "0"
    BODIES[kind](element, question)
    _files(element, question.get("files") or {})
    extras = extras_of(question, with_marks=False)
    if extras:
        tags = SubElement(element, "tags")
        for key, value in extras.items():
            SubElement(SubElement(tags, "tag"), "text").text = f"{key}:{value}"


def _files(element, files: dict[str, bytes]) -> None:
    areas = [node for node in element.iter() if node.tag != "name" and node.find("text") is not None]
    for name, data in files.items():
        written = [node for node in areas if _refers_to(node.findtext("text") or "", name)] or \
            [element.find("questiontext")]
        for node in written:
            SubElement(node, "file", name=name, path="/", encoding="base64").text = \
                base64.b64encode(data).decode("ascii")


def _refers_to(text: str, name: str) -> bool:
    return any(f"@@PLUGINFILE@@/{form}" in text for form in {name, quote(name), html.escape(name)})


def _answer(element, text, credit: float, **extra):
    answer = _text_node(element, "answer", str(text), fraction=fraction_text(credit))
    for tag, value in extra.items():
        SubElement(answer, tag).text = str(value)
    return answer


def _choices(element, question: dict) -> None:
    options = question.get("options") or []
    single = question["type"] == "mcq"
    SubElement(element, "single").text = "true" if single else "false"
    SubElement(element, "shuffleanswers").text = "true"
    SubElement(element, "answernumbering").text = "abc"
    if single:
        credits = [1.0 if i == question.get("correct_answer") else 0.0 for i in range(len(options))]
    else:
        correct = set(question.get("correct_options") or [])
        share = 1 / max(len(correct), 1)
        credits = [share if i in correct else -share for i in range(len(options))]
    for option, credit in zip(options, credits, strict=True):
        _answer(element, option, credit)


def _true_false(element, question: dict) -> None:
    true = is_true(question.get("correct_answer"))
    _answer(element, "true", 1.0 if true else 0.0)
    _answer(element, "false", 0.0 if true else 1.0)


def _short_answer(element, question: dict) -> None:
    SubElement(element, "usecase").text = "0"
    if question.get("marking_rubric"):  # not Moodle's, and ignored by it; read back by this bank
        _text_node(element, "graderinfo", question["marking_rubric"])
    for entry in question.get("accepted_answers") or []:
        text, credit = answer_parts(entry)
        _answer(element, text, credit)


def _numeric(element, question: dict) -> None:
    value, tolerance = question.get("correct_value"), question.get("tolerance") or 0
    if question.get("tolerance_type") == "relative":
        tolerance = abs(float(value)) * float(tolerance)  # Moodle's tolerance is absolute; the tag keeps the rule
    _answer(element, value, 1.0, tolerance=tolerance)
    for extra in question.get("accepted_values") or []:
        _answer(element, extra.get("value"), float(extra.get("credit", 1)), tolerance=extra.get("tolerance") or 0)


def _matching(element, question: dict) -> None:
    SubElement(element, "shuffleanswers").text = "true"
    pairs = [(p.get("prompt"), p.get("match")) for p in question.get("pairs") or []]
    for prompt, match in pairs + [("", d) for d in question.get("distractors") or []]:
        sub = _text_node(element, "subquestion", prompt)
        SubElement(SubElement(sub, "answer"), "text").text = match or ""


def _essay(element, question: dict) -> None:
    SubElement(element, "responseformat").text = "editor"
    SubElement(element, "responserequired").text = "1"
    SubElement(element, "responsefieldlines").text = "15"
    SubElement(element, "attachments").text = "0"
    _text_node(element, "graderinfo", question.get("marking_rubric"))
    _text_node(element, "responsetemplate", "")


def _cloze(element, question: dict) -> None:
    return None  # the gaps are in the question text


def _ordering(element, question: dict) -> None:
    scoring = question.get("scoring") or "all_or_nothing"
    for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", "0"),
                       ("gradingtype", "ALL_OR_NOTHING" if scoring == "all_or_nothing" else "ABSOLUTE_POSITION")):
        SubElement(element, tag).text = value
    for position, item in enumerate(question.get("items") or [], start=1):
        answer = _text_node(element, "answer", item)
        answer.set("fraction", str(position))


BODIES = {
    "mcq": _choices, "multiple_select": _choices, "true_false": _true_false, "short_answer": _short_answer,
    "numeric": _numeric, "matching": _matching, "descriptive": _essay, "fill_in_blanks": _cloze,
    "ordering": _ordering,
}
