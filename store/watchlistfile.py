"""Reading a partner's list of recruiter contacts: CSV (kind,value,source,note) or STIX 2.1.

Every value is put in the contact index's normal form with core.contacts, the very
functions the crawler and the index use for ads' contacts: phones in E.164, handles
lower-cased without ``@`` or ``t.me/``, links without scheme. A link to a Telegram
handle or a KakaoTalk open chat is listed under that kind, so it meets the ads whose
crawler filed it there. Every row is checked before anything is stored; the errors
name the file and line (the indicator, for STIX), and one bad row refuses the file.

STIX bundles: our own export (``x-phone-number``, ``user-account`` with an
``account_type``, ``url``, ``email-addr``, ``domain-name``) and MISP-style
indicators (``phone-number``). Patterns are read with stix2-patterns, never evaluated.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stix2patterns.v21.pattern import Pattern

from core.contacts import index_rows, normalise_domain, normalise_handle, normalise_kakao, normalise_phone
from core.textfile import CsvRecordError, TextDecodeError, csv_records, decode_bytes
from store.errors import ImportValidationError, StoreError
from store.schema import WATCHLIST_KINDS

CSV_COLUMNS = ("kind", "value", "source", "note")
MAX_FILE_BYTES = 20_000_000
MAX_VALUE = 300
MAX_SOURCE = 200
MAX_NOTE = 2000
# user-account account_type (ours, MISP's and common spellings) -> our kind
ACCOUNT_TYPES = {
    "telegram": "telegram",
    "kakaotalk": "kakao",
    "kakao": "kakao",
    "line": "line",
    "whatsapp": "whatsapp",
    "wechat": "wechat",
    "weixin": "wechat",
}
# STIX object:property -> our kind (user-account goes by its account_type)
STIX_PATHS = {
    ("x-phone-number", "value"): "phone",
    ("phone-number", "value"): "phone",
    ("phone-number", "number"): "phone",
    ("url", "value"): "url",
    ("domain-name", "value"): "domain",
    ("email-addr", "value"): "email",
}


@dataclass(frozen=True)
class ListedContact:
    """One row of a partner's list, normalised; ``where`` names its line or indicator."""

    kind: str
    value: str
    source: str
    note: str
    where: str


class ContactValueError(ValueError):
    """A value that cannot be read as a contact of its kind."""


