"""Load and validate config.yaml into a frozen, typed Config.

Loaded once per entry point (pipeline.main, crawler.settings) and passed down;
nothing reads the file or the environment at import time. Every validation error
names the key path, e.g. ``sources[2].selectors.title: required for kind 'board'``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

import yaml

from core.ad import PAGE_FIELDS
from core.secrets import mask_url

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_MODELS_DIR = PROJECT_DIR / "models"
DEFAULT_SEED_DIR = PROJECT_DIR / "data" / "seed"
DEFAULT_DATABASE_URL = "sqlite:///data/lurewatch.db"
SOURCE_KINDS = ("jsonld", "telegram", "board", "feed")
EXPORT_FORMATS = ("csv", "xlsx", "jsonl")
# Confirmed scam contacts for platforms and police: format -> file extension.
CONTACT_FORMATS = {"contacts-csv": "csv", "stix": "stix.json"}
BOARD_REQUIRED_SELECTORS = ("ad_links", "title", "description")
# What a board source's selectors may read: the links and pages to follow, and the ad.
SELECTOR_KEYS = ("ad_links", "next_page", *PAGE_FIELDS)
# A source reads the web over these, or local files (the offline demo) over file://.
WEB_SCHEMES = ("http", "https")
REDIS_SCHEMES = ("redis", "rediss", "unix")
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class ModelsConfig:
    dir: Path = DEFAULT_MODELS_DIR


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = "lurewatch/0.1 (+https://example.org/contact)"
    obey_robots: bool = True
    autothrottle: bool = True
    download_delay: float = 1.0
    download_timeout: float = 30.0
    retry_times: int = 3
    concurrent_requests_per_domain: int = 2
    max_pages_per_source: int = 2000
    # A slow or tarpitting source must not hold the nightly run past its window.
    max_minutes_per_source: float | None = 60.0  # None: no time limit
    max_response_bytes: int = 5_000_000
    # CPU seconds the pipelines may spend on one ad (crawler.pipelines.budget): over it, the
    # ad is dropped and counted (dropped/too_slow), and the crawl goes on.
    max_seconds_per_ad: float = 2.0
    removed_after_runs: int = 3
    redis_url: str | None = None
    # Every Redis key lurewatch writes starts with this (one Redis, several deployments).
    redis_prefix: str = "lurewatch"
    # Loopback, private, link-local (cloud metadata) and other non-public addresses are
    # refused unless this is set: for loopback tests and intranet sources only.
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    enabled: bool = True
    start_urls: tuple[str, ...] = ()
    # Hosts the source may fetch from besides those of its start URLs (and subdomains of each).
    allowed_domains: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    base_url: str = "https://t.me/s/"
    max_messages: int = 1000
    encoding: str | None = None
    follow_links: bool = False
    # jsonld: a regular expression searched in page URLs; a matching page is an ad page, so
    # one that gives no ad is counted as unreadable even when it names no JobPosting.
    ad_urls: str | None = None
    selectors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ScoringConfig:
    model: str = "current"
    threshold: float | None = None
    batch_size: int = 1000
    workers: int = 1  # scoring processes; above 1 needs PostgreSQL (stages.parallel)
    ahead: bool = True  # one worker: score the next batch in a helper process (stages.ahead)


@dataclass(frozen=True)
class TrainingConfig:
    target_recall: float = 0.9
    max_false_positive_rate: float = 0.05
    # The threshold goes below the target-recall one while the grouped out-of-fold
    # false-positive rate stays within this (classifier.model.choose_threshold).
    threshold_fpr: float = 0.02
    # More labelled data: files of ads (CSV/JSONL with a label column) or data folders in
    # the layout of ../shared/data (classifier.datasets); missing entries are skipped.
    extra_data: tuple[Path, ...] = ()
    seed_dir: Path = DEFAULT_SEED_DIR
    n_splits: int = 5  # grouped cross-validation folds (threshold choice)
    holdout_fraction: float = 0.2  # share of groups kept out of fitting for the comparison
    # Training holds every row in memory (about 50 times the file size): a labelled file
    # bigger than this is refused before it is read, instead of exhausting the machine.
    max_data_mb: float = 50.0


@dataclass(frozen=True)
class ExportConfig:
    dir: Path = Path("exports")
    formats: tuple[str, ...] = ("xlsx", "csv")


@dataclass(frozen=True)
class HealthConfig:
    """When a nightly run raises an alarm about a source."""

    max_error_rate: float = 0.2  # errors / (pages + errors) above this is an alarm
    min_usual_ads: int = 5  # "usually returns many": median of recent runs at least this
    history_runs: int = 5  # recent runs the median is taken over
    # Yield: ads per ad page (a page with a JobPosting marker). Below this share of its recent
    # median is an alarm (a changed markup the reader no longer understands), once the
    # source has at least ``yield_history`` earlier crawls that measured a yield.
    min_yield_ratio: float = 0.5
    yield_history: int = 3


@dataclass(frozen=True)
class LoggingConfig:
    dir: Path = Path("logs")
    level: str = "INFO"


@dataclass(frozen=True)
class WebConfig:
    """The review desk (``pipeline.py serve``); the secret comes from LUREWATCH_SECRET_KEY."""

    host: str = "127.0.0.1"
    port: int = 8080
    https: bool = False  # reached over HTTPS (a TLS proxy): Secure cookies, HSTS
    # Proxies (addresses or networks) whose X-Forwarded-For/-Proto are trusted; none by
    # default, so a client reaching the desk directly cannot name its own address.
    trusted_proxies: tuple[str, ...] = ()
    session_hours: float = 10.0  # a login lasts this long
    lease_minutes: int = 30  # how long a claim from the desk holds an item
    page_size: int = 50  # rows per queue and search page
    secret_key: str | None = field(default=None, repr=False)
    base_url: str | None = None  # where people reach the desk: links in notifications


NOTIFY_EVENTS = ("run_failed", "run_partial", "alarm", "critical", "watchlist_hit")
SMTP_SCHEMES = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class WebhookTarget:
    """An incoming webhook (Slack, Teams, anything reading JSON) and the events it wants."""

    url: str = field(repr=False)  # Slack and Teams URLs carry their token: never printed as is
    events: tuple[str, ...] = NOTIFY_EVENTS


@dataclass(frozen=True)
class EmailTarget:
    """An SMTP server, sender, recipients and events; the password comes from LUREWATCH_SMTP_PASSWORD."""

    host: str
    port: int
    tls: bool  # smtps:// (TLS from the start); smtp:// upgrades with STARTTLS when offered
    username: str | None
    sender: str
    to: tuple[str, ...]
    events: tuple[str, ...] = NOTIFY_EVENTS
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class NotifyConfig:
    """Who hears about a run, and how hard delivery tries (never holding the run up for long)."""

    webhooks: tuple[WebhookTarget, ...] = ()
    email: EmailTarget | None = None
    timeout_seconds: float = 10.0  # per attempt
    retries: int = 2  # after the first attempt
    backoff_seconds: float = 2.0  # before retry n: backoff * 2**(n-1)


@dataclass(frozen=True)
class Config:
    """The whole validated configuration; paths are absolute."""

    path: Path | None
    base_dir: Path
    database: DatabaseConfig
    models: ModelsConfig
    crawl: CrawlConfig
    sources: tuple[SourceConfig, ...]
    scoring: ScoringConfig
    training: TrainingConfig
    export: ExportConfig
    logging: LoggingConfig
    health: HealthConfig = HealthConfig()
    web: WebConfig = WebConfig()
    notify: NotifyConfig = NotifyConfig()

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``; ConfigError if there is none."""
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"sources: no source named {name!r} (known: {known})")


