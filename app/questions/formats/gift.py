"""GIFT, Moodle's text format for questions, read into the bank's create payloads.

Questions are separated by blank lines; `//` lines are comments (a `// key: value`
comment just before a question carries a setting GIFT has no place for, see
`common.EXTRA_KEYS`); `$CATEGORY: path` files the questions after it. Every error
names the line its question starts on.
"""
import re

from app.questions.formats import FileRefused, Parsed
from app.questions.formats.common import (
    EXTRA_KEYS,
    answer_entry,
    apply_extras,
    credit_of,
    finite,
    multiple_select_from,
    number_or_text,
    read_text,
    topic_from_category,
)
from app.questions.formats.gift_text import find, split_answers, unescape

META = re.compile(r"^//\s*(" + "|".join(EXTRA_KEYS + ("marking_rubric",)) + r")\s*:\s*(.*?)\s*$")
WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
MARKER = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.I)
KINDS = {"html": "html", "markdown": "auto", "plain": "plain", "moodle": "auto"}  # Markdown may embed HTML
TRUE_WORDS, FALSE_WORDS = {"T", "TRUE"}, {"F", "FALSE"}
DEFAULT_MARKS = 1


class GiftError(ValueError):
    pass


def parse(content: str) -> list[Parsed]:
    items, topic = [], None
    for numbered, meta in _blocks(content):
        if numbered[0][1].lstrip().startswith("$CATEGORY:"):
            topic = topic_from_category(numbered[0][1].split(":", 1)[1])
            numbered = numbered[1:]
            if not numbered:
                continue
        items.append(_question("\n".join(line for _n, line in numbered), numbered[0][0], topic, meta))
    if not items:
        raise FileRefused("The file holds no GIFT question")
    return items


