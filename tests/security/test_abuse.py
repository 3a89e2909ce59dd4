"""Abuse: guessing is slowed per account, never per school; answers do not reveal accounts."""
import types

import pytest
from flask import current_app

from app.extensions import db, limiter
from app.students.models import Student
from app.users.models import User
from tests.factories import PASSWORD, _hash, auth, make_admin, make_class, make_student, seq
from tests.helpers import assert_error


def login(client, identifier, password=PASSWORD):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


def make_claimed_students(count: int, school_class) -> list[str]:
    """Registration numbers of `count` claimed students, inserted in one transaction."""
    numbers, password_hash = [], _hash()
    for _ in range(count):
        n = seq()
        user = User(email=f"bulk{n}@school.test", name=f"Bulk {n}", role="student", is_active=True,
                    password_hash=password_hash)
        number = f"NAT{n:06d}"
        user.student = Student(registration_number=number, class_id=school_class.id,
                               is_account_claimed=True)
        db.session.add(user)
        numbers.append(number)
    db.session.commit()
    return numbers


class FakeLimiterClock:
    """Moves the rate limiter's clock (the in-memory store reads time.time)."""

    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now


@pytest.fixture
def limiter_clock(monkeypatch):
    import time

    import limits.storage.memory as memory
    import limits.strategies as strategies

    clock = FakeLimiterClock(time.time())
    fake = types.SimpleNamespace(time=clock.time, sleep=time.sleep, monotonic=time.monotonic)
    monkeypatch.setattr(memory, "time", fake)
    monkeypatch.setattr(strategies, "time", fake)
    return clock


def test_a_whole_school_behind_one_address_logs_in_while_one_account_is_throttled(client):
    assert current_app.config["RATELIMIT_AUTH_PER_IP"] == "600 per minute"
    school_class = make_class()
    numbers = make_claimed_students(500, school_class)
    target = numbers[0]
    attacker, students = [], []
    for index, number in enumerate(numbers):
        if index % 50 == 0:  # the attacker keeps guessing at one account from the same address
            attacker.append(login(client, target, f"guess-{index}").status_code)
        students.append(login(client, number).status_code)
    assert attacker[:5] == [401] * 5
    assert attacker[5:] == [429] * (len(attacker) - 5)
    # every other student of the school got in; the target is throttled, even with the right password
    assert students[1:] == [200] * 499
    assert students[0] in (200, 429)


def test_throttled_account_answers_429_with_envelope_and_retry_after(client):
    make_admin(email="target@school.test")
    for _ in range(5):
        assert_error(login(client, "target@school.test", "wrong-guess"), 401, "INVALID_CREDENTIALS")
    response = login(client, "target@school.test", "wrong-guess")
    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_failed_logins_back_off_and_never_lock_out_permanently(client, limiter_clock):
    make_admin(email="patient@school.test")
    outcomes = []
    for _minute in range(5):  # 5 failures per minute, 20 per hour
        outcomes.append([login(client, "patient@school.test", "wrong-guess").status_code for _ in range(6)])
        limiter_clock.now += 61
    assert outcomes[0] == outcomes[1] == outcomes[2] == outcomes[3] == [401] * 5 + [429]
    assert outcomes[4] == [429] * 6  # the hourly allowance is spent: a longer back-off
    response = login(client, "patient@school.test")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 60
    limiter_clock.now += 3600
    assert login(client, "patient@school.test").status_code == 200


def test_successful_logins_are_not_counted_against_the_account(client):
    student = make_student(registration_number="STU77")
    assert [login(client, "STU77").status_code for _ in range(12)] == [200] * 12
    assert student.id


def _same_body(a, b):
    a, b = a.get_json(), b.get_json()
    a.pop("timestamp"), b.pop("timestamp")
    a.pop("request_id"), b.pop("request_id")
    return a == b


def test_login_answers_the_same_for_unknown_known_deactivated_and_unclaimed_accounts(client):
    make_admin(email="known@school.test")
    make_admin(email="gone@school.test", is_active=False)
    make_student(claimed=False, registration_number="UNCLAIMED1")
    make_student(registration_number="KNOWN1")
    responses = [login(client, who, "not-the-password") for who in
                 ("known@school.test", "nobody@school.test", "KNOWN1", "NOBODY1", "UNCLAIMED1")]
    responses.append(login(client, "gone@school.test", PASSWORD))  # right password, deactivated
    assert {r.status_code for r in responses} == {401}
    assert all(_same_body(responses[0], r) for r in responses[1:])


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(app, client):
    make_admin(email="known@school.test")
    make_admin(email="gone@school.test", is_active=False)
    app.config["ECHO_RESET_CODE"] = False  # as in production
    try:
        responses = [client.post("/api/auth/forgot-password", json={"email": email})
                     for email in ("known@school.test", "nobody@school.test", "gone@school.test")]
    finally:
        app.config["ECHO_RESET_CODE"] = True
    assert {r.status_code for r in responses} == {200}
    bodies = [r.get_json() for r in responses]
    assert bodies[0] == bodies[1] == bodies[2]
    assert "token" not in bodies[0]


def test_claim_answers_the_same_for_unknown_claimed_and_wrong_code(client):
    make_student(claimed=False, registration_number="FRESH1", claim_code="RIGHT-CODE")
    make_student(claimed=True, registration_number="TAKEN1")
    make_student(claimed=False, registration_number="LEFT1", claim_code="RIGHT-CODE", is_active=False)

    def claim(number, code="RIGHT-CODE"):
        return client.post("/api/auth/claim-account", json={
            "registration_number": number, "password": "a-long-passphrase", "confirm_password": "a-long-passphrase",
            "claim_code": code})

    responses = [claim("FRESH1", "WRONG-CODE"), claim("NOBODY9"), claim("TAKEN1"), claim("LEFT1"), claim("fresh1", "")]
    assert {r.status_code for r in responses} == {401}
    assert all(_same_body(responses[0], r) for r in responses[1:])
    assert claim("FRESH1").status_code == 200


