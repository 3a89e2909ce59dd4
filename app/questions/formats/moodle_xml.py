"""Moodle XML (`<quiz><question type="…">`) read into the bank's create payloads.

Parsed with defusedxml: a DTD, an entity declaration or an external reference refuses
the whole file before anything is read. `<question type="category">` files the
questions after it under a topic; each question is read on its own, so one that
cannot be read is reported by its `<name>` and the others go on. Images travel as
base64 `<file name="…" path="/" encoding="base64">` elements beside the text that
refers to them (question text, answers, feedback); they are decoded here and kept
with the question as `Parsed.files`.
"""
import base64
import binascii

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from app.questions.formats import FileRefused, Parsed
from app.questions.formats.cloze import ClozeError, read_gaps
from app.questions.formats.common import (
    answer_entry,
    apply_extras,
    credit_of,
    finite,
    multiple_select_from,
    number_or_text,
    percent,
    plain_option,
    read_text,
    topic_from_category,
    whole_number,
)

# Markdown may embed HTML, so it is sanitised when it holds tags, as Moodle's auto format is.
KINDS = {"html": "html", "plain_text": "plain", "markdown": "auto", "moodle_auto_format": "auto"}
UNSUPPORTED = {"description": "a description holds no question"}


class QuestionError(ValueError):
    pass


def parse(content: bytes) -> list[Parsed]:
    root = _root(content)
    items, topic = [], None
    for element in root.iter("question"):
        qtype = element.get("type") or ""
        if qtype == "category":
            topic = topic_from_category(element.findtext("category/text") or "")
            continue
        items.append(_question(element, qtype, topic))
    if not items:
        raise FileRefused("The file holds no Moodle question")
    return items


def _root(content: bytes):
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FileRefused("The file declares a DTD or entities, which imports refuse "
                          f"(entity expansion and external references are not read): {type(exc).__name__}") from None
    except ParseError as exc:
        raise FileRefused(f"The file is not well-formed XML: {exc}") from None
    if root.tag != "quiz":
        raise FileRefused(f"Not a Moodle XML question file: the root element is <{root.tag}>, not <quiz>")
    return root


def _question(element, qtype: str, topic: str | None) -> Parsed:
    name = (element.findtext("name/text") or "").strip() or None
    reader = READERS.get(qtype)
    if reader is None:
        reason = UNSUPPORTED.get(qtype, "the bank has no such question type")
        return Parsed.unsupported(name, qtype, f"{name or 'A question'}: Moodle type {qtype!r}: {reason}")
    try:
        notes = []
        question = {"text": _text(element, "questiontext"), "topic": topic,
                    "marks": whole_number(element.findtext("defaultgrade") or 1)}
        question.update(reader(element, question, notes))
        apply_extras(question, _tags(element))
        return Parsed(name=name, type=question["type"], question=question, notes=notes, files=_files(element))
    except (QuestionError, ClozeError) as exc:
        return Parsed.error(name, qtype, f"{name or 'A question'}: {exc}")


def _files(element) -> dict[str, bytes]:
    """The question's embedded files by name, wherever in the question they sit.

    Moodle keeps a file per text area, so one image may come twice under one name:
    the same bytes are one file, other bytes under that name are an error.
    """
    files: dict[str, bytes] = {}
    for node in element.iter("file"):
        name = (node.get("name") or "").strip()
        if (node.get("path") or "/").strip() != "/":
            raise QuestionError(f"the file {name!r} sits in the folder {node.get('path')!r}; "
                                "only files at / can be kept")
        if (node.get("encoding") or "base64").strip().lower() != "base64":
            raise QuestionError(f"the file {name!r} is not base64-encoded")
        data = _decoded(name, node.text or "")
        if files.setdefault(name, data) != data:
            raise QuestionError(f"two different files are both named {name!r}")
    return files


