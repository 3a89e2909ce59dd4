"""The /notifications namespace: each user's sockets get their own notifications live."""
from app.auth.tokens import revoke_all_tokens
from app.common.db import commit
from app.realtime.push import NOTIFICATIONS_NAMESPACE as NS
from tests.factories import auth, make_class, make_student, make_teacher, tokens_for
from tests.notifications.helpers import give


def connect(sockets, user):
    client = sockets(NS, tokens_for(user)["access_token"])
    assert client.is_connected(NS)
    return client


def test_connect_without_a_token_or_with_a_bad_one_is_refused(sockets):
    assert not sockets(NS).is_connected(NS)
    assert not sockets(NS, "garbage").is_connected(NS)
    student = make_student()
    raw = tokens_for(student)["access_token"]
    revoke_all_tokens(student)
    commit()
    assert not sockets(NS, raw).is_connected(NS)


def test_connect_answers_the_unread_count(sockets):
    student = make_student()
    give(student)
    client = connect(sockets, student)
    assert client.get_received(NS) == [{"name": "unread_count", "args": [{"unread_count": 1}], "namespace": NS}]


def test_broadcast_pushes_the_stored_notification_to_each_student_only(client, sockets):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    alice, outsider = make_student(school_class), make_student(make_class())
    alice_socket, outsider_socket = connect(sockets, alice), connect(sockets, outsider)
    alice_socket.get_received(NS), outsider_socket.get_received(NS)
    client.post(f"/api/classes/{school_class.id}/notify", headers=auth(teacher),
                json={"type": "announcement", "title": "Trip", "message": "Bring lunch"})
    pushed = alice_socket.get_received(NS)
    assert [e["name"] for e in pushed] == ["notification", "unread_count"]
    notification = pushed[0]["args"][0]
    listed = client.get("/api/notifications", headers=auth(alice)).get_json()["items"][0]
    assert notification == listed
    assert pushed[1]["args"][0] == {"unread_count": 1}
    assert outsider_socket.get_received(NS) == []


def test_mark_read_over_the_socket_updates_every_tab_of_the_user(sockets):
    student = make_student()
    notification_id = give(student)
    tab1, tab2 = connect(sockets, student), connect(sockets, student)
    tab1.get_received(NS), tab2.get_received(NS)
    ack = tab1.emit("mark_read", {"notification_id": notification_id}, namespace=NS, callback=True)
    assert ack == {"success": True, "notification_id": notification_id}
    assert tab2.get_received(NS) == [{"name": "unread_count", "args": [{"unread_count": 0}], "namespace": NS}]


def test_mark_read_of_someone_elses_notification_is_an_error(sockets):
    student, other = make_student(), make_student()
    theirs = give(other)
    socket = connect(sockets, student)
    socket.get_received(NS)
    socket.emit("mark_read", {"notification_id": theirs}, namespace=NS)
    (error,) = socket.get_received(NS)
    assert error["name"] == "error"
    assert error["args"][0] == {"message": "Notification not found", "error_code": "NOT_FOUND"}


def test_mark_read_after_the_token_is_revoked_is_refused(sockets):
    student = make_student()
    mine = give(student)
    socket = connect(sockets, student)
    socket.get_received(NS)
    revoke_all_tokens(student)
    commit()
    socket.emit("mark_read", {"notification_id": mine}, namespace=NS)
    (error,) = socket.get_received(NS)
    assert error["args"][0]["error_code"] == "TOKEN_REVOKED"


def test_http_read_all_pushes_the_new_unread_count(client, sockets):
    student = make_student()
    give(student), give(student)
    socket = connect(sockets, student)
    socket.get_received(NS)
    client.post("/api/notifications/read-all", headers=auth(student))
    assert socket.get_received(NS) == [{"name": "unread_count", "args": [{"unread_count": 0}], "namespace": NS}]


def test_heartbeat_is_answered(sockets):
    socket = connect(sockets, make_student())
    socket.get_received(NS)
    ack = socket.emit("heartbeat", {}, namespace=NS, callback=True)
    assert ack["status"] == "ok" and ack["server_time"].endswith("Z")
    assert socket.get_received(NS)[0]["name"] == "heartbeat"