def normalise_contact(kind: str, raw: str) -> tuple[str, str]:
    """(kind, value) in the contact index's normal form; a link to a Telegram handle or a
    Kakao open chat becomes that kind. ContactValueError when nothing usable is left."""
    kind = str(kind or "").strip().lower()
    text = " ".join(str(raw or "").split())
    if kind not in WATCHLIST_KINDS:
        raise ContactValueError(f"unknown kind {kind!r} (expected {', '.join(WATCHLIST_KINDS)})")
    if not text:
        raise ContactValueError("empty value")
    if kind == "url":
        if re.match(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/", text, re.I):
            kind = "telegram"
        elif re.match(r"^(?:https?://)?open\.kakao\.com/", text, re.I):
            kind = "kakao"
    if kind in ("phone", "whatsapp"):
        value = normalise_phone(text)
        if len(re.sub(r"\D", "", value)) < 7:
            raise ContactValueError(f"not a phone number: {text[:80]!r}")
    elif kind == "telegram":
        value = normalise_handle(text)
    elif kind == "kakao":
        value = normalise_kakao(text)
    elif kind == "domain":
        value = normalise_domain(text)
        if "." not in value:
            raise ContactValueError(f"not a domain: {text[:80]!r}")
    else:
        # line, email and url go through the index's own rules; a WeChat ID follows LINE's
        # (an ID, case-insensitive, without a leading @).
        as_kind = "line" if kind == "wechat" else kind
        value = next((v for k, v in index_rows({as_kind: [text]}) if k == as_kind), "")
        if kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ContactValueError(f"not an email address: {text[:80]!r}")
    if len(value.lstrip("@")) < 3:
        raise ContactValueError(f"too short to match anything: {text[:80]!r}")
    if len(value) > MAX_VALUE:
        raise ContactValueError(f"longer than {MAX_VALUE} characters")
    return kind, value


def read_watchlist_file(path: Path, source: str | None = None, encoding: str | None = None) -> list[ListedContact]:
    """Every contact of a CSV or STIX 2.1 file, normalised, duplicates once.

    ImportValidationError listing every bad row (nothing is stored by the caller then).
    ``source`` fills rows without one (CSV) or names the list (STIX; default: the
    bundle's identity, else the file name).
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StoreError(f"{path}: {size:,} bytes, more than the {MAX_FILE_BYTES:,} a watchlist file may have")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return read_watchlist_bytes(path.name, raw, source, encoding)


def read_watchlist_bytes(
    name: str, raw: bytes, source: str | None = None, encoding: str | None = None
) -> list[ListedContact]:
    """read_watchlist_file for a file's bytes (an upload); ``name`` is what errors call it."""
    name = Path(name).name or "upload"
    if len(raw) > MAX_FILE_BYTES:
        raise StoreError(f"{name}: more than the {MAX_FILE_BYTES:,} bytes a watchlist file may have")
    try:
        text, _ = decode_bytes(raw, encoding)
    except TextDecodeError as exc:
        raise StoreError(f"{name}: {exc}") from None
    if "\x00" in text:
        raise StoreError(f"{name}: contains NUL bytes; not a text file")
    source = " ".join((source or "").split())[:MAX_SOURCE] or None
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        rows = _stix_rows(name, text, source)
    else:
        rows = _csv_rows(name, text, source or Path(name).stem)
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for row in rows:
        key = (row.kind, row.value, row.source)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _csv_rows(name: str, text: str, default_source: str) -> list[ListedContact]:
    errors: list[str] = []
    rows: list[ListedContact] = []
    try:
        records = list(csv_records(io.StringIO(text.lstrip("\ufeff"))))
    except CsvRecordError as exc:
        raise ImportValidationError([f"{name} {exc}"]) from None
    records = [(line, cells) for line, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise StoreError(f"{name}: empty file (expected a header {','.join(CSV_COLUMNS)})")
    header_line, header = records[0]
    columns = [c.strip().lower() for c in header]
    missing = [c for c in ("kind", "value") if c not in columns]
    if missing:
        raise StoreError(
            f"{name} line {header_line}: no column {', '.join(missing)} (expected a header {','.join(CSV_COLUMNS)})"
        )
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise StoreError(f"{name} line {header_line}: unknown column {unknown[0]!r} (expected {','.join(CSV_COLUMNS)})")
    for line, cells in records[1:]:
        cell = {columns[i]: cells[i].strip() for i in range(min(len(cells), len(columns)))}
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            errors.append(f"{name} line {line}: {len(cells)} cells, the header has {len(columns)}")
            continue
        try:
            kind, value = normalise_contact(cell.get("kind", ""), cell.get("value", ""))
        except ContactValueError as exc:
            errors.append(f"{name} line {line}: {exc}")
            continue
        source = " ".join(cell.get("source", "").split()) or default_source
        if len(source) > MAX_SOURCE:
            errors.append(f"{name} line {line}: source longer than {MAX_SOURCE} characters")
            continue
        note = cell.get("note", "")[:MAX_NOTE]
        rows.append(ListedContact(kind, value, source, note, f"line {line}"))
    if errors:
        raise ImportValidationError(errors, f"{name}: {len(errors)} bad row(s), nothing imported")
    return rows


def _unquote(literal: str) -> str:
    """A STIX pattern string literal ('it\\'s') as its text."""
    if len(literal) < 2 or literal[0] != "'" or literal[-1] != "'":
        raise ContactValueError(f"not a string: {literal[:80]}")
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _pattern_contacts(pattern: str) -> list[tuple[str, str]]:
    """(kind, raw value) pairs an indicator's pattern names with ``=``."""
    try:
        comparisons = Pattern(pattern).inspect().comparisons
    except Exception as exc:  # noqa: BLE001 - the parser raises several kinds for a bad pattern
        raise ContactValueError(f"unreadable STIX pattern: {str(exc).splitlines()[0][:120]}") from None
    found: list[tuple[str, str]] = []
    for object_type, parts in comparisons.items():
        if object_type == "user-account":
            types = [_unquote(v).lower() for path, op, v in parts if path == ["account_type"] and op == "="]
            logins = [_unquote(v) for path, op, v in parts if path in (["account_login"], ["user_id"]) and op == "="]
            if len(set(types)) != 1 or not logins:
                raise ContactValueError("a user-account needs one account_type and an account_login")
            kind = ACCOUNT_TYPES.get(types[0])
            if kind is None:
                raise ContactValueError(
                    f"account_type {types[0]!r} is not one we watch (expected {', '.join(sorted(ACCOUNT_TYPES))})"
                )
            found += [(kind, login) for login in logins]
            continue
        for path, op, value in parts:
            kind = STIX_PATHS.get((object_type, ".".join(str(p) for p in path)))
            if kind is None or op != "=":
                raise ContactValueError(
                    f"{object_type}:{'.'.join(str(p) for p in path)} {op} is not a contact we watch "
                    "(phone-number, url, domain-name, email-addr or user-account, with =)"
                )
            found.append((kind, _unquote(value)))
    return found


def _stix_rows(name: str, text: str, source: str | None) -> list[ListedContact]:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{name} line {exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise StoreError(f"{name}: not a STIX 2.1 bundle (expected an object with type 'bundle' and objects)")
    objects: list[Any] = bundle["objects"]
    identities = {
        o.get("id"): str(o.get("name") or "")
        for o in objects
        if isinstance(o, dict) and o.get("type") == "identity" and o.get("id")
    }
    errors: list[str] = []
    rows: list[ListedContact] = []
    for index, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        where = f"indicator {index} ({str(obj.get('id') or 'no id')[:60]})"
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(obj.get("pattern"), str):
            errors.append(f"{name} {where}: not a STIX pattern")
            continue
        listed_by = source or identities.get(obj.get("created_by_ref")) or Path(name).stem
        note = " ".join(str(obj.get("name") or obj.get("description") or "").split())[:MAX_NOTE]
        try:
            for kind, raw in _pattern_contacts(obj["pattern"]):
                kind, value = normalise_contact(kind, raw)
                rows.append(ListedContact(kind, value, " ".join(listed_by.split())[:MAX_SOURCE], note, where))
        except ContactValueError as exc:
            errors.append(f"{name} {where}: {exc}")
    if errors:
        raise ImportValidationError(errors, f"{name}: {len(errors)} bad indicator(s), nothing imported")
    if not rows:
        raise StoreError(f"{name}: the bundle holds no indicator")
    return rows
