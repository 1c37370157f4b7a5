"""config.py: lookup, overrides, path resolution, and exact errors for bad configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEFAULT_MODELS_DIR, ConfigError, find_config, load_config, parse_config

BOARD = {
    "name": "b",
    "kind": "board",
    "start_urls": ["https://board.example/list"],
    "selectors": {"ad_links": "a::attr(href)", "title": "h1::text", "description": "div.content"},
}


def _src(**over):
    return {**BOARD, **over}


BAD_CONFIGS = [
    ({"databse": {}}, "databse: unknown key"),
    ({"database": {"url": 5}}, "database.url: expected a string, got integer"),
    ({"database": "sqlite://"}, "database: expected a mapping, got string"),
    ({"crawl": {"obey_robots": "yes"}}, "crawl.obey_robots: expected true or false, got string"),
    ({"crawl": {"retry_times": True}}, "crawl.retry_times: expected an integer, got bool"),
    ({"crawl": {"max_pages_per_source": 0}}, "crawl.max_pages_per_source: must be greater than 0, got 0"),
    (
        {"crawl": {"max_minutes_per_source": -5}},
        "crawl.max_minutes_per_source: must be greater than 0 (or null for no limit), got -5.0",
    ),
    ({"crawl": {"download_delay": -1}}, "crawl.download_delay: must not be negative, got -1.0"),
    ({"crawl": {"distributed": {"redis": "x"}}}, "crawl.distributed.redis: unknown key"),
    (
        {"crawl": {"distributed": {"key_prefix": "a b"}}},
        "crawl.distributed.key_prefix: must be a word without spaces, got 'a b'",
    ),
    ({"sources": {"name": "x"}}, "sources: expected a list, got mapping"),
    ({"sources": ["demo"]}, "sources[0]: expected a mapping, got string"),
    ({"sources": [{"kind": "jsonld", "start_urls": ["a"]}]}, "sources[0].name: required"),
    (
        {"sources": [{"name": "x", "kind": "rss", "start_urls": ["a"]}]},
        "sources[0].kind: unknown kind 'rss' (expected one of jsonld, telegram, board, feed)",
    ),
    (
        {"sources": [_src(), _src(name="c"), _src(selectors={"ad_links": "a", "description": "d"})]},
        "sources[2].selectors.title: required for kind 'board'",
    ),
    ({"sources": [_src(selectors=None)]}, "sources[0].selectors: required for kind 'board'"),
    (
        {"sources": [{k: v for k, v in BOARD.items() if k != "selectors"}]},
        "sources[0].selectors: required for kind 'board'",
    ),
    ({"sources": [_src(), _src()]}, "sources[1].name: duplicate source name 'b' (also sources[0])"),
    ({"sources": [_src(selectors={**BOARD["selectors"], "titel": "h2"})]}, "sources[0].selectors.titel: unknown key"),
    ({"sources": [{"name": "t", "kind": "telegram"}]}, "sources[0].channels: required for kind 'telegram'"),
    ({"sources": [{"name": "j", "kind": "jsonld"}]}, "sources[0].start_urls: required for kind 'jsonld'"),
    (
        {"sources": [{"name": "j", "kind": "jsonld", "start_urls": ["a", ""]}]},
        "sources[0].start_urls[1]: expected a non-empty string",
    ),
    (
        {"sources": [{"name": "j", "kind": "jsonld", "start_urls": ["a"], "selectors": {"title": "h1"}}]},
        "sources[0].selectors: only used by kind 'board', not 'jsonld'",
    ),
    (
        {"sources": [{"name": "t", "kind": "telegram", "channels": ["c"], "max_messages": -5}]},
        "sources[0].max_messages: must be greater than 0, got -5",
    ),
    ({"scoring": {"threshold": 1.5}}, "scoring.threshold: must be between 0 and 1 (exclusive), got 1.5"),
    ({"scoring": {"threshold": "high"}}, "scoring.threshold: expected a number, got string"),
    ({"training": {"target_recall": 0}}, "training.target_recall: must be between 0 and 1 (exclusive), got 0.0"),
    ({"training": {"n_splits": 1}}, "training.n_splits: must be at least 2, got 1"),
    ({"training": {"holdout_fraction": 0.9}}, "training.holdout_fraction: must be between 0.05 and 0.5, got 0.9"),
    ({"training": {"seed_dir": 3}}, "training.seed_dir: expected a string, got integer"),
    ({"export": {"formats": ["xls"]}}, "export.formats[0]: unknown format 'xls' (expected one of csv, xlsx, jsonl)"),
    ({"export": {"formats": []}}, "export.formats: must name at least one format"),
    ({"logging": {"level": "loud"}}, "logging.level: unknown level 'LOUD' (expected DEBUG, INFO, WARNING or ERROR)"),
    ({"health": {"history_runs": 0}}, "health.history_runs: must be greater than 0, got 0"),
    (
        {"sources": [{"name": "s", "kind": "jsonld", "start_urls": ["http://a.example/"], "ad_urls": "/job/("}]},
        "sources[0].ad_urls: not a regular expression (missing ), unterminated subpattern at position 5)",
    ),
    ([1, 2], "config: expected a mapping, got list"),
]


@pytest.mark.parametrize("data,message", BAD_CONFIGS, ids=[m.split(":")[0] for _, m in BAD_CONFIGS])
def test_bad_config_names_the_key(write_config, data, message):
    path = write_config(data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"config.yaml: {message}"


def test_yaml_syntax_error_names_the_line(write_config):
    path = write_config("database:\n  url: sqlite:///x.db\nsources: [\n  - name: a\n  bad: : x\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: line ")
    assert "invalid YAML" in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_empty_config_gives_defaults(write_config):
    cfg = load_config(write_config(""))
    assert cfg.sources == ()
    assert cfg.scoring.model == "current" and cfg.scoring.threshold is None
    assert cfg.models.dir == DEFAULT_MODELS_DIR
    assert cfg.export.formats == ("xlsx", "csv")
    assert cfg.crawl.obey_robots is True


def test_relative_paths_resolve_against_the_config_folder(write_config):
    path = write_config(
        {
            "database": {"url": "sqlite:///data/x.db"},
            "models": {"dir": "mymodels"},
            "export": {"dir": "out"},
            "sources": [{"name": "demo", "kind": "jsonld", "start_urls": ["data/demo/index.html"]}],
        }
    )
    cfg = load_config(path)
    base = path.parent.resolve()
    assert cfg.database.url == f"sqlite:///{base / 'data' / 'x.db'}"
    assert cfg.models.dir == base / "mymodels"
    assert cfg.export.dir == base / "out"
    assert cfg.sources[0].start_urls == ((base / "data/demo/index.html").as_uri(),)


def test_models_dir_defaults_to_the_project_folder_wherever_the_config_is(write_config):
    cfg = load_config(write_config({"models": {"dir": None}}))
    assert cfg.models.dir == Path(__file__).resolve().parent.parent / "models"


def test_absolute_and_memory_sqlite_urls_are_kept(tmp_path):
    assert parse_config({"database": {"url": "sqlite:///:memory:"}}, tmp_path).database.url == "sqlite:///:memory:"
    url = f"sqlite:///{tmp_path}/a.db"
    assert parse_config({"database": {"url": url}}, Path("/elsewhere")).database.url == url


def test_environment_overrides_database_url(write_config):
    path = write_config({"database": {"url": "sqlite:///x.db"}})
    cfg = load_config(path, environ={"LUREWATCH_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert cfg.database.url == "postgresql+psycopg://u@h/db"


def test_lookup_order(tmp_path, monkeypatch):
    explicit, from_env, local = tmp_path / "a.yaml", tmp_path / "b.yaml", Path.cwd() / "config.yaml"
    local.write_text("")
    assert find_config(explicit, {"LUREWATCH_CONFIG": str(from_env)}) == explicit
    assert find_config(None, {"LUREWATCH_CONFIG": str(from_env)}) == from_env
    assert find_config(None, {}) == local
    local.unlink()
    assert find_config(None, {}) is None


def test_config_is_frozen_and_sources_are_typed(write_config):
    cfg = load_config(
        write_config({"sources": [BOARD, {"name": "tg", "kind": "telegram", "channels": ["a", "b"], "enabled": False}]})
    )
    assert cfg.source("b").selectors["title"] == "h1::text"
    tg = cfg.source("tg")
    assert tg.channels == ("a", "b") and tg.enabled is False and tg.base_url == "https://t.me/s/"
    with pytest.raises(AttributeError):
        cfg.scoring = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.source("b").selectors["title"] = "x"  # type: ignore[index]
    with pytest.raises(ConfigError, match="no source named 'zz'"):
        cfg.source("zz")


def test_shipped_config_is_valid():
    cfg = load_config(Path(__file__).resolve().parent.parent / "config.yaml")
    assert cfg.database.url.startswith("sqlite:///")
    assert all(s.name for s in cfg.sources)


def test_training_seed_dir_defaults_to_the_project_seed_and_resolves_relative(write_config):
    from config import DEFAULT_SEED_DIR

    assert load_config(write_config({})).training.seed_dir == DEFAULT_SEED_DIR
    assert DEFAULT_SEED_DIR.is_dir()
    path = write_config({"training": {"seed_dir": "myseed", "n_splits": 3, "holdout_fraction": 0.25}})
    training = load_config(path).training
    assert training.seed_dir == path.parent / "myseed"
    assert (training.n_splits, training.holdout_fraction) == (3, 0.25)


def test_training_extra_data_is_a_list_resolved_against_the_config_folder(write_config):
    path = write_config({"training": {"extra_data": ["../shared/data", "/abs/ads.csv"]}})
    assert load_config(path).training.extra_data == (
        (path.parent.parent / "shared" / "data").resolve(),
        Path("/abs/ads.csv"),
    )
    assert load_config(write_config({})).training.extra_data == ()
    with pytest.raises(ConfigError, match="training.extra_data_dir: replaced by training.extra_data"):
        load_config(write_config({"training": {"extra_data_dir": "../shared/data"}}))


@pytest.mark.parametrize(
    ("data", "environ", "key"),
    [
        ({"database": {"url": "postgresql+psycopg://lw:S3cret-pw@db.internal:54x2/lw"}}, {}, "database.url"),
        ({}, {"LUREWATCH_DATABASE_URL": "postgresql://lw:S3cret-pw@db.internal:99999/lw"}, "LUREWATCH_DATABASE_URL"),
        ({"crawl": {"distributed": {"redis_url": "redis://:S3cret-pw@cache:6379x/0"}}}, {}, "redis_url"),
        ({}, {"LUREWATCH_REDIS_URL": "redis://:S3cret-pw@cache:port/0"}, "LUREWATCH_REDIS_URL"),
        ({}, {"LUREWATCH_REDIS_URL": "http://:S3cret-pw@cache/0"}, "LUREWATCH_REDIS_URL"),
    ],
)
def test_a_bad_service_url_is_one_line_without_the_password(tmp_path, data, environ, key):
    with pytest.raises(ConfigError) as refused:
        parse_config(data, tmp_path, environ=environ)
    message = str(refused.value)
    assert key in message and "S3cret-pw" not in message and "***" in message and "\n" not in message


def test_a_bad_port_is_exit_1_not_a_traceback(write_config, monkeypatch, capsys):
    import pipeline

    path = write_config({"database": {"url": "sqlite:///x.db"}})
    monkeypatch.setenv("LUREWATCH_DATABASE_URL", "postgresql://lw:S3cret-pw@db:abc/lw")
    assert pipeline.main(["score", "--config", str(path)]) == 1
    monkeypatch.delenv("LUREWATCH_DATABASE_URL")
    monkeypatch.setenv("LUREWATCH_REDIS_URL", "redis://:S3cret-pw@cache:abc/0")
    assert pipeline.main(["crawl", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 2 and "Traceback" not in err and "S3cret-pw" not in err
    assert "LUREWATCH_DATABASE_URL: postgresql://lw:***@db:abc/lw" in err


@pytest.mark.parametrize(
    "notify, message",
    [
        ({"webhooks": [{"url": "ftp://hooks.example/x"}]}, "notify.webhooks[0].url: expected an http(s) URL"),
        ({"webhooks": [{"url": "https://h.example/x", "events": ["boom"]}]}, "notify.webhooks[0].events[0]: unknown"),
        ({"webhooks": [{"url": "https://h.example/x", "secret": 1}]}, "notify.webhooks[0].secret: unknown key"),
        ({"email": {"smtp_url": "smtp://u:pw@mail:587", "from": "a@b.org", "to": ["c@d.org"]}}, "holds a password"),
        ({"email": {"smtp_url": "http://mail", "from": "a@b.org", "to": ["c@d.org"]}}, "notify.email.smtp_url:"),
        ({"email": {"smtp_url": "smtp://mail", "from": "nobody", "to": ["c@d.org"]}}, "notify.email.from: not an"),
        ({"email": {"smtp_url": "smtp://mail", "from": "a@b.org"}}, "notify.email.to: required"),
        ({"retries": 9}, "notify.retries: must be from 0 to 5"),
        ({"timeout_seconds": "x"}, "notify.timeout_seconds: expected a number"),
    ],
)
def test_bad_notify_settings_name_the_key(notify, message):
    with pytest.raises(ConfigError) as err:
        parse_config({"notify": notify}, Path("."), environ={})
    assert message in str(err.value) and "pw" not in str(err.value)


def test_notify_settings_and_the_smtp_password_from_the_environment():
    config = parse_config(
        {
            "web": {"base_url": "https://desk.example/"},
            "notify": {
                "webhooks": [{"url": "https://hooks.example/T/B/token", "events": ["alarm"]}],
                "email": {"smtp_url": "smtp://bot@mail.internal", "from": "a@b.org", "to": "c@d.org"},
            },
        },
        Path("."),
        environ={"LUREWATCH_SMTP_PASSWORD": "pw-from-env"},
    )
    email = config.notify.email
    assert (email.host, email.port, email.tls, email.username, email.to) == (
        "mail.internal",
        587,
        False,
        "bot",
        ("c@d.org",),
    )
    assert email.password == "pw-from-env" and "pw-from-env" not in repr(config) and "token" not in repr(config)
    assert config.notify.webhooks[0].events == ("alarm",) and config.web.base_url == "https://desk.example/"


def test_a_key_given_twice_is_an_error_naming_it_and_its_lines(tmp_path):
    """Issue 23, probe 15: with `database:` twice, the last one silently won."""
    path = tmp_path / "config.yaml"
    path.write_text("database:\n  url: sqlite:///a.db\nweb:\n  port: 8080\ndatabase:\n  url: sqlite:///b.db\n")
    with pytest.raises(
        ConfigError, match=r"line 5, column 1: invalid YAML: key 'database' is given twice \(first on line 1\)"
    ):
        load_config(path)
    path.write_text("web:\n  port: 8080\n  port: 9090\n")
    with pytest.raises(ConfigError, match="key 'port' is given twice"):
        load_config(path)


def test_trusted_proxies_are_addresses_or_networks(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("web:\n  trusted_proxies: [127.0.0.1, 10.42.0.0/16]\n")
    assert load_config(path).web.trusted_proxies == ("127.0.0.1", "10.42.0.0/16")
    path.write_text("web:\n  trusted_proxies: [nginx]\n")
    with pytest.raises(ConfigError, match="web.trusted_proxies: 'nginx' is not an IP address or network"):
        load_config(path)
