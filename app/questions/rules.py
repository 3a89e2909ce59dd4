"""What each question type needs, in one place: used by create, update, bulk and import.

Per type, the answer-key fields it takes:
- mcq: `options` (2–10 distinct non-blank texts) and `correct_answer` (0-based index);
- true_false: `options` are always ["True", "False"] (may be omitted or sent as exactly
  that); `correct_answer` is true/false or the index 0 (True) / 1 (False), stored as
  the index;
- short_answer: optional `accepted_answers` (auto-graded, trimmed and
  case-insensitive, when given), optional `sample_answer` and `marking_rubric` for the
  teacher who grades it by hand when there are none;
- descriptive: optional `sample_answer` and `marking_rubric`.
The later types (multiple_select, numeric, matching, ordering, fill_in_blanks) are
checked in app.questions.type_rules. A field that a type does not use is refused (422) when sent with a value; `null`
counts as not sent.
"""

from app.questions import type_rules

TYPED_FIELDS = ("options", "correct_answer", "accepted_answers", "sample_answer", "marking_rubric",
                "correct_options", "scoring", "correct_value", "tolerance", "tolerance_type", "accepted_values",
                "pairs", "distractors", "items", "blanks")
TYPE_FIELDS = {
    "multiple_select": {"options", "correct_options", "scoring"},
    "numeric": {"correct_value", "tolerance", "tolerance_type", "accepted_values"},
    "matching": {"pairs", "distractors"},
    "ordering": {"items", "scoring"},
    "fill_in_blanks": {"blanks"},
    "mcq": {"options", "correct_answer"},
    "true_false": {"options", "correct_answer"},
    "short_answer": {"accepted_answers", "sample_answer", "marking_rubric"},
    "descriptive": {"sample_answer", "marking_rubric"},
}
# What a regrade may change: the fields that decide marks, never what students saw.
REGRADABLE_FIELDS = ("correct_answer", "accepted_answers", "sample_answer", "marking_rubric", "correct_options",
                     "scoring", "correct_value", "tolerance", "tolerance_type", "accepted_values", "blanks")
TRUE_FALSE_OPTIONS = ["True", "False"]
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_ACCEPTED_ANSWERS = 50


def check_typed_fields(question_type: str, data: dict) -> tuple[dict, dict]:
    """The answer-key fields for `question_type`, normalised, and {field: [errors]}.

    Every field of TYPED_FIELDS is in the result; the ones the type does not use are None.
    """
    clean = dict.fromkeys(TYPED_FIELDS)
    errors: dict[str, list[str]] = {}
    for field in TYPED_FIELDS:
        if data.get(field) is not None and field not in TYPE_FIELDS[question_type]:
            errors[field] = [f"Not used by {question_type} questions."]
    CHECKS[question_type](data, clean, errors)
    return clean, errors


def _mcq(data: dict, clean: dict, errors: dict) -> None:
    options = data.get("options")
    if options is None:
        errors["options"] = ["Required for mcq questions."]
    else:
        options = [str(option).strip() for option in type_rules.option_texts(options)]
        problem = _options_problem(options)
        if problem:
            errors["options"] = [problem]
        else:
            clean["options"] = options
    answer = data.get("correct_answer")
    if answer is None:
        errors["correct_answer"] = ["Required for mcq questions."]
    elif isinstance(answer, bool) or not isinstance(answer, int):
        errors["correct_answer"] = ["Must be the 0-based index of the correct option."]
    elif clean["options"] is not None and not 0 <= answer < len(clean["options"]):
        errors["correct_answer"] = [f"Must be between 0 and {len(clean['options']) - 1}."]
    elif clean["options"] is not None:
        clean["correct_answer"] = answer


def _options_problem(options: list[str]) -> str | None:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return f"Give between {MIN_OPTIONS} and {MAX_OPTIONS} options."
    if any(not option for option in options):
        return "Options must not be blank."
    if len({option.casefold() for option in options}) != len(options):
        return "Options must differ from each other."
    return None


def _true_false(data: dict, clean: dict, errors: dict) -> None:
    options = data.get("options")
    options = type_rules.option_texts(options)
    if options is not None and [str(o).strip().casefold() for o in options] != ["true", "false"]:
        errors["options"] = ['True/false questions always have the options ["True", "False"].']
    clean["options"] = list(TRUE_FALSE_OPTIONS)
    answer = data.get("correct_answer")
    if answer is True or answer is False:
        clean["correct_answer"] = 0 if answer else 1
    elif isinstance(answer, int) and answer in (0, 1):
        clean["correct_answer"] = answer
    else:
        errors["correct_answer"] = ["Required: true, false, 0 (True) or 1 (False)."]


def _short_answer(data: dict, clean: dict, errors: dict) -> None:
    if data.get("accepted_answers") is not None:
        accepted = type_rules.accepted_answers(data["accepted_answers"], "accepted_answers", errors)
        if accepted is not None:
            # Full credit stays a plain string, the shape these answers always had.
            clean["accepted_answers"] = [a["text"] if a["credit"] == 1 else a for a in accepted] or None
    _free_text(data, clean)


def _free_text(data: dict, clean: dict, errors: dict | None = None) -> None:
    for field in ("sample_answer", "marking_rubric"):
        value = data.get(field)
        clean[field] = value.strip() or None if isinstance(value, str) else None


CHECKS = {"mcq": _mcq, "true_false": _true_false, "short_answer": _short_answer, "descriptive": _free_text,
          "multiple_select": type_rules.multiple_select, "numeric": type_rules.numeric,
          "matching": type_rules.matching, "ordering": type_rules.ordering,
          "fill_in_blanks": type_rules.fill_in_blanks}
