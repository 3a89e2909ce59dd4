"""The real thing: gunicorn with a gevent worker, python-socketio clients over websocket."""
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import requests
import socketio

from app.common.clock import utcnow
from app.realtime.push import MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE
from tests.factories import make_class, make_question, make_quiz, make_student, make_teacher, tokens_for
from tests.realtime.helpers import REDIS_URL, redis_reachable
from tests.realtime.servers import ROOT, LiveClient, Server, server_env

pytestmark = pytest.mark.slow


def token(user):
    return tokens_for(user)["access_token"]


def bearer(user):
    return {"Authorization": f"Bearer {token(user)}"}


def classroom():
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    quiz = make_quiz(teacher, questions=[make_question(teacher), make_question(teacher)], classes=[school_class])
    return teacher, quiz, make_student(school_class, name="Alice")


@pytest.fixture
def servers(database_url):
    started = []

    def start(**env):
        started.append(Server(database_url, **env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_clients():
    clients = []

    def connect(*args, **kw):
        clients.append(LiveClient(*args, **kw))
        return clients[-1]

    yield connect
    for client in clients:
        client.close()


def test_real_server_refuses_bad_tokens_and_students_over_websocket(servers):
    server = servers()
    _teacher, _quiz, student = classroom()
    for namespace, auth in ((NOTIFICATIONS_NAMESPACE, None), (NOTIFICATIONS_NAMESPACE, {"token": "nope"}),
                            (MONITOR_NAMESPACE, {"token": token(student)})):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, namespaces=[namespace], transports=["websocket"], auth=auth,
                           wait_timeout=5)
        client.disconnect()


def test_real_server_pushes_a_students_requests_to_the_monitor_and_the_student(servers, live_clients):
    server = servers()
    teacher, quiz, student = classroom()
    monitor = live_clients(server.url, MONITOR_NAMESPACE, token(teacher))
    monitor.emit("join_quiz", {"quiz_id": quiz.id})
    assert monitor.wait_for("joined")[1]["quiz_id"] == quiz.id
    assert monitor.wait_for("quiz_status")[1]["active_attempts"] == 0
    inbox = live_clients(server.url, NOTIFICATIONS_NAMESPACE, token(student))
    assert inbox.wait_for("unread_count")[1] == {"unread_count": 0}

    headers = bearer(student)
    started = requests.post(f"{server.url}/api/quizzes/{quiz.id}/start", headers=headers, timeout=10)
    attempt_id = started.json()["attempt_id"]
    assert monitor.wait_for("attempt_started")[1]["attempt_id"] == attempt_id
    requests.post(f"{server.url}/api/attempts/{attempt_id}/violations", headers=headers,
                  json={"violation_type": "fullscreen_exit"}, timeout=10)
    violation = monitor.wait_for("violation")[1]
    assert violation == {**violation, "student_name": "Alice", "violation_type": "fullscreen_exit",
                         "total_violations": 1}
    warning = inbox.wait_for("notification")[1]
    assert warning["type"] == "violation_warning" and warning["priority"] == "high"
    assert inbox.wait_for("unread_count")[1] == {"unread_count": 1}


@pytest.mark.skipif(not redis_reachable(), reason="Redis at 127.0.0.1:6379 is not reachable")
def test_two_instances_joined_by_redis_deliver_events_from_requests_and_cli(servers, live_clients, database_url):
    channel = f"qms-test-{uuid.uuid4().hex}"  # this test's own pub/sub channel
    monitor_side = servers(REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel)
    student_side = servers(REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel)
    teacher, quiz, student = classroom()
    monitor = live_clients(monitor_side.url, MONITOR_NAMESPACE, token(teacher))
    monitor.emit("join_quiz", {"quiz_id": quiz.id})
    monitor.wait_for("quiz_status")
    inbox = live_clients(monitor_side.url, NOTIFICATIONS_NAMESPACE, token(student))
    inbox.wait_for("unread_count")

    headers = bearer(student)
    attempt_id = requests.post(f"{student_side.url}/api/quizzes/{quiz.id}/start", headers=headers,
                               timeout=10).json()["attempt_id"]
    monitor.wait_for("attempt_started")
    sent = time.monotonic()
    response = requests.post(f"{student_side.url}/api/attempts/{attempt_id}/violations", headers=headers,
                             json={"violation_type": "tab_switch"}, timeout=10)
    assert response.status_code == 200
    arrived, violation = monitor.wait_for("violation", timeout=1.0)
    assert violation["attempt_id"] == attempt_id
    assert arrived - sent < 1.0

    # A CLI command in a third process reaches the same sockets through the queue.
    next_class = make_class()
    make_quiz(teacher, classes=[next_class], start=utcnow() + timedelta(minutes=20))
    late_student = make_student(next_class)
    late_inbox = live_clients(monitor_side.url, NOTIFICATIONS_NAMESPACE, token(late_student))
    late_inbox.wait_for("unread_count")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "notifications", "remind"], cwd=ROOT,
        env={**server_env(database_url), "REDIS_URL": REDIS_URL, "SOCKETIO_CHANNEL": channel,
             "GEVENT_PATCH": "0"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    reminder = late_inbox.wait_for("notification", timeout=5)[1]
    assert reminder["type"] == "quiz_starting_soon"


@pytest.mark.skipif(not redis_reachable(), reason="Redis at 127.0.0.1:6379 is not reachable")
def test_two_instances_send_a_watched_rooms_status_once_an_interval_between_them(servers, live_clients):
    # Each instance with members runs the room's timer, its ticks offset from the join.
    # The second monitor joins half an interval after the first, so each instance sending
    # its own status would reach the two monitors half an interval apart; one instance
    # sending it to both through the queue reaches them together.
    interval, wanted = 1.0, 5
    channel = f"qms-test-{uuid.uuid4().hex}"
    first, second = (servers(REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel, MONITOR_STATUS_INTERVAL=str(interval))
                     for _ in range(2))
    teacher, quiz, _student = classroom()
    monitors = [live_clients(server.url, MONITOR_NAMESPACE, token(teacher)) for server in (first, second)]
    for monitor in monitors:
        monitor.emit("join_quiz", {"quiz_id": quiz.id})
        monitor.wait_for("quiz_status")  # the join's own status
        time.sleep(interval / 2)  # the offset under test, not a wait for an outcome
    # Wait for the ticks themselves: `wanted` on the later monitor, and the earlier
    # monitor's up to the same moment.
    late = [monitors[1].wait_for("quiz_status", timeout=3 * interval) for _ in range(wanted)]
    early = [monitors[0].wait_for("quiz_status", timeout=3 * interval)]
    while early[-1][0] < late[-1][0] - interval / 2:
        early.append(monitors[0].wait_for("quiz_status", timeout=3 * interval))
    for ticks in (early, late):
        assert all(payload["quiz_id"] == quiz.id for _at, payload in ticks)
    # One tick an interval: two instances each ticking would bring `wanted` in half the time.
    spread = late[-1][0] - late[0][0]
    assert 0.75 * (wanted - 1) * interval <= spread <= 1.5 * (wanted - 1) * interval, spread
    arrivals = [[at for at, _payload in ticks] for ticks in (early, late)]
    together = [at for at in arrivals[1] if any(abs(at - other) < 0.15 * interval for other in arrivals[0])]
    assert len(together) >= len(arrivals[1]) - 1, arrivals


def test_real_server_pushes_a_teachers_controls_to_the_student_and_the_monitor(servers, live_clients):
    server = servers()
    teacher, quiz, student = classroom()
    monitor = live_clients(server.url, MONITOR_NAMESPACE, token(teacher))
    monitor.emit("join_quiz", {"quiz_id": quiz.id})
    monitor.wait_for("joined")
    inbox = live_clients(server.url, NOTIFICATIONS_NAMESPACE, token(student))
    inbox.wait_for("unread_count")
    started = requests.post(f"{server.url}/api/quizzes/{quiz.id}/start", headers=bearer(student), timeout=10).json()
    attempt_url, staff = f"{server.url}/api/attempts/{started['attempt_id']}", bearer(teacher)

    extended = requests.post(f"{attempt_url}/extend", headers=staff, json={"minutes": 7, "reason": "Fire alarm"},
                             timeout=10).json()
    assert extended["expires_at"] != started["expires_at"]
    pushed = inbox.wait_for("attempt_updated")[1]
    assert pushed == {**pushed, "action": "extended", "status": "in_progress", "expires_at": extended["expires_at"]}
    assert "reason" not in pushed  # the teacher's reason is for staff
    seen = monitor.wait_for("attempt_updated")[1]
    assert seen == {**seen, "action": "extended", "reason": "Fire alarm", "student_name": "Alice"}

    requests.post(f"{attempt_url}/force-submit", headers=staff, json={"reason": "Left"}, timeout=10)
    assert inbox.wait_for("attempt_updated")[1]["status"] == "graded"
    assert monitor.wait_for("attempt_submitted")[1]["auto_submit_reason"] == "teacher"
    assert monitor.wait_for("attempt_updated")[1]["action"] == "force_submitted"

    reopened = requests.post(f"{attempt_url}/reopen", headers=staff, json={"minutes": 5, "reason": "Mistake"},
                             timeout=10).json()
    pushed = inbox.wait_for("attempt_updated")[1]
    assert (pushed["action"], pushed["status"], pushed["expires_at"]) == ("reopened", "in_progress",
                                                                          reopened["expires_at"])
    assert monitor.wait_for("attempt_updated")[1]["action"] == "reopened"
