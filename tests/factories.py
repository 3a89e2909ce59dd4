"""Model factories. Each returns a committed object; names and codes come from a sequence.

Domains add their own factories here (append; do not rewrite the file).
"""
import itertools
from datetime import timedelta

from app.auth.passwords import hash_code, hash_password
from app.auth.tokens import issue_token_pair
from app.classes.models import SchoolClass, TeacherClass
from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizClass, QuizQuestion
from app.students.models import Student
from app.teachers.models import Teacher
from app.users.models import User

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def seq() -> int:
    return next(_seq)


def _hash() -> str:
    # One bcrypt per process: the factories create many users.
    global _PASSWORD_HASH
    try:
        return _PASSWORD_HASH
    except NameError:
        _PASSWORD_HASH = hash_password(PASSWORD)
        return _PASSWORD_HASH


def make_user(role="admin", *, email=None, name=None, password=True, is_active=True) -> User:
    n = seq()
    user = User(email=email or f"{role}{n}@school.test", name=name or f"{role.title()} {n}", role=role,
                is_active=is_active, password_hash=_hash() if password else None)
    db.session.add(user)
    db.session.flush()
    if role == "teacher":
        db.session.add(Teacher(id=user.id, subject="Mathematics"))
    commit()
    return user


def make_admin(**kw) -> User:
    return make_user("admin", **kw)


def make_teacher(*, classes=(), **kw) -> User:
    teacher = make_user("teacher", **kw)
    for school_class in classes:
        assign_teacher(teacher, school_class)
    return teacher


def assign_teacher(teacher: User, school_class: SchoolClass) -> None:
    db.session.add(TeacherClass(teacher_id=teacher.id, class_id=school_class.id))
    commit()


def make_class(name=None, *, section="A", academic_year="2026-2027") -> SchoolClass:
    school_class = SchoolClass(name=name or f"Class {seq()}", section=section, academic_year=academic_year)
    db.session.add(school_class)
    commit()
    return school_class


def make_student(school_class=None, *, claimed=True, claim_code="CLAIM-123", registration_number=None,
                 email=None, name=None, is_active=True) -> User:
    n = seq()
    number = registration_number or f"STU{n:05d}"
    user = User(email=email or f"student{n}@school.test", name=name or f"Student {n}", role="student",
                is_active=is_active, password_hash=_hash() if claimed else None)
    db.session.add(user)
    db.session.flush()
    db.session.add(Student(
        id=user.id, registration_number=number,
        class_id=school_class.id if school_class else None, is_account_claimed=claimed,
        claimed_at=utcnow() if claimed else None,
        claim_code_hash=None if claimed else hash_code(claim_code),
    ))
    commit()
    return user


def make_question(teacher: User, *, type="mcq", marks=2, **kw) -> Question:
    defaults = {
        "mcq": {"options": ["A", "B", "C", "D"], "correct_answer": 1},
        "true_false": {"options": ["True", "False"], "correct_answer": 0},
        "short_answer": {"accepted_answers": ["photosynthesis"]},
        "descriptive": {"sample_answer": "A model answer.", "marking_rubric": "Two points."},
        "multiple_select": {"options": ["2", "3", "4", "5"], "correct_options": [1, 3], "scoring": "partial"},
        "numeric": {"correct_value": 9.81, "tolerance": 0.05, "tolerance_type": "absolute"},
        "matching": {"pairs": [{"prompt": "France", "match": "Paris"}, {"prompt": "Spain", "match": "Madrid"},
                               {"prompt": "Italy", "match": "Rome"}], "distractors": ["Lyon"]},
        "ordering": {"items": ["one", "two", "three", "four"], "scoring": "partial"},
        "fill_in_blanks": {"text": "Water boils at {{1}} degrees and is made of {{2}}.",
                           "blanks": [{"accepted": [{"text": "100", "credit": 1.0}], "case_sensitive": False},
                                      {"options": ["H2O", "CO2"], "correct_option": 0}]},
    }[type]
    question = Question(text=kw.pop("text", defaults.pop("text", f"Question {seq()}?")), type=type, marks=marks,
                        created_by=teacher.id, topic=kw.pop("topic", "General"),
                        difficulty=kw.pop("difficulty", "easy"), **{**defaults, **kw})
    db.session.add(question)
    commit()
    return question


def make_quiz(teacher: User, *, questions=(), classes=(), status="published", start=None, end=None,
              time_limit_minutes=30, access_code=None, **kw) -> Quiz:
    now = utcnow()
    quiz = Quiz(
        title=kw.pop("title", f"Quiz {seq()}"), subject=kw.pop("subject", "Mathematics"),
        access_code=access_code or f"QZ{seq():06d}", time_limit_minutes=time_limit_minutes,
        status=status, created_by=teacher.id,
        start_date=start if start is not None else now - timedelta(hours=1),
        end_date=end if end is not None else now + timedelta(days=1),
        published_at=now if status == "published" else None, **kw,
    )
    db.session.add(quiz)
    db.session.flush()
    for index, question in enumerate(questions):
        db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=question.id, order_index=index))
    for school_class in classes:
        db.session.add(QuizClass(quiz_id=quiz.id, class_id=school_class.id))
    commit()
    return quiz


def tokens_for(user: User) -> dict:
    pair = issue_token_pair(user)
    commit()
    return pair


def auth(user: User) -> dict:
    """Authorization header for `user`."""
    return {"Authorization": f"Bearer {tokens_for(user)['access_token']}"}


def make_attempt(quiz: Quiz, student: User, *, status="in_progress", attempt_number=1, started_at=None,
                 **kw):
    """An attempt in the quiz's question order (no randomisation)."""
    from app.attempts.models import QuizAttempt

    started = started_at or utcnow()
    deadline = started + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.end_date and quiz.end_date < deadline:
        deadline = quiz.end_date
    links = sorted(quiz.question_links, key=lambda link: link.order_index)
    attempt = QuizAttempt(
        quiz_id=quiz.id, student_id=student.id, attempt_number=attempt_number, status=status,
        started_at=started, deadline_at=deadline, question_order=[link.question_id for link in links],
        in_progress_key=QuizAttempt.in_progress_key_for(quiz.id, student.id) if status == "in_progress" else None,
        submitted_at=None if status == "in_progress" else started + timedelta(minutes=5), **kw,
    )
    db.session.add(attempt)
    commit()
    return attempt


def make_answer(attempt, question: Question, *, option=None, text=None, marks_awarded=None, is_correct=None,
                **kw):
    from app.attempts.models import StudentAnswer

    answer = StudentAnswer(attempt_id=attempt.id, question_id=question.id, answer_option=option,
                           answer_text=text, marks_awarded=marks_awarded, is_correct=is_correct, **kw)
    db.session.add(answer)
    commit()
    return answer


def make_override(quiz: Quiz, *, student=None, school_class=None, **settings):
    """A student override (`student=`) or a class override (`school_class=`) of `quiz`."""
    from app.quizzes.models import QuizOverride

    override = QuizOverride(quiz_id=quiz.id, student_id=student.id if student else None,
                            class_id=school_class.id if school_class else None, **settings)
    db.session.add(override)
    commit()
    return override


def make_accommodation(student: User, *, percent=0, minutes=0, note=None):
    from app.students.models import StudentAccommodation

    accommodation = StudentAccommodation(student_id=student.id, extra_time_percent=percent,
                                         extra_time_minutes=minutes, note=note)
    db.session.add(accommodation)
    commit()
    return accommodation
