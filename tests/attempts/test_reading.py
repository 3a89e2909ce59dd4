from app.questions.models import ANSWER_KEY_FIELDS
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_answer, make_attempt, make_class, make_student, make_teacher
from tests.helpers import assert_error, walk_keys

PLANTED = ("SAMPLE-ESSAY-ANSWER", "RUBRIC-SECRET", "Photosynthesis")


def _strings(value):
    if isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
    elif isinstance(value, str):
        yield value


def _assert_no_answer_key(body):
    assert not set(walk_keys(body)) & set(ANSWER_KEY_FIELDS + ("is_correct", "marks_awarded")), body
    leaked = [s for s in _strings(body) for planted in PLANTED if planted in s]
    assert not leaked, leaked


def test_nothing_a_student_gets_before_submitting_carries_the_answer_key(client, school):
    q = school.q
    quiz = quiz_for(school, questions=[q.mcq, q.tf, q.short, q.essay], show_answers_after_submission=True)
    headers = auth(school.student_a)
    started = start(client, quiz, school.student_a)
    attempt_id = started.get_json()["attempt_id"]
    bodies = [started.get_json(), start(client, quiz, school.student_a).get_json()]
    for payload in ({"question_id": q.mcq.id, "answer_option": 2}, {"question_id": q.essay.id, "answer_text": "x"}):
        bodies.append(client.post(f"/api/attempts/{attempt_id}/answer", headers=headers, json=payload).get_json())
    bodies.append(client.put(f"/api/attempts/{attempt_id}/answers", headers=headers,
                             json={"answers": [{"question_id": q.tf.id, "answer_option": 0}]}).get_json())
    bodies.append(client.post(f"/api/attempts/{attempt_id}/violations", headers=headers,
                              json={"violation_type": "focus_lost"}).get_json())
    for url in (f"/api/attempts/{attempt_id}", "/api/attempts", f"/api/attempts?quiz_id={quiz.id}",
                f"/api/attempts/available?quiz_id={quiz.id}", f"/api/attempts/history?quiz_id={quiz.id}",
                f"/api/quizzes/{quiz.id}", "/api/quizzes", f"/api/quizzes/access/{quiz.access_code}"):
        response = client.get(url, headers=headers)
        if url.startswith("/api/attempts"):
            assert response.status_code == 200, (url, response.get_json())
        bodies.append(response.get_json())
    for body in bodies:
        _assert_no_answer_key(body)


def test_review_after_submission_shows_marks_and_key_as_the_quiz_allows(client, school):
    q = school.q
    quiz = quiz_for(school, questions=[q.mcq, q.essay], allow_review=True, show_answers_after_submission=True)
    attempt = make_attempt(quiz, school.student_a, status="submitted")
    make_answer(attempt, q.mcq, option=1, marks_awarded=2, is_correct=True)
    body = client.get(f"/api/attempts/{attempt.id}", headers=auth(school.student_a)).get_json()
    mcq, essay = body["answers"]
    assert mcq["answer_option"] == 1 and mcq["marks_awarded"] == 2.0 and mcq["is_correct"] is True
    assert mcq["correct_answer"] == 1 and essay["sample_answer"] == "SAMPLE-ESSAY-ANSWER"
    assert "marking_rubric" not in essay and essay["answer_text"] is None
    assert body["review_available"] is True and "questions" not in body


def test_review_without_answers_shows_marks_but_no_key(client, school):
    quiz = quiz_for(school, allow_review=True, show_answers_after_submission=False)
    attempt = make_attempt(quiz, school.student_a, status="graded")
    make_answer(attempt, school.q.mcq, option=1, marks_awarded=2, is_correct=True)
    body = client.get(f"/api/attempts/{attempt.id}", headers=auth(school.student_a)).get_json()
    assert body["answers"][0]["marks_awarded"] == 2.0
    assert not set(walk_keys(body)) & set(ANSWER_KEY_FIELDS)


