"""The one schema module: typed SQLAlchemy 2.0 models for every table.

Alembic migrations in store/migrations/versions must agree with this module;
tests compare the migrated database with these models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.bands import BANDS as CORE_BANDS
from core.statuses import DECISIONS, REVIEW_STATUSES  # noqa: F401  (the store and the desk take them from here)

RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted")
BANDS = CORE_BANDS  # riskiest first; the rule is classifier.scoring.band_for
ROLES = ("analyst", "lead")

# Named constraints so Alembic batch migrations on SQLite can find them later.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no offset, so values come back naive; we store UTC and re-attach
    it on the way out, and refuse naive datetimes on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Ad(Base):
    """One job ad, keyed by (source, external_id); a re-crawl updates it in place."""

    __tablename__ = "ads"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        # The desk filters and orders the queue by these.
        Index("ix_ads_first_seen_at", "first_seen_at"),
        Index("ix_ads_country", "country"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    company: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(8), default="")
    salary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    contacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(16), default="")
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_changes: Mapped[int] = mapped_column(Integer, default=0)


class Score(Base):
    """A model's score for an ad; one row per (ad, model version), history kept."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("ad_id", "model_version"),
        CheckConstraint(_in("band", BANDS), name="band"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the analysis read when the ad was scored (store.analysis): the sha256 of the model
    # text every offset counts in, pay, destination and contacts. NULL on scores stored before
    # lurewatch kept it; those ads are scored again (their content_hash is NULL too).
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The ad's content_hash when it was scored: an ad edited since is scored again.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReviewItem(Base):
    """One flagged ad in the analysts' queue (at most one per ad)."""

    __tablename__ = "review_items"
    __table_args__ = (
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
        Index("ix_review_items_status_priority", "status", "priority"),
        # Trends count what entered the queue, and what was judged, in a window of weeks.
        Index("ix_review_items_created_at", "created_at"),
        Index("ix_review_items_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    # core.bands.band_rank of the ad's newest score (0 critical): the queue's first sort key
    # (store.order), kept here beside the priority so one index walk gives the queue's order.
    band_rank: Mapped[int] = mapped_column(Integer, default=len(CORE_BANDS), server_default=str(len(CORE_BANDS)))
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The queue's order (store.order: band, riskiest first; then score; then the oldest item), as
# claim takes items: one index walk gives a page of the queue without sorting anything.
Index(
    "ix_review_items_queue_order",
    ReviewItem.status,
    ReviewItem.band_rank,
    ReviewItem.priority.desc(),
    ReviewItem.created_at,
    ReviewItem.id,
)


class ReviewEvent(Base):
    """Append-only audit of every change to a review item."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The operating-system user who ran the command, beside ``actor`` (--analyst, which anyone
    # can type); NULL for the desk, whose actor is a logged-in account, and for the system.
    os_user: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Run(Base):
    """One invocation of the nightly job (or of a single stage), with its counts."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    command: Mapped[str] = mapped_column(String(32), default="run")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Crawl(Base):
    """One crawl of one source: when, how it ended and what it counted.

    ``complete`` means the spider walked the whole source (no early stop, no
    failed listing); only complete crawls may mark unseen ads as removed.
    """

    __tablename__ = "crawls"
    __table_args__ = (Index("ix_crawls_source_started_at", "source", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ChannelState(Base):
    """Per Telegram channel: the newest message id stored and whether it has a public preview."""

    __tablename__ = "channel_states"
    __table_args__ = (UniqueConstraint("source", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(200))
    last_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    """Ads linked by a shared contact or near-duplicate text: probably one recruiter."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignMember(Base):
    """An ad's campaign (at most one per ad) and why it was linked."""

    __tablename__ = "campaign_members"

    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdFingerprint(Base):
    """An ad's MinHash signature; content_hash stamps the content and method it came from."""

    __tablename__ = "ad_fingerprints"

    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class FingerprintKey(Base):
    """Lookup keys of an ad: normalised contacts and MinHash LSH band hashes.

    Keeping the LSH bands in SQL means linking a new ad is one indexed query,
    not an in-memory index of every ad rebuilt by each process.
    """

    __tablename__ = "fingerprint_keys"

    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)

    __table_args__ = (Index("ix_fingerprint_keys_key", "key"),)


class CampaignKey(Base):
    """One row per (key, campaign): some member of the campaign has (or had) this key.

    Linking a new ad looks its keys up here rather than in ``fingerprint_keys``,
    so the rows read grow with the number of campaigns sharing a key, not with
    their size: a campaign of 10,000 templated reposts is one row per key.
    ``ad_id`` is the member that brought the key: the representative a
    near-duplicate check compares with, and the ad a link's reason names. It is
    not a foreign key on purpose: the campaign keeps a key it has used even if
    that ad is ever deleted, and a missing representative is simply skipped.
    """

    __tablename__ = "campaign_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # Indexed for merges, which repoint a whole campaign's keys.
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    ad_id: Mapped[int] = mapped_column(Integer)


class FreeKey(Base):
    """Lookup keys of ads in no campaign (a copy of their ``fingerprint_keys`` rows).

    Finding the unlinked ads that share a key in ``fingerprint_keys`` would mean
    reading past every linked ad holding it; these rows go as soon as an ad joins
    a campaign, so the table stays small and linking reads only what it needs.
    """

    __tablename__ = "free_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # Indexed because an ad's rows are deleted by ad when it joins a campaign.
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True, index=True)


class AdContact(Base):
    """One normalised contact of an ad (store.contacts), so a search is an index lookup."""

    __tablename__ = "ad_contacts"
    __table_args__ = (Index("ix_ad_contacts_value_kind", "value", "kind"),)

    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)


class User(Base):
    """An account of the review desk: an analyst or a lead, with an argon2 password hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of every session cookie; a new password or disabling the account changes it,
    # which ends every session signed before.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeskSession(Base):
    """One login to the desk. The cookie carries a random token; only its sha256 is kept here.
    Logging out ends the row, so the old cookie opens nothing even before it expires."""

    __tablename__ = "desk_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginFailure(Base):
    """A failed login, kept a while to rate-limit guessing by account name and by client."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_name_at", "name", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DecisionImport(Base):
    """One import of a filled-in export: which file, by whom, when, and whether it was undone."""

    __tablename__ = "decision_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    analyst: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer)  # data rows in the file
    applied: Mapped[int] = mapped_column(Integer)  # decisions it recorded
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    os_user: Mapped[str | None] = mapped_column(String(200), nullable=True)  # who ran the import


class DecisionImportChange(Base):
    """An item an import changed, with what it held before, so the import can be undone."""

    __tablename__ = "decision_import_changes"

    import_id: Mapped[int] = mapped_column(ForeignKey("decision_imports.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("review_events.id", ondelete="CASCADE"))
    old_status: Mapped[str] = mapped_column(String(16))
    old_decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    old_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    old_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    old_lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


WATCHLIST_KINDS = ("phone", "telegram", "kakao", "line", "whatsapp", "wechat", "email", "url", "domain")


class WatchlistEntry(Base):
    """A known recruiter contact listed by a partner (police, an embassy, a platform) or a lead.

    ``value`` is in the contact index's normal form (core.contacts), so matching an ad is
    an equality on ``ad_contacts.value``. The same contact listed by two sources is two
    rows: each listing is removed on its own. Contacts confirmed by analysts' ``scam``
    verdicts are on the watchlist too, read live from the queue (store.watchlist).
    """

    __tablename__ = "watchlist_entries"
    __table_args__ = (
        UniqueConstraint("kind", "value", "source"),
        CheckConstraint(_in("kind", WATCHLIST_KINDS), name="kind"),
        Index("ix_watchlist_entries_value", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WatchlistEvent(Base):
    """Append-only audit of every change to the watchlist (entries are deleted, events stay)."""

    __tablename__ = "watchlist_events"
    __table_args__ = (CheckConstraint(_in("action", ("added", "removed")), name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)  # not a foreign key: the entry may be gone
    action: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # e.g. the file it was imported from
