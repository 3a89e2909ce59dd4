"""A small school for attempt tests: a teacher, a class, a student and a quiz of four types."""
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from tests.factories import make_class, make_question, make_quiz, make_student, make_teacher


@pytest.fixture
def school(app):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    student = make_student(cls)
    questions = SimpleNamespace(
        mcq=make_question(teacher, type="mcq", marks=2, options=["red", "green", "blue", "grey"],
                          correct_answer=1),
        tf=make_question(teacher, type="true_false", marks=1),
        short=make_question(teacher, type="short_answer", marks=3, accepted_answers=["Photosynthesis"]),
        essay=make_question(teacher, type="descriptive", marks=4, sample_answer="SAMPLE-ESSAY-ANSWER",
                            marking_rubric="RUBRIC-SECRET"),
    )
    return SimpleNamespace(cls=cls, teacher=teacher, student=student, q=questions)


def quiz_for(school, *, questions=None, **kw):
    q = school.q
    return make_quiz(school.teacher, questions=questions if questions is not None else [q.mcq, q.tf, q.short],
                     classes=[school.cls], **kw)


def start(client, quiz, user):
    from tests.factories import auth

    return client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(user))


@contextmanager
def captured(signal):
    """The payloads `signal` sends inside the block (only this receiver is removed after)."""
    received = []

    def receiver(_sender, **payload):
        received.append(payload)

    signal.connect(receiver)
    try:
        yield received
    finally:
        signal.disconnect(receiver)