def test_no_review_hides_the_answers(client, school):
    quiz = quiz_for(school, allow_review=False, show_answers_after_submission=True)
    attempt = make_attempt(quiz, school.student_a, status="graded", score=4, total_marks=6)
    make_answer(attempt, school.q.mcq, option=1, marks_awarded=2, is_correct=True)
    body = client.get(f"/api/attempts/{attempt.id}", headers=auth(school.student_a)).get_json()
    assert body["answers"] == [] and body["review_available"] is False and body["score"] == 4.0
    _assert_no_answer_key(body)


def test_teacher_sees_everything_of_their_quizzes_attempts(client, school):
    quiz = quiz_for(school, questions=[school.q.essay], allow_review=False)
    attempt = make_attempt(quiz, school.student_a, status="submitted")
    body = client.get(f"/api/attempts/{attempt.id}", headers=auth(school.teacher_a)).get_json()
    entry = body["answers"][0]
    assert entry["marking_rubric"] == "RUBRIC-SECRET" and entry["sample_answer"] == "SAMPLE-ESSAY-ANSWER"
    assert body["student"]["id"] == school.student_a.id
    assert {"server_time", "expires_at", "time_remaining_seconds"} <= body.keys()


def test_other_teachers_and_students_cannot_read_an_attempt(client, school):
    attempt = make_attempt(quiz_for(school), school.student_a)
    assert_error(client.get(f"/api/attempts/{attempt.id}", headers=auth(make_teacher(classes=[school.class_a]))), 404)
    assert_error(client.get(f"/api/attempts/{attempt.id}", headers=auth(make_student(school.class_a))), 404)


def test_list_shows_a_students_own_attempts_with_filters(client, school):
    quiz, other_quiz = quiz_for(school), quiz_for(school)
    mine = make_attempt(quiz, school.student_a, status="graded")
    make_attempt(other_quiz, school.student_a)
    make_attempt(quiz, make_student(school.class_a))
    headers = auth(school.student_a)
    body = client.get("/api/attempts", headers=headers).get_json()
    assert body["total"] == 2 and {"items", "page", "limit", "pages"} <= body.keys()
    filtered = client.get(f"/api/attempts?quiz_id={quiz.id}&status=graded", headers=headers).get_json()
    assert [item["id"] for item in filtered["items"]] == [mine.id]
    item = filtered["items"][0]
    assert item["quiz"]["title"] == quiz.title and {"expires_at", "time_remaining_seconds"} <= item.keys()


def test_teacher_lists_attempts_of_their_quizzes_only(client, school, count_queries):
    quiz = quiz_for(school)
    for _ in range(3):
        make_attempt(quiz, make_student(school.class_a))
    other_teacher = make_teacher(classes=[make_class()])
    headers = auth(school.teacher_a)
    with count_queries() as counted:
        body = client.get("/api/attempts?limit=2", headers=headers).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["pages"] == 2
    assert counted.count <= 3  # user, count, page with quiz and student joined
    assert client.get("/api/attempts", headers=auth(other_teacher)).get_json()["total"] == 0


def test_unknown_query_parameters_are_refused(client, school):
    quiz = quiz_for(school)
    headers = auth(school.student_a)
    assert_error(client.get("/api/attempts?bogus=1", headers=headers), 422)
    assert_error(client.get(f"/api/attempts/available?quiz_id={quiz.id}&x=1", headers=headers), 422)


def test_an_attempt_waiting_for_marks_shows_its_percentage_as_provisional(client, school):
    quiz = quiz_for(school, max_attempts=3)
    waiting = make_attempt(quiz, school.student_a, status="submitted", score=1, percentage=25)
    marked = make_attempt(quiz, school.student_a, status="graded", attempt_number=2, score=2, percentage=50)
    headers = auth(school.student_a)
    assert client.get(f"/api/attempts/{waiting.id}", headers=headers).get_json()["percentage_provisional"] is True
    assert client.get(f"/api/attempts/{marked.id}", headers=headers).get_json()["percentage_provisional"] is False
    items = client.get("/api/attempts", headers=headers).get_json()["items"]
    assert {item["id"]: item["percentage_provisional"] for item in items} == {waiting.id: True, marked.id: False}
