"""Look-alike spellings of a login identifier never beat the per-account limits.

One canonical key (Unicode NFKC, case-folded, trimmed) decides both which account a
spelling names and which rate-limit bucket it counts against. A spelling with the
canonical key is the same account and shares its bucket; a spelling with another key
is another account (here: none). So once the canonical spelling is throttled, no
spelling logs in to, claims, or gets a reset code for the account.
"""
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.models import PasswordResetToken
from app.common.identifiers import login_key
from app.extensions import db
from app.students.models import Student
from tests.factories import PASSWORD, auth, make_admin, make_student
from tests.helpers import assert_error

REGISTRATION = "STU2024001"
EMAIL = "hardmail@school.test"
CLAIM_CODE = "CLAIM-123"
SAME_ACCOUNT, OTHER_ACCOUNT = "same", "other"

REGISTRATION_SPELLINGS = [
    pytest.param("ſTU2024001", SAME_ACCOUNT, id="long-s"),
    pytest.param("ﬅU2024001", SAME_ACCOUNT, id="st-ligature"),
    pytest.param("ＳＴＵ２０２４００１", SAME_ACCOUNT, id="fullwidth"),
    pytest.param(" stu2024001\u00a0", SAME_ACCOUNT, id="lower-case-padded"),
    pytest.param("STÚ2024001", OTHER_ACCOUNT, id="precomposed-accent"),
    pytest.param("STU\u03012024001", OTHER_ACCOUNT, id="combining-accent"),
]
EMAIL_SPELLINGS = [
    pytest.param("HardMail@School.TEST", SAME_ACCOUNT, id="upper-case"),
    pytest.param("hardmail@ſchool.test", SAME_ACCOUNT, id="long-s"),
    pytest.param("ｈａｒｄｍａｉｌ@school.test", SAME_ACCOUNT, id="fullwidth"),
    pytest.param("hárdmail@school.test", OTHER_ACCOUNT, id="accent-in-local-part"),
    pytest.param("hardmail@schóol.test", OTHER_ACCOUNT, id="accent-in-domain"),
    pytest.param("ha\u0301rdmail@school.test", OTHER_ACCOUNT, id="combining-accent"),
]


def post(client, path, **body):
    return client.post(f"/api/auth/{path}", json=body)


def login(client, identifier, password=PASSWORD):
    return post(client, "login", email_or_reg_no=identifier, password=password)


def forgot(client, email):
    return post(client, "forgot-password", email=email)


def throttle(send) -> None:
    """Spend the per-account allowance (5 per minute) with failures; the next is 429."""
    assert [send().status_code for _ in range(5)] == [401] * 5
    assert_error(send(), 429, "RATE_LIMITED")


def refused_as(response, outcome, unknown_status=401):
    """Same key: throttled with the canonical spelling. Other key: an unknown account
    (a combining accent is no valid e-mail address at all, so 422 where one is checked)."""
    if outcome == SAME_ACCOUNT:
        return assert_error(response, 429, "RATE_LIMITED")
    assert response.status_code == unknown_status, response.get_json()
    return response.get_json()


def email_unknown_status(spelling: str, known_or_not: int = 401) -> int:
    """How a route answers an unknown e-mail (`known_or_not`): a combining accent is no
    valid address, refused before any lookup."""
    return 422 if "\u0301" in spelling else known_or_not


def reset_codes_of(user_id: str) -> int:
    db.session.expire_all()
    return db.session.query(PasswordResetToken).filter_by(user_id=user_id).count()


@pytest.mark.parametrize("spelling, outcome", REGISTRATION_SPELLINGS)
def test_a_registration_number_look_alike_cannot_log_in_once_the_account_is_throttled(client, spelling, outcome):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    throttle(lambda: login(client, REGISTRATION, "wrong-guess"))
    body = refused_as(login(client, spelling), outcome)
    assert "access_token" not in body


@pytest.mark.parametrize("spelling, outcome", EMAIL_SPELLINGS)
def test_an_email_look_alike_cannot_log_in_once_the_account_is_throttled(client, spelling, outcome):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    throttle(lambda: login(client, EMAIL, "wrong-guess"))
    body = refused_as(login(client, spelling), outcome)
    assert "access_token" not in body


