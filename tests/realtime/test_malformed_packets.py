"""Socket.IO packets are decoded like request bodies (app.common.strict_json): on a real
server (gunicorn, gevent worker) a packet holding a lone surrogate or nested past the
parser's depth reaches no handler and no database driver, and the socket goes on working."""
from pathlib import Path

import pytest

from app.realtime.push import MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE
from tests.factories import make_class, make_question, make_quiz, make_teacher, tokens_for
from tests.realtime.servers import LiveClient, Server

pytestmark = pytest.mark.slow
SURROGATE = "\ud800"


@pytest.fixture
def server(database_url):
    started = Server(database_url)
    yield started
    started.stop()


@pytest.fixture
def connect():
    clients = []

    def open_client(*args):
        clients.append(LiveClient(*args))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def test_malformed_packets_reach_no_handler_and_the_socket_goes_on(server, connect):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class])
    token = tokens_for(teacher)["access_token"]
    monitor = connect(server.url, MONITOR_NAMESPACE, token)
    inbox = connect(server.url, NOTIFICATIONS_NAMESPACE, token)
    inbox.wait_for("unread_count")

    monitor.emit("join_quiz", {"quiz_id": f"{quiz.id[:-1]}{SURROGATE}"})
    monitor.emit("join_quiz", {"quiz_id": quiz.id, "extra": [[[[[[[[[[[[SURROGATE]]]]]]]]]]]]})
    inbox.emit("mark_read", {"notification_id": SURROGATE})
    deep = "[" * 100_000 + "]" * 100_000
    monitor.sio.eio.send(f'2{MONITOR_NAMESPACE},["join_quiz",{deep}]')  # a raw EVENT packet
    monitor.emit("join_quiz", {"quiz_id": quiz.id})
    inbox.emit("heartbeat", {})

    assert monitor.wait_for("joined")[1]["quiz_id"] == quiz.id  # the first `joined` is the valid join's
    assert inbox.wait_for("heartbeat")[1]["status"] == "ok"
    log = Path(server.log.name).read_text()
    assert "surrogates not allowed" not in log and "UnicodeEncodeError" not in log
    refused = [line for line in log.splitlines() if line.startswith("{") and "app.errors.InvalidJSON" in line]
    assert len(refused) == 4, log[-3000:]  # each malformed packet, refused by the decoder
