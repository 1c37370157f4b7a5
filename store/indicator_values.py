"""Contact values as partners load them: decoded, validated by their own rules, typed.

A contact shared with platforms and police must be exactly what the ad gave, in a form
their tools accept. Each value is HTML-decoded first (a page may have left ``&quot;`` in
it), then checked by the rules of its kind; a value that fails is left out of the export
with the reason, never "repaired" into something the ad did not say:

- phone, WhatsApp: a valid number in E.164 (``phonenumbers.is_valid_number``); digits
  without a country code cannot be placed and are left out;
- email: a plain local part and a valid host name;
- domain: a valid host name (IDNA), or an IP address, which becomes ``ipv4`` / ``ipv6``;
- url: http or https (the scheme the ad wrote, never changed), a valid host, and only
  characters a URL may hold (no quotes, spaces or angle brackets);
- Telegram: ``@handle`` (5 to 32 letters, digits or _) or a ``t.me/+`` invite;
- KakaoTalk: an open-chat link or an ID; LINE: an ID.
"""

from __future__ import annotations

import html
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
# Characters a URL may not hold unescaped (RFC 3986): spaces, controls, quotes, <>, \ ^ ` { | }.
_URL_BAD = re.compile(r"[\s\x00-\x1f\x7f\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")
_TELEGRAM = re.compile(r"^@[a-z][a-z0-9_]{4,31}$|^t\.me/(?:\+|joinchat/)[A-Za-z0-9_-]{8,64}$")
_KAKAO = re.compile(r"^open\.kakao\.com/(?:o|me)/[A-Za-z0-9]{4,64}$|^[a-z0-9][a-z0-9._-]{2,29}$")
_LINE = re.compile(r"^@?[a-z0-9][a-z0-9._-]{2,19}$")


@dataclass(frozen=True)
class Checked:
    """A value as exported (``kind`` may become ipv4/ipv6), or why it is left out."""

    kind: str
    value: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def decoded(value: str) -> str:
    """HTML entities decoded (twice-encoded ones too), outer spaces removed."""
    text = str(value or "")
    for _ in range(3):
        new = html.unescape(text)
        if new == text:
            break
        text = new
    return text.strip()


def ip_kind(host: str) -> str | None:
    """``ipv4`` or ``ipv6`` when ``host`` is an IP address, else None."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return f"ipv{address.version}"


def valid_host(host: str) -> bool:
    """A host name that resolves in principle: IDNA labels, a real top-level label."""
    host = host.lower().rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return (
        len(ascii_host) <= 253
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and bool(_TLD.match(labels[-1]))
    )


def check_url(value: str) -> Checked:
    """An http(s) link with a valid host (a name or an IP) and nothing a URL cannot hold."""
    if _URL_BAD.search(value):
        return Checked("url", value, "holds characters a link cannot (quotes, spaces, <, >)")
    try:
        parts = urlsplit(value if "//" in value[:10] else "//" + value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return Checked("url", value, "is not a link")
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return Checked("url", value, f"scheme {parts.scheme}: only http and https links are shared")
    if not host or not (ip_kind(host) or valid_host(host)):
        return Checked("url", value, "has no valid host")
    return Checked("url", value)


def check(kind: str, value: str) -> Checked:
    """The value of one contact as a partner loads it, or the reason it is left out."""
    value = decoded(value)
    if not value:
        return Checked(kind, value, "is empty")
    if kind in ("phone", "whatsapp"):
        try:
            number = phonenumbers.parse(value, None) if value.startswith("+") else None
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            return Checked(kind, value, "is not a valid phone number with its country code")
        return Checked(kind, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if kind == "email":
        local, _, host = value.rpartition("@")
        if not local or not _LOCAL.match(local) or not valid_host(host):
            return Checked(kind, value, "is not an email address")
        return Checked(kind, f"{local}@{host.lower()}")
    if kind == "domain":
        ip = ip_kind(value)
        if ip:
            return Checked(ip, str(ipaddress.ip_address(value.strip("[]"))))
        return Checked(kind, value.lower()) if valid_host(value) else Checked(kind, value, "is not a host name")
    if kind == "url":
        return check_url(value)
    if kind == "telegram":
        ok = _TELEGRAM.match(value)
        return Checked(kind, value) if ok else Checked(kind, value, "is not a Telegram handle or invite link")
    if kind == "kakao":
        ok = _KAKAO.match(value)
        return Checked(kind, value) if ok else Checked(kind, value, "is not a KakaoTalk ID or open-chat link")
    if kind == "line":
        return Checked(kind, value) if _LINE.match(value) else Checked(kind, value, "is not a LINE ID")
    return Checked(kind, value, f"unknown kind {kind!r}")
