"""Accounts in the browser: login, logout, sessions that end, CSRF on every form, rate limits."""

from __future__ import annotations

import logging
import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from store.accounts import MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_NAME, disable_user, set_password
from store.schema import User
from tests.web.conftest import PASSWORD, csrf_of

PUBLIC = {"/login", "/healthz", "/static"}


def _pages(app) -> list[str]:
    """Every GET route that needs no path parameter, except the public ones."""
    return [
        r.path
        for r in app.routes
        if isinstance(r, Route) and "GET" in (r.methods or ()) and "{" not in r.path and r.path not in PUBLIC
    ]


def _actions(app) -> list[str]:
    """Every POST route, path parameters filled with 1."""
    return [
        re.sub(r"\{[^}]+\}", "1", r.path) for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())
    ]


def test_logged_out_every_page_sends_to_login_and_shows_nothing(desk):
    client = desk.client()
    pages = _pages(desk.app)
    assert "/search" in pages and "/trends" in pages
    for path in pages:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


def test_logged_out_actions_change_nothing(desk):
    client = desk.client()
    token = csrf_of(client.get("/login").text)  # even with a valid token of an anonymous session
    for path in _actions(desk.app):
        if path in ("/login", "/logout"):
            continue
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


def test_login_lands_on_the_page_asked_for_and_never_on_another_site(desk):
    desk.user("ann")
    client = desk.client()
    assert desk.post_login(client, "ann", PASSWORD, "/trends?weeks=4").headers["location"] == "/trends?weeks=4"
    client = desk.client()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert desk.post_login(client, "ann", PASSWORD, evil).headers["location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(desk):
    desk.user("ann")
    wrong = desk.post_login(desk.client(), "ann", "not the password at all")
    unknown = desk.post_login(desk.client(), "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password" in wrong.text and "Wrong user name or password" in unknown.text


def test_user_name_is_not_case_sensitive_at_login(desk):
    desk.user("Ann")
    assert desk.post_login(desk.client(), "ann", PASSWORD).status_code == 303


def test_disabled_account_cannot_log_in_and_its_open_session_ends(desk):
    desk.user("ann")
    client = desk.login("ann")
    assert client.get("/search").status_code == 200
    with desk.factory.begin() as session:
        disable_user(session, "ann", desk.clock())
    assert client.get("/search").status_code == 303
    assert desk.post_login(desk.client(), "ann", PASSWORD).status_code == 401


def test_a_new_password_ends_every_session_signed_before(desk):
    desk.user("ann")
    client = desk.login("ann")
    with desk.factory.begin() as session:
        set_password(session, "ann", "a brand new long password", desk.clock())
    assert client.get("/search").status_code == 303
    assert desk.post_login(desk.client(), "ann", PASSWORD).status_code == 401
    assert desk.post_login(desk.client(), "ann", "a brand new long password").status_code == 303


def test_session_ends_after_the_configured_hours(desk):
    desk.user("ann")
    client = desk.login("ann")
    desk.clock.advance(hours=desk.app.state.config.web.session_hours - 0.1)
    assert client.get("/search").status_code == 200
    desk.clock.advance(hours=0.2)
    assert client.get("/search").status_code == 303


def test_logout_needs_the_session_token_then_ends_the_session(desk):
    desk.user("ann")
    client = desk.login("ann")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/search").status_code == 200
    token = desk.token(client)
    assert client.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
    assert client.get("/search").status_code == 303


def test_every_action_refuses_a_missing_or_foreign_csrf_token(desk):
    desk.user("ann")
    desk.user("bob")
    ann, bob = desk.login("ann"), desk.login("bob")
    foreign = desk.token(bob)
    actions = _actions(desk.app)
    assert {"/login", "/logout", "/items/1/decide", "/items/1/claim", "/campaigns/1/decide"} <= set(actions)
    for path in actions:
        for data in ({}, {"csrf_token": ""}, {"csrf_token": foreign}):
            response = ann.post(path, data=data)
            assert response.status_code == 403, (path, data)
            assert "Nothing was changed" in response.text


def test_login_form_itself_needs_its_token(desk):
    desk.user("ann")
    client = desk.client()
    client.get("/login")
    response = client.post("/login", data={"name": "ann", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/search").status_code == 303


def test_failed_logins_are_rate_limited_per_account_name(desk):
    desk.user("ann")
    for _ in range(MAX_FAILURES_PER_NAME):
        assert desk.post_login(desk.client(), "ann", "wrong password guess").status_code == 401
    refused = desk.post_login(desk.client(), "ann", PASSWORD)
    assert refused.status_code == 429 and "too many failed logins" in refused.text
    desk.clock.advance(minutes=16)
    assert desk.post_login(desk.client(), "ann", PASSWORD).status_code == 303


def test_failed_logins_are_rate_limited_per_client(desk):
    desk.user("ann")
    client = desk.client()
    for i in range(MAX_FAILURES_PER_CLIENT):
        desk.post_login(client, f"guess{i}", "wrong password guess")
    assert desk.post_login(client, "ann", PASSWORD).status_code == 429


def test_session_cookie_is_httponly_and_strict(desk):
    desk.user("ann")
    response = desk.post_login(desk.client(), "ann", PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("lurewatch_session=") and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http on loopback: a Secure cookie would never come back


def test_behind_https_the_cookie_is_secure_host_only_and_hsts_is_sent(write_config, tmp_path, tiny_models_dir):
    from tests.web.conftest import make_desk

    path = write_config(
        {"database": {"url": "sqlite:///data/d.db"}, "web": {"https": True}, "models": {"dir": str(tiny_models_dir)}},
        name="https.yaml",
    )
    desk = next(make_desk(f"sqlite:///{tmp_path / 'h.db'}", path))
    desk.user("ann")
    client = desk.client()
    client.base_url = "https://testserver"
    response = desk.post_login(client, "ann", PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("__host-lurewatch_session=") and "; secure" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_passwords_are_argon2_hashes_and_never_logged(desk, caplog):
    caplog.set_level(logging.DEBUG)
    desk.user("ann")
    desk.post_login(desk.client(), "ann", "wrong password guess")
    desk.login("ann")
    with desk.factory() as session:
        stored = session.query(User).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD not in caplog.text and "wrong password guess" not in caplog.text


@pytest.mark.parametrize("field", ["name", "password"])
def test_oversized_login_fields_are_refused_cleanly(desk, field):
    desk.user("ann")
    client = desk.client()
    token = csrf_of(client.get("/login").text)
    data = {"csrf_token": token, "name": "ann", "password": PASSWORD, field: "x" * 5000}
    assert client.post("/login", data=data).status_code == 401


# ------------------------------------------------- issue 23, probe 8: proxies and lock-outs


def test_x_forwarded_for_is_ignored_unless_from_a_configured_proxy(desk):
    """A rotating X-Forwarded-For from a direct client dodged the per-address limit."""
    desk.user("ann")
    client = TestClient(desk.app, follow_redirects=False, client=("203.0.113.9", 5000))
    for i in range(MAX_FAILURES_PER_CLIENT):
        client.headers["X-Forwarded-For"] = f"198.51.100.{i}"
        desk.post_login(client, f"guess{i}", "wrong password guess")
    client.headers["X-Forwarded-For"] = "198.51.100.250"
    assert desk.post_login(client, "ann", PASSWORD).status_code == 429  # still the one address


def test_a_configured_proxy_passes_on_the_analysts_own_address(write_config, tmp_path, tiny_models_dir):
    from tests.web.conftest import make_desk

    path = write_config(
        {"web": {"trusted_proxies": ["127.0.0.1"]}, "models": {"dir": str(tiny_models_dir)}}, name="proxy.yaml"
    )
    desk = next(make_desk(f"sqlite:///{tmp_path / 'p.db'}", path))
    desk.user("ann")
    proxy = TestClient(desk.app, follow_redirects=False, client=("127.0.0.1", 5000))
    proxy.headers["X-Forwarded-For"] = "198.51.100.7"
    for i in range(MAX_FAILURES_PER_CLIENT):
        desk.post_login(proxy, f"guess{i}", "wrong password guess")
    assert desk.post_login(proxy, "ann", PASSWORD).status_code == 429  # 198.51.100.7 is locked...
    proxy.headers["X-Forwarded-For"] = "198.51.100.8"
    assert desk.post_login(proxy, "ann", PASSWORD).status_code == 303  # ...not the proxy, not everyone


def test_bad_logins_from_loopback_never_lock_out_every_direct_analyst(desk):
    desk.user("ann")
    desk.user("bob")
    local = TestClient(desk.app, follow_redirects=False, client=("127.0.0.1", 5000))
    for i in range(MAX_FAILURES_PER_CLIENT):
        desk.post_login(local, f"guess{i}", "wrong password guess")
    for _ in range(MAX_FAILURES_PER_NAME):
        desk.post_login(local, "bob", "wrong password guess")
    assert desk.post_login(local, "bob", PASSWORD).status_code == 429  # bob's account is locked
    assert desk.post_login(local, "ann", PASSWORD).status_code == 303  # ann, on the same address, is not


@pytest.mark.parametrize(
    "path, status",
    [
        ("/items/2147483648", 404),  # past PostgreSQL's integer: was "integer out of range", a 500
        ("/items/99999999999999999999", 404),  # past SQLite's int64: was an OverflowError, a 500
        ("/items/0", 404),
        ("/runs/2147483648", 404),
        ("/search?q=%00", 400),  # PostgreSQL refuses NUL in text: was a 500
        ("/queue?source=%00", 400),
        ("/queue?source=a%00b", 400),
    ],
)
def test_ids_out_of_range_and_nul_characters_are_404_or_400_never_500(desk, path, status):
    desk.user("ann")
    client = desk.login("ann")
    response = client.get(path)
    assert response.status_code == status, response.text[:200]
