"""Indicator patterns from classifier/data/indicators.yaml, matched on normalised text.

Each hit carries the signal, its expert weight and the evidence span in the ORIGINAL text,
so an analyst sees exactly which words fired.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from classifier.errors import PatternFileError
from classifier.normalize import Batch, Normalized, normalize_pattern_text
from classifier.tokens import WORD

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).with_name("data") / "indicators.yaml"
_LATIN = re.compile(r"[a-z0-9à-ÿœāăąēėęěīįłńňōőśšūůűźżž\u1ea0-\u1ef9]")
EXCLUDE_WINDOW = 40
# Letters of Latin-script words (Vietnamese and Indonesian included): evidence never starts
# or ends inside one, so a reason is never a fragment of a longer word.
_WORD_CH = re.compile(r"[a-z0-9\u00c0-\u024f\u1e00-\u1eff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A Hangul phrase this short is a noun that also ends longer words (무직 in 사무직): it fires
# only where a word starts, judged on the ORIGINAL text (normalisation joins Hangul words).
SHORT_HANGUL = 2
# Korean particles that may follow a noun of a multi-word phrase: "여권 보관" also matches
# 여권은 보관 / 여권을 보관. Expanded at load time, so matching stays one trie scan.
PARTICLES = (
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "도",
    "만",
    "에",
    "에서",
    "으로",
    "로",
    "의",
    "과",
    "와",
    "까지",
    "부터",
    "이나",
    "나",
)
MAX_PARTICLE_WORDS = 3


@dataclass(frozen=True)
class Signal:
    """One indicator: id, plain-words label, expert weight and its compiled patterns."""

    id: str
    ref: str
    label: str
    weight: float
    phrases: tuple[tuple[str, ...], ...]
    regexes: tuple[str, ...]
    exclude: re.Pattern[str] | None
    nears: tuple["Near", ...] = ()


@dataclass(frozen=True)
class Near:
    """A proximity rule: a term of `a` and a term of `b` (either order) within `window` characters.

    Paraphrases move a denial away from its harm word ("감금이나 폭행 같은 일은 절대 없습니다",
    "nobody here gets beaten, ever"); one phrase per wording never keeps up. The gap is
    counted on the normalised text and never crosses a line break.
    """

    a: re.Pattern[str]
    b: re.Pattern[str]
    window: int


@dataclass(frozen=True)
class IndicatorSet:
    """All signals compiled for a fast scan.

    Python's re tries alternatives one by one: one regex per signal cost ~1.3 ms per
    1,000-character ad. Instead all phrases form two prefix tries: phrases starting with a
    word character (anchored at a word boundary, so the engine skips mid-word positions)
    and phrases starting with Hangul/Han/Thai or punctuation. Each text (or a whole batch
    of ads joined into one string) is scanned once per trie; the matched phrase is looked
    up to find its signals.
    """

    signals: tuple[Signal, ...]
    latin: re.Pattern[str] | None
    dense: re.Pattern[str] | None
    by_key: dict[str, tuple[tuple[int, int], ...]]  # matched phrase -> (signal, phrase-prefix length)
    regexes: tuple[tuple[int, re.Pattern[str]], ...]

    @property
    def ids(self) -> list[str]:
        """Signal ids in feature order."""
        return [s.id for s in self.signals]


@dataclass(frozen=True)
class Hit:
    """One indicator match; start/end/text refer to the original (un-normalised) text."""

    signal: str
    label: str
    weight: float
    start: int
    end: int
    text: str


def phrase_atoms(phrase: str) -> tuple[str, ...]:
    """Regex atoms of a plain phrase: normalised, flexible spacing, whole words for Latin."""
    norm = normalize_pattern_text(phrase).strip()
    if not norm:
        raise ValueError("empty phrase")
    atoms: list[str] = []
    for ch in norm:
        if ch.isspace():
            if atoms and atoms[-1] != r"\s*":
                atoms.append(r"\s*")
        else:
            atoms.append(re.escape(ch))
    if _LATIN.match(norm[0]):
        # The word-boundary check sits after the first character so every branch starts
        # with a literal: the regex engine then skips non-candidate positions quickly.
        atoms.insert(1, r"(?<![a-z0-9].)")
    if _LATIN.match(norm[-1]):
        atoms.append(r"(?![a-z0-9])")
    return tuple(atoms)


def phrase_to_regex(phrase: str) -> str:
    """Regex source for one plain phrase (see phrase_atoms)."""
    return "".join(phrase_atoms(phrase))


def _trie_regex(phrases: list[tuple[str, ...]]) -> str:
    """One regex for many phrases, factored as a trie: ~one branch test per position.

    Python's re tries alternatives one by one; hundreds of phrases per signal made
    matching ~1.5 ms per ad. Sharing prefixes keeps it near a single scan.
    """
    trie: dict = {}
    for atoms in phrases:
        node = trie
        for a in atoms:
            node = node.setdefault(a, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        # Assertions last, so a longer phrase wins over its shorter prefix.
        alts = [
            a + emit(child)
            for a, child in sorted(node.items(), key=lambda kv: (kv[0].startswith("(?"), kv[0]))
            if a != ""
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and not end else "(?:" + "|".join(alts) + ")"
        if end:
            body = (body if body.startswith("(?:") and len(alts) > 1 else "(?:" + body + ")") + "?"
        return body

    return emit(trie)


def _check(regexes: list[str], where: str) -> None:
    for s in regexes:
        try:
            re.compile(s)
        except re.error as inner:
            raise PatternFileError(f"{where}: bad pattern {s!r}: {inner}") from None


def _compile(phrases: list[tuple[str, ...]], regexes: list[str], where: str) -> re.Pattern[str]:
    _check(regexes, where)
    sources = ([_trie_regex(phrases)] if phrases else []) + [f"(?:{s})" for s in regexes]
    return re.compile("|".join(sources))


def _key(atoms_or_text: tuple[str, ...] | str) -> str:
    """Lookup key of a phrase or matched text: the literal characters without spacing."""
    if isinstance(atoms_or_text, str):
        return "".join(atoms_or_text.split()) if not atoms_or_text.isalnum() else atoms_or_text
    return "".join(re.sub(r"\\(.)", r"\1", a) for a in atoms_or_text if not a.startswith("(?") and a != r"\s*")


def build_set(signals: tuple[Signal, ...]) -> IndicatorSet:
    """Compile signals into a fast IndicatorSet."""
    by_key: dict[str, set[int]] = {}
    latin: list[tuple[str, ...]] = []
    dense: list[tuple[str, ...]] = []
    for i, sig in enumerate(signals):
        for atoms in sig.phrases:
            by_key.setdefault(_key(atoms), set()).add(i)
            (latin if WORD.match(_key(atoms[:1])) else dense).append(atoms)
    # For each phrase, every (signal, length) of phrases that are its prefixes (고수익 inside
    # 고수익 알바 may belong to another signal): one lookup per match at scan time.
    prefixes: dict[str, tuple[tuple[int, int], ...]] = {}
    for key in by_key:
        prefixes[key] = tuple((sig, n) for n in range(len(key), 0, -1) for sig in sorted(by_key.get(key[:n], ())))
    return IndicatorSet(
        signals=signals,
        latin=re.compile(r"\b(?:" + _trie_regex(latin) + ")") if latin else None,
        dense=re.compile(_trie_regex(dense)) if dense else None,
        by_key=prefixes,
        regexes=tuple((i, re.compile(src)) for i, sig in enumerate(signals) for src in sig.regexes),
    )


def particle_variants(phrase: str) -> list[str]:
    """The phrase plus each spelling with a Korean particle after its Hangul words."""
    words = phrase.split()
    if not 1 < len(words) <= MAX_PARTICLE_WORDS:
        return [phrase]
    out = [""]
    for i, w in enumerate(words):
        sep = "" if i == 0 else " "
        nxt = [o + sep + w for o in out]
        follows = i + 1 < len(words) and _HANGUL.match(words[i + 1][:1] or " ")
        if follows and _HANGUL.match(w[-1]) and not w.endswith(PARTICLES):
            nxt += [o + sep + w + p for o in out for p in PARTICLES]
        out = nxt
    return out


def _split(items: list, phrases: list, regexes: list) -> None:
    for raw in items:
        raw = str(raw)
        if raw.startswith("re:"):
            regexes.append(raw[3:])
        else:
            phrases.extend(phrase_atoms(v) for v in particle_variants(raw))


def _terms(items: Any, where: str) -> list:
    """A near rule's term list: a list, or a mapping of languages to lists."""
    if isinstance(items, dict):
        items = [t for v in items.values() if isinstance(v, list) for t in v]
    if not isinstance(items, list) or not items:
        raise PatternFileError(f"{where} must be a non-empty list")
    return items


