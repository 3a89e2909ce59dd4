"""Taking the later question types: shown without their key, answered with `response`,
marked with partial credit and negative marking, on submit."""
from decimal import Decimal

import pytest

from app.attempts.models import QuizAttempt, StudentAnswer
from app.extensions import db
from app.questions.models import ANSWER_KEY_FIELDS
from tests.attempts.conftest import start
from tests.factories import auth, make_question, make_quiz
from tests.helpers import assert_error, walk_keys

TYPES = ("multiple_select", "numeric", "matching", "ordering", "fill_in_blanks")


@pytest.fixture
def mixed(school):
    questions = {t: make_question(school.teacher_a, type=t, marks=4) for t in TYPES}
    return questions


def quiz_of(school, questions, **kw):
    return make_quiz(school.teacher_a, questions=list(questions.values()), classes=[school.class_a], **kw)


def save(client, user, attempt_id, question, response, **extra):
    return client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(user),
                       json={"question_id": question.id, "response": response, **extra})


def by_id(body):
    return {q["id"]: q for q in body["questions"]}


def page_indexes(shown, texts):
    """The page indexes of `texts` in a shown matching/ordering question."""
    index = {option["text"]: option["index"] for option in shown["options"]}
    return [index[text] for text in texts]


def test_start_shows_each_type_without_its_key(client, school, mixed):
    body = start(client, quiz_of(school, mixed), school.student_a).get_json()
    assert not set(walk_keys(body)) & set(ANSWER_KEY_FIELDS)
    shown = by_id(body)
    matching = shown[mixed["matching"].id]
    assert matching["prompts"] == ["France", "Spain", "Italy"]
    assert sorted(o["text"] for o in matching["options"]) == ["Lyon", "Madrid", "Paris", "Rome"]
    assert [o["index"] for o in matching["options"]] == [0, 1, 2, 3]  # numbered by place on the page
    ordering = shown[mixed["ordering"].id]
    assert [o["index"] for o in ordering["options"]] == [0, 1, 2, 3]
    gaps = shown[mixed["fill_in_blanks"].id]["gaps"]
    assert gaps == [{"index": 1}, {"index": 2, "options": [{"index": 0, "text": "H2O"}, {"index": 1, "text": "CO2"}]}]
    assert shown[mixed["numeric"].id]["options"] is None
    attempt = db.session.get(QuizAttempt, body["attempt_id"])
    assert attempt.answer_forms[mixed["matching"].id] == {"type": "matching", "choices": 4, "prompts": 3}


def test_page_numbering_maps_to_the_stored_shuffle(client, school, mixed):
    body = start(client, quiz_of(school, mixed), school.student_a).get_json()
    attempt = db.session.get(QuizAttempt, body["attempt_id"])
    ordering = by_id(body)[mixed["ordering"].id]
    items = mixed["ordering"].items
    assert [o["text"] for o in ordering["options"]] == [items[i] for i in attempt.option_order[mixed["ordering"].id]]


def test_right_answers_of_every_type_earn_full_marks(client, school, mixed):
    body = start(client, quiz_of(school, mixed), school.student_a).get_json()
    attempt_id, shown = body["attempt_id"], by_id(body)
    q = mixed
    answers = [
        (q["multiple_select"], [3, 1]),
        (q["numeric"], 9.83),
        (q["matching"], page_indexes(shown[q["matching"].id], ["Paris", "Madrid", "Rome"])),
        (q["ordering"], page_indexes(shown[q["ordering"].id], ["one", "two", "three", "four"])),
        (q["fill_in_blanks"], [" 100 ", 0]),
    ]
    for question, response in answers:
        assert save(client, school.student_a, attempt_id, question, response).status_code == 200
    submitted = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a), json={})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["score"] == 20 and submitted.get_json()["status"] == "graded"


