"""Domain events become notifications for the right people, in one INSERT per event."""
from sqlalchemy import select

from app.common import events
from app.extensions import db
from app.notifications.models import Notification
from app.quizzes.models import QuizClass
from tests.factories import (
    auth,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)
from tests.notifications.helpers import all_events, notifications_of


def quiz_setup(**quiz_kw):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class], title="Algebra", **quiz_kw)
    return teacher, school_class, quiz


def test_quiz_published_notifies_the_active_students_of_its_classes_with_one_insert(count_queries):
    teacher, school_class, quiz = quiz_setup()
    second_class = make_class()
    db.session.add(QuizClass(quiz_id=quiz.id, class_id=second_class.id))
    db.session.commit()
    students = [make_student(school_class) for _ in range(5)] + [make_student(second_class)]
    make_student(school_class, is_active=False)
    outsider = make_student(make_class())
    with count_queries() as counted:
        events.quiz_published.send("app", quiz_id=quiz.id, actor_id=teacher.id)
    inserts = [s for s in counted.statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS")]
    assert len(inserts) == 1
    rows = db.session.scalars(select(Notification)).all()
    assert sorted(r.user_id for r in rows) == sorted(s.id for s in students)
    assert rows[0].title == "New Quiz Available: Algebra" and rows[0].category == "quiz"
    (event,) = all_events()
    assert event.event_type == "quiz_published" and len(event.recipients) == 6
    assert {r.event_id for r in rows} == {event.id}
    assert event.email_required is False
    assert notifications_of(outsider) == []


def test_fully_graded_attempt_notifies_the_student_with_the_score():
    teacher, school_class, quiz = quiz_setup()
    student = make_student(school_class)
    attempt = make_attempt(quiz, student, status="graded")
    events.attempt_graded.send("app", attempt_id=attempt.id, quiz_id=quiz.id, student_id=student.id,
                               grader_id=teacher.id, score=7.5, total_marks=10, percentage=75.0, fully_graded=True)
    (note,) = notifications_of(student)
    assert note.message == "Your submission for 'Algebra' has been graded. Score: 7.5/10 (75.0%)"
    events.attempt_graded.send("app", attempt_id=attempt.id, quiz_id=quiz.id, student_id=student.id,
                               grader_id=teacher.id, score=2, total_marks=10, percentage=20.0, fully_graded=False)
    assert len(notifications_of(student)) == 1


def test_attempt_reset_notifies_the_student_and_is_e_mailed():
    teacher, school_class, quiz = quiz_setup()
    student = make_student(school_class)
    events.attempt_reset.send("app", quiz_id=quiz.id, student_id=student.id, actor_id=teacher.id,
                              additional_attempts=2, reason="Power cut")
    (note,) = notifications_of(student)
    assert note.type == "attempt_reset" and note.priority == "high"
    assert "2 additional attempt(s) for 'Algebra'. Reason: Power cut" in note.message
    assert all_events()[0].email_required is True


def test_auto_submission_notifies_student_and_teacher():
    teacher, school_class, quiz = quiz_setup()
    student = make_student(school_class, name="Alice")
    attempt = make_attempt(quiz, student, status="auto_submitted", total_violations=3)
    events.attempt_submitted.send("app", attempt_id=attempt.id, quiz_id=quiz.id, student_id=student.id,
                                  status="graded", auto_submit_reason="violations", score=0.0, total_marks=2,
                                  percentage=0.0, pending_manual_grading=0)
    (mine,) = notifications_of(student)
    (theirs,) = notifications_of(teacher)
    assert mine.message == "Your quiz 'Algebra' was automatically submitted due to 3 violation(s)."
    assert theirs.type == "attempt_auto_submitted" and theirs.message.startswith("Alice's attempt at 'Algebra'")


def test_submission_waiting_for_manual_grading_notifies_the_teacher_only():
    teacher, school_class, quiz = quiz_setup()
    student = make_student(school_class, name="Bob")
    attempt = make_attempt(quiz, student, status="submitted")
    events.attempt_submitted.send("app", attempt_id=attempt.id, quiz_id=quiz.id, student_id=student.id,
                                  status="submitted", auto_submit_reason=None, score=1.0, total_marks=4,
                                  percentage=25.0, pending_manual_grading=1)
    (note,) = notifications_of(teacher)
    assert note.type == "grade_pending_review"
    assert note.message == "Bob has submitted 'Algebra' and requires manual grading."
    assert notifications_of(student) == []


def test_violation_warns_the_student_with_the_quizs_own_limit():
    teacher, school_class, quiz = quiz_setup(max_violations=5)
    student = make_student(school_class)
    attempt = make_attempt(quiz, student)
    payload = {"attempt_id": attempt.id, "quiz_id": quiz.id, "student_id": student.id, "violation_id": "v",
               "violation_type": "tab_switch", "severity": "low", "total_violations": 2, "max_violations": 5}
    events.violation_recorded.send("app", **payload, auto_submitted=False)
    (note,) = notifications_of(student)
    assert note.message == "Warning: tab switch detected during 'Algebra'. Total violations: 2/5"
    events.violation_recorded.send("app", **payload | {"total_violations": 5}, auto_submitted=True)
    assert len(notifications_of(student)) == 1  # the auto-submission notice covers the last one


def test_student_added_to_a_class_notifies_its_other_teachers():
    school_class = make_class(name="Grade 7")
    adder, colleague = make_teacher(classes=[school_class]), make_teacher(classes=[school_class])
    student = make_student(name="Carol")
    events.student_added_to_class.send("app", student_ids=[student.id], class_id=school_class.id,
                                       actor_id=adder.id)
    (note,) = notifications_of(colleague)
    assert note.message == "Carol has been added to your class 'Grade 7'." and note.priority == "low"
    assert notifications_of(adder) == []


def test_a_whole_import_into_a_class_is_one_notice_per_teacher():
    school_class = make_class(name="Grade 8")
    teacher = make_teacher(classes=[school_class])
    students = [make_student() for _ in range(3)]
    events.student_added_to_class.send("app", student_ids=[s.id for s in students], class_id=school_class.id,
                                       actor_id=None)
    (note,) = notifications_of(teacher)
    assert note.message == "3 students have been added to your class 'Grade 8'."


def test_a_failing_reaction_is_logged_and_leaves_the_session_usable(caplog):
    events.quiz_published.send("app", quiz_id="0" * 36, actor_id=None)
    assert "notifications for on_quiz_published failed" in caplog.text
    assert db.session.scalars(select(Notification)).all() == []
    make_student()  # the session still works


def test_a_real_publish_request_notifies_students(client):
    teacher, school_class, quiz = quiz_setup(status="draft")
    student = make_student(school_class)
    response = client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(teacher))
    assert response.status_code == 200, response.get_json()
    assert [n.type for n in notifications_of(student)] == ["quiz_published"]


def test_a_violation_notice_keeps_the_type_code_in_its_metadata():
    teacher, school_class, quiz = quiz_setup(max_violations=5)
    student = make_student(school_class)
    attempt = make_attempt(quiz, student)
    events.violation_recorded.send(
        "app", attempt_id=attempt.id, quiz_id=quiz.id, student_id=student.id, violation_id="v",
        violation_type="tab_switch", severity="low", total_violations=1, max_violations=5, auto_submitted=False)
    (note,) = notifications_of(student)
    assert "tab switch detected" in note.message
    assert note.details["violation_type"] == "tab_switch"