def parse_near(rules: Any, at: str) -> tuple[Near, ...]:
    """Near rules of one signal (a mapping or a list of mappings with a, b and window)."""
    rules = [rules] if isinstance(rules, dict) else rules
    if not isinstance(rules, list):
        raise PatternFileError(f"{at}: key 'near' must be a mapping or a list of mappings")
    out = []
    for k, rule in enumerate(rules):
        where = f"{at}: near[{k}]"
        if not isinstance(rule, dict):
            raise PatternFileError(f"{where}: expected a mapping with a, b and window")
        require_keys(rule, ("a", "b", "window"), where)
        window = entry_value(rule, "window", int, "an integer", where)
        sides = []
        for side in ("a", "b"):
            phrases: list[tuple[str, ...]] = []
            regexes: list[str] = []
            try:
                _split(_terms(rule[side], f"{where}.{side}"), phrases, regexes)
            except ValueError as exc:
                raise PatternFileError(f"{where}.{side}: {exc}") from None
            sides.append(_compile(phrases, regexes, f"{where}.{side}"))
        out.append(Near(sides[0], sides[1], window))
    return tuple(out)


def parse_signals(spec: dict, where: str = "indicators.yaml") -> tuple[Signal, ...]:
    """Build Signals from the parsed YAML mapping (validated, errors name the entry)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("signals"), list):
        raise PatternFileError(f"{where}: expected a top-level 'signals' list")
    out: list[Signal] = []
    seen: set[str] = set()
    for i, entry in enumerate(spec["signals"]):
        at = f"{where}: signals[{i}]"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise PatternFileError(f"{at}: each signal needs an 'id'")
        sid = str(entry["id"])
        at = f"{where}: signal {sid!r}"
        if sid in seen:
            raise PatternFileError(f"{at}: duplicate id")
        seen.add(sid)
        require_keys(entry, ("label", "weight", "patterns"), at)
        weight = entry_value(entry, "weight", float, "a number", at)
        patterns = entry["patterns"]
        if not isinstance(patterns, dict) or not patterns:
            raise PatternFileError(f"{at}: key 'patterns' must map languages to lists")
        phrases: list[tuple[str, ...]] = []
        regexes: list[str] = []
        for lang, items in patterns.items():
            if not isinstance(items, list):
                raise PatternFileError(f"{at}: patterns.{lang} must be a list")
            try:
                _split(items, phrases, regexes)
            except ValueError as exc:
                raise PatternFileError(f"{at}: patterns.{lang}: {exc}") from None
        ex_phrases: list[tuple[str, ...]] = []
        ex_regexes: list[str] = []
        _split(entry.get("exclude") or [], ex_phrases, ex_regexes)
        exclude = _compile(ex_phrases, ex_regexes, at + " exclude") if ex_phrases or ex_regexes else None
        _check(regexes, at)
        nears = parse_near(entry["near"], at) if entry.get("near") is not None else ()
        out.append(
            Signal(
                sid,
                str(entry.get("ref", "")),
                str(entry["label"]),
                weight,
                tuple(phrases),
                tuple(regexes),
                exclude,
                nears,
            )
        )
    return tuple(out)


def require_keys(entry: dict, keys: tuple[str, ...], at: str) -> None:
    """PatternFileError naming the first of ``keys`` an entry of an expert-edited file lacks."""
    for key in keys:
        if key not in entry:
            raise PatternFileError(f"{at}: missing key {key!r}")


def entry_value(entry: dict, key: str, kind: type, noun: str, at: str) -> Any:
    """``kind(entry[key])``, or PatternFileError saying the key must be ``noun``."""
    try:
        return kind(entry[key])
    except (TypeError, ValueError):
        raise PatternFileError(f"{at}: key {key!r} must be {noun}") from None


def read_pattern_file(p: Path) -> Any:
    """The parsed YAML of an expert-edited data file; PatternFileError names the file."""
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PatternFileError(f"{p}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PatternFileError(f"{p}: invalid YAML: {exc}".replace("\n", " ")) from None


@functools.lru_cache(maxsize=8)
def load_signals(path: Path | str | None = None) -> IndicatorSet:
    """Read and compile the indicator file (cached; default: the packaged file)."""
    p = Path(path) if path else DEFAULT_PATH
    signals = parse_signals(read_pattern_file(p), where=str(p.name))
    log.debug("loaded %d signals from %s", len(signals), p)
    return build_set(signals)


def _matches(text: str, iset: IndicatorSet) -> list[tuple[int, int, int]]:
    """(signal index, start, end) in normalised text, before exclusion."""
    out: list[tuple[int, int, int]] = []
    for rx in (iset.latin, iset.dense):
        if rx is None:
            continue
        for m in rx.finditer(text):
            matched = m.group()
            start = m.start()
            found = iset.by_key.get(_key(matched), ())
            if " " in matched or "\n" in matched or "\t" in matched:
                ends = [i + 1 for i, ch in enumerate(matched) if not ch.isspace()]
                out.extend((sig, start, start + ends[n - 1]) for sig, n in found)
            else:
                out.extend((sig, start, start + n) for sig, n in found)
    for idx, rx in iset.regexes:
        for m in rx.finditer(text):
            if m.end() > m.start():
                out.append((idx, m.start(), m.end()))
    for idx, sig in enumerate(iset.signals):
        for near in sig.nears:
            out.extend((idx, a, b) for a, b in _near_spans(text, near))
    return out


def _near_spans(text: str, near: Near) -> list[tuple[int, int]]:
    """Spans from each `a` term to the closest `b` term within the window (same line)."""
    bs = [(m.start(), m.end()) for m in near.b.finditer(text) if m.end() > m.start()]
    if not bs:
        return []
    starts = [b[0] for b in bs]
    out = []
    for m in near.a.finditer(text):
        a0, a1 = m.span()
        if a1 <= a0:
            continue
        lo = bisect.bisect_left(starts, a0 - near.window - 200)
        best: tuple[int, int, int] | None = None
        for b0, b1 in bs[lo:]:
            if b0 > a1 + near.window:
                break
            gap = b0 - a1 if b0 >= a1 else a0 - b1 if b1 <= a0 else 0
            if gap > near.window or (b0 < a1 and b1 > a0 and (b0, b1) == (a0, a1)):
                continue
            lo_, hi_ = min(a0, b0), max(a1, b1)
            if "\n" in text[lo_:hi_]:
                continue
            if best is None or gap < best[0]:
                best = (gap, lo_, hi_)
        if best is not None:
            out.append((best[1], best[2]))
    return out


def _whole_words(text: str, start: int, end: int) -> bool:
    """False when a span starts or ends inside a Latin-script word of the normalised text."""
    if start > 0 and _WORD_CH.match(text[start]) and _WORD_CH.match(text[start - 1]):
        return False
    return not (end < len(text) and _WORD_CH.match(text[end - 1]) and _WORD_CH.match(text[end]))


def starts_inside_word(original: str, start: int, evidence: str) -> bool:
    """A short Hangul noun (무직) whose evidence continues a longer Hangul word (사무직)."""
    core = "".join(evidence.split())
    return (
        0 < len(core) <= SHORT_HANGUL
        and all(_HANGUL.match(c) for c in core)
        and start > 0
        and bool(_HANGUL.match(original[start - 1]))
    )


def _resolve(text: str, iset: IndicatorSet, bounds, to_hit) -> None:
    """Drop excluded matches and duplicates; to_hit(signal, start, end) records the rest."""
    seen: set[tuple[int, int]] = set()
    for idx, start, end in _matches(text, iset):
        if (idx, start) in seen or not _whole_words(text, start, end):
            continue
        sig = iset.signals[idx]
        if sig.exclude is not None:
            lo, hi = bounds(start)
            if sig.exclude.search(text, max(lo, start - EXCLUDE_WINDOW), min(hi, end + EXCLUDE_WINDOW)):
                continue
        seen.add((idx, start))
        to_hit(sig, start, end)


def find_hits(norm: Normalized, iset: IndicatorSet) -> list[Hit]:
    """All indicator hits in one normalised text, evidence mapped back to the original.

    One hit per signal and start; nested phrases of one signal keep the longest.
    """
    hits: list[Hit] = []

    def add(sig: Signal, start: int, end: int) -> None:
        a, b, ev = norm.span_text(start, end)
        if starts_inside_word(norm.original, a, ev):
            return
        hits.append(Hit(sig.id, sig.label, sig.weight, a, b, ev))

    _resolve(norm.text, iset, lambda pos: (0, len(norm.text)), add)
    hits.sort(key=lambda h: (h.start, -h.weight))
    return hits


def find_hits_batch(batch: Batch, iset: IndicatorSet) -> list[list[Hit]]:
    """find_hits for every text of a batch in one scan; spans relative to each original text."""
    hits: list[list[Hit]] = [[] for _ in batch.norm_starts]

    def bounds(pos: int) -> tuple[int, int]:
        k = batch.locate(pos)
        return batch.norm_starts[k], batch.norm_ends[k]

    found: list[tuple[Signal, int, int]] = []
    _resolve(batch.norm.text, iset, bounds, lambda sig, start, end: found.append((sig, start, end)))
    # Map every span back to the original text in one go (see Normalized.to_original_many).
    starts = [f[1] for f in found]
    items = batch.locate_many(starts)
    orig_a, orig_b = batch.norm.to_original_many(starts, [f[2] for f in found])
    original, orig_starts = batch.norm.original, batch.orig_starts
    for (sig, _, _), k, a, b in zip(found, items, orig_a, orig_b):
        off = orig_starts[k]
        if starts_inside_word(original, a, original[a:b]):
            continue
        hits[k].append(Hit(sig.id, sig.label, sig.weight, a - off, b - off, original[a:b]))
    for h in hits:
        h.sort(key=lambda x: (x.start, -x.weight))
    return hits