def test_partial_answers_earn_their_share_with_per_part_results(client, school, mixed):
    body = start(client, quiz_of(school, mixed), school.student_a).get_json()
    attempt_id, shown = body["attempt_id"], by_id(body)
    q = mixed
    save(client, school.student_a, attempt_id, q["multiple_select"], [1])  # one of two right: half
    save(client, school.student_a, attempt_id, q["matching"],
         page_indexes(shown[q["matching"].id], ["Paris", "Lyon", "Rome"]))  # two of three pairs
    save(client, school.student_a, attempt_id, q["ordering"],
         page_indexes(shown[q["ordering"].id], ["one", "two", "four", "three"]))  # two of four in place
    save(client, school.student_a, attempt_id, q["fill_in_blanks"], ["100", 1])  # one of two gaps
    client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a), json={})
    answers = {a.question_id: a for a in db.session.query(StudentAnswer).filter_by(attempt_id=attempt_id)}
    assert answers[q["multiple_select"].id].marks_awarded == Decimal("2.00")
    assert answers[q["multiple_select"].id].result == {"right": [1], "wrong": [], "missed": [3]}
    assert answers[q["matching"].id].marks_awarded == Decimal("2.67")
    assert answers[q["matching"].id].result == {"pairs": [True, False, True]}
    assert answers[q["ordering"].id].marks_awarded == Decimal("2.00")
    assert answers[q["fill_in_blanks"].id].result == {"gaps": [1.0, 0.0]}
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == Decimal("8.67") and attempt.total_marks == 20
    teacher_view = client.get(f"/api/grading/attempts/{attempt_id}", headers=auth(school.teacher_a)).get_json()
    matching = next(a for a in teacher_view["answers"] if a["question"]["id"] == q["matching"].id)
    assert matching["result"] == {"pairs": [True, False, True]} and matching["question"]["pairs"]


def test_negative_marking_costs_wrong_answers_only_and_never_takes_the_total_below_zero(client, school, mixed):
    quiz = quiz_of(school, mixed, negative_marking_percent=25)
    body = start(client, quiz, school.student_a).get_json()
    attempt_id = body["attempt_id"]
    save(client, school.student_a, attempt_id, mixed["numeric"], 1.0)  # wrong: -1
    save(client, school.student_a, attempt_id, mixed["multiple_select"], [0, 2])  # wrong: -1
    save(client, school.student_a, attempt_id, mixed["fill_in_blanks"], [None, None])  # empty: nothing
    client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a), json={})
    answers = {a.question_id: a for a in db.session.query(StudentAnswer).filter_by(attempt_id=attempt_id)}
    assert answers[mixed["numeric"].id].marks_awarded == Decimal("-1.00")
    assert answers[mixed["multiple_select"].id].marks_awarded == Decimal("-1.00")
    assert answers[mixed["fill_in_blanks"].id].marks_awarded == Decimal("0.00")
    assert db.session.get(QuizAttempt, attempt_id).score == Decimal("0.00")


def test_negative_marking_is_taken_from_what_was_earned(client, school, mixed):
    quiz = quiz_of(school, {"numeric": mixed["numeric"], "ordering": mixed["ordering"]},
                   negative_marking_percent=50)
    body = start(client, quiz, school.student_a).get_json()
    shown = by_id(body)
    save(client, school.student_a, body["attempt_id"], mixed["numeric"], 100)  # wrong: -2
    save(client, school.student_a, body["attempt_id"], mixed["ordering"],
         page_indexes(shown[mixed["ordering"].id], ["one", "two", "three", "four"]))  # right: 4
    result = client.post(f"/api/attempts/{body['attempt_id']}/submit", headers=auth(school.student_a), json={})
    assert result.get_json()["score"] == 2


