"""Destination lookup: place names in several scripts from classifier/data/gazetteer.yaml."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import PatternFileError
from classifier.indicators import (
    Hit,
    IndicatorSet,
    Signal,
    build_set,
    entry_value,
    find_hits,
    find_hits_batch,
    phrase_atoms,
    read_pattern_file,
    require_keys,
)
from classifier.normalize import AD_SEP, Batch, Normalized

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).with_name("data") / "gazetteer.yaml"
HIGH_RISK_COUNTRIES = frozenset({"KH", "MM", "LA"})


@dataclass(frozen=True)
class Place:
    """A gazetteer entry."""

    id: str
    country: str
    city: str
    risk: int
    across: str = ""  # a border town: the country across the border


@dataclass(frozen=True)
class Gazetteer:
    """Places plus their names compiled for the same fast scan as the indicators."""

    places: dict[str, Place]
    names: IndicatorSet


@dataclass(frozen=True)
class Destination:
    """The riskiest place an ad names, with the words that named it."""

    country: str
    city: str
    risk: int
    place_id: str
    start: int
    end: int
    text: str


def parse_gazetteer(spec: dict, where: str = "gazetteer.yaml") -> Gazetteer:
    """Build a Gazetteer from the parsed YAML mapping (errors name the entry)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("places"), list):
        raise PatternFileError(f"{where}: expected a top-level 'places' list")
    places: dict[str, Place] = {}
    signals: list[Signal] = []
    for i, entry in enumerate(spec["places"]):
        at = f"{where}: places[{i}]"
        if not isinstance(entry, dict):
            raise PatternFileError(f"{at}: expected a mapping")
        require_keys(entry, ("id", "country", "risk", "names"), at)
        pid = str(entry["id"])
        if pid in places:
            raise PatternFileError(f"{at}: duplicate id {pid!r}")
        risk = entry_value(entry, "risk", int, "an integer", at)
        names = entry["names"]
        if not isinstance(names, list) or not names:
            raise PatternFileError(f"{at}: key 'names' must be a non-empty list")
        across = str(entry.get("across") or "")
        if across and not re.fullmatch(r"[A-Z]{2}", across):
            raise PatternFileError(f"{at}: key 'across' must be a two-letter country code")
        country = str(entry["country"] or "")
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise PatternFileError(f"{at}: key 'country' must be a two-letter country code or empty")
        place = Place(pid, country, str(entry.get("city") or ""), risk, across)
        places[pid] = place
        label = place.city or place.country
        signals.append(Signal(pid, "", label, float(risk), tuple(phrase_atoms(str(n)) for n in names), (), None))
    return Gazetteer(places, build_set(tuple(signals)))


@functools.lru_cache(maxsize=4)
def load_gazetteer(path: Path | str | None = None) -> Gazetteer:
    """Read the gazetteer file (cached; default: the packaged file)."""
    p = Path(path) if path else DEFAULT_PATH
    return parse_gazetteer(read_pattern_file(p), where=p.name)


def _places(hits: list[Hit], gaz: Gazetteer) -> list[Destination]:
    out = []
    for hit in hits:
        p = gaz.places[hit.signal]
        out.append(Destination(p.country, p.city, p.risk, p.id, hit.start, hit.end, hit.text))
    return out


def find_places(norm: Normalized, gaz: Gazetteer) -> list[Destination]:
    """Every place named in the text, in order of appearance."""
    return _places(find_hits(norm, gaz.names), gaz)


# An administrative suffix written onto a Chinese or Japanese place name belongs to the word
# (贡布省, 大阪市, 東京都): the evidence takes it, so it is never a piece of a word.
_ADMIN_SUFFIX = re.compile(r"[省市区區县縣州郡都府県町村]")


def find_places_batch(batch: Batch, gaz: Gazetteer) -> list[list[Destination]]:
    """find_places for every text of a batch in one scan."""
    out = []
    for k, hits in enumerate(find_hits_batch(batch, gaz.names)):
        places = _places(hits, gaz)
        if places:
            start = batch.orig_starts[k]
            original = batch.raw[k] if batch.raw else batch.norm.original[start : start + _item_length(batch, k)]
            places = [_with_suffix(d, original) for d in places]
        out.append(places)
    return out


def _item_length(batch: Batch, k: int) -> int:
    nxt = batch.orig_starts[k + 1] - len(AD_SEP) if k + 1 < len(batch.orig_starts) else len(batch.norm.original)
    return nxt - batch.orig_starts[k]


def _with_suffix(d: Destination, original: str) -> Destination:
    if d.end < len(original) and _ADMIN_SUFFIX.match(original, d.end) and "\u4e00" <= d.text[-1:] <= "\u9fff":
        return Destination(d.country, d.city, d.risk, d.place_id, d.start, d.end + 1, original[d.start : d.end + 1])
    return d


