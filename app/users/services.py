"""User management (admin) and profiles."""
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.auth import tokens
from app.auth.passwords import check_password_policy, hash_password
from app.auth.services import set_password
from app.common import events
from app.common.audit import record_audit
from app.common.clock import utcnow
from app.common.identifiers import login_key
from app.common.pagination import contains, equal_filters, paginate, search_filter
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.students.models import Student
from app.teachers.models import Teacher
from app.users.models import User

TEACHER_FIELDS = ("subject", "phone", "department", "bio")
ORDERINGS = {
    "created_at": User.created_at, "updated_at": User.updated_at, "last_login": User.last_login,
    "name": User.name, "email": User.email, "role": User.role,
}


def load_profile(user: User) -> User:
    """The user whose profile `MeSchema` reads (a teacher's classes, a student's class)."""
    return user


def list_users(params: dict) -> dict:
    """One page of users with their profiles, in two queries whatever the page size."""
    stmt = select(User).options(joinedload(User.teacher), joinedload(User.student))
    stmt = equal_filters(stmt, params, {"role": User.role})
    if "is_active" in params:
        stmt = stmt.where(User.is_active.is_(params["is_active"]))
    if params.get("search"):
        stmt = stmt.where(_matches(params["search"]))
    return paginate(stmt, params, orderings=ORDERINGS, default_ordering="-created_at", tiebreak=User.id)


def _matches(search: str):
    """Name, e-mail or registration number containing the search text."""
    by_registration = select(Student.id).where(
        contains(Student.registration_key, login_key(search), ignore_case=False))
    return or_(search_filter(search, User.name, User.email), User.id.in_(by_registration))


def get_user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def ensure_email_free(email: str, except_id: str | None = None) -> None:
    existing = db.session.scalar(select(User.id).where(User.email_key == login_key(email)))
    if existing and existing != except_id:
        raise Conflict("A user with this e-mail already exists", error_code="EMAIL_TAKEN",
                       details={"email": ["Already in use."]})


def create_user(data: dict, *, actor: User) -> User:
    ensure_email_free(data["email"])
    _refuse_teacher_fields(data, data["role"] == "teacher")
    check_password_policy(data["password"])
    user = User(email=data["email"], name=data["name"].strip(), role=data["role"], is_active=True,
                password_hash=hash_password(data["password"]))
    db.session.add(user)
    if user.role == "teacher":
        user.teacher = Teacher(**{f: data.get(f) for f in TEACHER_FIELDS})
    db.session.flush()
    record_audit(actor, "user_created", "user", user.id, new={"email": user.email, "role": user.role})
    return user


def update_user(user: User, data: dict, *, actor: User) -> User:
    old = {"email": user.email, "name": user.name, "role": user.role}
    if "email" in data:
        ensure_email_free(data["email"], except_id=user.id)
        user.email = data["email"]
    if "name" in data:
        user.name = data["name"].strip()
    if "role" in data and data["role"] != user.role:
        change_role(user, data["role"], actor=actor)
    _update_teacher_profile(user, data)
    if "password" in data:
        check_password_policy(data["password"])
        set_password(user, data["password"], actor=actor, action="user_password_set")
    record_audit(actor, "user_updated", "user", user.id, old=old,
                 new={"email": user.email, "name": user.name, "role": user.role})
    return user


def change_role(user: User, role: str, *, actor: User) -> None:
    if user.is_student:
        raise ValidationFailed("A student account cannot change role",
                               details={"role": ["Students keep their role."]})
    if user.id == actor.id:
        raise ValidationFailed("You cannot change your own role", details={"role": ["Not for yourself."]})
    user.role = role
    if role == "teacher" and user.teacher is None:
        user.teacher = Teacher()
    # HTTP requests load the user afresh; a socket was let in for the old role.
    events.publish(events.access_revoked, user_id=user.id, reason="role_changed")


def _refuse_teacher_fields(data: dict, is_teacher: bool) -> None:
    sent = [f for f in TEACHER_FIELDS if f in data]
    if sent and not is_teacher:
        raise ValidationFailed("Only teachers have these fields", details={f: ["Only for teachers."] for f in sent})


def _update_teacher_profile(user: User, data: dict) -> None:
    changes = {f: data[f] for f in TEACHER_FIELDS if f in data}
    _refuse_teacher_fields(changes, user.teacher is not None)
    for field, value in changes.items():
        setattr(user.teacher, field, value)


def deactivate_user(user: User, *, actor: User) -> None:
    if user.id == actor.id:
        raise Conflict("You cannot deactivate your own account", error_code="SELF_DEACTIVATION")
    if not user.is_active:
        return
    deactivate_account(user)
    record_audit(actor, "user_deactivated", "user", user.id)


def deactivate_account(user: User) -> None:
    """The account stops working: every token it holds and every live socket of it end."""
    user.deactivate(utcnow())
    tokens.revoke_all_tokens(user)
    events.publish(events.access_revoked, user_id=user.id, reason="deactivated")


def restore_user(user: User, *, actor: User) -> User:
    if user.is_active:
        raise Conflict("The user is already active", error_code="ALREADY_ACTIVE")
    user.restore()
    record_audit(actor, "user_restored", "user", user.id)
    return user