def test_reset_code_guessing_is_limited_per_account_and_voids_the_code(client):
    user = make_admin(email="reset@school.test")
    code = client.post("/api/auth/forgot-password", json={"email": user.email}).get_json()["token"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    statuses = [client.post("/api/auth/verify-reset-code", json={"email": user.email, "code": wrong}).status_code
                for _ in range(5)]
    assert statuses == [401] * 5
    throttled = client.post("/api/auth/verify-reset-code", json={"email": user.email, "code": code})
    assert_error(throttled, 429, "RATE_LIMITED")
    limiter.reset()  # even once the limiter lets the account try again, five wrong tries voided the code
    assert_error(client.post("/api/auth/verify-reset-code", json={"email": user.email, "code": code}), 401)


# --- exports: spreadsheet formulas are escaped -----------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.test","x")', "+SUM(1,1)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=cmd|' /C calc'!A0"]
EXPORTS = [
    ("/api/students/export", ("csv", "xlsx")),
    ("/api/exports/students", ("csv", "xlsx")),
    ("/api/exports/quiz/{quiz}/results", ("csv", "xlsx")),
    ("/api/exports/analytics/{quiz}", ("csv",)),
    ("/api/analytics/quiz/{quiz}/export", ("csv",)),
]


def _plant_formulas(world):
    from app.attempts.models import StudentAnswer

    student_a, student_b = world.users["student_a"], world.users["student_b"]
    student_a.name, student_b.name = FORMULAS[0], FORMULAS[1]
    student_a.email = "=evil@school.test"
    world.get("class", "a").name = FORMULAS[3]
    world.get("quiz", "a").title = FORMULAS[2]
    world.users["teacher_a"].name = FORMULAS[4]
    for answer in db.session.scalars(db.select(StudentAnswer)):
        if answer.answer_text is not None:
            answer.answer_text, answer.feedback = FORMULAS[5], FORMULAS[0]
    db.session.commit()


def _cells(response, fmt):
    if fmt == "xlsx":
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return [value for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row]
    import csv
    import io

    return [value for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))) for value in row]


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def test_every_export_escapes_spreadsheet_formulas(client):
    from tests.security.world import build_world

    world = build_world()
    _plant_formulas(world)
    checked, dangerous = 0, []
    for path, formats in EXPORTS:
        url = path.replace("{quiz}", world.get("quiz", "a").id)
        for fmt in formats:
            response = client.get(url, query_string={"format": fmt}, headers=world.headers("admin"))
            assert response.status_code == 200, (url, fmt, response.get_json(silent=True))
            cells = [c for c in _cells(response, fmt) if isinstance(c, str) and c and not _is_number(c)]
            checked += len(cells)
            dangerous += [f"{url} ({fmt}): {c!r}" for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
            escaped = [c for c in cells if c.startswith("'") and c[1:] in FORMULAS + ["=evil@school.test"]]
            if "analytics" not in url:  # names are in these exports: the escaping is visible
                assert escaped, (url, fmt)
    assert checked > 50
    assert not dangerous, "\n".join(dangerous)


# --- uploads: refused whole, nothing written ---------------------------------------------

IMPORTS = ["/api/students/bulk-import", "/api/questions/bulk-import"]


def _table_counts():
    from app.questions.models import Question

    return (db.session.scalar(db.select(db.func.count()).select_from(User)),
            db.session.scalar(db.select(db.func.count()).select_from(Question)))


@pytest.mark.parametrize("path", IMPORTS)
@pytest.mark.parametrize("name, content, filename, mimetype, status", [
    ("oversized", b"name,email\n" + b"x" * (16 * 1024 * 1024 + 10), "big.csv", "text/csv", 413),
    ("binary", b"\x00\x01\x02\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "data.csv", "text/csv", 415),
    ("png renamed", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "students.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 415),
    ("wrong type", b"%PDF-1.4 not a table", "students.pdf", "application/pdf", 415),
    ("executable", b"MZ\x90\x00\x03\x00\x00\x00", "students.exe", "application/octet-stream", 415),
    ("empty", b"", "students.csv", "text/csv", 422),
    ("mis-encoded", "name,email,registration_number,class_name\nZoë,z@s.test,R1,A\n".encode("utf-16"),
     "students.csv", "text/csv", None),
])
def test_bad_uploads_are_refused_with_nothing_written(client, path, name, content, filename, mimetype, status):
    import io

    admin = make_admin()
    before = _table_counts()
    response = client.post(path, headers={**auth(admin)}, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), filename, mimetype)})
    if status is None:  # mis-encoded text: refused (415/422), never half-imported
        assert response.status_code in (400, 415, 422), (name, response.status_code, response.get_json())
    else:
        assert response.status_code == status, (name, response.get_json(silent=True))
    assert set(response.get_json()) >= {"error", "error_code", "message", "details", "timestamp"}
    db.session.expire_all()
    assert _table_counts() == before


@pytest.mark.parametrize("path", IMPORTS)
def test_upload_over_the_request_limit_is_413_with_the_envelope(app, client, path):
    import io

    admin = make_admin()
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    response = client.post(path, headers=auth(admin), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"a" * size), "huge.csv", "text/csv")})
    assert_error(response, 413)
