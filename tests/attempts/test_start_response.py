"""The start response's questions skip marshmallow (app.common.predumped): they must be
exactly what StudentQuestionSchema would have dumped, and the shortcut says so loudly."""
from decimal import Decimal

import pytest
from marshmallow import Schema, fields

from app.attempts.schemas import StudentQuestionSchema
from app.common.predumped import PreDumpedList, PreDumpedMismatch
from tests.attempts.conftest import quiz_for, start

QUESTION = {"id": "q1", "question_index": 0, "text": "Which?", "type": "mcq", "marks": 2,
            "options": [{"index": 1, "text": "green"}, {"index": 0, "text": "red"}]}


class _Questions(Schema):
    questions = PreDumpedList(fields.Nested(StudentQuestionSchema))


def test_a_start_shows_every_question_type_as_the_schema_dumps_it(client, school):
    q = school.q
    quiz = quiz_for(school, questions=[q.mcq, q.tf, q.short, q.essay], randomize_options=True)
    body = start(client, quiz, school.student_a).get_json()
    assert body["questions"] == StudentQuestionSchema(many=True).dump(body["questions"])
    assert {question["type"] for question in body["questions"]} == {"mcq", "true_false", "short_answer",
                                                                    "descriptive"}


def test_items_in_their_dumped_form_pass_through(app):
    assert _Questions().dump({"questions": [QUESTION]}) == {"questions": [QUESTION]}


@pytest.mark.parametrize("misuse", [
    {**QUESTION, "correct_answer": 1},              # a field the schema does not show
    {**QUESTION, "marks": Decimal("2")},            # a value dumping would convert
    {**QUESTION, "options": [{"index": "1", "text": "green"}]},  # a nested value dumping would convert
])
def test_an_item_not_in_its_dumped_form_fails_under_test(app, misuse):
    with pytest.raises(PreDumpedMismatch):
        _Questions().dump({"questions": [misuse]})


def test_outside_tests_the_items_are_not_dumped_again(app, monkeypatch):
    monkeypatch.setitem(app.config, "TESTING", False)
    misuse = {**QUESTION, "marks": Decimal("2")}
    assert _Questions().dump({"questions": [misuse]})["questions"][0] is misuse
