"""The answer-key fields of the types added after the first four (see docs/api/question-types.md).

Each check reads the raw input, writes normalised values into `clean` and reasons into
`errors` ({field: [messages]}), like the checks of app.questions.rules.
"""
import math
import re

SCORINGS = {"multiple_select": ("all_or_nothing", "partial", "right_minus_wrong"),
            "ordering": ("all_or_nothing", "partial")}
TOLERANCE_TYPES = ("absolute", "relative")
MIN_PARTS, MAX_PARTS = 2, 20
MAX_ACCEPTED = 50
GAP = re.compile(r"\{\{(\d+)\}\}")


def text_list(values, field: str, errors: dict, *, minimum: int, maximum: int, distinct: bool = True):
    """Trimmed, non-blank texts (distinct, ignoring case); None and a reason when they are not."""
    if not isinstance(values, list) or any(not isinstance(v, str) for v in values):
        errors[field] = ["Must be a list of texts."]
        return None
    texts = [str(v).strip() for v in values]
    if not minimum <= len(texts) <= maximum:
        errors[field] = [f"Give between {minimum} and {maximum} entries."]
    elif any(not text for text in texts):
        errors[field] = ["Entries must not be blank."]
    elif distinct and len({t.casefold() for t in texts}) != len(texts):
        errors[field] = ["Entries must differ from each other."]
    else:
        return texts
    return None


def option_texts(values):
    """Options as sent: plain texts, or the `[{index, text}]` shape every view uses."""
    if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
        if all(isinstance(v.get("index"), int) for v in values):
            values = sorted(values, key=lambda v: v["index"])
        return [v.get("text") for v in values]
    return values


def credit(value, field: str, errors: dict):
    """A share of the marks, 0 < credit <= 1 (1 when not given)."""
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        errors.setdefault(field, []).append("Each credit must be a number above 0 and at most 1.")
        return None
    return float(value)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _scoring(question_type: str, data: dict, clean: dict, errors: dict) -> None:
    scoring = data.get("scoring") or "all_or_nothing"
    if scoring not in SCORINGS[question_type]:
        errors["scoring"] = [f"Must be one of: {', '.join(SCORINGS[question_type])}."]
    else:
        clean["scoring"] = scoring


def multiple_select(data: dict, clean: dict, errors: dict) -> None:
    if data.get("options") is None:
        errors["options"] = ["Required for multiple_select questions."]
    else:
        clean["options"] = text_list(option_texts(data["options"]), "options", errors, minimum=2, maximum=10)
    chosen = data.get("correct_options")
    if not isinstance(chosen, list) or not chosen or any(isinstance(i, bool) or not isinstance(i, int)
                                                         for i in chosen):
        errors["correct_options"] = ["Give the 0-based indexes of the right options (at least one)."]
    elif len(set(chosen)) != len(chosen):
        errors["correct_options"] = ["Indexes must not repeat."]
    elif clean["options"] is not None and not all(0 <= i < len(clean["options"]) for i in chosen):
        errors["correct_options"] = [f"Indexes must be between 0 and {len(clean['options']) - 1}."]
    elif clean["options"] is not None:
        clean["correct_options"] = sorted(chosen)
    _scoring("multiple_select", data, clean, errors)


def numeric(data: dict, clean: dict, errors: dict) -> None:
    if not _number(data.get("correct_value")):
        errors["correct_value"] = ["Required: a number."]
    else:
        clean["correct_value"] = float(data["correct_value"])
    tolerance = data.get("tolerance", 0) if data.get("tolerance") is not None else 0
    if not _number(tolerance) or tolerance < 0:
        errors["tolerance"] = ["Must be a number of at least 0."]
    else:
        clean["tolerance"] = float(tolerance)
    kind = data.get("tolerance_type") or "absolute"
    if kind not in TOLERANCE_TYPES:
        errors["tolerance_type"] = ["Must be absolute or relative (a fraction of the value)."]
    else:
        clean["tolerance_type"] = kind
    if data.get("accepted_values") is not None:
        clean["accepted_values"] = _accepted_values(data["accepted_values"], errors)


