"""Many questions at once: JSON bulk create and CSV/XLSX import.

Both are partial (seed 004's bulk shape: created and failed counts, per-item errors):
every valid item is created, every invalid one is reported as {index|row, field,
error}. `dry_run` checks everything and writes nothing. A file holds at most
`QUESTION_IMPORT_MAX_ROWS` rows (2,000 by default), measured before it is parsed.
A file's `data` column holds, as a JSON object, the fields of the types whose keys do not
fit a cell (multiple_select, numeric, matching, ordering, fill_in_blanks, and credits).
"""
import json
import re

from flask import current_app
from marshmallow import ValidationError

from app.common.audit import record_audit
from app.common.uploads import read_table
from app.errors import ValidationFailed
from app.extensions import db
from app.questions.schemas import QuestionCreateSchema
from app.questions.services import build_question

IMPORT_COLUMNS = {
    "text": "text", "question": "text", "questiontext": "text",
    "type": "type", "questiontype": "type",
    "topic": "topic", "difficulty": "difficulty", "marks": "marks", "points": "marks",
    "options": "options", "choices": "options",
    "correctanswer": "correct_answer", "answer": "correct_answer",
    "acceptedanswers": "accepted_answers",
    "sampleanswer": "sample_answer",
    "markingrubric": "marking_rubric", "rubric": "marking_rubric",
    "data": "data",
}
DATA_ERROR = "_data_error"
TYPE_ALIASES = {"multiple_choice": "mcq", "truefalse": "true_false", "true_or_false": "true_false",
                "short": "short_answer", "essay": "descriptive", "multiple_answer": "multiple_select",
                "fill_in_the_blanks": "fill_in_blanks", "numerical": "numeric"}
TRUE_WORDS, FALSE_WORDS = {"true", "t", "yes"}, {"false", "f", "no"}


def _flatten(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested messages as (field, message) pairs."""
    if isinstance(messages, dict):
        pairs = []
        for key, inner in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(_flatten(inner, name))
        return pairs
    if isinstance(messages, list):
        return [pair for inner in messages for pair in _flatten(inner, prefix)]
    return [(prefix or "_schema", str(messages))]


def check_item(raw) -> tuple[dict | None, list[tuple[str, str]]]:
    if not isinstance(raw, dict):
        return None, [("_schema", "Each item must be an object.")]
    if DATA_ERROR in raw:
        return None, [("data", raw[DATA_ERROR])]
    try:
        return QuestionCreateSchema().load(raw), []
    except ValidationError as exc:
        return None, _flatten(exc.messages)


def create_many(items: list[tuple[int, object]], *, actor, dry_run: bool, key: str) -> dict:
    """Create the valid items; report the others by `key` ("index" or "row")."""
    created, errors, valid = [], [], 0
    for ref, raw in items:
        data, problems = check_item(raw)
        errors.extend({key: ref, "field": field, "error": error} for field, error in problems)
        if data is None:
            continue
        valid += 1
        if not dry_run:
            created.append(build_question(data, actor=actor))
    db.session.flush()
    ids = [question.id for question in created]
    if not dry_run:
        record_audit(actor, "questions_bulk_created" if key == "index" else "questions_imported",
                     "question", None, new={"count": len(ids), "ids": ids})
    failed = len({e[key] for e in errors})
    return {"dry_run": dry_run, "valid": valid, "created_ids": ids, "failed": failed, "errors": errors}


def bulk_create(data: dict, *, actor) -> dict:
    result = create_many(list(enumerate(data["questions"])), actor=actor, dry_run=data["dry_run"], key="index")
    return {"dry_run": result["dry_run"], "created_count": len(result["created_ids"]), "valid_count": result["valid"],
            "failed_count": result["failed"], "created_ids": result["created_ids"], "errors": result["errors"]}


def import_questions(file, *, actor, dry_run: bool) -> dict:
    rows = read_table(file, columns=IMPORT_COLUMNS, max_rows=current_app.config["QUESTION_IMPORT_MAX_ROWS"])
    if not rows:
        raise ValidationFailed("The file has no question rows", details={"file": ["No data rows."]})
    result = create_many([(row["_row"], row_to_item(row)) for row in rows], actor=actor, dry_run=dry_run,
                         key="row")
    # As in the students' import, `imported` counts the rows that would be imported on a dry run.
    return {
        "message": _summary(dry_run, result["valid"], result["failed"]), "dry_run": dry_run,
        "total_rows": len(rows), "valid": result["valid"], "imported": result["valid"], "failed": result["failed"],
        "created_ids": result["created_ids"], "errors": result["errors"],
    }


def _summary(dry_run: bool, valid: int, failed: int) -> str:
    if dry_run:
        return f"Dry run: {valid} rows would be imported, {failed} have errors; nothing was written"
    return "Import successful" if not failed else f"Imported {valid} questions; {failed} rows have errors"


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split("|") if part.strip()]


def _integer(value: str | None):
    if value is None:
        return None
    match = re.fullmatch(r"([+-]?\d+)(\.0+)?", value)
    return int(match.group(1)) if match else value


def row_to_item(row: dict) -> dict:
    """A spreadsheet row (all strings) as the JSON a client would send."""
    item = {key: value for key, value in row.items() if key != "_row" and value is not None}
    if "type" in item:
        question_type = re.sub(r"[\s\-/]+", "_", item["type"].lower())
        item["type"] = TYPE_ALIASES.get(question_type, question_type)
    if "difficulty" in item:
        item["difficulty"] = item["difficulty"].lower()
    if "marks" in item:
        item["marks"] = _integer(item["marks"])
    for field in ("options", "accepted_answers"):
        if field in item:
            item[field] = _split(item[field])
    if "correct_answer" in item:
        item["correct_answer"] = _answer(item.get("type"), item["correct_answer"], item.get("options") or [])
    if "data" in item:
        item.update(_data(item.pop("data")))
    return item


def _data(value: str) -> dict:
    """The `data` cell: a JSON object of type fields, or the reason it is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        return {DATA_ERROR: "Not valid JSON."}
    if not isinstance(data, dict):
        return {DATA_ERROR: "Must be a JSON object of question fields."}
    return data


def _answer(question_type: str | None, value: str, options: list[str]):
    """true/false words, an index, or (mcq) the text of the correct option."""
    word = value.strip().casefold()
    if question_type == "true_false" and word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    number = _integer(value)
    if isinstance(number, int):
        return number
    matches = [index for index, option in enumerate(options) if option.casefold() == word]
    return matches[0] if len(matches) == 1 else value
