"""The `response` of the later question types: its shape per type, checked against the
form the attempt stored at start (app.quizzes.display.answer_form), no query needed.

- multiple_select: a list of distinct option indexes (may be empty);
- numeric: a number;
- matching: one entry per prompt in order, a match's index on the page or null;
- ordering: every item's index on the page once, in the student's order;
- fill_in_blanks: one entry per gap, a text for a typed gap, an option index for a
  drop-down, or null.
"""
import math

from flask import current_app

from app.errors import ValidationFailed

MAX_GAP_TEXT = 500


def check_response(form: dict, item: dict):
    if item.get("answer_option") is not None or item.get("answer_text") is not None:
        _refuse("Not accepted for this question; send response.", field="answer_option"
                if item.get("answer_option") is not None else "answer_text")
    if "response" not in item or item["response"] is None:
        _refuse(f"Required for {form['type']} questions.")
    return CHECKS[form["type"]](form, item["response"])


def _refuse(message: str, field: str = "response"):
    raise ValidationFailed("The response does not fit the question", details={field: [message]})


def _index(value, choices: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < choices


def _multiple_select(form: dict, response):
    if not isinstance(response, list) or not all(_index(v, form["choices"]) for v in response):
        _refuse(f"A list of option indexes between 0 and {form['choices'] - 1}.")
    if len(set(response)) != len(response):
        _refuse("Each option at most once.")
    return sorted(response)


def _numeric(form: dict, response):
    if isinstance(response, bool) or not isinstance(response, (int, float)) or not math.isfinite(response):
        _refuse("A number.")
    return response


def _matching(form: dict, response):
    if not isinstance(response, list) or len(response) != form["prompts"] or not all(
            v is None or _index(v, form["choices"]) for v in response):
        _refuse(f"One match index (0 to {form['choices'] - 1}) or null per prompt, {form['prompts']} in all.")
    return response


def _ordering(form: dict, response):
    if not isinstance(response, list) or sorted(v if _index(v, form["choices"]) else -1 for v in response) != list(
            range(form["choices"])):
        _refuse(f"Every item index from 0 to {form['choices'] - 1} once, in your order.")
    return response


def _fill_in_blanks(form: dict, response):
    gaps = form["gaps"]
    if not isinstance(response, list) or len(response) != len(gaps):
        _refuse(f"One entry per gap, {len(gaps)} in all.")
    limit = min(MAX_GAP_TEXT, current_app.config["ANSWER_TEXT_MAX_LENGTH"])
    for number, (value, choices) in enumerate(zip(response, gaps, strict=False), start=1):
        if value is None:
            continue
        if choices is not None and not _index(value, choices):
            _refuse(f"Gap {number} is a drop-down: an option index from 0 to {choices - 1}.")
        if choices is None and (not isinstance(value, str) or len(value) > limit):
            _refuse(f"Gap {number} takes a text of at most {limit} characters.")
    return response


CHECKS = {"multiple_select": _multiple_select, "numeric": _numeric, "matching": _matching,
          "ordering": _ordering, "fill_in_blanks": _fill_in_blanks}
