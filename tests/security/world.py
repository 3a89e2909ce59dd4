"""A small school with two of everything, built in one transaction.

Side "a" and side "b" mirror each other: class, teacher, student, questions (one of
each type, their answer keys planted with canaries), a published open quiz with a
submitted attempt awaiting grading, a second quiz with an attempt in progress, a
draft quiz, a student override of the first quiz, the student's accommodation (its
staff-only note planted as a canary), and a notification for every user. The authorization matrix, the
canary crawl and the mass-assignment probe all run against it.
"""
from datetime import timedelta

from app.attempts.models import QuizAttempt, StudentAnswer, Violation
from app.auth.passwords import hash_code
from app.auth.tokens import issue_token_pair
from app.classes.models import SchoolClass, TeacherClass
from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db
from app.notifications.models import Notification
from app.questions.media import store_question_media
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizClass, QuizOverride, QuizQuestion
from app.students.models import Student, StudentAccommodation
from app.teachers.models import Teacher
from app.users.models import User
from tests.factories import _hash
from tests.helpers import empty_database

ROLES = ("anonymous", "student_a", "student_b", "teacher_a", "teacher_b", "admin")
SIDE = {"anonymous": "a", "student_a": "a", "student_b": "b", "teacher_a": "a", "teacher_b": "b", "admin": "a"}
PEER = {"anonymous": "student_b", "student_a": "student_b", "student_b": "student_a",
        "teacher_a": "teacher_b", "teacher_b": "teacher_a", "admin": "student_b"}
OTHER_SIDE = {"a": "b", "b": "a"}
CANARY_PREFIX = "CANARY-"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24  # typed by its signature


def canary(label: str) -> str:
    return f"{CANARY_PREFIX}{label}"


class World:
    """Objects by kind and side (`world.get("quiz", "a")`), users and tokens by role."""

    def __init__(self):
        self.objects: dict[str, dict[str, object]] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, dict] = {}
        self.canaries: set[str] = set()
        self.ids: dict[str, set[str]] = {"a": set(), "b": set()}
        self._seq = 0

    def next_seq(self) -> int:
        """Unique numbers for names created by requests (the same sequence in every world)."""
        self._seq += 1
        return self._seq

    def put(self, kind: str, side: str, obj) -> None:
        self.objects.setdefault(kind, {})[side] = obj

    def get(self, kind: str, side: str):
        return self.objects[kind][side]

    def headers(self, role: str) -> dict:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]['access_token']}"}


def _user(role: str, name: str, **kw) -> User:
    user = User(email=f"{name}@school.test", name=name.replace("_", " ").title(),
                role=role, is_active=True, password_hash=_hash(), **kw)
    db.session.add(user)
    return user


def _questions(world: World, teacher: User, side: str) -> list[Question]:
    made = [
        Question(text=f"Side {side}: pick one", type="mcq", marks=2, options=["w", "x", "y", "z"],
                 correct_answer=2, sample_answer=canary(f"mcq-sample-{side}"),
                 marking_rubric=canary(f"mcq-rubric-{side}")),
        Question(text=f"Side {side}: true?", type="true_false", marks=1, options=["True", "False"],
                 correct_answer=1, sample_answer=canary(f"tf-sample-{side}")),
        Question(text=f"Side {side}: name it", type="short_answer", marks=2,
                 accepted_answers=[canary(f"accepted-1-{side}"), canary(f"accepted-2-{side}")],
                 sample_answer=canary(f"short-sample-{side}")),
        Question(text=f"Side {side}: explain", type="descriptive", marks=5,
                 sample_answer=canary(f"desc-sample-{side}"), marking_rubric=canary(f"desc-rubric-{side}")),
        *_later_types(side),
    ]
    for question in made:
        question.created_by, question.topic, question.difficulty = teacher.id, "General", "easy"
        db.session.add(question)
        accepted = [a["text"] if isinstance(a, dict) else a for a in question.accepted_answers or []]
        accepted += [a["text"] for blank in question.blanks or [] for a in blank.get("accepted", [])]
        for value in (question.sample_answer, question.marking_rubric, *accepted):
            if value:
                world.canaries.add(value)
    world.put("question", side, made[0])
    world.put("question_short", side, made[2])
    world.put("question_descriptive", side, made[3])
    return made


def _later_types(side: str) -> list[Question]:
    """One question of each later type; the keys that are texts are canaries, the others
    (indexes, numbers, orders) are caught by their field names."""
    return [
        Question(text=f"Side {side}: pick all", type="multiple_select", marks=2, options=["p", "q", "r"],
                 correct_options=[0, 2], scoring="partial"),
        Question(text=f"Side {side}: how much", type="numeric", marks=2, correct_value=42.5, tolerance=0.5,
                 tolerance_type="absolute", accepted_values=[{"value": 40.0, "tolerance": 0.0, "credit": 0.5}]),
        Question(text=f"Side {side}: match", type="matching", marks=2,
                 pairs=[{"prompt": "one", "match": "uno"}, {"prompt": "two", "match": "dos"}], distractors=["tres"]),
        Question(text=f"Side {side}: order", type="ordering", marks=2, items=["first", "second", "third"],
                 scoring="partial"),
        Question(text=f"Side {side}: {{{{1}}}} and {{{{2}}}}", type="fill_in_blanks", marks=2, blanks=[
            {"accepted": [{"text": canary(f"gap-{side}"), "credit": 1.0}], "case_sensitive": False},
            {"options": ["m", "n"], "correct_option": 1}]),
        Question(text=f"Side {side}: name it partly", type="short_answer", marks=2,
                 accepted_answers=[{"text": canary(f"credit-answer-{side}"), "credit": 0.5}]),
    ]


