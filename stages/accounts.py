"""Accounts of the review desk from the command line: add, list, disable, new password.

The password arrives already read (pipeline.py prompts without echo or reads
standard input); it is checked before the database is opened, hashed by
store.accounts, and never printed, logged or stored in clear.
"""

from __future__ import annotations

from config import Config
from stages.common import database, utcnow
from store.accounts import add_user, check_password, disable_user, list_users, set_password
from store.schema import User


def add_account(config: Config, name: str, password: str, role: str = "analyst") -> str:
    """A new account; what to print."""
    check_password(password)
    with database(config) as factory, factory.begin() as session:
        account = add_user(session, name, password, utcnow(), role)
    return f"user {account.name} added ({account.role})"


def change_password(config: Config, name: str, password: str) -> str:
    """A new password for an account; its open sessions end."""
    check_password(password)
    with database(config) as factory, factory.begin() as session:
        set_password(session, name, password, utcnow())
    return f"password of {name} changed; their open sessions have ended"


def disable_account(config: Config, name: str) -> str:
    """The account can no longer log in; its open sessions end."""
    with database(config) as factory, factory.begin() as session:
        disable_user(session, name, utcnow())
    return f"user {name} disabled; their open sessions have ended"


def list_accounts(config: Config) -> list[User]:
    """Every account, by name."""
    with database(config) as factory, factory() as session:
        return list_users(session)


def format_accounts(users: list[User]) -> str:
    """`users list`: name, role, status, when created, last login."""
    if not users:
        return "no users yet: pipeline.py users add NAME"
    lines = [f"{'NAME':<24} {'ROLE':<8} {'STATUS':<9} {'CREATED':<17} LAST LOGIN"]
    lines += [
        f"{u.name:<24} {u.role:<8} {'disabled' if u.disabled else 'active':<9} {u.created_at:%Y-%m-%d %H:%M} "
        f"{u.last_login_at.strftime('%Y-%m-%d %H:%M') if u.last_login_at else '-'}"
        for u in users
    ]
    return "\n".join(lines)
