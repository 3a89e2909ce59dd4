"""Password hashing and policy (CONTRACT "Auth").

bcrypt reads only 72 bytes, so the password is first reduced with SHA-256: a long
passphrase is never silently truncated.
"""
import base64
import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

from app.errors import ValidationFailed
from app.extensions import bcrypt

MIN_LENGTH, MAX_LENGTH = 8, 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    return bcrypt.generate_password_hash(_prehash(password)).decode("ascii")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists or has a password."""
    if not password_hash:
        bcrypt.check_password_hash(_dummy_hash(), _prehash(password))
        return False
    return bcrypt.check_password_hash(password_hash, _prehash(password))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def check_password_policy(password: str, field: str = "password") -> None:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Must be at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Must be at most {MAX_LENGTH} characters.")
    if password.lower() in common_passwords():
        problems.append("This password is too common; choose another.")
    if problems:
        raise ValidationFailed("The password does not meet the policy", details={field: problems})


def hash_code(code: str) -> str:
    """Hash for short secrets (reset codes, claim codes): keyed so a DB dump alone
    does not let anyone brute-force them offline."""
    from flask import current_app

    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, code.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


def codes_match(stored_hash: str | None, code: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(stored_hash, hash_code(code))
