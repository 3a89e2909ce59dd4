"""The bare floor for the autosave benchmark: only what any autosave must do.

`POST /api/attempts/<id>/answer`: decode the JWT, read the attempt by key, upsert one
answer row (its option, text or JSON response, as the question's type answers),
commit. `POST /api/quizzes/<id>/start`: decode the JWT, look for the attempt in
progress, read the quiz's questions, insert the attempt, commit, return the questions.
No validation beyond ownership, no framework extensions, no events.

Served by gunicorn exactly like the real app (`benchmarks.harness.serve`; see
benchmarks/autosave.py), and called in-process by benchmarks/hot_paths.py:
    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/qms_bench JWT_SECRET_KEY=... \
    gunicorn -k gevent -w 4 -b 127.0.0.1:5102 benchmarks.floor:app
"""
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from flask import Flask, Response, request
from sqlalchemy import create_engine, text

ISSUER = os.environ.get("JWT_ISSUER", "quiz-management-system")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "quiz-management-api")
SECRET = os.environ["JWT_SECRET_KEY"]

engine = create_engine(
    os.environ["DATABASE_URL"], pool_size=int(os.environ.get("DB_POOL_SIZE", "20")),
    max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "0")), pool_pre_ping=True, pool_recycle=1800,
    # Every transaction here ends through the Connection (commit, or rollback on close),
    # so the pool's extra ROLLBACK on return is never needed: the app skips it too.
    pool_reset_on_return=None,
    # No TLS context per new connection, as the app (app.config.database_tls_args).
    connect_args={"ssl_disabled": True} if os.environ["DATABASE_URL"].startswith("mysql+pymysql") else {},
)
app = Flask(__name__)

ATTEMPT = text("SELECT student_id, status FROM quiz_attempts WHERE id = :id")
UPSERT = text(
    "INSERT INTO student_answers (id, attempt_id, question_id, answer_option, answer_text, response, is_final, "
    "answered_at, updated_at) VALUES (:id, :attempt_id, :question_id, :answer_option, :answer_text, :response, 0, "
    ":now, :now) ON DUPLICATE KEY UPDATE answer_option = VALUES(answer_option), answer_text = VALUES(answer_text), "
    "response = VALUES(response), updated_at = VALUES(updated_at)"
)
IN_PROGRESS = text("SELECT id FROM quiz_attempts WHERE in_progress_key = :key")
QUESTIONS = text(
    "SELECT q.id, q.text, q.type, q.marks, q.options FROM quiz_questions qq JOIN questions q "
    "ON q.id = qq.question_id WHERE qq.quiz_id = :quiz_id ORDER BY qq.order_index"
)
INSERT_ATTEMPT = text(
    "INSERT INTO quiz_attempts (id, quiz_id, student_id, attempt_number, in_progress_key, started_at, deadline_at, "
    "status, total_violations, auto_submitted_due_to_violations, question_order, is_reset, "
    "additional_attempts_granted) VALUES (:id, :quiz_id, :student_id, 1, :key, :now, :deadline, 'in_progress', 0, 0, "
    ":order, 0, 0)"
)


def _json(body, status=200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _student_id():
    header = request.headers.get("Authorization", "")
    try:
        return jwt.decode(header[7:], SECRET, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)["sub"]
    except jwt.PyJWTError:
        return None


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


@app.post("/api/attempts/<attempt_id>/answer")
def save_answer(attempt_id):
    student_id = _student_id()
    if student_id is None:
        return _json({"error": "unauthorized"}, 401)
    body = request.get_json()
    with engine.connect() as conn:
        row = conn.execute(ATTEMPT, {"id": attempt_id}).first()
        if row is None or row.student_id != student_id or row.status != "in_progress":
            return _json({"error": "not found"}, 404)
        response = body.get("response")  # the later question types answer with a JSON value
        conn.execute(UPSERT, {"id": str(uuid.uuid4()), "attempt_id": attempt_id, "question_id": body["question_id"],
                              "answer_option": body.get("answer_option"), "answer_text": body.get("answer_text"),
                              "response": None if response is None else json.dumps(response), "now": _now()})
        conn.commit()
    return _json({"message": "Answer saved"})


@app.post("/api/quizzes/<quiz_id>/start")
def start(quiz_id):
    student_id = _student_id()
    if student_id is None:
        return _json({"error": "unauthorized"}, 401)
    key = f"{quiz_id}:{student_id}"
    with engine.connect() as conn:
        questions = [dict(r._mapping) for r in conn.execute(QUESTIONS, {"quiz_id": quiz_id})]
        existing = conn.execute(IN_PROGRESS, {"key": key}).scalar()
        attempt_id, status = existing, 200
        if existing is None:
            attempt_id, status, now = str(uuid.uuid4()), 201, _now()
            conn.execute(INSERT_ATTEMPT, {"id": attempt_id, "quiz_id": quiz_id, "student_id": student_id, "key": key,
                                          "now": now, "deadline": now + timedelta(minutes=30),
                                          "order": json.dumps([q["id"] for q in questions])})
            conn.commit()
    for question in questions:
        options = json.loads(question["options"]) if isinstance(question["options"], str) else question["options"]
        question["options"] = [{"index": i, "text": t} for i, t in enumerate(options or [])]
    return _json({"attempt_id": attempt_id, "questions": questions}, status)
