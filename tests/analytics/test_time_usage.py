"""Analytics and the results export measure each attempt against its student's own time limit."""
import csv
import io
from datetime import datetime, timedelta

import pytest

from app.common.db import commit
from tests.factories import (
    auth,
    make_accommodation,
    make_attempt,
    make_class,
    make_override,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)

START = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture
def timed(app):
    """A 30-minute quiz and three students who each took 40 minutes."""
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[cls], time_limit_minutes=30,
                     start=START - timedelta(days=1), end=START + timedelta(days=1))
    accommodated, plain, overridden = (make_student(cls, name=name) for name in ("Acc", "Plain", "Over"))
    make_accommodation(accommodated, percent=50)                       # 45 minutes
    make_override(quiz, student=overridden, time_limit_minutes=60)     # 60 minutes
    for student in (accommodated, plain, overridden):
        attempt = make_attempt(quiz, student, status="graded", started_at=START, score=1, total_marks=2,
                               percentage=50)
        attempt.submitted_at = START + timedelta(minutes=40)
    commit()
    return quiz, teacher


def test_quiz_analytics_counts_only_attempts_past_their_own_limit_as_over_time(client, timed):
    quiz, teacher = timed
    usage = client.get(f"/api/analytics/quiz/{quiz.id}", headers=auth(teacher)).get_json()["time_usage"]
    assert usage["timed_attempts"] == 3
    assert usage["attempts_over_time_limit"] == 1            # Plain: 40 of 30 minutes
    assert usage["attempts_with_extra_time"] == 2
    assert usage["average_minutes"] == 40.0
    # (40/45 + 40/30 + 40/60) / 3 × 100
    assert usage["average_time_used_percent"] == pytest.approx(96.3, abs=0.01)


def test_results_export_lists_each_students_effective_time_limit(client, timed):
    quiz, teacher = timed
    text = client.get(f"/api/exports/quiz/{quiz.id}/results", headers=auth(teacher)).data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    limits = {row["Student Name"]: row["Effective Time Limit (min)"] for row in rows}
    assert limits == {"Acc": "45", "Plain": "30", "Over": "60"}
    assert {row["Time Used (min)"] for row in rows} == {"40.0"}


def test_class_override_limits_reach_the_export(client, timed):
    quiz, teacher = timed
    make_override(quiz, school_class=quiz.class_links[0].school_class, time_limit_minutes=35)
    text = client.get(f"/api/exports/quiz/{quiz.id}/results", headers=auth(teacher)).data.decode("utf-8")
    limits = {row["Student Name"]: row["Effective Time Limit (min)"]
              for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert limits == {"Acc": "53", "Plain": "35", "Over": "60"}   # ceil(35 × 1.5) = 53
