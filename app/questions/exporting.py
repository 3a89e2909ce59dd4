"""GET /api/questions/export: questions as a Moodle XML or GIFT file.

What is exported is what the list shows for the same filters, or the questions named
by `ids`, or one quiz's questions in the quiz's order. GIFT cannot hold every type:
the questions it skips are listed at the top of the file and counted in the
`X-Export-Skipped` header, never dropped silently. A question's images go into Moodle
XML as base64 `<file>` elements; GIFT cannot carry files, so it skips (and lists)
the questions that have any.
"""
from sqlalchemy import select

from app.common.apidoc import TEXT, XML
from app.common.authz import get_managed_quiz, visible_questions_clause
from app.common.clock import utcnow
from app.common.spreadsheets import download
from app.errors import NotFound
from app.extensions import db
from app.questions.formats import gift_writer, moodle_writer
from app.questions.media import media_by_name, read_question_media
from app.questions.models import Question
from app.questions.services import filtered_questions
from app.quizzes.models import QuizQuestion

# Every field a question file can carry; the types a bank version lacks read as None.
EXPORTED_FIELDS = (
    "type", "text", "marks", "topic", "difficulty", "options", "correct_answer", "correct_options", "scoring",
    "correct_value", "tolerance", "tolerance_type", "accepted_values", "pairs", "distractors", "items", "blanks",
    "accepted_answers", "sample_answer", "marking_rubric",
)
MIMETYPES = {"moodle_xml": XML, "gift": TEXT}
EXTENSIONS = {"moodle_xml": "xml", "gift": "txt"}


def export_questions(params: dict, *, actor):
    questions = _selected(params, actor)
    files = _files(questions, with_bytes=params["format"] == "moodle_xml")
    payloads = [question_payload(q, files.get(q.id)) for q in questions]
    skipped = []
    if params["format"] == "gift":
        text, skipped = gift_writer.write(payloads)
        content = text.encode("utf-8")
    else:
        content = moodle_writer.write(payloads)
    response = download(content, f"questions_{utcnow():%Y%m%d}.{EXTENSIONS[params['format']]}",
                        MIMETYPES[params["format"]])
    response.headers["X-Export-Skipped"] = str(len(skipped))
    return response


def question_payload(question: Question, files: dict | None = None) -> dict:
    """The question as the writers take it; `files` ({name: bytes}) are its images."""
    values = {field: getattr(question, field, None) for field in EXPORTED_FIELDS}
    return {field: value for field, value in values.items() if value is not None} | ({"files": files} if files else {})


def _files(questions: list[Question], *, with_bytes: bool) -> dict[str, dict]:
    """{question id: {filename: bytes}} in one query; the bytes are read only for a
    format that carries them (GIFT needs only the names, to say what it skips)."""
    return {qid: {name: read_question_media(media) if with_bytes else None for name, media in named.items()}
            for qid, named in media_by_name([q.id for q in questions]).items()}


def _selected(params: dict, actor) -> list[Question]:
    if params.get("quiz_id"):
        quiz = get_managed_quiz(params["quiz_id"], actor)
        return list(db.session.scalars(
            select(Question).join(QuizQuestion, QuizQuestion.question_id == Question.id)
            .where(QuizQuestion.quiz_id == quiz.id).order_by(QuizQuestion.order_index)))
    if params.get("ids"):
        wanted = list(dict.fromkeys(params["ids"]))
        found = {q.id: q for q in db.session.scalars(
            select(Question).where(Question.id.in_(wanted), visible_questions_clause(actor)))}
        if len(found) != len(wanted):
            raise NotFound("Question not found", details={"ids": [i for i in wanted if i not in found]})
        return [found[i] for i in wanted]
    return list(db.session.scalars(filtered_questions(actor, params).order_by(Question.created_at, Question.id)))
