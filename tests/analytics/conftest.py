"""A quiz with known answers, shared by the analytics and export tests."""
from decimal import Decimal

import pytest

from app.attempts.models import Violation
from app.common.db import commit
from app.extensions import db
from app.grading.scoring import recompute_totals
from tests.factories import (
    make_answer,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)


def finish(attempt, quiz, status="graded"):
    recompute_totals(attempt, quiz.passing_percentage)
    attempt.status = status
    commit()
    return attempt


def add_violation(attempt, kind, n=1):
    for _ in range(n):
        db.session.add(Violation(attempt_id=attempt.id, violation_type=kind, severity="low"))
    attempt.total_violations = (attempt.total_violations or 0) + n
    commit()


@pytest.fixture
def known_quiz(app):
    return build_known_quiz()


def build_known_quiz():
    """Marks per attempt (q1 mcq /2, q2 true_false /1, q3 descriptive /5; pass mark 50 %):
    A 2,1,5 = 8 · B 2,0,3 = 5 · C 0,1,1 = 2 · D 0,–,– = 0; plus one attempt in
    progress and one reset attempt, which never count."""
    cls = make_class("Year 9", section="B")
    teacher = make_teacher(classes=[cls], name="Ms Teacher")
    q1 = make_question(teacher, type="mcq", marks=2, topic="Algebra")
    q2 = make_question(teacher, type="true_false", marks=1, topic="Algebra")
    q3 = make_question(teacher, type="descriptive", marks=5, topic="Essays")
    quiz = make_quiz(teacher, questions=[q1, q2, q3], classes=[cls], passing_percentage=50,
                     title="Term 1 Algebra", subject="Mathematics")
    names = ["Alice Martin", "Bruno Díaz", "Chloé Durand", "أحمد علي"]
    students = [make_student(cls, name=name) for name in names]
    rows = [((1, Decimal(2)), (0, Decimal(1)), ("Full answer", Decimal(5))),
            ((1, Decimal(2)), (1, Decimal(0)), ("Partial answer", Decimal(3))),
            ((0, Decimal(0)), (0, Decimal(1)), ("Weak answer", Decimal(1))),
            ((3, Decimal(0)), None, None)]
    attempts = []
    for student, (a1, a2, a3) in zip(students, rows, strict=True):
        attempt = make_attempt(quiz, student, status="submitted")
        make_answer(attempt, q1, option=a1[0], marks_awarded=a1[1], is_correct=a1[1] > 0)
        if a2:
            make_answer(attempt, q2, option=a2[0], marks_awarded=a2[1], is_correct=a2[1] > 0)
        if a3:
            make_answer(attempt, q3, text=a3[0], marks_awarded=a3[1], graded_by=teacher.id)
        attempts.append(finish(attempt, quiz))
    add_violation(attempts[0], "tab_switch", 2)
    add_violation(attempts[2], "fullscreen_exit")
    running = make_attempt(quiz, make_student(cls, name="Eve Running"))
    make_answer(running, q1, option=1)
    reset_student = make_student(cls, name="Fay Reset")
    reset = make_attempt(quiz, reset_student, status="graded", is_reset=True)
    make_answer(reset, q1, option=1, marks_awarded=Decimal(2), is_correct=True)
    finish(reset, quiz)
    add_violation(reset, "copy_attempt", 5)
    return dict(cls=cls, teacher=teacher, quiz=quiz, questions=(q1, q2, q3), students=students,
                attempts=attempts, running=running, reset=reset)