@pytest.mark.parametrize(("question_type", "response"), [
    ("multiple_select", 1), ("multiple_select", [9]), ("multiple_select", [1, 1]),
    ("numeric", "9.81"), ("numeric", True), ("numeric", [9.81]),
    ("matching", [0, 1]), ("matching", [0, 1, 9]), ("matching", "Paris"),
    ("ordering", [0, 1, 2]), ("ordering", [0, 0, 1, 2]), ("ordering", [0, 1, 2, 7]),
    ("fill_in_blanks", ["100"]), ("fill_in_blanks", ["100", 5]), ("fill_in_blanks", [7, 0]),
    ("fill_in_blanks", None),
])
def test_a_response_of_the_wrong_shape_is_422_naming_response_and_saves_nothing(client, school, mixed,
                                                                                 question_type, response):
    body = start(client, quiz_of(school, mixed), school.student_a).get_json()
    refused = save(client, school.student_a, body["attempt_id"], mixed[question_type], response)
    assert "response" in assert_error(refused, 422)["details"]
    assert db.session.query(StudentAnswer).count() == 0


def test_old_fields_are_refused_for_the_later_types_and_response_for_the_old_ones(client, school, mixed):
    quiz = make_quiz(school.teacher_a, questions=[mixed["numeric"], school.q.mcq], classes=[school.class_a])
    attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
    old_style = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                            json={"question_id": mixed["numeric"].id, "answer_text": "9.81"})
    assert "answer_text" in assert_error(old_style, 422)["details"]
    new_style = save(client, school.student_a, attempt_id, school.q.mcq, 1)
    assert "response" in assert_error(new_style, 422)["details"]


def test_saves_are_idempotent_upserts_and_a_resume_shows_the_response(client, school, mixed):
    quiz = quiz_of(school, mixed)
    attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
    save(client, school.student_a, attempt_id, mixed["multiple_select"], [0])
    save(client, school.student_a, attempt_id, mixed["multiple_select"], [0, 2])
    batch = client.put(f"/api/attempts/{attempt_id}/answers", headers=auth(school.student_a), json={"answers": [
        {"question_id": mixed["numeric"].id, "response": 9.8},
        {"question_id": mixed["fill_in_blanks"].id, "response": ["100", None]}]})
    assert batch.status_code == 200, batch.get_json()
    assert db.session.query(StudentAnswer).count() == 3
    resumed = start(client, quiz, school.student_a).get_json()
    saved = {a["question_id"]: a["response"] for a in resumed["answers"]}
    assert saved == {mixed["multiple_select"].id: [0, 2], mixed["numeric"].id: 9.8,
                     mixed["fill_in_blanks"].id: ["100", None]}


def test_review_shows_results_and_the_key_only_when_the_quiz_allows(client, school, mixed):
    for show in (False, True):
        quiz = quiz_of(school, {"matching": mixed["matching"]}, allow_review=True,
                       show_answers_after_submission=show, max_attempts=1)
        attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
        save(client, school.student_a, attempt_id, mixed["matching"], [0, 1, 2])
        client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a), json={})
        view = client.get(f"/api/attempts/{attempt_id}", headers=auth(school.student_a)).get_json()
        entry = view["answers"][0]
        assert "pairs" in entry["result"]
        assert ("answer_key" in entry) is show


def test_negative_marking_applies_to_the_first_types_too_and_students_are_told(client, school):
    quiz = make_quiz(school.teacher_a, questions=[school.q.mcq, school.q.tf], classes=[school.class_a],
                     negative_marking_percent=50)
    body = start(client, quiz, school.student_a).get_json()
    assert body["quiz"]["negative_marking_percent"] == 50
    client.post(f"/api/attempts/{body['attempt_id']}/answer", headers=auth(school.student_a),
                json={"question_id": school.q.mcq.id, "answer_option": 0})  # wrong: -1 of 2
    client.post(f"/api/attempts/{body['attempt_id']}/answer", headers=auth(school.student_a),
                json={"question_id": school.q.tf.id, "answer_option": 0})  # right: 1
    result = client.post(f"/api/attempts/{body['attempt_id']}/submit", headers=auth(school.student_a), json={})
    assert result.get_json()["score"] == 0
    mcq = db.session.query(StudentAnswer).filter_by(question_id=school.q.mcq.id).one()
    assert mcq.marks_awarded == Decimal("-1.00") and mcq.is_correct is False