def main_destination(places: list[Destination], text: str | None = None) -> Destination | None:
    """The riskiest place named (ties: the one named first); a city beats its country.

    With the ad's original ``text``, a place named only as an adjective (캄보디아 음식점 in
    Ansan, a Lao-speaking interpreter, ภาษาพม่า) is no destination.
    """
    if text is not None and any(d.risk > 0 for d in places):
        lower = text.lower()  # only a risky place can be a destination that is not one
        places = [d for d in places if d.risk <= 0 or not _adjective(lower, d)]
    if not places:
        return None
    return max(places, key=lambda d: (d.risk, bool(d.city), -d.start))


# ---- Which country the job is in -------------------------------------------------------------
# Words around a place name, read on the ad's own line in its original text (lower-cased).
# Short and bounded windows; every pattern is an alternation of literals (linear).
_WINDOW = 16
# A pickup or transit point: the work is elsewhere.
_TRANSIT_BEFORE = re.compile(
    r"(?:pick(?:s|ing)? (?:you )?up (?:in|at)|pickup (?:in|at)|pick-up (?:in|at)|fly (?:you )?(?:in)?to|fly into|land in"
    r"|via|transit(?: in| at)?|cross(?:ing)? (?:at|from)|from|reached from|bring you over from|first to|qua cửa khẩu|đưa lên"
    r"|ข้ามจาก|รับที่|นัดเจอที่|บินมาลง|อีกฝั่งของ|จาก|đón tại|xe đón|tập trung tại|từ|dijemput di|lewat|dari|mula sa|sundo sa"
    r"|ឆ្លងពី)\s*$"
)
_TRANSIT_AFTER = re.compile(
    r"^\s*(?:경유|에서 픽업|픽업|도착 후|도착하면|도착해서|공항 도착|공항에|에서 출발|에서 만나|을 거쳐|를 거쳐|거쳐"
    r"|接人|接机|有人接|落地|转机|过境|出发|集合|経由|から|に集合|空港"
    r"|ကို ရောက်ရင်|ရောက်ရင်|pickup|pick-up|transit)"
)
# The place names a thing, not where the job is: a cuisine, a language, a people, a visa.
_ADJECTIVE_BEFORE = re.compile(
    r"(?:ภาษา|คน|ชาว|อาหาร|tiếng|người|vốn|món|bahasa|orang|masakan|ភាសា|ជនជាតិ|ဘာသာ|ພາສາ|본사\s*:?|한국사무소\s*:?)\s*$"
)
_ADJECTIVE_AFTER = re.compile(
    r"^(?:\s*(?:음식점|식당|요리|레스토랑|음식|어(?![가-힣])|인(?![가-힣])|사람|출신|국적|노동자|근로자|교민|손님|관광객|바이어"
    r"|restaurant|cuisine|food|language|speakers?|nationals|citizens|workers|single entry|visitor visas?|visas?|embassy"
    r"|菜|餐厅|饭店|语|人|籍|料理|語|人|系)"
    r"|-(?:speaking|owned|style))"
)
# The place is where the work is: an office, a team, a factory there.
_WORKPLACE_NEAR = re.compile(
    r"office|team|company|factory|plant|branch|based|located|head office|근무|사무실|회사|공장|법인|현장|소재|办公室|公司|园区"
    r"|工厂|厂|事務所|会社|勤務|ออฟฟิศ|บริษัท|สำนักงาน|โรงงาน|ทำงานที่|văn phòng|công ty|nhà máy|làm việc tại|kantor|pabrik"
    r"|opisina|ការិយាល័យ|ក្រុមហ៊ុន|រោងចក្រ|ကုမ္ပဏီ|ຫ້ອງການ|บริษัท"
)
# Crossing the border from a border town: the work is across it.
_CROSSING_AFTER = re.compile(
    r"^.{0,25}?(?:过河|过境|rồi qua|qua bên kia|sang bên kia|sang |ข้ามไป|ข้ามแดน|cross(?:ing)? (?:over|the border|the river)"
    r"|건너|넘어|across the border|ឆ្លងដែន)"
)
_PHONE_CC = re.compile(r"(?<![\w+])\+\s?(\d{1,3})")
_PHONE_COUNTRY = {
    "855": "KH", "66": "TH", "84": "VN", "63": "PH", "82": "KR", "81": "JP", "86": "CN", "95": "MM", "856": "LA",
    "62": "ID", "60": "MY", "65": "SG", "886": "TW", "91": "IN", "48": "PL", "44": "GB", "971": "AE", "61": "AU",
    "64": "NZ", "381": "RS", "852": "HK", "1": "US",
}  # fmt: skip
_CC_TLD = re.compile(r"\.(kh|th|vn|ph|kr|jp|cn|tw|id|my|sg|la|mm|in|pl|uk|au|nz|rs|hk|ae)(?![\w-])")
_TLD_COUNTRY = {"uk": "GB"}
_CURRENCY_COUNTRY = {
    "KRW": "KR", "CNY": "CN", "THB": "TH", "VND": "VN", "IDR": "ID", "PHP": "PH", "MYR": "MY", "SGD": "SG",
    "AED": "AE", "JPY": "JP", "INR": "IN", "KHR": "KH", "GBP": "GB", "PLN": "PL", "TWD": "TW", "MMK": "MM",
}  # fmt: skip


