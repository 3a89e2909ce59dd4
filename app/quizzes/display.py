"""What a student is shown of a question, by type: never its key.

- choice texts (`options`): mcq, true_false and multiple_select options; matching's
  matches then distractors; ordering's items. An answer refers to them by index.
- `extra`: matching's prompts in order; fill_in_blanks' gaps, each `{options}` for a
  drop-down or `{}` for a typed gap.
Matching and ordering give their key away by their stored order, so an attempt always
shows them shuffled and numbers them by position on the page (`POSITIONAL_TYPES`);
the other types keep their original indexes (app.attempts.ordering.decide_order).
"""
TRUE_FALSE_OPTIONS = ["True", "False"]
CHOICE_TYPES = ("mcq", "true_false", "multiple_select")
POSITIONAL_TYPES = ("matching", "ordering")
# Answered with `response` rather than answer_option / answer_text.
RESPONSE_TYPES = ("multiple_select", "numeric", "matching", "ordering", "fill_in_blanks")
# Their key fields, shown with an answer only to readers allowed the key.
KEY_FIELDS = {
    "multiple_select": ("correct_options", "scoring"),
    "numeric": ("correct_value", "tolerance", "tolerance_type", "accepted_values"),
    "matching": ("pairs", "distractors"), "ordering": ("items", "scoring"), "fill_in_blanks": ("blanks",),
}


def shown_options(question_type: str, *, options=None, pairs=None, distractors=None, items=None) -> list:
    if question_type in CHOICE_TYPES:
        return list(options or (TRUE_FALSE_OPTIONS if question_type == "true_false" else []))
    if question_type == "matching":
        return [pair["match"] for pair in pairs or []] + list(distractors or [])
    if question_type == "ordering":
        return list(items or [])
    return []


def shown_extra(question_type: str, *, pairs=None, blanks=None) -> dict | None:
    if question_type == "matching":
        return {"prompts": [pair["prompt"] for pair in pairs or []]}
    if question_type == "fill_in_blanks":
        return {"gaps": [{"options": blank["options"]} if "options" in blank else {} for blank in blanks or []]}
    return None


def answer_form(question_type: str, options: list, extra: dict | None) -> dict | None:
    """What a `response` must look like for this question, kept with the attempt so a save
    can check it without reading the question."""
    if question_type not in RESPONSE_TYPES:
        return None
    form = {"type": question_type, "choices": len(options)}
    if question_type == "matching":
        form["prompts"] = len(extra["prompts"])
    if question_type == "fill_in_blanks":
        form["gaps"] = [len(gap["options"]) if "options" in gap else None for gap in extra["gaps"]]
    return form


def question_display(question) -> tuple[list, dict | None]:
    """(choice texts, extra) of a Question row."""
    kw = {"pairs": question.pairs}
    return (shown_options(question.type, options=question.options, distractors=question.distractors,
                          items=question.items, **kw),
            shown_extra(question.type, blanks=question.blanks, **kw))