# ---------------------------------------------------------------- validation


class _Section:
    """Reads one mapping, tracking which keys were used so leftovers are errors."""

    def __init__(self, data: Any, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path or 'config'}: expected a mapping, got {_typename(data)}")
        self.data, self.path, self.used = data, path, set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any, *, required: bool = False, nullable: bool = False
    ) -> Any:
        self.used.add(name)
        if name not in self.data:
            if required:
                raise ConfigError(f"{self.key(name)}: required")
            return default
        value = self.data[name]
        if value is None and (nullable or not required and default is None):
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # YAML's bool is an int subclass: `retry_times: yes` must not pass as 1.
        if isinstance(value, bool) and bool not in kinds:
            raise ConfigError(f"{self.key(name)}: expected {_kinds(kinds)}, got bool")
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds):
            raise ConfigError(f"{self.key(name)}: expected {_kinds(kinds)}, got {_typename(value)}")
        return value

    def str_list(self, name: str) -> tuple[str, ...]:
        value = self.get(name, (list, str), [])
        if isinstance(value, str):
            value = [value]
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"{self.key(name)}[{i}]: expected a non-empty string")
        return tuple(value)

    def positive(self, name: str, kind: type, default: Any) -> Any:
        value = self.get(name, kind, default)
        if value is not None and value <= 0:
            raise ConfigError(f"{self.key(name)}: must be greater than 0, got {value}")
        return value

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            raise ConfigError(f"{self.key(str(unknown[0]))}: unknown key")