# One search before and one match after the place tell its role (adjective wins over transit).
_ROLE_BEFORE = re.compile(
    rf"(?:(?P<adjective>{_ADJECTIVE_BEFORE.pattern[:-4]})|(?P<transit>{_TRANSIT_BEFORE.pattern[:-4]}))\s*$"
)
_ROLE_AFTER = re.compile(rf"(?:(?P<adjective>{_ADJECTIVE_AFTER.pattern})|(?P<transit>{_TRANSIT_AFTER.pattern}))")


def _line_window(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to _WINDOW characters before and after a span, on its own line."""
    before = text[max(0, start - _WINDOW) : start].rsplit("\n", 1)[-1]
    after = text[end : end + _WINDOW + 10].split("\n", 1)[0]
    return before, after


def _adjective(lower: str, d: Destination) -> bool:
    return _role(lower, d) == "adjective"


def _role(lower: str, d: Destination) -> str:
    """How the ad uses a place: "adjective", "transit", "workplace" or "" (just named)."""
    before, after = _line_window(lower, d.start, d.end)
    b, a = _ROLE_BEFORE.search(before), _ROLE_AFTER.match(after)
    if (b and b.group("adjective")) or (a and a.group("adjective")):
        return "adjective"
    if b or a:
        return "transit"
    if _WORKPLACE_NEAR.search(before) or _WORKPLACE_NEAR.search(after):
        return "workplace"
    return ""


def country_votes(places: list[Destination], text: str, title_end: int, gaz: Gazetteer) -> dict[str, float]:
    """Each country's weight as the ad's workplace, from the places it names (see
    gazetteer.yaml). ``text`` is the ad's original text, ``title_end`` where its title ends."""
    lower = text.lower()
    votes: dict[str, float] = {}
    for d in places:
        place = gaz.places.get(d.place_id)
        if place is None:
            continue
        before, after = _line_window(lower, d.start, d.end)
        w = 2.0 if place.city or "-" in place.id else 1.5
        w += 0.1 * max(place.risk, 0)
        if d.start < title_end:  # the title names the workplace more often than the text does
            w *= 2.5
        role = _role(lower, d)
        if role == "adjective":
            w *= 0.1
        elif role == "transit":
            w *= 0.15
        elif role == "workplace":
            w *= 1.5
        if place.across and _CROSSING_AFTER.match(lower[d.end : d.end + 40].split("\n", 1)[0]):
            votes[place.across] = votes.get(place.across, 0.0) + 4.0
            w *= 0.15
        if d.country:
            votes[d.country] = votes.get(d.country, 0.0) + w
    return votes


def workplace_country(
    places: list[Destination],
    text: str,
    title_end: int,
    gaz: Gazetteer,
    addresses: list[str] = (),  # type: ignore[assignment]
    currency: str | None = None,
) -> str:
    """ISO code of the country the job is in, or "" when the ad does not say.

    The places it names decide (country_votes); with none, the country code of a phone
    number, then the country domain of an e-mail address or site, then the currency of the
    pay it offers.
    """
    named = {d.country for d in places}
    if len(named) == 1 and "" not in named and not any(gaz.places[d.place_id].across for d in places):
        return next(iter(named))  # one country named, no border town: nothing to weigh
    votes = country_votes(places, text, title_end, gaz)
    if votes:
        first = {}
        for d in places:
            first.setdefault(d.country, d.start)
        return max(votes, key=lambda c: (round(votes[c], 6), -first.get(c, 0)))
    for m in _PHONE_CC.finditer(text):
        digits = m.group(1)
        for n in (3, 2, 1):
            if digits[:n] in _PHONE_COUNTRY and len(digits) >= n:
                return _PHONE_COUNTRY[digits[:n]]
    for value in addresses:
        m = _CC_TLD.search(value.lower())
        if m:
            return _TLD_COUNTRY.get(m.group(1), m.group(1).upper())
    return _CURRENCY_COUNTRY.get(currency or "", "")
