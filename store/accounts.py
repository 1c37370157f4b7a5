"""Accounts of the review desk: analysts and leads, argon2 password hashes, login limits.

Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106 low-memory
profile) and never stored, logged or returned in clear. A hash made with older
parameters is upgraded at the next successful login. Failed logins are recorded
and counted per account name and per client, so guessing is slowed down across
every process of the desk, not only within one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from store.errors import NotFoundError, StoreError
from store.schema import ROLES, DeskSession, LoginFailure, User

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes anything; a megabyte "password" is an attack
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# Failed logins allowed in FAILURE_WINDOW, per account name and per client address. Never
# global: a client address that every direct user shares (loopback: the desk on this
# machine, reached through an SSH tunnel) is never locked as a whole, or 20 bad logins
# from anyone there would lock every analyst out (issue 23, probe 8); its failures count
# against each account tried. Behind a proxy, web.trusted_proxies makes the address the
# analyst's own.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20

_hasher = PasswordHasher()


@lru_cache(maxsize=2)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified when the name is unknown, so a wrong name takes as long as a wrong password."""
    return hasher.hash("not a password of anyone")


class AccountError(StoreError):
    """An account cannot be created or changed as asked."""


class LoginRefused(StoreError):
    """Too many failed logins lately for this account name or from this client."""


@dataclass(frozen=True)
class Account:
    """What the desk needs to know about a logged-in user (never the hash)."""

    id: int
    name: str
    role: str
    session_epoch: int

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


def _account(user: User) -> Account:
    return Account(user.id, user.name, user.role, user.session_epoch)


def check_password(password: str) -> None:
    """AccountError unless the password is long enough (and not absurdly long)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"password too long: at most {MAX_PASSWORD} characters")


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.name) == name.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user


def add_user(session: Session, name: str, password: str, now: datetime, role: str = "analyst") -> Account:
    """A new account; AccountError for a bad or taken name, a bad role or a weak password."""
    if not NAME.match(name):
        raise AccountError(
            f"user name {name!r}: use letters, digits and . _ @ - (at most 64, starting with a letter or digit)"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (expected {' or '.join(ROLES)})")
    check_password(password)
    if session.scalar(select(User.id).where(func.lower(User.name) == name.lower())) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(
        name=name,
        role=role,
        password_hash=_hasher.hash(password),
        disabled=False,
        session_epoch=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    return _account(user)


def set_password(session: Session, name: str, password: str, now: datetime) -> None:
    """A new password; every session signed before it ends."""
    check_password(password)
    user = _user(session, name)
    user.password_hash, user.updated_at = _hasher.hash(password), now
    user.session_epoch += 1
    _end_all(session, user.id, now)


def disable_user(session: Session, name: str, now: datetime) -> None:
    """The account can no longer log in, and its open sessions end."""
    user = _user(session, name)
    user.disabled, user.updated_at = True, now
    user.session_epoch += 1
    _end_all(session, user.id, now)


def _end_all(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(DeskSession).where(DeskSession.user_id == user_id, DeskSession.ended_at.is_(None)).values(ended_at=now)
    )


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, account: Account, now: datetime, max_age: timedelta) -> str:
    """A new desk session for ``account``: the token its cookie carries (only its hash is
    stored). Sessions ended or older than ``max_age`` are deleted on the way."""
    session.execute(
        delete(DeskSession).where(or_(DeskSession.ended_at.is_not(None), DeskSession.created_at < now - max_age))
    )
    token = secrets.token_urlsafe(32)
    session.add(DeskSession(id=_session_id(token), user_id=account.id, created_at=now))
    return token


def end_session(session: Session, token: str, now: datetime) -> None:
    """Log out: the session ends on the server, so its cookie opens nothing any more."""
    row = session.get(DeskSession, _session_id(str(token or "")))
    if row is not None and row.ended_at is None:
        row.ended_at = now


def session_account(
    session: Session, token: str, user_id: int, epoch: int, now: datetime, max_age: timedelta
) -> Account | None:
    """The account of a live desk session: not logged out, not older than ``max_age``, its
    account enabled and its password unchanged since (the epoch)."""
    row = session.get(DeskSession, _session_id(str(token or "")))
    if row is None or row.ended_at is not None or row.user_id != user_id or now - row.created_at > max_age:
        return None
    return active_account(session, user_id, epoch)


def is_lead(session: Session, name: str) -> bool:
    """Whether ``name`` is an enabled lead account (who may act as a lead from the CLI)."""
    user = session.scalar(select(User).where(func.lower(User.name) == str(name or "").strip().lower()))
    return user is not None and not user.disabled and user.role == "lead"


def active_account(session: Session, user_id: int, epoch: int) -> Account | None:
    """The account a session cookie names, if it is still enabled and the session still valid."""
    user = session.get(User, user_id)
    if user is None or user.disabled or user.session_epoch != epoch:
        return None
    return _account(user)


def authenticate(session: Session, name: str, password: str, client: str, now: datetime) -> Account | None:
    """The account for a correct name and password (any case of the name).

    None for a wrong name or password or a disabled account, recorded as a failure
    (the caller commits it). LoginRefused, before any password is checked, when this
    name or this client failed too often lately.
    """
    name, client = name.strip()[:200], client[:100]
    since = now - FAILURE_WINDOW
    by_name = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.name == name.lower(), LoginFailure.at >= since)
    )
    by_client = (
        0
        if shared_address(client)
        else session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.client == client, LoginFailure.at >= since)
        )
    )
    if (by_name or 0) >= MAX_FAILURES_PER_NAME or (by_client or 0) >= MAX_FAILURES_PER_CLIENT:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise LoginRefused(f"too many failed logins; wait {minutes} minutes and try again")
    user = session.scalar(select(User).where(func.lower(User.name) == name.lower())) if name else None
    if not _verify(user.password_hash if user else _dummy_hash(_hasher), password) or user is None or user.disabled:
        session.add(LoginFailure(name=name.lower(), client=client, at=now))
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - 4 * FAILURE_WINDOW))
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return _account(user)


def shared_address(client: str) -> bool:
    """True for a client address every direct user shares (loopback), which is never locked whole."""
    import ipaddress

    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return client == "localhost"


def _verify(password_hash: str, password: str) -> bool:
    if not password or len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