@pytest.mark.parametrize("spelling, outcome", REGISTRATION_SPELLINGS)
def test_a_look_alike_cannot_claim_an_account_once_claims_on_it_are_throttled(client, spelling, outcome):
    student = make_student(claimed=False, claim_code=CLAIM_CODE, registration_number=REGISTRATION)

    def claim(number, code):
        return post(client, "claim-account", registration_number=number, claim_code=code,
                    password=PASSWORD, confirm_password=PASSWORD)

    throttle(lambda: claim(REGISTRATION, "WRONG-CODE"))
    refused_as(claim(spelling, CLAIM_CODE), outcome)
    db.session.expire_all()
    assert db.session.get(Student, student.id).is_account_claimed is False


@pytest.mark.parametrize("spelling, outcome", EMAIL_SPELLINGS)
def test_a_look_alike_gets_no_reset_code_once_forgot_password_is_throttled(client, spelling, outcome):
    user = make_student(registration_number=REGISTRATION, email=EMAIL)
    for _ in range(5):  # forgot-password counts every request, answered or not
        assert forgot(client, EMAIL).status_code == 200
    assert_error(forgot(client, EMAIL), 429, "RATE_LIMITED")
    issued = reset_codes_of(user.id)

    response = forgot(client, spelling)
    if outcome == SAME_ACCOUNT:
        assert_error(response, 429, "RATE_LIMITED")
    else:
        assert response.status_code == email_unknown_status(spelling, 200), response.get_json()
        assert "token" not in response.get_json()
    assert reset_codes_of(user.id) == issued