RESPONSES = {"multiple_select": [0], "numeric": 41.0, "matching": [1, 0], "ordering": [2, 1, 0],
             "fill_in_blanks": ["a guess", 0]}


def _quiz(teacher, school_class, questions, *, title, status="published", **kw) -> Quiz:
    now = utcnow()
    quiz = Quiz(title=title, subject="Mathematics", access_code=title.upper().replace(" ", "")[:20],
                time_limit_minutes=30, status=status, created_by=teacher.id,
                start_date=now - timedelta(hours=1), end_date=now + timedelta(days=1),
                published_at=now if status == "published" else None, max_attempts=3, **kw)
    db.session.add(quiz)
    db.session.flush()
    for index, question in enumerate(questions):
        db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=question.id, order_index=index))
    db.session.add(QuizClass(quiz_id=quiz.id, class_id=school_class.id))
    return quiz


def _attempt(quiz, student, questions, *, status, number=1) -> QuizAttempt:
    now = utcnow()
    attempt = QuizAttempt(
        quiz_id=quiz.id, student_id=student.id, attempt_number=number, status=status,
        started_at=now - timedelta(minutes=10), deadline_at=now + timedelta(minutes=20),
        question_order=[q.id for q in questions],
        in_progress_key=QuizAttempt.in_progress_key_for(quiz.id, student.id) if status == "in_progress" else None,
        submitted_at=None if status == "in_progress" else now - timedelta(minutes=1),
        total_marks=sum(q.marks for q in questions),
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _side(world: World, side: str, admin: User) -> None:
    school_class = SchoolClass(name=f"Class {side.upper()}", section=side.upper(),
                               academic_year="2026-2027")
    db.session.add(school_class)
    teacher = _user("teacher", f"teacher_{side}")
    db.session.flush()
    teacher.teacher = Teacher(subject="Mathematics")
    student = _user("student", f"student_{side}")
    db.session.flush()
    student.student = Student(registration_number=f"REG{side.upper()}001",
                              class_id=school_class.id, is_account_claimed=True, claimed_at=utcnow())
    unclaimed = _user("student", f"unclaimed_{side}")
    unclaimed.password_hash = None
    db.session.flush()
    unclaimed.student = Student(registration_number=f"NEW{side.upper()}001",
                                class_id=school_class.id, is_account_claimed=False,
                                claim_code_hash=hash_code("CLAIM-123"))
    db.session.flush()
    db.session.add(TeacherClass(teacher_id=teacher.id, class_id=school_class.id))
    questions = _questions(world, teacher, side)
    db.session.flush()
    world.put("media", side, store_question_media(questions[0], filename="figure.png", data=PNG,
                                                  actor=teacher, now=utcnow()))
    quiz = _quiz(teacher, school_class, questions, title=f"Quiz {side}")
    open_quiz = _quiz(teacher, school_class, questions, title=f"Open quiz {side}")
    draft = _quiz(teacher, school_class, questions[:2], title=f"Draft quiz {side}", status="draft")
    submitted = _attempt(quiz, student, questions, status="submitted")
    for question in questions:
        response = RESPONSES.get(question.type)
        answer = StudentAnswer(attempt_id=submitted.id, question_id=question.id, response=response,
                               answer_option=0 if question.options and response is None else None,
                               answer_text=None if question.options or response is not None else "An answer")
        db.session.add(answer)
        if question.type == "descriptive":
            world.put("answer", side, answer)  # the submitted attempt's descriptive answer
    in_progress = _attempt(open_quiz, student, questions, status="in_progress")
    db.session.add(StudentAnswer(attempt_id=in_progress.id, question_id=questions[0].id, answer_option=1))
    db.session.add(Violation(attempt_id=in_progress.id, violation_type="tab_switch", client_event_id="v1"))
    in_progress.total_violations = 1
    override = QuizOverride(quiz_id=quiz.id, student_id=student.id, time_limit_minutes=45)
    db.session.add(override)
    note = canary(f"accommodation-note-{side}")  # staff only: no student answer may carry it
    db.session.add(StudentAccommodation(student_id=student.id, extra_time_percent=25, note=note))
    world.canaries.add(note)
    db.session.flush()
    for kind, obj in (("class", school_class), ("teacher", teacher), ("student", student), ("quiz", quiz),
                      ("quiz_open", open_quiz), ("quiz_draft", draft), ("attempt", submitted),
                      ("attempt_open", in_progress), ("unclaimed", unclaimed), ("override", override)):
        world.put(kind, side, obj)
    world.users[f"teacher_{side}"] = teacher
    world.users[f"student_{side}"] = student
    world.ids[side] |= {obj.id for obj in (school_class, teacher, student, unclaimed, quiz, open_quiz, draft,
                                           submitted, in_progress, override, *questions)}


def build_world() -> World:
    """Empty the database, then build both sides and a token per role (one commit)."""
    empty_database()
    world = World()
    admin = _user("admin", "admin")
    db.session.flush()
    world.users["admin"] = admin
    for side in ("a", "b"):
        _side(world, side, admin)
    db.session.flush()
    for role, user in world.users.items():
        db.session.add(Notification(user_id=user.id, type="announcement", title=f"For {role}", message="Hello"))
    db.session.flush()
    for role, user in world.users.items():
        world.tokens[role] = issue_token_pair(user)
    commit()
    for role, user in world.users.items():
        notification = db.session.scalar(db.select(Notification).where(Notification.user_id == user.id))
        world.put(f"notification@{role}", "own", notification)
        if role != "admin":
            world.ids[role[-1]].add(notification.id)
    return world
