"""The bank's questions as GIFT. GIFT has no ordering or multi-gap questions, no
manually graded short answer and no files (images); those questions are listed as
skipped, in the file and to the caller."""
from app.questions.formats.common import (
    TAG,
    answer_parts,
    category_for,
    extras_of,
    fraction_text,
    is_html,
    is_true,
    name_for,
)
from app.questions.formats.gift_text import escape

NOT_IN_GIFT = {
    "ordering": "GIFT has no ordering questions",
    "fill_in_blanks": "GIFT holds one answer block per question, so no multi-gap questions",
}


def write(questions: list[dict]) -> tuple[str, list[tuple[dict, str]]]:
    """The GIFT text and the questions it could not hold, each with the reason."""
    chunks, skipped, topic = [], [], object()
    for question in questions:
        reason = _not_expressible(question)
        if reason:
            skipped.append((question, reason))
            continue
        if question.get("topic") != topic:
            topic = question.get("topic")
            chunks.append(f"$CATEGORY: {category_for(topic)}")
        chunks.append(_question(question))
    head = [f"// Not exported: {name_for(q)!r} ({q.get('type')}): {reason}" for q, reason in skipped]
    return "\n\n".join(["\n".join(head)] * bool(head) + chunks) + "\n", skipped


def _not_expressible(question: dict) -> str | None:
    if question.get("files"):
        names = ", ".join(sorted(question["files"]))
        return f"GIFT cannot carry files, so its images ({names}) would be lost; export it as Moodle XML"
    if question.get("type") == "short_answer" and not question.get("accepted_answers"):
        return "GIFT has no short answer without accepted answers (it would read back as an essay)"
    return NOT_IN_GIFT.get(question.get("type"))


def _question(question: dict) -> str:
    meta = [f"// {key}: {value}" for key, value in extras_of(question, with_marks=True).items()]
    if question.get("marking_rubric"):
        meta.append(f"// marking_rubric: {escape(question['marking_rubric'])}")
    text = question.get("text") or ""
    marker = "[html]" if is_html(text) else ("[plain]" if TAG.search(text) else "")
    head = f"::{escape(name_for(question))}::{marker}{escape(text)}"
    return "\n".join(meta + [head + "{" + ANSWERS[question["type"]](question) + "}"])


def _general(question: dict) -> str:
    sample = question.get("sample_answer")
    return f"####{escape(sample)}" if sample else ""


def _mcq(question: dict) -> str:
    options = question.get("options") or []
    marks = ["=" if i == question.get("correct_answer") else "~" for i in range(len(options))]
    return "\n" + "\n".join(f"{m}{escape(o)}" for m, o in zip(marks, options, strict=True)) + "\n"


def _true_false(question: dict) -> str:
    return "TRUE" if is_true(question.get("correct_answer")) else "FALSE"


def _short_answer(question: dict) -> str:
    parts = [answer_parts(entry) for entry in question.get("accepted_answers") or []]
    answers = [f"={'' if credit == 1 else f'%{fraction_text(credit)}%'}{escape(text)}" for text, credit in parts]
    return " ".join(answers) + _general(question)


def _descriptive(question: dict) -> str:
    return _general(question)


def _multiple_select(question: dict) -> str:
    options = question.get("options") or []
    correct = set(question.get("correct_options") or [])
    share = fraction_text(1 / max(len(correct), 1))
    lines = [f"~%{share if i in correct else '-' + share}%{escape(o)}" for i, o in enumerate(options)]
    return "\n" + "\n".join(lines) + "\n"


def _numeric(question: dict) -> str:
    value = question.get("correct_value")
    tolerance = question.get("tolerance") or 0
    if question.get("tolerance_type") == "relative":
        tolerance = abs(float(value)) * float(tolerance)
    answers = [f"={value}:{tolerance}"]
    for extra in question.get("accepted_values") or []:
        credit = fraction_text(float(extra.get("credit", 1)))
        answers.append(f"=%{credit}%{extra.get('value')}:{extra.get('tolerance') or 0}")
    return "#" + " ".join(answers)


def _matching(question: dict) -> str:
    lines = [f"={escape(p['prompt'])} -> {escape(p['match'])}" for p in question.get("pairs") or []]
    lines += [f"= -> {escape(d)}" for d in question.get("distractors") or []]
    return "\n" + "\n".join(lines) + "\n"


ANSWERS = {
    "mcq": _mcq, "true_false": _true_false, "short_answer": _short_answer, "descriptive": _descriptive,
    "multiple_select": _multiple_select, "numeric": _numeric, "matching": _matching,
}
