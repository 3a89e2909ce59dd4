"""Answer-key canaries: nothing a student can reach before review carries the answer key.

The fixture world plants unique strings in accepted answers, sample answers and
rubrics; `correct_answer` is an option index, so it is caught by its key. Every GET
route is crawled as both students with every combination of world objects for its
parameters, then every write route of the matrix is called as both students, and the
Socket.IO events a student receives meanwhile are collected too.
"""
import itertools
import json
import re

from app.extensions import socketio
from app.questions.models import ANSWER_KEY_FIELDS
from tests.helpers import walk_keys
from tests.realtime.helpers import checked
from tests.security.matrix import load_rows, request, response_text
from tests.security.world import CANARY_PREFIX, build_world

STUDENTS = ("student_a", "student_b")
CANDIDATES = {
    "quiz_id": ["quiz", "quiz_open", "quiz_draft"], "attempt_id": ["attempt", "attempt_open"],
    "question_id": ["question", "question_short", "question_descriptive"], "class_id": ["class"],
    "student_id": ["student"], "teacher_id": ["teacher"], "override_id": ["override"],
    "access_code": ["quiz.access_code", "quiz_open.access_code"],
}
PARAM = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _values(world, name, role):
    if name in ("user_id",):
        return [user.id for user in world.users.values()]
    if name == "notification_id":
        return [world.get(f"notification@{r}", "own").id for r in world.users]
    values = []
    for spec in CANDIDATES.get(name, []):
        kind, _, attr = spec.partition(".")
        for side in ("a", "b"):
            obj = world.get(kind, side)
            values.append(getattr(obj, attr or "id"))
    return values or ["00000000-0000-0000-0000-000000000000"]


# The API descriptions (REST and Socket.IO) name the answer-key and review fields; they hold no data.
API_DESCRIPTIONS = ("/api/openapi.json", "/api/asyncapi.json")


def _leaks(world, body: str, keys: bool = True) -> list[str]:
    found = [c for c in world.canaries if c in body]
    if CANARY_PREFIX in body and not found:
        found.append("unknown canary")
    try:
        names = set(walk_keys(json.loads(body))) if keys else set()
    except ValueError:
        names = set()
    return found + sorted(names & set(ANSWER_KEY_FIELDS))


def _get_urls(app, world, role):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/api"):
            continue
        names = PARAM.findall(rule.rule)
        for combo in itertools.product(*(_values(world, n, role) for n in names)):
            yield rule.rule, PARAM.sub(lambda m, it=iter(combo): str(next(it)), rule.rule)


def _socket_clients(app, world):
    try:
        from app.realtime import namespaces  # noqa: F401
    except ImportError:
        return {}
    clients = {}
    for role in STUDENTS:
        token = world.tokens[role]["access_token"]
        for namespace in ("/notifications", "/quiz-monitor"):
            client = checked(socketio.test_client(app, namespace=namespace, auth={"token": token}))
            clients[(role, namespace)] = client
    return clients


def test_no_student_response_or_event_carries_the_answer_key(app, client):
    world = build_world()
    assert len(world.canaries) >= 16
    sockets = _socket_clients(app, world)
    leaks, crawled = [], 0
    for role in STUDENTS:
        for rule, url in _get_urls(app, world, role):
            response = client.get(url, headers=world.headers(role))
            crawled += 1
            keys_matter = rule not in API_DESCRIPTIONS
            for leak in _leaks(world, response_text(response), keys=keys_matter):
                leaks.append(f"GET {url} ({rule}) as {role}: {leak}")
    for row in load_rows():
        if row.method == "GET" or row.path.startswith("/api/auth"):
            continue
        for role, variant in itertools.product(STUDENTS, row.variants):
            response = request(client, world, row, role, variant)
            crawled += 1
            for leak in _leaks(world, response_text(response)):
                leaks.append(f"{row.key} as {role} on {variant}: {leak}")
    # Teachers' actions that notify students live: grading, a class message, a reset.
    for side in ("a", "b"):
        teacher = world.headers(f"teacher_{side}")
        client.post(f"/api/grading/attempts/{world.get('attempt', side).id}/grade", headers=teacher, json={
            "grades": [{"question_id": world.get("question_descriptive", side).id, "marks_awarded": 3}]})
        client.post(f"/api/classes/{world.get('class', side).id}/notify", headers=teacher,
                    json={"type": "announcement", "title": "Hello", "message": "Results are out"})
        client.post("/api/attempts/reset", headers=teacher, json={
            "student_id": world.get("student", side).id, "quiz_id": world.get("quiz", side).id,
            "additional_attempts": 1, "reason": "Retake"})
    if sockets:
        assert any(s.is_connected("/notifications") for (_r, ns), s in sockets.items() if ns == "/notifications")
    events = 0
    for (role, namespace), socket in sockets.items():
        if socket.is_connected(namespace):
            socket.emit("heartbeat", {}, namespace=namespace)
            socket.emit("join_quiz", {"quiz_id": world.get("quiz_open", "a").id}, namespace=namespace)
            for event in socket.get_received(namespace):
                events += 1
                for leak in _leaks(world, json.dumps(event.get("args"), default=str)):
                    leaks.append(f"socket {namespace} event {event['name']} to {role}: {leak}")
            socket.disconnect(namespace=namespace)
    assert crawled > 20
    assert not sockets or events > 0
    assert not leaks, "\n".join(leaks)