def _typename(value: Any) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        bool: "bool",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _kinds(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _resolve(base: Path, value: str | Path) -> Path:
    path = Path(os.path.expanduser(str(value)))
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_db_url(url: str, base: Path) -> str:
    """Make a relative SQLite file path absolute against the config's folder."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith(":memory:") or rest.startswith("/") or rest.startswith("file:"):
        return url
    return prefix + str(_resolve(base, rest))


def _probability(section: _Section, name: str, default: float | None) -> float | None:
    value = section.get(name, float, default, nullable=default is None)
    if value is not None and not 0.0 < value < 1.0:
        raise ConfigError(f"{section.key(name)}: must be between 0 and 1 (exclusive), got {value}")
    return value


def _source(raw: Any, index: int, base: Path) -> SourceConfig:
    s = _Section(raw, f"sources[{index}]")
    name = s.get("name", str, None, required=True)
    if not name.strip():
        raise ConfigError(f"{s.key('name')}: must not be empty")
    kind = s.get("kind", str, None, required=True)
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{s.key('kind')}: unknown kind {kind!r} (expected one of {', '.join(SOURCE_KINDS)})")
    start_urls = tuple(_start_url(u, base) for u in s.str_list("start_urls"))
    _check_start_urls(s.key("start_urls"), start_urls)
    allowed_domains = tuple(
        _host(s.key(f"allowed_domains[{i}]"), h) for i, h in enumerate(s.str_list("allowed_domains"))
    )
    if allowed_domains and start_urls and all(u.startswith("file://") for u in start_urls):
        raise ConfigError(f"{s.key('allowed_domains')}: a source of local files reads no web host")
    channels = s.str_list("channels")
    sel = _Section(s.get("selectors", dict, None), s.key("selectors"))
    selectors = {k: sel.get(k, str, None) for k in SELECTOR_KEYS}
    sel.finish()
    selectors = {k: v for k, v in selectors.items() if v}
    if kind == "board":
        if s.data.get("selectors") is None:
            raise ConfigError(f"{s.key('selectors')}: required for kind 'board'")
        for req in BOARD_REQUIRED_SELECTORS:
            if req not in selectors:
                raise ConfigError(f"{sel.key(req)}: required for kind 'board'")
    elif selectors:
        raise ConfigError(f"{s.key('selectors')}: only used by kind 'board', not {kind!r}")
    if kind == "telegram" and not channels:
        raise ConfigError(f"{s.key('channels')}: required for kind 'telegram'")
    if kind in ("jsonld", "board", "feed") and not start_urls:
        raise ConfigError(f"{s.key('start_urls')}: required for kind {kind!r}")
    ad_urls = s.get("ad_urls", str, None)
    if ad_urls is not None:
        if kind != "jsonld":
            raise ConfigError(f"{s.key('ad_urls')}: only used by kind 'jsonld', not {kind!r}")
        try:
            re.compile(ad_urls)
        except re.error as exc:
            raise ConfigError(f"{s.key('ad_urls')}: not a regular expression ({exc})") from None
    src = SourceConfig(
        name=name.strip(),
        kind=kind,
        enabled=s.get("enabled", bool, True),
        start_urls=start_urls,
        allowed_domains=allowed_domains,
        channels=channels,
        base_url=_web_url(s.key("base_url"), s.get("base_url", str, "https://t.me/s/")),
        max_messages=s.positive("max_messages", int, 1000),
        encoding=s.get("encoding", str, None),
        follow_links=s.get("follow_links", bool, False),
        ad_urls=ad_urls,
        selectors=MappingProxyType(selectors),
    )
    s.finish()
    return src


def _start_url(url: str, base: Path) -> str:
    """Relative paths in start_urls become file:// URLs, so offline sources work."""
    if "://" in url:
        return url
    return _resolve(base, url).as_uri()


def _web_url(key: str, url: str) -> str:
    """An http(s) URL with a host; ConfigError naming ``key`` otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise ConfigError(f"{key}: {mask_url(url)}: {exc}") from None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        raise ConfigError(f"{key}: expected an http(s) URL or a local path, got {mask_url(url)!r}")
    return url


def _check_start_urls(key: str, urls: tuple[str, ...]) -> None:
    """Web URLs or local files, never both: a web source must never read the local disk."""
    files = [u for u in urls if u.lower().startswith("file://")]
    for i, url in enumerate(urls):
        if url not in files:
            _web_url(f"{key}[{i}]", url)
    if files and len(files) != len(urls):
        raise ConfigError(f"{key}: mixes local files and web URLs; make them two sources")


def _host(key: str, value: str) -> str:
    """A bare host name or IP address for ``allowed_domains`` (no scheme, port or path)."""
    host = value.strip().lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host.strip("[]")
    except ValueError:
        pass
    if not _HOST_NAME.match(host):
        raise ConfigError(
            f"{key}: expected a host name such as img.board.example (no scheme, port or path), got {value!r}"
        )
    return host


def _service_url(key: str, url: str, schemes: tuple[str, ...] | None = None) -> str:
    """A database or Redis URL whose port, if any, is a number; the error never shows the password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise ConfigError(f"{key}: {mask_url(url)}: {exc}") from None
    if schemes is not None and parts.scheme.lower() not in schemes:
        raise ConfigError(f"{key}: expected a {' or '.join(s + '://' for s in schemes)} URL, got {mask_url(url)!r}")
    return url


def parse_config(
    data: Any, base_dir: Path, path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Validate a parsed YAML document; relative paths resolve against ``base_dir``."""
    env = os.environ if environ is None else environ
    root = _Section(data, "")

    db = _Section(root.get("database", dict, None), "database")
    url = db.get("url", str, DEFAULT_DATABASE_URL)
    if env.get("LUREWATCH_DATABASE_URL"):
        url = _service_url("LUREWATCH_DATABASE_URL", env["LUREWATCH_DATABASE_URL"])
    else:
        url = _service_url("database.url", url)
    db.finish()

    models = _Section(root.get("models", dict, None), "models")
    models_dir = models.get("dir", str, None)
    models.finish()

    c = _Section(root.get("crawl", dict, None), "crawl")
    d = CrawlConfig()
    dist = _Section(c.get("distributed", dict, None), "crawl.distributed")
    redis_url = dist.get("redis_url", str, None)
    if env.get("LUREWATCH_REDIS_URL"):
        redis_url = _service_url("LUREWATCH_REDIS_URL", env["LUREWATCH_REDIS_URL"], REDIS_SCHEMES)
    elif redis_url:
        redis_url = _service_url("crawl.distributed.redis_url", redis_url, REDIS_SCHEMES)
    redis_prefix = dist.get("key_prefix", str, d.redis_prefix)
    if not redis_prefix.strip() or any(ch.isspace() for ch in redis_prefix):
        raise ConfigError(f"crawl.distributed.key_prefix: must be a word without spaces, got {redis_prefix!r}")
    dist.finish()
    crawl = CrawlConfig(
        user_agent=c.get("user_agent", str, d.user_agent),
        obey_robots=c.get("obey_robots", bool, d.obey_robots),
        autothrottle=c.get("autothrottle", bool, d.autothrottle),
        download_delay=c.get("download_delay", float, d.download_delay),
        download_timeout=c.positive("download_timeout", float, d.download_timeout),
        retry_times=c.get("retry_times", int, d.retry_times),
        concurrent_requests_per_domain=c.positive(
            "concurrent_requests_per_domain", int, d.concurrent_requests_per_domain
        ),
        max_pages_per_source=c.positive("max_pages_per_source", int, d.max_pages_per_source),
        max_minutes_per_source=c.get("max_minutes_per_source", float, d.max_minutes_per_source, nullable=True),
        max_response_bytes=c.positive("max_response_bytes", int, d.max_response_bytes),
        max_seconds_per_ad=c.positive("max_seconds_per_ad", float, d.max_seconds_per_ad),
        removed_after_runs=c.positive("removed_after_runs", int, d.removed_after_runs),
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        allow_private_addresses=c.get("allow_private_addresses", bool, d.allow_private_addresses),
    )
    if crawl.max_minutes_per_source is not None and crawl.max_minutes_per_source <= 0:
        raise ConfigError(
            "crawl.max_minutes_per_source: must be greater than 0 (or null for no limit), "
            f"got {crawl.max_minutes_per_source}"
        )
    if crawl.download_delay < 0:
        raise ConfigError(f"crawl.download_delay: must not be negative, got {crawl.download_delay}")
    if crawl.retry_times < 0:
        raise ConfigError(f"crawl.retry_times: must not be negative, got {crawl.retry_times}")
    c.finish()

    raw_sources = root.get("sources", list, [])
    sources = tuple(_source(raw, i, base_dir) for i, raw in enumerate(raw_sources or []))
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        if src.name in seen:
            raise ConfigError(f"sources[{i}].name: duplicate source name {src.name!r} (also sources[{seen[src.name]}])")
        seen[src.name] = i

    sc = _Section(root.get("scoring", dict, None), "scoring")
    scoring = ScoringConfig(
        model=sc.get("model", str, "current"),
        threshold=_probability(sc, "threshold", None),
        batch_size=sc.positive("batch_size", int, 1000),
        workers=sc.positive("workers", int, 1),
        ahead=sc.get("ahead", bool, True),
    )
    sc.finish()

    tr = _Section(root.get("training", dict, None), "training")
    if "extra_data_dir" in tr.data:
        raise ConfigError("training.extra_data_dir: replaced by training.extra_data, a list of files or folders")
    extra = tr.str_list("extra_data")
    seed = tr.get("seed_dir", str, None)
    training = TrainingConfig(
        target_recall=_probability(tr, "target_recall", 0.9),
        max_false_positive_rate=_probability(tr, "max_false_positive_rate", 0.05),
        threshold_fpr=_probability(tr, "threshold_fpr", 0.02),
        extra_data=tuple(_resolve(base_dir, p) for p in extra),
        seed_dir=_resolve(base_dir, seed) if seed else DEFAULT_SEED_DIR,
        n_splits=tr.positive("n_splits", int, 5),
        holdout_fraction=_probability(tr, "holdout_fraction", 0.2),
        max_data_mb=tr.positive("max_data_mb", float, 50.0),
    )
    if training.n_splits < 2:
        raise ConfigError(f"training.n_splits: must be at least 2, got {training.n_splits}")
    if not 0.05 <= training.holdout_fraction <= 0.5:
        raise ConfigError(f"training.holdout_fraction: must be between 0.05 and 0.5, got {training.holdout_fraction}")
    tr.finish()

    ex = _Section(root.get("export", dict, None), "export")
    formats = ex.str_list("formats") if "formats" in ex.data else ExportConfig.formats
    for i, fmt in enumerate(formats):
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(
                f"export.formats[{i}]: unknown format {fmt!r} (expected one of {', '.join(EXPORT_FORMATS)})"
            )
    if not formats:
        raise ConfigError("export.formats: must name at least one format")
    export = ExportConfig(dir=_resolve(base_dir, ex.get("dir", str, "exports")), formats=formats)
    ex.finish()

    lg = _Section(root.get("logging", dict, None), "logging")
    level = lg.get("level", str, "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"logging.level: unknown level {level!r} (expected DEBUG, INFO, WARNING or ERROR)")
    logging_cfg = LoggingConfig(dir=_resolve(base_dir, lg.get("dir", str, "logs")), level=level)
    lg.finish()

    he = _Section(root.get("health", dict, None), "health")
    dh = HealthConfig()
    health = HealthConfig(
        max_error_rate=_probability(he, "max_error_rate", dh.max_error_rate),
        min_usual_ads=he.positive("min_usual_ads", int, dh.min_usual_ads),
        history_runs=he.positive("history_runs", int, dh.history_runs),
        min_yield_ratio=_probability(he, "min_yield_ratio", dh.min_yield_ratio),
        yield_history=he.positive("yield_history", int, dh.yield_history),
    )
    he.finish()

    web = _web(_Section(root.get("web", dict, None), "web"), env)
    notify = _notify(_Section(root.get("notify", dict, None), "notify"), env)

    root.finish()
    return Config(
        path=path,
        base_dir=base_dir,
        database=DatabaseConfig(url=_resolve_db_url(url, base_dir)),
        models=ModelsConfig(dir=_resolve(base_dir, models_dir) if models_dir else DEFAULT_MODELS_DIR),
        crawl=crawl,
        sources=sources,
        scoring=scoring,
        training=training,
        export=export,
        logging=logging_cfg,
        health=health,
        web=web,
        notify=notify,
    )


def _trusted_proxies(w: _Section) -> tuple[str, ...]:
    """web.trusted_proxies (addresses, networks, or "*" for any), plus the older
    web.forwarded_allow_ips (a comma-separated string), each entry checked."""
    entries = list(w.str_list("trusted_proxies"))
    legacy = w.get("forwarded_allow_ips", str, None)
    if legacy:
        entries += [e.strip() for e in legacy.split(",") if e.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(f"web.trusted_proxies: {entry!r} is not an IP address or network") from None
    return tuple(entries)


def _web(w: _Section, env: Mapping[str, str]) -> WebConfig:
    d = WebConfig()
    web = WebConfig(
        host=w.get("host", str, d.host).strip(),
        port=w.positive("port", int, d.port),
        https=w.get("https", bool, d.https),
        trusted_proxies=_trusted_proxies(w),
        session_hours=w.positive("session_hours", float, d.session_hours),
        lease_minutes=w.positive("lease_minutes", int, d.lease_minutes),
        page_size=w.positive("page_size", int, d.page_size),
        secret_key=env.get("LUREWATCH_SECRET_KEY") or None,
        base_url=w.get("base_url", str, None),
    )
    if web.base_url is not None:
        _web_url("web.base_url", web.base_url)
    if not web.host:
        raise ConfigError("web.host: must not be empty")
    if web.port > 65535:
        raise ConfigError(f"web.port: must be at most 65535, got {web.port}")
    if web.page_size > 500:
        raise ConfigError(f"web.page_size: must be at most 500, got {web.page_size}")
    w.finish()
    return web


def _events(section: _Section, name: str) -> tuple[str, ...]:
    if name not in section.data:
        return NOTIFY_EVENTS
    events = section.str_list(name)
    for i, event in enumerate(events):
        if event not in NOTIFY_EVENTS:
            raise ConfigError(
                f"{section.key(name)}[{i}]: unknown event {event!r} (expected one of {', '.join(NOTIFY_EVENTS)})"
            )
    if not events:
        raise ConfigError(f"{section.key(name)}: must name at least one event")
    return events


def _smtp(e: _Section, env: Mapping[str, str]) -> EmailTarget:
    url = e.get("smtp_url", str, None, required=True)
    key = e.key("smtp_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{key}: {mask_url(url)}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SMTP_SCHEMES or not parts.hostname:
        raise ConfigError(f"{key}: expected smtp://host[:port] or smtps://host[:port], got {mask_url(url)!r}")
    if parts.password is not None:
        raise ConfigError(f"{key}: holds a password; put it in LUREWATCH_SMTP_PASSWORD instead")
    sender = e.get("from", str, None, required=True).strip()
    to = e.str_list("to")
    if not to:
        raise ConfigError(f"{e.key('to')}: required (at least one address)")
    for i, address in enumerate((sender, *to)):
        if not re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+", address.strip()):
            where = e.key("from") if i == 0 else f"{e.key('to')}[{i - 1}]"
            raise ConfigError(f"{where}: not an e-mail address: {address!r}")
    target = EmailTarget(
        host=parts.hostname,
        port=port or SMTP_SCHEMES[scheme],
        tls=scheme == "smtps",
        username=parts.username or None,
        sender=sender,
        to=tuple(a.strip() for a in to),
        events=_events(e, "events"),
        password=env.get("LUREWATCH_SMTP_PASSWORD") or None,
    )
    e.finish()
    return target


def _notify(n: _Section, env: Mapping[str, str]) -> NotifyConfig:
    d = NotifyConfig()
    hooks = []
    for i, raw in enumerate(n.get("webhooks", list, []) or []):
        h = _Section(raw, f"notify.webhooks[{i}]")
        url = h.get("url", str, None, required=True)
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise ConfigError(f"{h.key('url')}: {mask_url(url)}: {exc}") from None
        if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
            raise ConfigError(f"{h.key('url')}: expected an http(s) URL, got a {parts.scheme or 'relative'} one")
        hooks.append(WebhookTarget(url=url, events=_events(h, "events")))
        h.finish()
    email_raw = n.get("email", dict, None)
    notify = NotifyConfig(
        webhooks=tuple(hooks),
        email=_smtp(_Section(email_raw, "notify.email"), env) if email_raw is not None else None,
        timeout_seconds=n.positive("timeout_seconds", float, d.timeout_seconds),
        retries=n.get("retries", int, d.retries),
        backoff_seconds=n.get("backoff_seconds", float, d.backoff_seconds),
    )
    if not 0 <= notify.retries <= 5:
        raise ConfigError(f"notify.retries: must be from 0 to 5, got {notify.retries}")
    if not 0 <= notify.backoff_seconds <= 60:
        raise ConfigError(f"notify.backoff_seconds: must be from 0 to 60, got {notify.backoff_seconds}")
    if notify.timeout_seconds > 120:
        raise ConfigError(f"notify.timeout_seconds: must be at most 120, got {notify.timeout_seconds}")
    n.finish()
    return notify


def find_config(explicit: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """--config, else LUREWATCH_CONFIG, else ./config.yaml if it exists."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("LUREWATCH_CONFIG"):
        return Path(env["LUREWATCH_CONFIG"])
    local = Path.cwd() / "config.yaml"
    return local if local.exists() else None


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping: with `database:` twice,
    the last one silently won (issue 23, probe 15)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: SafeLoader says so itself
                continue
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice (first on line {first})", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def load_config(explicit: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Find, read and validate the configuration; defaults only when no file exists."""
    path = find_config(explicit, environ)
    if path is None:
        return parse_config({}, Path.cwd(), None, environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: invalid YAML: {problem}") from None
    path = path.resolve()
    try:
        return parse_config(data, path.parent, path, environ)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