def _accepted_values(values, errors: dict) -> list | None:
    field = "accepted_values"
    if not isinstance(values, list) or len(values) > MAX_ACCEPTED or not all(isinstance(v, dict) for v in values):
        errors[field] = [f"Must be a list of at most {MAX_ACCEPTED} {{value, tolerance, credit}} objects."]
        return None
    clean = []
    for entry in values:
        tolerance = entry.get("tolerance") or 0
        if not _number(entry.get("value")) or not _number(tolerance) or tolerance < 0:
            errors[field] = ["Each entry needs a numeric value and a tolerance of at least 0."]
            return None
        share = credit(entry.get("credit"), field, errors)
        if share is None:
            return None
        clean.append({"value": float(entry["value"]), "tolerance": float(tolerance), "credit": share})
    return clean or None


def matching(data: dict, clean: dict, errors: dict) -> None:
    pairs = data.get("pairs")
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        errors["pairs"] = ["Required: a list of {prompt, match} objects."]
        return
    prompts = text_list([p.get("prompt") for p in pairs], "pairs", errors, minimum=MIN_PARTS, maximum=MAX_PARTS)
    matches = text_list([p.get("match") for p in pairs], "pairs", errors, minimum=MIN_PARTS, maximum=MAX_PARTS)
    distractors = []
    if data.get("distractors") is not None:
        distractors = text_list(data["distractors"], "distractors", errors, minimum=0, maximum=MAX_PARTS)
    if prompts is None or matches is None or distractors is None:
        return
    if len({m.casefold() for m in matches + distractors}) != len(matches) + len(distractors):
        errors["distractors"] = ["Distractors must differ from every match."]
        return
    clean["pairs"] = [{"prompt": p, "match": m} for p, m in zip(prompts, matches, strict=False)]
    clean["distractors"] = distractors or None


def ordering(data: dict, clean: dict, errors: dict) -> None:
    if data.get("items") is None:
        errors["items"] = ["Required: the items in their right order."]
    else:
        clean["items"] = text_list(data["items"], "items", errors, minimum=MIN_PARTS, maximum=MAX_PARTS)
    _scoring("ordering", data, clean, errors)


def fill_in_blanks(data: dict, clean: dict, errors: dict) -> None:
    gaps = [int(n) for n in GAP.findall(data.get("text") or "")]
    if not gaps or gaps != list(range(1, len(gaps) + 1)):
        errors["text"] = ["Number the gaps {{1}}, {{2}}… in order, each once."]
        return
    blanks = data.get("blanks")
    if not isinstance(blanks, list) or len(blanks) != len(gaps) or not all(isinstance(b, dict) for b in blanks):
        errors["blanks"] = [f"Give one blank per gap ({len(gaps)})."]
        return
    checked = [_blank(blank, errors) for blank in blanks]
    if "blanks" not in errors:
        clean["blanks"] = checked


def _blank(blank: dict, errors: dict) -> dict | None:
    if blank.get("options") is not None:
        options = text_list(option_texts(blank["options"]), "blanks", errors, minimum=2, maximum=10)
        answer = blank.get("correct_option")
        if options is None:
            return None
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            errors["blanks"] = ["A drop-down blank needs correct_option, the index of one of its options."]
            return None
        return {"options": options, "correct_option": answer}
    accepted = accepted_answers(blank.get("accepted"), "blanks", errors)
    if not accepted:
        errors.setdefault("blanks", ["Each blank needs accepted answers or drop-down options."])
        return None
    return {"accepted": accepted, "case_sensitive": bool(blank.get("case_sensitive", False))}


def accepted_answers(values, field: str, errors: dict) -> list | None:
    """Texts with their credit: a plain string is full credit, `{text, credit}` names its share.
    Stored as `{text, credit}` objects; the first spelling of a text (ignoring case) wins."""
    if not isinstance(values, list) or len(values) > MAX_ACCEPTED:
        errors[field] = [f"Must be a list of at most {MAX_ACCEPTED} answers."]
        return None
    unique: dict[str, dict] = {}
    for value in values:
        text = value.get("text") if isinstance(value, dict) else value
        if not isinstance(text, str) or not text.strip():
            errors[field] = ["Accepted answers must not be blank."]
            return None
        share = credit(value.get("credit") if isinstance(value, dict) else None, field, errors)
        if share is None:
            return None
        unique.setdefault(text.strip().casefold(), {"text": text.strip(), "credit": share})
    return list(unique.values())
