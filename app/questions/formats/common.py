"""What both formats share: text kinds, categories as topics, credits, extra settings."""
import math
import re

from app.common.html import sanitize_html

TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Settings neither Moodle XML nor GIFT has a place for travel as `key:value` tags
# (XML) or `// key: value` comments (GIFT); Moodle keeps the first and ignores the second.
EXTRA_KEYS = ("marks", "difficulty", "scoring", "tolerance_type", "tolerance")
SCORINGS = ("all_or_nothing", "partial", "right_minus_wrong")
DIFFICULTIES = ("easy", "medium", "hard")
# Fractions are percentages; sums may be off by Moodle's five-decimal rounding.
FRACTION_SLACK = 0.1


def read_text(raw: str | None, kind: str) -> str:
    """A text of the file as the bank stores it: HTML, declared or found in text whose
    format allows it (Moodle's auto format, Markdown), is sanitised; plain text is kept."""
    text = (raw or "").strip()
    if kind == "html" or (kind == "auto" and TAG.search(text)):
        return sanitize_html(text).strip()
    return text


def is_html(text: str) -> bool:
    """Whether a stored text is HTML: it has tags and is already what the sanitiser makes."""
    return bool(TAG.search(text)) and sanitize_html(text) == text


def plain_option(text: str) -> str:
    """Moodle wraps each choice in one paragraph; the bank's options are plain strings."""
    match = re.fullmatch(r"<p>(.*)</p>", text, flags=re.S)
    inner = match.group(1) if match else text
    return inner if not TAG.search(inner) else text


def topic_from_category(path: str) -> str | None:
    """`$course$/top/Algebra/Linear` → `Algebra/Linear` (Moodle writes `/` inside a name as `//`)."""
    parts = [p.replace("\0", "/").strip() for p in path.strip().replace("//", "\0").split("/")]
    parts = [p for p in parts if p]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(parts) or None


def category_for(topic: str | None) -> str:
    return "$course$/top" + (f"/{topic}" if topic else "")


def percent(value) -> float:
    """A Moodle fraction as a number, or ValueError naming it."""
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"fraction {value!r} is not a number") from None
    if not -100 <= number <= 100:
        raise ValueError(f"fraction {value!r} is outside -100..100")
    return number


def credit_of(fraction: float) -> float:
    """A percentage as the bank's credit, a fraction 0–1 (rounded like Moodle's grades)."""
    return round(fraction / 100, 7)


def fraction_text(credit: float) -> str:
    """A credit as Moodle writes fractions: `100`, `50`, `33.33333`."""
    value = round(credit * 100, 5)
    return str(int(value)) if value == int(value) else f"{value:.5f}".rstrip("0")


def answer_entry(text: str, credit: float):
    """An accepted answer in the bank's shape: a plain string is full credit."""
    return text if credit == 1 else {"text": text, "credit": credit}


def answer_parts(entry) -> tuple[str, float]:
    if isinstance(entry, dict):
        return str(entry.get("text", "")), float(entry.get("credit", 1))
    return str(entry), 1.0


def is_true(correct_answer) -> bool:
    """A true/false key as stored (index 0 is True) or as sent (a boolean)."""
    return correct_answer is True or (type(correct_answer) is int and correct_answer == 0)


def name_for(question: dict) -> str:
    """A question's name in a file: the start of its text, without tags."""
    words = " ".join(TAG.sub(" ", question.get("text") or "").split())
    return words[:60] or question.get("type", "question")


def extras_of(question: dict, *, with_marks: bool) -> dict:
    """The settings a question file cannot hold natively."""
    extras = {}
    if with_marks:
        extras["marks"] = question.get("marks")
    for key in ("difficulty", "scoring"):
        if question.get(key):
            extras[key] = question[key]
    if question.get("type") == "numeric" and question.get("tolerance_type") == "relative":
        extras["tolerance_type"] = "relative"
        extras["tolerance"] = question.get("tolerance")
    return {k: v for k, v in extras.items() if v is not None}


def apply_extras(question: dict, extras: dict) -> None:
    """The settings read back from tags or comments; unknown values are left to validation."""
    if "marks" in extras:
        question["marks"] = whole_number(extras["marks"])
    if extras.get("difficulty") in DIFFICULTIES:
        question["difficulty"] = extras["difficulty"]
    if extras.get("scoring") in SCORINGS and question.get("type") in ("multiple_select", "ordering"):
        question["scoring"] = extras["scoring"]
    if extras.get("tolerance_type") == "relative" and question.get("type") == "numeric":
        question["tolerance_type"] = "relative"
        question["tolerance"] = number_or_text(extras.get("tolerance"))


def whole_number(value):
    """Marks: `2`, `2.0000000` → 2; anything else is passed on for the schema to refuse."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def number_or_text(value):
    try:
        number = float(str(value).strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def finite(text: str) -> float:
    """A number of the file; ValueError for text, infinities and NaN."""
    number = float(str(text).strip())
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def multiple_select_from(options: list[str], credits: list[float]) -> tuple[dict | None, str | None, list]:
    """Options with Moodle credits (percentages) as a multiple_select key, or an error.

    Moodle requires the positive fractions to add up to 100%. The bank gives each correct
    choice an equal share; `partial` takes one share off per wrong choice, exactly what
    Moodle does when each wrong choice is worth minus one share.
    """
    correct = [i for i, c in enumerate(credits) if c > 0]
    if not correct:
        return None, "no choice has a positive fraction", []
    total = sum(credits[i] for i in correct)
    if abs(total - 100) > FRACTION_SLACK:
        shown = ", ".join(f"{credits[i]:g}%" for i in correct)
        return None, f"the positive fractions ({shown}) add up to {total:g}%, not 100%", []
    share = 100 / len(correct)
    if any(abs(credits[i] - share) > FRACTION_SLACK for i in correct):
        shown = ", ".join(f"{credits[i]:g}%" for i in correct)
        return None, f"correct choices with different fractions ({shown}); each must be {share:g}%", []
    notes = []
    wrong = [credits[i] for i in range(len(credits)) if i not in correct]
    if any(abs(c + share) > FRACTION_SLACK for c in wrong):
        notes.append(f"wrong choices now each remove one share ({share:g}%), as `partial` scoring does")
    return {"options": options, "correct_options": correct, "scoring": "partial"}, None, notes
