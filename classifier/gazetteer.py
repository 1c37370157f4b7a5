"""Destination lookup: place names in several scripts from classifier/data/gazetteer.yaml."""

from __future__ import annotations

import functools
import logging
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
from classifier.normalize import Batch, Normalized

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
        place = Place(pid, str(entry["country"] or ""), str(entry.get("city") or ""), risk)
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


def find_places_batch(batch: Batch, gaz: Gazetteer) -> list[list[Destination]]:
    """find_places for every text of a batch in one scan."""
    return [_places(h, gaz) for h in find_hits_batch(batch, gaz.names)]


def main_destination(places: list[Destination]) -> Destination | None:
    """The riskiest place named (ties: the one named first); a city beats its country."""
    if not places:
        return None
    return max(places, key=lambda d: (d.risk, bool(d.city), -d.start))
