"""A Hypothesis state machine drives one student's attempts at one quiz.

Rules: start, save (also to old attempts, also twice in a row), report a violation
(with retried client_event_ids), submit (also twice), a teacher's reset with a grant
of extra attempts, the periodic sweep (`close_expired`, the service behind
`flask attempts close-expired`), and the clock moving on. After every step the stored
attempts, answers and violation counts must equal a plain model of the contract:
acknowledged answers stay, refused ones never appear, one attempt at most is in
progress, a deadline plus grace closes an attempt as `time_expired`, the same
violation again within 2 s (server time) counts once, the third violation closes it
as `violations`, a reset archives what was used and grants more.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer, Violation
from app.attempts.services import close_expired
from app.common import clock
from app.common.db import commit
from app.extensions import db
from tests.factories import auth, make_class, make_question, make_quiz, make_student, make_teacher
from tests.helpers import empty_database

START = datetime(2026, 5, 4, 8, 0)
TIME_LIMIT = timedelta(minutes=10)
MAX_VIOLATIONS = 3
REPEAT = timedelta(seconds=2)  # the same violation again within this counts once


@dataclass
class ModelAttempt:
    id: str
    number: int
    deadline: datetime
    open: bool = True
    reason: str | None = None
    answers: dict = field(default_factory=dict)
    events: set = field(default_factory=set)
    violations: int = 0
    last_violation_at: datetime | None = None
    reset: bool = False


def attempt_machine(app, client):
    grace = timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"])

    class Attempts(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            empty_database()
            clock.set_frozen(START)
            school_class = make_class()
            self.teacher = make_teacher(classes=[school_class])
            self.student = make_student(school_class)
            questions = [make_question(self.teacher, type="mcq") for _ in range(3)]
            self.questions = [question.id for question in questions]
            self.quiz = make_quiz(self.teacher, questions=questions, classes=[school_class], time_limit_minutes=10,
                                  max_attempts=1,
                                  max_violations=MAX_VIOLATIONS, end=START + timedelta(days=1))
            self.headers, self.teacher_headers = auth(self.student), auth(self.teacher)
            self.attempts: list[ModelAttempt] = []
            self.granted = 0

        # --- model helpers -----------------------------------------------------
        def now(self):
            return clock.utcnow()

        def current(self) -> ModelAttempt | None:
            return next((a for a in self.attempts if a.open), None)

        def close(self, attempt: ModelAttempt, reason: str | None) -> None:
            attempt.open, attempt.reason = False, reason

        def expire_if_late(self, attempt: ModelAttempt) -> bool:
            if attempt.open and self.now() > attempt.deadline + grace:
                self.close(attempt, "time_expired")
                return True
            return False

        def pick(self, data, include_closed=True) -> ModelAttempt | None:
            pool = self.attempts if include_closed else [a for a in self.attempts if a.open]
            return data.draw(st.sampled_from(pool)) if pool else None

        # --- rules -------------------------------------------------------------
        @rule()
        def start(self):
            response = client.post(f"/api/quizzes/{self.quiz.id}/start", headers=self.headers)
            current = self.current()
            if current is not None and not self.expire_if_late(current):
                assert response.status_code == 200, response.get_json()
                assert response.get_json()["attempt_id"] == current.id
                return
            used = sum(1 for a in self.attempts if not a.reset)
            if used >= 1 + self.granted:
                assert response.status_code == 409, response.get_json()
                assert response.get_json()["error_code"] == "NO_ATTEMPTS_LEFT"
                return
            assert response.status_code == 201, response.get_json()
            body = response.get_json()
            self.attempts.append(ModelAttempt(id=body["attempt_id"], number=len(self.attempts) + 1,
                                              deadline=self.now() + TIME_LIMIT))
            assert body["attempt_number"] == len(self.attempts)

        @precondition(lambda self: self.attempts)
        @rule(data=st.data(), question=st.integers(0, 2), option=st.integers(0, 3), twice=st.booleans())
        def save(self, data, question, option, twice):
            attempt = self.pick(data)
            payload = {"question_id": self.questions[question], "answer_option": option}
            for _ in range(2 if twice else 1):
                response = client.post(f"/api/attempts/{attempt.id}/answer", json=payload, headers=self.headers)
                if attempt.open and not self.expire_if_late(attempt):
                    assert response.status_code == 200, response.get_json()
                    attempt.answers[payload["question_id"]] = option
                else:
                    assert response.status_code == 409, response.get_json()

        @precondition(lambda self: self.attempts)
        @rule(data=st.data(), event=st.sampled_from(["e1", "e2", "e3", "e4", None]), twice=st.booleans())
        def violation(self, data, event, twice):
            attempt = self.pick(data)
            payload = {"violation_type": "tab_switch", **({"client_event_id": event} if event else {})}
            for _ in range(2 if twice else 1):
                response = client.post(f"/api/attempts/{attempt.id}/violations", json=payload, headers=self.headers)
                if event is not None and event in attempt.events:
                    assert response.status_code == 200 and response.get_json()["duplicate"], response.get_json()
                    continue
                if not attempt.open or self.expire_if_late(attempt):
                    assert response.status_code == 409, response.get_json()
                    continue
                assert response.status_code == 200, response.get_json()
                if attempt.last_violation_at is not None and self.now() - attempt.last_violation_at <= REPEAT:
                    assert response.get_json()["duplicate"], response.get_json()
                    continue
                attempt.violations += 1
                attempt.last_violation_at = self.now()
                if event is not None:
                    attempt.events.add(event)
                if attempt.violations >= MAX_VIOLATIONS:
                    self.close(attempt, "violations")
                assert response.get_json()["total_violations"] == attempt.violations

        @precondition(lambda self: self.attempts)
        @rule(data=st.data(), twice=st.booleans())
        def submit(self, data, twice):
            attempt = self.pick(data)
            for _ in range(2 if twice else 1):
                response = client.post(f"/api/attempts/{attempt.id}/submit", headers=self.headers)
                if attempt.open:
                    assert response.status_code == 200, response.get_json()
                    late = self.now() > attempt.deadline + grace
                    self.close(attempt, "time_expired" if late else None)
                else:
                    assert response.status_code == 409, response.get_json()

        @rule(grant=st.integers(0, 2))
        def reset(self, grant):
            response = client.post("/api/attempts/reset", headers=self.teacher_headers, json={
                "student_id": self.student.id, "quiz_id": self.quiz.id, "additional_attempts": grant,
                "reason": "Model reset"})
            if not self.attempts:
                assert response.status_code == 409, response.get_json()
                return
            assert response.status_code == 200, response.get_json()
            current = self.current()
            if current is not None:
                self.close(current, None)
            for attempt in self.attempts:
                attempt.reset = True
            self.granted = grant

        @rule()
        def sweep(self):
            close_expired(self.now())
            commit()
            for attempt in self.attempts:
                self.expire_if_late(attempt)

        @rule(minutes=st.sampled_from([1, 4, 9, 11]))
        def tick(self, minutes):
            clock.set_frozen(self.now() + timedelta(minutes=minutes))

        # --- the stored state equals the model ---------------------------------
        @invariant()
        def stored_state_matches_the_model(self):
            db.session.expire_all()
            stored = {a.id: a for a in db.session.scalars(
                select(QuizAttempt).where(QuizAttempt.student_id == self.student.id))}
            assert set(stored) == {a.id for a in self.attempts}
            assert sum(1 for a in stored.values() if a.status == "in_progress") <= 1
            for model in self.attempts:
                row = stored[model.id]
                assert (row.status == "in_progress") == model.open, (row.status, model)
                assert row.is_reset == model.reset
                assert row.total_violations == model.violations
                if not model.open:
                    assert row.auto_submit_reason == model.reason, (row.auto_submit_reason, model)
                answers = {a.question_id: a.answer_option for a in db.session.scalars(
                    select(StudentAnswer).where(StudentAnswer.attempt_id == model.id))}
                assert answers == model.answers
                count = db.session.scalar(select(db.func.count()).select_from(Violation)
                                          .where(Violation.attempt_id == model.id))
                assert count == model.violations

        def teardown(self):
            clock.set_frozen(None)

    return Attempts


def test_attempt_lifecycle_matches_the_model_in_any_order(app, client):
    machine = attempt_machine(app, client)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=int(__import__("os").environ.get("STATE_MACHINE_EXAMPLES", "20")), stateful_step_count=20,
        deadline=None, database=None, suppress_health_check=list(HealthCheck)))