def _blocks(content: str):
    """Each question's (line number, line) pairs, comments removed, and its settings."""
    lines, meta = [], {}
    for number, line in enumerate(content.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if lines:
                yield lines, meta
            lines, meta = [], ({} if lines else meta)
        elif stripped.startswith("//"):
            found = META.match(stripped)
            if found:
                meta[found.group(1)] = found.group(2)
        else:
            lines.append((number, line))
    if lines:
        yield lines, meta


def _question(block: str, line: int, topic: str | None, meta: dict) -> Parsed:
    name, text = _title(block)
    try:
        stem, body, kind = _split(text, line)
        question = {"text": read_text(unescape(stem), kind), "marks": DEFAULT_MARKS, "topic": topic}
        if body is None:
            return Parsed.unsupported(name, "description",
                                      f"line {line}: no answer block {{…}}, so a description, not a question",
                                      line=line)
        notes = []
        question.update(_answers(body, notes))
        apply_extras(question, meta)
        if meta.get("marking_rubric") and question["type"] in ("descriptive", "short_answer"):
            question["marking_rubric"] = unescape(meta["marking_rubric"])
        return Parsed(name=name, type=question["type"], question=question, line=line, notes=notes)
    except GiftError as exc:
        return Parsed.error(name, None, f"line {line}: {exc}", line=line)


def _title(block: str) -> tuple[str | None, str]:
    text = block.strip()
    if not text.startswith("::"):
        return None, text
    end = find(text, "::", 2)
    if end < 0:
        return None, text  # the error is reported by _split
    return unescape(text[2:end]).strip() or None, text[end + 2:].strip()


def _split(text: str, line: int) -> tuple[str, str | None, str]:
    """The question text, the answer block's content (None without one) and the text's kind."""
    if text.startswith("::"):
        raise GiftError("the title is not closed with ::")
    kind = "auto"
    marker = MARKER.match(text)
    if marker:
        kind, text = KINDS[marker.group(1).lower()], text[marker.end():]
    opening = find(text, "{")
    if opening < 0:
        if find(text, "}") >= 0:
            raise GiftError("a } closes an answer block that was never opened")
        return text, None, kind
    closing = find(text, "}", opening + 1)
    if closing < 0:
        opened = line + text[:opening].count("\n")
        raise GiftError(f"the answer block opened on line {opened} is never closed with }}")
    before, body, after = text[:opening], text[opening + 1:closing], text[closing + 1:]
    if find(after, "{") >= 0:
        raise GiftError("more than one answer block; GIFT takes one per question")
    # Text after the block makes it a "missing word" question: the block is the gap.
    stem = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
    return stem.strip(), body, kind


def _answers(body: str, notes: list) -> dict:
    general_at = find(body, "####")
    general = unescape(body[general_at + 4:]).strip() if general_at >= 0 else None
    body = (body[:general_at] if general_at >= 0 else body).strip()
    if not body:
        return {"type": "descriptive", "sample_answer": general or None}
    if body.startswith("#"):
        return _numeric(body[1:].strip())
    word = unescape(body[:find(body, "#")] if find(body, "#") >= 0 else body).strip().upper()
    if word in TRUE_WORDS | FALSE_WORDS:
        return {"type": "true_false", "correct_answer": word in TRUE_WORDS}
    head, tokens = split_answers(body)
    if head.strip() or not tokens:
        raise GiftError("answers must start with = or ~")
    answers = [_answer(marker, raw) for marker, raw in tokens]
    if any(find(raw, "->") >= 0 for _m, raw in tokens):
        return _matching(tokens)
    if all(marker == "=" for marker, _ in tokens):
        return _short_answer(answers, general)
    return _choices(answers, notes)


def _answer(marker: str, raw: str) -> tuple[str, float, str]:
    """(marker, credit in %, text) of one answer: `=` is 100% and `~` 0% unless weighted."""
    weight = WEIGHT.match(raw)
    credit = float(weight.group(1)) if weight else (100.0 if marker == "=" else 0.0)
    if not -100 <= credit <= 100:
        raise GiftError(f"weight %{weight.group(1)}% is outside -100..100")
    raw = raw[weight.end():] if weight else raw
    feedback = find(raw, "#")
    text = unescape(raw[:feedback] if feedback >= 0 else raw).strip()
    if not text:
        raise GiftError("an answer is empty")
    return marker, credit, text


def _short_answer(answers, general) -> dict:
    if not any(credit == 100 for _m, credit, _t in answers):
        raise GiftError("no answer is worth 100%")
    accepted = [answer_entry(text, credit_of(credit)) for _m, credit, text in answers if credit > 0]
    return {"type": "short_answer", "accepted_answers": accepted, "sample_answer": general or None}


def _choices(answers, notes: list) -> dict:
    options = [text for _m, _c, text in answers]
    credits = [credit for _m, credit, _t in answers]
    if any(marker == "=" for marker, _c, _t in answers):  # GIFT: an `=` makes it single-answer
        best = [i for i, credit in enumerate(credits) if credit == 100]
        if len(best) != 1:
            raise GiftError("a multiple-choice question needs exactly one answer at 100% (=)")
        if any(0 < c < 100 or c < 0 for c in credits):
            notes.append("partial or negative credit on other choices is not kept")
        return {"type": "mcq", "options": options, "correct_answer": best[0]}
    key, problem, more = multiple_select_from(options, credits)
    if problem:
        raise GiftError(problem)
    notes.extend(more)
    return {"type": "multiple_select", **key}


def _matching(tokens) -> dict:
    pairs, distractors = [], []
    for marker, raw in tokens:
        arrow = find(raw, "->")
        if marker != "=" or arrow < 0:
            raise GiftError("every matching answer is written =prompt -> match")
        prompt, match = unescape(raw[:arrow]).strip(), unescape(raw[arrow + 2:]).strip()
        if prompt:
            pairs.append({"prompt": prompt, "match": match})
        else:
            distractors.append(match)
    question = {"type": "matching", "pairs": pairs}
    if distractors:
        question["distractors"] = distractors
    return question


def _numeric(body: str) -> dict:
    head, tokens = split_answers(body)
    if head.strip():
        tokens = [("=", head)] + tokens
    values = [(_answer_value(raw), marker) for marker, raw in tokens if marker == "="]
    if not values:
        raise GiftError("a numeric question needs a value")
    best = [v for v, _m in values if v[2] == 100]
    if not best:
        raise GiftError("no numeric answer is worth 100%")
    value, tolerance, _credit = best[0]
    others = [{"value": v, "tolerance": t, "credit": credit_of(c)} for (v, t, c), _m in values if (v, t, c) != best[0]]
    question = {"type": "numeric", "correct_value": value, "tolerance": tolerance, "tolerance_type": "absolute"}
    if others:
        question["accepted_values"] = others
    return question


def _answer_value(raw: str) -> tuple:
    """`3:0.5`, `1..5` or `3`, with an optional `%n%` weight: (value, tolerance, credit %)."""
    weight = WEIGHT.match(raw)
    credit = float(weight.group(1)) if weight else 100.0
    raw = raw[weight.end():] if weight else raw
    feedback = find(raw, "#")
    spec = unescape(raw[:feedback] if feedback >= 0 else raw).strip()
    try:
        if ".." in spec:
            low, high = (finite(part) for part in spec.split(".."))
            return number_or_text((low + high) / 2), number_or_text((high - low) / 2), credit
        value, _, tolerance = spec.partition(":")
        return number_or_text(finite(value)), number_or_text(finite(tolerance or 0)), credit
    except ValueError:
        raise GiftError(f"{spec!r} is not a number, a range a..b or value:tolerance") from None
