"""pipeline.py users: accounts for the review desk, passwords never on the command line."""

from __future__ import annotations

import io

import pytest

import pipeline
from store.db import open_database
from store.schema import User

PASSWORD = "a long enough password"


def _run(config, monkeypatch, *args, stdin=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return pipeline.main(["users", "--config", str(config.path), *args])


def _users(config):
    engine, factory = open_database(config.database.url)
    with factory() as s:
        users = {u.name: (u.role, u.disabled, u.password_hash) for u in s.query(User)}
    engine.dispose()
    return users


def test_add_from_stdin_list_disable_and_passwd(config, monkeypatch, capsys):
    assert _run(config, monkeypatch, "add", "ann", "--role", "lead", "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert _run(config, monkeypatch, "add", "bob", "--password-stdin", stdin=PASSWORD) == 0
    assert "user ann added (lead)" in capsys.readouterr().out
    assert _run(config, monkeypatch, "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["NAME", "ROLE", "STATUS", "CREATED", "LAST", "LOGIN"]
    assert listing[1].split()[:3] == ["ann", "lead", "active"] and listing[2].split()[:3] == [
        "bob",
        "analyst",
        "active",
    ]
    before = _users(config)["bob"][2]
    assert _run(config, monkeypatch, "passwd", "bob", "--password-stdin", stdin="another long password\n") == 0
    assert _users(config)["bob"][2] != before
    assert _run(config, monkeypatch, "disable", "bob") == 0
    assert _users(config)["bob"][1] is True
    assert PASSWORD not in capsys.readouterr().out


def test_prompted_twice_without_echo(config, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert _run(config, monkeypatch, "add", "ann") == 0
    assert _users(config)["ann"][2].startswith("$argon2id$")


def test_prompted_passwords_that_differ_change_nothing(config, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert _run(config, monkeypatch, "add", "ann") == 1
    assert "the two passwords differ" in capsys.readouterr().err and _users(config) == {}


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["add", "ann", "--password-stdin"], "short\n", "password too short: at least 12 characters"),
        (["add", "ann", "--password-stdin"], "", "--password-stdin: no password on standard input"),
        (["add", "ann"], "", "no terminal to prompt for the password on; pipe it with --password-stdin"),
        (["add", "bad name!", "--password-stdin"], PASSWORD, "user name 'bad name!': use letters"),
        (["disable", "nobody"], None, "no user named 'nobody'"),
        (["passwd", "nobody", "--password-stdin"], PASSWORD, "no user named 'nobody'"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(config, monkeypatch, capsys, args, stdin, message):
    assert _run(config, monkeypatch, *args, stdin=stdin if stdin is not None else "") == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {message}")


def test_a_name_is_taken_whatever_its_case(config, monkeypatch, capsys):
    assert _run(config, monkeypatch, "add", "Ann", "--password-stdin", stdin=PASSWORD) == 0
    assert _run(config, monkeypatch, "add", "ann", "--password-stdin", stdin=PASSWORD) == 1
    assert "user 'ann' already exists" in capsys.readouterr().err


def test_list_with_no_users(config, monkeypatch, capsys):
    assert _run(config, monkeypatch, "list") == 0
    assert "no users yet" in capsys.readouterr().out
