"""Moodle's embedded answers (cloze): `{weight:TYPE:=right#feedback~%50%half~wrong}` gaps
inside the question text, read as fill_in_blanks with `{{n}}` gaps, and written back."""
import re

from app.questions.formats.common import answer_parts, credit_of, fraction_text

GAP = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")
SEPARATOR = re.compile(r"(?<!\\)~")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
DROP_DOWNS = {"MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH", "MULTICHOICE_S", "MCS",
              "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"}
TEXT_GAPS = {"SHORTANSWER": False, "SA": False, "MW": False, "SHORTANSWER_C": True, "SAC": True, "MWC": True}


class ClozeError(ValueError):
    pass


def read_gaps(text: str) -> tuple[str, list[dict], int]:
    """The text with `{{n}}` gaps, each gap's blank, and the sum of the gaps' weights."""
    blanks, weights = [], []

    def replace(match):
        weight, kind, body = match.group(1), match.group(2), match.group(3)
        blanks.append(_blank(kind, body, len(blanks) + 1))
        weights.append(int(weight or 1))
        return f"{{{{{len(blanks)}}}}}"

    result = GAP.sub(replace, text)
    if not blanks:
        raise ClozeError("the text has no {n:TYPE:…} gap")
    return result, blanks, sum(weights)


def _blank(kind: str, body: str, number: int) -> dict:
    answers = [_answer(part) for part in SEPARATOR.split(body)]
    if kind in DROP_DOWNS:
        best = [i for i, (_t, credit) in enumerate(answers) if credit == 100]
        if len(best) != 1:
            raise ClozeError(f"gap {number} ({kind}) needs exactly one answer at 100%")
        return {"options": [text for text, _c in answers], "correct_option": best[0]}
    if kind in TEXT_GAPS:
        if not any(credit == 100 for _t, credit in answers):
            raise ClozeError(f"gap {number} ({kind}) has no answer at 100%")
        accepted = [{"text": text, "credit": credit_of(credit)} for text, credit in answers
                    if credit > 0 and text != "*"]
        return {"accepted": accepted, "case_sensitive": TEXT_GAPS[kind]}
    raise ClozeError(f"gap {number} is {kind}, which the bank cannot hold (drop-down and text gaps only)")


def _answer(part: str) -> tuple[str, float]:
    part = part.strip()
    credit = 0.0
    if part.startswith("="):
        credit, part = 100.0, part[1:]
    else:
        weight = WEIGHT.match(part)
        if weight:
            credit, part = float(weight.group(1)), part[weight.end():]
    text = re.split(r"(?<!\\)#", part, maxsplit=1)[0]
    return re.sub(r"\\(.)", r"\1", text).strip(), credit


def write_gaps(text: str, blanks: list[dict]) -> str:
    """`{{n}}` gaps back into Moodle's embedded-answer syntax."""
    def replace(match):
        index = int(match.group(1)) - 1
        return _gap(blanks[index]) if 0 <= index < len(blanks) else match.group(0)
    return re.sub(r"\{\{(\d+)\}\}", replace, text)


def _gap(blank: dict) -> str:
    if "options" in blank:
        parts = [("=" if i == blank.get("correct_option") else "") + _escape(o) for i, o in enumerate(blank["options"])]
        return "{1:MULTICHOICE:" + "~".join(parts) + "}"
    kind = "SHORTANSWER_C" if blank.get("case_sensitive") else "SHORTANSWER"
    parts = []
    for entry in blank.get("accepted") or []:
        text, credit = answer_parts(entry)
        parts.append(("=" if credit == 1 else f"%{fraction_text(credit)}%") + _escape(text))
    return "{1:" + kind + ":" + "~".join(parts) + "}"


def _escape(text: str) -> str:
    return re.sub(r"([\\}~#])", r"\\\1", str(text))
