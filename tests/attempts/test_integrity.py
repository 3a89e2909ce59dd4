"""Integrity review instead of automatic punishment: flag_only, the timeline, the verdict."""
import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.common import clock
from app.common.audit import AuditLog
from app.extensions import db
from app.notifications.models import Notification
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_admin, make_class, make_teacher
from tests.helpers import assert_error, walk_keys

NOW = datetime(2026, 3, 2, 9, 0, 0)
REVIEW_KEYS = {"review", "review_status", "review_note", "flagged_for_review", "flagged_at", "integrity_review"}


@pytest.fixture
def frozen():
    with clock.freeze(NOW) as frozen_clock:
        yield frozen_clock


def begin(client, school, **quiz_settings):
    quiz = quiz_for(school, **quiz_settings)
    return quiz, start(client, quiz, school.student_a).get_json()["attempt_id"]


def report(client, school, attempt_id, kind="tab_switch", **extra):
    response = client.post(f"/api/attempts/{attempt_id}/violations", headers=auth(school.student_a),
                           json={"violation_type": kind, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def integrity(client, user, attempt_id):
    return client.get(f"/api/attempts/{attempt_id}/integrity", headers=auth(user))


def test_flag_only_never_closes_the_attempt_and_tells_the_teacher(client, school, frozen):
    _quiz, attempt_id = begin(client, school, max_violations=2, violation_action="flag_only")
    for second in range(5):
        frozen.advance(seconds=3)
        body = report(client, school, attempt_id, "tab_switch" if second % 2 else "focus_lost")
        assert (body["status"], body["auto_submitted"]) == ("in_progress", False)
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.total_violations == 5 and attempt.flagged_at == NOW.replace(second=6)
    flags = db.session.scalars(select(Notification).where(Notification.user_id == school.teacher_a.id,
                                                          Notification.type == "attempt_flagged")).all()
    assert len(flags) == 1  # flagged once, at the threshold
    saved = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                        json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert saved.status_code == 200
    assert client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).status_code == 200


def test_auto_submit_stays_the_default(client, school, frozen):
    _quiz, attempt_id = begin(client, school, max_violations=1)
    assert report(client, school, attempt_id)["auto_submitted"] is True


def test_the_same_event_again_within_two_seconds_counts_once(client, school, frozen):
    _quiz, attempt_id = begin(client, school, max_violations=10)
    first = report(client, school, attempt_id, question_index=1)
    frozen.advance(seconds=1)
    again = report(client, school, attempt_id, question_index=1)
    assert (again["duplicate"], again["violation_id"], again["total_violations"]) == (True, first["violation_id"], 1)
    other_question = report(client, school, attempt_id, question_index=2)
    other_type = report(client, school, attempt_id, "copy_attempt", question_index=1)
    frozen.advance(seconds=2, microseconds=1)
    later = report(client, school, attempt_id, question_index=1)
    assert [b["duplicate"] for b in (other_question, other_type, later)] == [False, False, False]
    assert later["total_violations"] == 4


def test_integrity_shows_the_timeline_counts_and_review_to_the_quizs_teacher(client, school, frozen):
    quiz, attempt_id = begin(client, school, max_violations=5)
    report(client, school, attempt_id, "tab_switch", metadata={"hidden_ms": 4200}, client_event_id="e-1")
    frozen.advance(seconds=5)
    report(client, school, attempt_id, "tab_switch")
    frozen.advance(seconds=1)
    report(client, school, attempt_id, "paste_attempt", severity="high")
    response = integrity(client, school.teacher_a, attempt_id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["counts_by_type"] == {"tab_switch": 2, "paste_attempt": 1}
    assert [e["violation_type"] for e in body["timeline"]] == ["tab_switch", "tab_switch", "paste_attempt"]
    first = body["timeline"][0]
    assert (first["detected_at"], first["client_event_id"], first["client_details"]) == (
        "2026-03-02T09:00:00Z", "e-1", {"hidden_ms": 4200})
    assert body["review"] == {"review_status": "not_reviewed", "note": None, "reviewed_by": None,
                              "reviewed_at": None}
    assert (body["violation_action"], body["max_violations"], body["total_violations"]) == ("auto_submit", 5, 3)


def test_a_teacher_or_admin_records_the_review_and_it_is_audited(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    url = f"/api/attempts/{attempt_id}/integrity"
    body = client.put(url, headers=auth(school.teacher_a),
                      json={"review_status": "suspicious", "note": "Looked at a phone"}).get_json()
    assert body["review"]["review_status"] == "suspicious" and body["review"]["reviewed_by"] == school.teacher_a.id
    admin = make_admin()
    body = client.put(url, headers=auth(admin), json={"review_status": "clean"}).get_json()
    assert (body["review_status"], body["review"]["note"], body["review"]["reviewed_by"]) == ("clean", None, admin.id)
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "attempt_reviewed")).all()
    assert sorted((e.user_id, e.new_value["review_status"]) for e in entries) == sorted(
        [(school.teacher_a.id, "suspicious"), (admin.id, "clean")])
    assert_error(client.put(url, headers=auth(school.teacher_a), json={"review_status": "guilty"}), 422)


def test_integrity_is_not_found_for_the_student_and_another_teacher(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    outsider = make_teacher(classes=[make_class()])
    for user in (school.student_a, outsider):
        assert_error(integrity(client, user, attempt_id), 404)
        assert_error(client.put(f"/api/attempts/{attempt_id}/integrity", headers=auth(user),
                                json={"review_status": "clean"}), 404)
    assert db.session.get(QuizAttempt, attempt_id).review_status == "not_reviewed"


def test_review_shows_in_categorized_analytics_and_the_results_export(client, school, frozen):
    quiz, attempt_id = begin(client, school, max_violations=1, violation_action="flag_only")
    report(client, school, attempt_id)
    teacher = auth(school.teacher_a)
    client.put(f"/api/attempts/{attempt_id}/integrity", headers=teacher, json={"review_status": "violation_confirmed"})
    [item] = client.get(f"/api/attempts/quiz/{quiz.id}/categorized", headers=teacher).get_json()["in_progress"]
    assert (item["review_status"], item["flagged_for_review"]) == ("violation_confirmed", True)
    review = client.get(f"/api/analytics/quiz/{quiz.id}", headers=teacher).get_json()["integrity_review"]
    assert review == {"by_status": {"not_reviewed": 0, "clean": 0, "suspicious": 0, "violation_confirmed": 1},
                      "flagged_for_review": 1}
    exported = client.get(f"/api/exports/quiz/{quiz.id}/results", headers=teacher).data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[0]["Review Status"] == "violation_confirmed"


def test_the_student_sees_no_review_in_their_attempt(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    client.put(f"/api/attempts/{attempt_id}/integrity", headers=auth(school.teacher_a),
               json={"review_status": "suspicious", "note": "NOTE-FOR-STAFF"})
    student = auth(school.student_a)
    for url in (f"/api/attempts/{attempt_id}", "/api/attempts"):
        response = client.get(url, headers=student)
        assert "NOTE-FOR-STAFF" not in response.get_data(as_text=True)
        assert not set(walk_keys(response.get_json())) & REVIEW_KEYS


def test_violation_action_is_a_teachers_setting_the_student_does_not_see(client, school, frozen):
    quiz = quiz_for(school)
    teacher, student = auth(school.teacher_a), auth(school.student_a)
    url = f"/api/quizzes/{quiz.id}"
    assert client.get(url, headers=teacher).get_json()["violation_action"] == "auto_submit"
    changed = client.put(url, headers=teacher, json={"violation_action": "flag_only"})
    assert changed.status_code == 200 and changed.get_json()["violation_action"] == "flag_only"
    assert_error(client.put(url, headers=teacher, json={"violation_action": "expel"}), 422)
    assert "violation_action" not in client.get(url, headers=student).get_json()
