"""Headers, the bind rule and hostile input: the desk is opened next to lures."""

from __future__ import annotations

import pytest

import pipeline
from config import ConfigError
from web.security import CSP, is_loopback, session_secret

HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def test_csp_allows_nothing_but_the_desk_itself():
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CSP and "http" not in CSP


def test_every_response_carries_the_security_headers(desk):
    desk.user("ann")
    client = desk.login("ann")
    for path in ("/login", "/search", "/trends", "/static/desk.css", "/no-such-page", "/healthz"):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    assert client.get("/search").headers["cache-control"] == "no-store"
    assert "max-age" in client.get("/static/desk.js").headers["cache-control"]


def test_templates_load_nothing_from_elsewhere(desk):
    desk.user("ann")
    html = desk.login("ann").get("/search").text
    assert 'src="/static/desk.js"' in html and 'href="/static/desk.css"' in html
    assert "http://" not in html and "https://" not in html


def test_health_answers_without_a_login_and_tells_only_ok_and_the_schema(desk):
    from store.db import head_revision

    response = desk.client().get("/healthz")
    assert response.status_code == 200
    assert response.text == f"ok\nschema {head_revision()}\n"
    assert "set-cookie" not in response.headers
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name


def test_bodies_over_a_megabyte_are_refused_before_any_view(desk):
    desk.user("ann")
    client = desk.login("ann")
    response = client.post(
        "/logout", content=b"x" * (1024 * 1024 + 1), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert client.get("/search").status_code == 200


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("::", False),
        ("desk.example", False),
    ],
)
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_non_loopback_bind_without_the_secret_is_refused():
    with pytest.raises(ConfigError, match="refusing to listen on 0.0.0.0 without LUREWATCH_SECRET_KEY"):
        session_secret("0.0.0.0", None)
    with pytest.raises(ConfigError, match="too short"):
        session_secret("0.0.0.0", "short")
    assert session_secret("0.0.0.0", "k" * 40) == "k" * 40
    first, second = session_secret("127.0.0.1", None), session_secret("127.0.0.1", None)
    assert len(first) >= 40 and first != second  # loopback: a random key per process


def test_serve_refuses_a_public_bind_without_the_secret(capsys, monkeypatch):
    monkeypatch.delenv("LUREWATCH_SECRET_KEY", raising=False)
    assert pipeline.main(["serve", "--host", "0.0.0.0", "--port", "8089"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: web: refusing to listen on 0.0.0.0 without LUREWATCH_SECRET_KEY")
    assert len(err.strip().splitlines()) == 1


def test_serve_reads_the_secret_from_the_environment_only(write_config, monkeypatch):
    from config import load_config

    monkeypatch.setenv("LUREWATCH_SECRET_KEY", "e" * 40)
    config = load_config(write_config({"web": {"host": "0.0.0.0"}}))
    assert config.web.secret_key == "e" * 40 and "e" * 40 not in repr(config)
    with pytest.raises(ConfigError, match="web.secret_key: unknown key"):
        load_config(write_config({"web": {"secret_key": "in the file"}}, name="bad.yaml"))
