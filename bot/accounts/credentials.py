"""Password hashing (argon2), opaque tokens (sha256 at rest), signed cookie values, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.accounts.errors import WeakPassword

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
API_TOKEN_PREFIX = "ddk_"

_hasher = PasswordHasher()


def check_password_strength(password: str) -> None:
    """At least 12 characters (DOMAIN: personal data), and not absurdly long."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"the password must have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time argon2 verification; a missing hash never matches."""
    if not password_hash:
        # Spend comparable time so a missing account is not told apart by timing.
        _hasher.hash("not-a-real-password-placeholder")
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def sign(value: str, *, secret: str) -> str:
    """``value.signature`` (HMAC-SHA256) for cookies."""
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(signed: str, *, secret: str) -> str | None:
    """The value of a signed string, or None when the signature does not match."""
    value, _, mac = signed.rpartition(".")
    if not value or not mac:
        return None
    expected = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return value if hmac.compare_digest(mac, expected) else None


def csrf_token_for(session_token: str, *, secret: str) -> str:
    """The CSRF token of a web session: derived, so nothing extra is stored."""
    return hmac.new(secret.encode(), f"csrf|{session_token}".encode(), hashlib.sha256).hexdigest()


def tokens_match(given: str | None, expected: str) -> bool:
    # As bytes: compare_digest refuses non-ASCII str, and a forged token may be anything.
    return bool(given) and hmac.compare_digest(
        str(given).encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
