"""Ending a user's access ends their sockets on real servers: gunicorn with a gevent
worker, python-socketio clients over websocket; one instance, and two joined by Redis
with the sockets on one and the requests on the other."""
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, decode_token

from app.realtime.push import MONITOR_NAMESPACE as MONITOR
from app.realtime.push import NOTIFICATIONS_NAMESPACE as INBOX
from tests.factories import make_admin, make_class, make_question, make_quiz, make_student, make_teacher
from tests.realtime.helpers import REDIS_URL, redis_reachable
from tests.realtime.revocations import FOR_EVERYONE, FOR_STAFF, Live, access_token, revoke
from tests.realtime.servers import ROOT, LiveClient, Server, server_env

pytestmark = pytest.mark.slow
needs_redis = pytest.mark.skipif(not redis_reachable(), reason="Redis at 127.0.0.1:6379 is not reachable")
STATUS_INTERVAL = 0.5


@pytest.fixture
def servers(database_url):
    started = []

    def start(**env):
        started.append(Server(database_url, MONITOR_STATUS_INTERVAL=str(STATUS_INTERVAL), **env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_clients():
    clients = []

    def connect(url, namespace, token):
        clients.append(LiveClient(url, namespace, token))
        return clients[-1]

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def channel():
    return f"qms-test-{uuid.uuid4().hex}"  # this test's own pub/sub channel


@pytest.fixture
def redis_pair(servers, channel):
    """(where the sockets are, where the requests go), joined by Redis."""
    return tuple(servers(REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel) for _ in range(2))


class Classroom:
    """A class whose teachers each have a quiz of their own, and sockets to one server."""

    def __init__(self, live_clients, sockets_url):
        self.connect, self.sockets_url = live_clients, sockets_url
        self.school_class = make_class()
        self.quizzes = []
        self.teacher = self.teacher_in_class()
        self.quiz = self.quizzes[0]

    def teacher_in_class(self):
        # Unique addresses: the limiter's Redis store outlives a test run.
        teacher = make_teacher(classes=[self.school_class], email=f"t-{uuid.uuid4().hex}@school.test")
        self.quizzes.append(make_quiz(teacher, questions=[make_question(teacher)], classes=[self.school_class]))
        return teacher

    def student(self):
        return make_student(self.school_class, email=f"s-{uuid.uuid4().hex}@school.test")

    def monitor(self, user, quiz=None, token=None):
        socket = self.connect(self.sockets_url, MONITOR, token or access_token(user))
        socket.emit("join_quiz", {"quiz_id": (quiz or self.quiz).id})
        socket.wait_for("quiz_status")
        return socket

    def inbox(self, user):
        socket = self.connect(self.sockets_url, INBOX, access_token(user))
        socket.wait_for("unread_count")
        return socket

    def answer(self, api, student, quiz=None):
        quiz, token = quiz or self.quiz, access_token(student)
        status, started = api("POST", f"/api/quizzes/{quiz.id}/start", token)
        assert status in (200, 201), started
        status, saved = api("POST", f"/api/attempts/{started['attempt_id']}/answer", token,
                            {"question_id": quiz.question_links[0].question_id, "answer_option": 1,
                             "question_index": 0})
        assert status == 200, saved

    def announce(self, api):
        status, body = api("POST", f"/api/classes/{self.school_class.id}/notify", access_token(self.teacher),
                           {"type": "announcement", "title": "Trip", "message": "Bring lunch"})
        assert status in (200, 201), body


def assert_ended_within_a_second(sockets, since, kind):
    for socket in sockets:
        _at, error = socket.wait_for("error", timeout=1.0)
        assert error["error_code"] == "SESSION_ENDED", (kind, error)
        arrived, _reason = socket.wait_for("disconnect", timeout=1.0)
        assert arrived - since < 1.0, (kind, arrived - since)


def three_status_ticks(monitor):
    """Wait for three of the room's status ticks at `monitor`: by then every socket still
    in the room has had its own, so a socket that has none was left out."""
    for _ in range(3):
        monitor.wait_for("quiz_status", timeout=4 * STATUS_INTERVAL)


def assert_nothing_more(sockets):
    for socket in sockets:
        assert socket.not_waited_for() == []


def test_one_instance_logout_ends_the_teachers_and_the_students_sockets(servers, live_clients):
    server = servers()
    api, room = Live(server.url), Classroom(live_clients, server.url)
    student, classmate = room.student(), room.student()
    teachers = [room.monitor(room.teacher), room.inbox(room.teacher)]
    colleague = room.monitor(make_admin())
    students_inbox, classmates_inbox = room.inbox(student), room.inbox(classmate)

    since = time.monotonic()
    revoke(api, "logout", room.teacher)
    assert_ended_within_a_second(teachers, since, "teacher logout")
    since = time.monotonic()
    revoke(api, "logout", student)
    assert_ended_within_a_second([students_inbox], since, "student logout")

    room.answer(api, classmate)
    room.announce(api)
    colleague.wait_for("answer_saved")
    classmates_inbox.wait_for("notification")
    three_status_ticks(colleague)  # they reach the colleague, not the teacher
    assert_nothing_more(teachers + [students_inbox])


@needs_redis
def test_two_instances_every_way_access_ends_reaches_the_sockets_on_the_other(redis_pair, live_clients):
    sockets_side, requests_side = redis_pair
    api, room = Live(requests_side.url), Classroom(live_clients, sockets_side.url)
    colleague = room.monitor(make_admin())
    ended = []
    for kind in FOR_STAFF:
        teacher = room.teacher_in_class()
        sockets = [room.monitor(teacher, room.quizzes[-1]), room.inbox(teacher)]
        since = time.monotonic()
        revoke(api, kind, teacher)
        assert_ended_within_a_second(sockets, since, f"teacher {kind}")
        ended += sockets
    for kind in FOR_EVERYONE:
        student = room.student()
        sockets = [room.inbox(student), room.inbox(student)]  # two tabs
        since = time.monotonic()
        revoke(api, kind, student)
        assert_ended_within_a_second(sockets, since, f"student {kind}")
        ended += sockets

    classmate = room.student()
    classmates_inbox = room.inbox(classmate)
    for quiz in room.quizzes:  # the revoked teachers' quizzes too
        room.answer(api, classmate, quiz)
    room.announce(api)
    colleague.wait_for("answer_saved")
    classmates_inbox.wait_for("notification")
    three_status_ticks(colleague)
    assert_nothing_more(ended)


@needs_redis
def test_two_instances_a_password_reset_from_the_cli_ends_the_admins_sockets(redis_pair, channel, live_clients,
                                                                             database_url):
    sockets_side, _requests_side = redis_pair
    room = Classroom(live_clients, sockets_side.url)
    admin = make_admin(email=f"a-{uuid.uuid4().hex}@school.test")
    sockets = [room.monitor(admin), room.inbox(admin)]
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "create-admin", "--email", admin.email,
         "--password", "a-brand-new-passphrase"], cwd=ROOT,
        env={**server_env(database_url), "REDIS_URL": REDIS_URL, "GEVENT_PATCH": "0",
             "SOCKETIO_CHANNEL": channel},
        capture_output=True, text=True, timeout=60,
    )
    finished = time.monotonic()
    assert result.returncode == 0, result.stderr
    for socket in sockets:
        assert socket.wait_for("error", timeout=1.0)[1]["error_code"] == "SESSION_ENDED"
        arrived, _reason = socket.wait_for("disconnect", timeout=1.0)
        assert arrived - finished < 1.0


def test_a_monitor_is_dropped_when_its_token_expires(servers, live_clients):
    server = servers()
    api, room = Live(server.url), Classroom(live_clients, server.url)
    lifetime = 6  # long enough to connect and see one push on a busy machine (`exp` is in whole seconds)
    token = create_access_token(identity=room.teacher.id, expires_delta=timedelta(seconds=lifetime),
                                additional_claims={"ver": room.teacher.token_version, "role": "teacher"})
    expires_at = time.monotonic() + decode_token(token)["exp"] - time.time()
    watching = room.monitor(room.teacher, token=token)
    room.answer(api, room.student())
    watching.wait_for("answer_saved")

    _at, error = watching.wait_for("error", timeout=lifetime + 1)
    assert error["error_code"] == "TOKEN_EXPIRED"
    arrived, _reason = watching.wait_for("disconnect", timeout=1.0)
    assert -0.1 < arrived - expires_at < 1.0
    witness = room.monitor(make_admin())
    room.answer(api, room.student())
    witness.wait_for("answer_saved")  # pushed to the room, and so to the dropped monitor had it stayed
    three_status_ticks(witness)
    assert watching.not_waited_for() == []