def _decoded(name: str, text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise QuestionError(f"the file {name!r} is not valid base64") from None


def _text(element, tag: str) -> str | None:
    node = element.find(tag)
    if node is None:
        return None
    return read_text(node.findtext("text"), KINDS.get(node.get("format") or "", "auto")) or None


def _tags(element) -> dict:
    pairs = (tag.partition(":") for tag in (t.text or "" for t in element.findall("tags/tag/text")))
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def _answers(element) -> list[tuple[str, float, object]]:
    """(text, fraction %, element) of each <answer>; a bad fraction is an error naming it."""
    answers = []
    for answer in element.findall("answer"):
        try:
            fraction = percent(answer.get("fraction", "0"))
        except ValueError as exc:
            raise QuestionError(str(exc)) from None
        answers.append((read_text(answer.findtext("text"), KINDS.get(answer.get("format") or "", "auto")),
                        fraction, answer))
    return answers


def _fractions(answers) -> str:
    return ", ".join(f"{fraction:g}%" for _t, fraction, _a in answers)


def _multichoice(element, question, notes) -> dict:
    answers = _answers(element)
    options = [plain_option(text) for text, _f, _a in answers]
    credits = [fraction for _t, fraction, _a in answers]
    if (element.findtext("single") or "true").strip().lower() in ("false", "0"):
        key, problem, more = multiple_select_from(options, credits)
        if problem:
            raise QuestionError(problem)
        notes.extend(more)
        return {"type": "multiple_select", **key}
    best = [i for i, credit in enumerate(credits) if credit == 100]
    if len(best) != 1:
        raise QuestionError("a single-answer question needs exactly one choice at 100% "
                            f"(fractions: {_fractions(answers)})")
    if any(c != 100 and c != 0 for c in credits):
        notes.append("partial or negative credit on the other choices is not kept")
    return {"type": "mcq", "options": options, "correct_answer": best[0]}


def _truefalse(element, question, notes) -> dict:
    answers = {text.strip().lower(): fraction for text, fraction, _a in _answers(element)}
    if answers.get("true") == 100:
        return {"type": "true_false", "correct_answer": True}
    if answers.get("false") == 100:
        return {"type": "true_false", "correct_answer": False}
    raise QuestionError("neither true nor false is worth 100%")


def _shortanswer(element, question, notes) -> dict:
    answers = _answers(element)
    if not any(fraction == 100 for _t, fraction, _a in answers):
        raise QuestionError(f"no answer is worth 100% (fractions: {_fractions(answers)}), as Moodle requires")
    accepted = []
    for text, fraction, _a in answers:
        if text == "*":
            notes.append("the catch-all * answer is dropped")
        elif "*" in text:
            raise QuestionError(f"the wildcard answer {text!r} cannot be matched by the bank; list each spelling")
        elif fraction > 0:
            accepted.append(answer_entry(text, credit_of(fraction)))
    if (element.findtext("usecase") or "0").strip() == "1":
        notes.append("answers are compared without case, as the bank does")
    return {"type": "short_answer", "accepted_answers": accepted,
            "sample_answer": _text(element, "generalfeedback"), "marking_rubric": _text(element, "graderinfo")}


def _numerical(element, question, notes) -> dict:
    values = []
    for text, fraction, answer in _answers(element):
        if text == "*" or fraction <= 0:
            continue
        try:
            values.append((number_or_text(finite(text)), number_or_text(finite(answer.findtext("tolerance") or 0)),
                           fraction))
        except ValueError:
            raise QuestionError(f"the answer {text!r} is not a number") from None
    best = [v for v in values if v[2] == 100]
    if not best:
        raise QuestionError("no numeric answer is worth 100%")
    if element.find("units/unit") is not None:
        notes.append("units are not kept")
    others = [{"value": v, "tolerance": t, "credit": credit_of(f)} for v, t, f in values if (v, t, f) != best[0]]
    result = {"type": "numeric", "correct_value": best[0][0], "tolerance": best[0][1], "tolerance_type": "absolute"}
    return {**result, "accepted_values": others} if others else result


def _matching(element, question, notes) -> dict:
    pairs, distractors = [], []
    for sub in element.findall("subquestion"):
        prompt = read_text(sub.findtext("text"), KINDS.get(sub.get("format") or "", "auto"))
        match = (sub.findtext("answer/text") or "").strip()
        if prompt:
            pairs.append({"prompt": plain_option(prompt), "match": match})
        elif match:
            distractors.append(match)
    return {"type": "matching", "pairs": pairs, **({"distractors": distractors} if distractors else {})}


def _essay(element, question, notes) -> dict:
    return {"type": "descriptive", "marking_rubric": _text(element, "graderinfo"),
            "sample_answer": _text(element, "generalfeedback")}


def _cloze(element, question, notes) -> dict:
    text, blanks, weights = read_gaps(question["text"] or "")
    if element.find("defaultgrade") is None:
        question["marks"] = weights
    return {"type": "fill_in_blanks", "text": text, "blanks": blanks}


def _ordering(element, question, notes) -> dict:
    answers = _answers(element)
    if len({fraction for _t, fraction, _a in answers}) == len(answers):
        answers = sorted(answers, key=lambda a: a[1])  # the plugin writes each item's position as its fraction
    grading = (element.findtext("gradingtype") or "ALL_OR_NOTHING").strip().upper()
    if grading not in ("ALL_OR_NOTHING", "ABSOLUTE_POSITION"):
        notes.append(f"grading {grading} becomes credit per item in its right place")
    return {"type": "ordering", "items": [plain_option(text) for text, _f, _a in answers],
            "scoring": "all_or_nothing" if grading == "ALL_OR_NOTHING" else "partial"}


READERS = {
    "multichoice": _multichoice, "truefalse": _truefalse, "shortanswer": _shortanswer,
    "numerical": _numerical, "matching": _matching, "essay": _essay, "cloze": _cloze,
    "multianswer": _cloze, "ordering": _ordering,
}