def test_the_crawl_would_see_a_leak(app, client):
    """The detector itself: a teacher's view of the question bank does carry the canaries."""
    world = build_world()
    teacher_views = [response_text(client.get(url, headers=world.headers("teacher_a")))
                     for _rule, url in _get_urls(app, world, "teacher_a")]
    assert any("/api/questions" in rule or "/api/grading" in rule for rule, _ in _get_urls(app, world, "teacher_a"))
    assert any(_leaks(world, body) for body in teacher_views)


REVIEW_KEYS = {"review", "review_status", "review_note", "flagged_for_review", "flagged_at", "integrity_review",
               "violation_action"}


def _review_leaks(body: str, note: str) -> list[str]:
    found = [note] if note in body else []
    try:
        return found + sorted(set(walk_keys(json.loads(body))) & REVIEW_KEYS)
    except ValueError:
        return found


def test_no_student_response_or_event_carries_the_integrity_review(app, client):
    """Teachers review and control every attempt of the world; a student's every GET, every
    write route and every socket event stays silent about the review."""
    world = build_world()
    note = f"{CANARY_PREFIX}-REVIEW-NOTE"
    sockets = _socket_clients(app, world)
    for side in ("a", "b"):
        teacher = world.headers(f"teacher_{side}")
        for kind in ("attempt", "attempt_open"):
            reviewed = client.put(f"/api/attempts/{world.get(kind, side).id}/integrity", headers=teacher,
                                  json={"review_status": "suspicious", "note": note})
            assert reviewed.status_code == 200
        open_attempt = world.get("attempt_open", side).id
        client.post(f"/api/attempts/{open_attempt}/extend", headers=teacher, json={"minutes": 5, "reason": note})
        client.post(f"/api/attempts/{open_attempt}/force-submit", headers=teacher, json={"reason": note})
        client.post(f"/api/attempts/{open_attempt}/reopen", headers=teacher, json={"minutes": 5, "reason": note})
    leaks, crawled = [], 0
    for role in STUDENTS:
        for rule, url in _get_urls(app, world, role):
            if rule in API_DESCRIPTIONS:
                continue
            crawled += 1
            for leak in _review_leaks(response_text(client.get(url, headers=world.headers(role))), note):
                leaks.append(f"GET {url} ({rule}) as {role}: {leak}")
    for row in load_rows():
        if row.method == "GET" or row.path.startswith("/api/auth"):
            continue
        for role, variant in itertools.product(STUDENTS, row.variants):
            crawled += 1
            for leak in _review_leaks(response_text(request(client, world, row, role, variant)), note):
                leaks.append(f"{row.key} as {role} on {variant}: {leak}")
    updates = 0
    for (role, namespace), socket in sockets.items():
        if socket.is_connected(namespace):
            for event in socket.get_received(namespace):
                updates += event["name"] == "attempt_updated"
                for leak in _review_leaks(json.dumps(event.get("args")[0] if event.get("args") else None), note):
                    leaks.append(f"socket {namespace} event {event['name']} to {role}: {leak}")
            socket.disconnect(namespace=namespace)
    assert crawled > 20 and updates >= 6  # each student heard the extend, the force-submit and the reopen
    assert not leaks, "\n".join(leaks)