@pytest.mark.parametrize("route", ["verify-reset-code", "reset-password"])
@pytest.mark.parametrize("spelling, outcome", EMAIL_SPELLINGS)
def test_a_look_alike_cannot_use_a_reset_code_once_code_checks_are_throttled(client, route, spelling, outcome):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    code = forgot(client, EMAIL).get_json()["token"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    extra = {"new_password": "a-brand-new-passphrase"} if route == "reset-password" else {}
    throttle(lambda: post(client, route, email=EMAIL, code=wrong, **extra))
    fresh = forgot(client, EMAIL).get_json()["token"]  # the wrong tries voided the first code

    body = refused_as(post(client, route, email=spelling, code=fresh, **extra), outcome,
                      email_unknown_status(spelling))
    assert "reset_token" not in body
    assert login(client, EMAIL).status_code == 200  # the password was not reset


# --- storing: uniqueness is the key's, on create, update and import ---------------------------

def admin_headers():
    return auth(make_admin())


def new_student(**fields):
    return {"name": "New Student", "email": "new@school.test", "registration_number": "NEW2024001", **fields}


@pytest.mark.parametrize("field, spelling, error_code", [
    ("email", "ｈａｒｄｍａｉｌ@school.test", "EMAIL_TAKEN"),
    ("email", "HardMail@ſchool.test", "EMAIL_TAKEN"),
    ("registration_number", "ＳＴＵ２０２４００１", "REGISTRATION_NUMBER_TAKEN"),
    ("registration_number", "ﬅU2024001", "REGISTRATION_NUMBER_TAKEN"),
])
def test_a_spelling_with_a_taken_key_is_taken_on_create_and_update(client, field, spelling, error_code):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    headers = admin_headers()
    assert_error(client.post("/api/students", json=new_student(**{field: spelling}), headers=headers),
                 409, error_code)
    other = client.post("/api/students", json=new_student(), headers=headers).get_json()
    assert_error(client.put(f"/api/students/{other['id']}", json={field: spelling}, headers=headers),
                 409, error_code)


def test_a_spelling_with_a_taken_email_key_is_taken_for_staff_accounts(client):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    body = {"email": "ｈａｒｄｍａｉｌ@school.test", "name": "Look Alike", "password": "temp-pass-2026",
            "role": "teacher"}
    assert_error(client.post("/api/users", json=body, headers=admin_headers()), 409, "EMAIL_TAKEN")


def test_an_accented_spelling_is_another_account_reached_only_by_its_own_spellings(client):
    original = make_student(registration_number=REGISTRATION, email=EMAIL)
    created = client.post("/api/students", json=new_student(email="hárdmail@school.test",
                                                            registration_number="STÚ2024001"),
                          headers=admin_headers())
    assert created.status_code == 201, created.get_json()
    accented = db.session.get(Student, created.get_json()["id"])
    accented.user.password_hash = original.password_hash
    db.session.commit()

    def reached(identifier):
        return login(client, identifier).get_json()["user"]["id"]

    assert {reached(EMAIL), reached(REGISTRATION), reached("stu2024001")} == {original.id}
    assert {reached("hárdmail@school.test"), reached("ha\u0301rdmail@school.test"),
            reached("STÚ2024001"), reached("STU\u03012024001"), reached("stú2024001")} == {accented.id}


def test_import_compares_login_keys_with_the_database_and_within_the_file(client):
    make_student(registration_number=REGISTRATION, email=EMAIL)
    rows = [
        "Fullwidth Email,ｈａｒｄｍａｉｌ@school.test,NEW001,Class 10",  # row 2: taken e-mail
        "Ligature Number,lig@school.test,ﬅU2024001,Class 10",            # row 3: taken number
        "Long S,long@school.test,ſTU9,Class 10",                          # row 4: first of a pair
        "Plain S,plain@school.test,STU9,Class 10",                        # row 5: same key as row 4
        "Accented,hárdmail@school.test,STÚ2024001,Class 10",              # row 6: another account
    ]
    content = "name,email,registration_number,class_name\n" + "\n".join(rows) + "\n"
    data = {"file": (io.BytesIO(content.encode()), "students.csv", "text/csv")}
    response = client.post("/api/students/bulk-import", data=data, headers=admin_headers(),
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(e["row"], e["field"], e["error"]) for e in body["errors"]] == [
        (2, "email", "Already in the database"),
        (3, "registration_number", "Already in the database"),
        (5, "registration_number", "Duplicate of row 4 in this file"),
    ]
    assert [s["row"] for s in body["imported_students"]] == [4, 6]
    assert login_keys_of_students() == {"hardmail@school.test": "stu2024001", "long@school.test": "stu9",
                                        "hárdmail@school.test": "stú2024001"}


def login_keys_of_students() -> dict:
    db.session.expire_all()
    return {s.user.email_key: s.registration_key for s in db.session.query(Student)}


# --- the one function --------------------------------------------------------------------------

@pytest.mark.parametrize("spelling, key", [
    ("  STU2024001 ", "stu2024001"),
    ("ſTU2024001", "stu2024001"),
    ("ﬅU2024001", "stu2024001"),
    ("ＳＴＵ２０２４００１", "stu2024001"),
    ("Straße", "strasse"),
    ("hárdmail@SCHOOL.test", "h\u00e1rdmail@school.test"),
    ("ha\u0301rdmail@school.test", "h\u00e1rdmail@school.test"),  # composed, like the precomposed letter
    ("\u3000kate@school.test\u00a0", "kate@school.test"),
])
def test_login_key_is_nfkc_then_casefold_then_trimmed(spelling, key):
    assert login_key(spelling) == key


@given(st.text())
def test_login_key_of_a_login_key_is_itself(text):
    assert login_key(login_key(text)) == login_key(text)


def test_an_email_wins_over_a_registration_number_spelled_like_it(client):
    make_student(registration_number="HEAD@School.test")  # same key, same password, older
    admin = make_admin(email="head@school.test")
    assert {login(client, "head@school.test").get_json()["user"]["id"] for _ in range(3)} == {admin.id}


def test_an_identifier_whose_key_outgrows_its_column_is_refused_not_cut(client):
    """NFKC turns U+FDFA into eighteen characters: three of them make a 54-character key."""
    number = "\ufdfa" * 3
    response = client.post("/api/students", json=new_student(registration_number=number), headers=admin_headers())
    details = assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert details == {"registration_number": ["Longer than 50 characters once normalised."]}
    content = f"name,email,registration_number,class_name\nLong,long@school.test,{number},Class 10\n"
    data = {"file": (io.BytesIO(content.encode()), "students.csv", "text/csv")}
    body = client.post("/api/students/bulk-import", data=data, headers=admin_headers(),
                       content_type="multipart/form-data").get_json()
    assert body["errors"] == [{"row": 2, "field": "registration_number",
                               "message": "Longer than 50 characters once normalised.",
                               "error": "Longer than 50 characters once normalised."}]
    assert db.session.query(Student).count() == 0
