"""/api/notifications: a user reads, marks and deletes only their own notifications."""
from datetime import timedelta

from sqlalchemy import select

from app.common.clock import utcnow
from app.extensions import db
from app.notifications.models import Notification
from tests.factories import auth, make_class, make_student, make_teacher
from tests.helpers import assert_error
from tests.notifications.helpers import give


def test_list_returns_only_my_notifications_newest_first_with_unread_count(client):
    me, other = make_student(), make_student()
    first = give(me)
    second = give(me, "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "ill"})
    give(other)
    db.session.execute(Notification.__table__.update().where(Notification.id == first)
                       .values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    body = client.get("/api/notifications", headers=auth(me)).get_json()
    assert [n["id"] for n in body["items"]] == [second, first]
    assert body["total"] == 2 and body["unread_count"] == 2 and body["page"] == 1
    item = body["items"][0]
    assert item["title"] == "Quiz Attempt Reset"
    assert item["priority"] == "high" and item["category"] == "attempt_reset" and item["is_read"] is False
    assert item["created_at"].endswith("Z")
    assert item["metadata"]["reason"] == "ill"


def test_list_filters_unread_and_category_and_paginates(client):
    me = make_student()
    read = give(me)
    give(me, "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "r"})
    give(me)
    client.post(f"/api/notifications/{read}/read", headers=auth(me))
    unread = client.get("/api/notifications?unread_only=true", headers=auth(me)).get_json()
    assert unread["total"] == 2 and all(not n["is_read"] for n in unread["items"])
    by_category = client.get("/api/notifications?category=attempt_reset", headers=auth(me)).get_json()
    assert [n["category"] for n in by_category["items"]] == ["attempt_reset"]
    page = client.get("/api/notifications?limit=2&page=2", headers=auth(me)).get_json()
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 1
    assert_error(client.get("/api/notifications?category=nope", headers=auth(me)), 422)


def test_expired_notifications_are_neither_listed_nor_counted(client):
    me = make_student()
    give(me, expires_at=utcnow() - timedelta(seconds=1))
    give(me, expires_at=utcnow() + timedelta(days=1))
    assert client.get("/api/notifications", headers=auth(me)).get_json()["total"] == 1
    assert client.get("/api/notifications/unread-count", headers=auth(me)).get_json() == {"unread_count": 1}


def test_mark_read_returns_the_notification_and_lowers_the_count(client):
    me = make_student()
    notification_id = give(me)
    give(me)
    response = client.post(f"/api/notifications/{notification_id}/read", headers=auth(me))
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["notification"]["is_read"] is True and body["notification"]["read_at"].endswith("Z")
    assert client.get("/api/notifications/unread-count", headers=auth(me)).get_json() == {"unread_count": 1}


def test_someone_elses_notification_is_not_found_for_read_and_delete(client):
    me, other = make_student(), make_teacher()
    theirs = give(other)
    assert_error(client.post(f"/api/notifications/{theirs}/read", headers=auth(me)), 404, "NOT_FOUND")
    assert_error(client.delete(f"/api/notifications/{theirs}", headers=auth(me)), 404, "NOT_FOUND")
    assert db.session.get(Notification, theirs).is_read is False


def test_read_all_marks_only_mine_and_answers_the_count(client):
    me, other = make_student(), make_student()
    give(me), give(me)
    give(other)
    assert client.post("/api/notifications/read-all", headers=auth(me)).get_json() == {"success": True, "count": 2}
    assert client.get("/api/notifications/unread-count", headers=auth(other)).get_json() == {"unread_count": 1}


def test_delete_removes_my_notification(client):
    me = make_student()
    notification_id = give(me)
    assert client.delete(f"/api/notifications/{notification_id}", headers=auth(me)).get_json() == {"success": True}
    assert db.session.scalar(select(Notification).where(Notification.id == notification_id)) is None


def test_notifications_need_a_token(client):
    assert_error(client.get("/api/notifications"), 401)
    assert_error(client.get("/api/notifications/unread-count"), 401)


def test_list_takes_three_queries_whatever_the_page_size(client, count_queries):
    me = make_student()
    for _ in range(12):
        give(me)
    headers = auth(me)
    with count_queries() as counted:
        assert len(client.get("/api/notifications?limit=12", headers=headers).get_json()["items"]) == 12
    # user+blocklist, count, page, unread count
    assert counted.count == 4


# --- a teacher's broadcast to a class --------------------------------------------------------

def test_teacher_broadcast_notifies_every_active_student_of_the_class_in_one_insert(client, count_queries):
    school_class, other_class = make_class(), make_class()
    teacher = make_teacher(classes=[school_class])
    students = [make_student(school_class) for _ in range(30)]
    make_student(school_class, is_active=False)
    outsider = make_student(other_class)
    headers = auth(teacher)
    with count_queries() as counted:
        response = client.post(f"/api/classes/{school_class.id}/notify", headers=headers, json={
            "type": "announcement", "title": "Test on Friday", "message": "Chapter 4 and 5."})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "notified_count": 30,
                                   "message": "Notification sent to 30 student(s)"}
    inserts = [s for s in counted.statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS")]
    assert len(inserts) == 1
    rows = db.session.scalars(select(Notification)).all()
    assert sorted(r.user_id for r in rows) == sorted(s.id for s in students)
    assert {(r.type, r.title, r.message) for r in rows} == {("announcement", "Test on Friday", "Chapter 4 and 5.")}
    assert outsider.id not in {r.user_id for r in rows}


def test_broadcast_to_a_class_the_teacher_does_not_teach_is_not_found(client):
    school_class = make_class()
    make_student(school_class)
    teacher = make_teacher(classes=[make_class()])
    response = client.post(f"/api/classes/{school_class.id}/notify", headers=auth(teacher),
                           json={"type": "content", "title": "x", "message": "y"})
    assert_error(response, 404, "NOT_FOUND")


def test_broadcast_by_a_student_is_forbidden_and_bad_input_is_422(client):
    school_class = make_class()
    student = make_student(school_class)
    body = {"type": "schedule", "title": "x", "message": "y"}
    assert_error(client.post(f"/api/classes/{school_class.id}/notify", headers=auth(student), json=body), 403)
    teacher = make_teacher(classes=[school_class])
    bad = client.post(f"/api/classes/{school_class.id}/notify", headers=auth(teacher),
                      json={"type": "gossip", "title": " ", "message": "y"})
    details = assert_error(bad, 422)["details"]
    assert {"type", "title"} <= details.keys()


def test_broadcast_is_audited(client):
    from app.common.audit import AuditLog

    school_class = make_class()
    make_student(school_class)
    teacher = make_teacher(classes=[school_class])
    client.post(f"/api/classes/{school_class.id}/notify", headers=auth(teacher),
                json={"type": "assignment", "title": "Homework", "message": "Page 12"})
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "class_notified"))
    assert entry.user_id == teacher.id and entry.new_value["recipients"] == 1


def test_list_filters_by_creation_time(client):
    me = make_student()
    old, new = give(me), give(me)
    db.session.execute(Notification.__table__.update().where(Notification.id == old)
                       .values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    since = (utcnow() - timedelta(days=1)).isoformat() + "Z"
    after = client.get(f"/api/notifications?created_after={since}", headers=auth(me)).get_json()
    before = client.get(f"/api/notifications?created_before={since}", headers=auth(me)).get_json()
    assert [n["id"] for n in after["items"]] == [new] and [n["id"] for n in before["items"]] == [old]
    assert_error(client.get("/api/notifications?created_after=2026-01-01T00:00:00", headers=auth(me)), 422)


def test_link_is_a_deprecated_alias_of_action_url(client):
    me = make_student()
    give(me, action_url="/student/quizzes/q1", link="/student/quizzes")
    give(me)
    items = client.get("/api/notifications", headers=auth(me)).get_json()["items"]
    assert {(n["action_url"], n["link"]) for n in items} == {("/student/quizzes/q1", "/student/quizzes/q1"),
                                                              (None, None)}
