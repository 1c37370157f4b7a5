"""Indicator patterns from classifier/data/indicators.yaml, matched on normalised text.

Each hit carries the signal, its expert weight and the evidence span in the ORIGINAL text,
so an analyst sees exactly which words fired.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from re import _constants as _C  # noqa: N812 (the parser's own names, as classifier.patterns)
from re import _parser as _P  # noqa: N812
from typing import Any

import yaml

from classifier.errors import PatternFileError
from classifier.normalize import DENSE, Batch, Normalized, normalize_pattern_text
from classifier.patterns import bound_repeats, compile_bounded, linear_problem
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
    # (terms, window): a hit is dropped when a term stands within `window` characters of it
    # on the same line ("경력 무관 아님", "no experience? not for this role", "无经验者勿扰").
    negated_by: tuple[re.Pattern[str], int] | None = None
    # Longer words that contain a phrase of the signal without meaning it (ไลน์ in ออนไลน์,
    # "online"): in scripts written without spaces, a hit inside one of them is dropped.
    not_inside: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Near:
    """A proximity rule: a term of `a` and a term of `b` (either order) within `window` characters.

    Paraphrases move a denial away from its harm word ("감금이나 폭행 같은 일은 절대 없습니다",
    "nobody here gets beaten, ever"); one phrase per wording never keeps up. The gap is
    counted on the normalised text and never crosses a line break. Each side holds phrase
    atoms and regexes like a Signal; build_set compiles every rule's terms into one scan.
    """

    a: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]
    b: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]
    window: int


@dataclass(frozen=True)
class IndicatorSet:
    """All signals compiled for a fast scan.

    Python's re tries alternatives one by one: one regex per signal cost ~1.3 ms per
    1,000-character ad. Instead all phrases form prefix tries: phrases starting with a
    word character (anchored at a word boundary, so the engine skips mid-word positions)
    and phrases starting with Hangul, Han, kana, Thai or punctuation, one trie per script
    of the first character (see _script). Each text (or a whole batch of ads joined into
    one string) is scanned once per trie; the matched phrase is looked up to find its signals.
    """

    signals: tuple[Signal, ...]
    latin: re.Pattern[str] | None
    dense: tuple[re.Pattern[str], ...]
    by_key: dict[str, tuple[tuple[int, int], ...]]  # matched phrase -> (signal, phrase-prefix length)
    regexes: tuple[tuple[int, re.Pattern[str]], ...]
    # Near rules: the `a` terms of every rule form one more IndicatorSet (one pseudo-signal
    # per rule), scanned over the whole text; the `b` terms another, scanned only around the
    # `a` hits (b sides hold the frequent short words: no, 없, 不). near_rules: each rule's
    # (owning signal, window); pseudo-signal k of either set belongs to rule k.
    near_a: IndicatorSet | None = None
    near_b: IndicatorSet | None = None
    near_rules: tuple[tuple[int, int], ...] = ()
    overlapping: bool = False
    # Per entry of `regexes`: literals its every match contains (see literal_needs), and
    # where one of them stands in a match (see literal_anchor). Most regexes match nowhere
    # in a batch: a C-speed find of their literal skips their scan, or leads it.
    needs: tuple[tuple[tuple[str, ...], ...], ...] = ()
    anchors: tuple[tuple[str, int, int] | None, ...] = ()
    # Matched phrase text -> ((signal, end offset), ...): a batch matches the same few
    # hundred phrases tens of thousands of times (see _phrase_ends).
    ends_cache: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict, compare=False, repr=False)

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
        # Every pattern runs over every ad: one that can backtrack without bound is refused
        # here, whether it comes from indicators.yaml or from a model file (classifier.patterns).
        problem = linear_problem(s)
        if problem is not None:
            raise PatternFileError(f"{where}: pattern {s[:80]!r} refused: it {problem}") from None


def _compile(phrases: list[tuple[str, ...]], regexes: list[str], where: str) -> re.Pattern[str]:
    _check(regexes, where)
    sources = ([_trie_regex(phrases)] if phrases else []) + [f"(?:{s})" for s in regexes]
    return compile_bounded("|".join(sources))


def _key(atoms_or_text: tuple[str, ...] | str) -> str:
    """Lookup key of a phrase or matched text: the literal characters without spacing."""
    if isinstance(atoms_or_text, str):
        return "".join(atoms_or_text.split()) if not atoms_or_text.isalnum() else atoms_or_text
    return "".join(re.sub(r"\\(.)", r"\1", a) for a in atoms_or_text if not a.startswith("(?") and a != r"\s*")


# Dense-script phrases get one trie per script of their first character. At a candidate
# position re walks the top-level alternatives (one per first character) one by one, so one
# trie for every script made each Hangul position walk past every kana and Han branch:
# adding the Japanese phrases slowed Korean matching 2x. Per-script tries keep each walk
# short, and each scan skips the other scripts' text at C speed.
_SCRIPTS = (
    ("hangul", re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")),
    ("kana", re.compile(r"[\u3040-\u30ff]")),
    ("han", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")),
)


def _script(first: str) -> str:
    """The trie a dense phrase belongs to, from its first character."""
    return next((name for name, rx in _SCRIPTS if rx.match(first)), "other")


def build_set(signals: tuple[Signal, ...], overlapping: bool = False) -> IndicatorSet:
    """Compile signals into a fast IndicatorSet.

    ``overlapping``: report a phrase even where it starts inside another match (id inside
    "your id"); the near rules need that, as their short terms of many rules share one scan.
    """
    by_key: dict[str, set[int]] = {}
    latin: list[tuple[str, ...]] = []
    dense: dict[str, list[tuple[str, ...]]] = {}
    for i, sig in enumerate(signals):
        for atoms in sig.phrases:
            by_key.setdefault(_key(atoms), set()).add(i)
            first = _key(atoms[:1])
            if WORD.match(first):
                latin.append(atoms)
            else:
                dense.setdefault(_script(first), []).append(atoms)
    # For each phrase, every (signal, length) of phrases that are its prefixes (고수익 inside
    # 고수익 알바 may belong to another signal): one lookup per match at scan time.
    prefixes: dict[str, tuple[tuple[int, int], ...]] = {}
    for key in by_key:
        prefixes[key] = tuple((sig, n) for n in range(len(key), 0, -1) for sig in sorted(by_key.get(key[:n], ())))
    sides: tuple[list[Signal], list[Signal]] = ([], [])
    rules: list[tuple[int, int]] = []
    for i, sig in enumerate(signals):
        for near in sig.nears:
            for side, (phrases, regexes) in enumerate((near.a, near.b)):
                sides[side].append(Signal(f"near{len(rules)}.{side}", "", "", 0.0, phrases, regexes, None))
            rules.append((i, near.window))
    return IndicatorSet(
        signals=signals,
        # A Latin phrase starts at a word boundary, or right after a dense-script character:
        # Japanese and Chinese glue Latin words to their own (興味ある方はline id, 外務省jpo).
        # The test follows each phrase's first character (_LATIN_START), so the pattern opens
        # with a literal of every branch and re skips other positions at C speed; before its
        # first character, at every position of the text, it cost ~25 ms per 2,000 ads.
        latin=compile_bounded(_trie_regex([(a[0], _LATIN_START, *a[1:]) for a in latin])) if latin else None,
        dense=tuple(compile_bounded(_trie_regex(dense[k])) for k in sorted(dense)),
        by_key=prefixes,
        regexes=tuple((i, compile_bounded(src)) for i, sig in enumerate(signals) for src in sig.regexes),
        needs=tuple(literal_needs(src) for sig in signals for src in sig.regexes),
        anchors=tuple(literal_anchor(src) for sig in signals for src in sig.regexes),
        near_a=build_set(tuple(sides[0]), overlapping=True) if rules else None,
        near_b=build_set(tuple(sides[1]), overlapping=True) if rules else None,
        near_rules=tuple(rules),
        overlapping=overlapping,
    )


def literal_needs(source: str) -> tuple[tuple[str, ...], ...]:
    """What every match of a regex contains: each entry is literals of which one occurs.

    Read from the parsed pattern: runs of literal characters it consumes in sequence, and
    for an alternation one literal of every branch. () when nothing is certain (a case-
    insensitive pattern, say). Checking these with str.find rules a regex out at C speed.
    () too for a pattern that opens with a literal: re's scan for it is as fast as a find.
    """
    parsed = _P.parse(source)
    if parsed.state.flags & re.IGNORECASE or not parsed or parsed[0][0] is _C.LITERAL:
        return ()  # unknown, or re's own scan skips to the opening literal at C speed
    needs = _seq_needs(list(parsed))
    # The longest literals rule out most; three finds at most per regex and text.
    needs.sort(key=lambda alts: -min(len(a) for a in alts))
    return tuple(needs[:3])


# A regex is led by its literal only when the literal stands within this many positions of
# where a match may start: each occurrence of the literal then costs that many anchored tries.
MAX_ANCHOR_SPREAD = 6


def literal_anchor(source: str) -> tuple[str, int, int] | None:
    """(literal, lo, hi): every match consumes ``literal`` starting lo..hi characters after
    its own start (widths of the pattern as compiled, open repetitions bounded), or None.

    Only a run of literals in the pattern's top-level sequence qualifies, and only when
    hi - lo <= MAX_ANCHOR_SPREAD; the longest such run wins, then the narrowest spread.
    None as well for a pattern that opens with a literal: re's own scan skips to it already.
    """
    parsed = _P.parse(source)
    if parsed.state.flags & re.IGNORECASE:
        return None
    bound_repeats(parsed)  # the widths of the compiled pattern (compile_bounded)
    items = list(parsed)
    if not items or items[0][0] is _C.LITERAL:
        return None
    best: tuple[str, int, int] | None = None
    i = 0
    while i < len(items):
        if items[i][0] is not _C.LITERAL:
            i += 1
            continue
        j = i
        while j < len(items) and items[j][0] is _C.LITERAL:
            j += 1
        lo, hi = _P.SubPattern(parsed.state, items[:i]).getwidth()
        literal = "".join(chr(av) for _, av in items[i:j])
        if hi - lo <= MAX_ANCHOR_SPREAD and (
            best is None or (len(literal), best[1] - best[2]) > (len(best[0]), lo - hi)
        ):
            best = (literal, lo, hi)
        i = j
    return best


def _led(rx: re.Pattern[str], text: str, lo: int, hi: int, anchor: tuple[str, int, int]) -> Iterator[re.Match[str]]:
    """rx.finditer(text, lo, hi), trying rx only where its anchor literal allows a match.

    A match starting at p holds the literal at p+a..p+b: with the next literal at q, no
    match starts before q-b, so the first of rx.match at q-b..q-a is finditer's next match
    (lookbehinds and \\b read the text before a start whatever the start, as in a scan).
    """
    literal, a, b = anchor
    find, match = text.find, rx.match
    pos = lo  # no match starts before pos
    q = find(literal, pos + a, hi)
    while q >= 0:
        p, last = max(pos, q - b), q - a
        m = None
        while p <= last:
            m = match(text, p, hi)
            if m is not None:
                break
            p += 1
        if m is not None:
            yield m
            pos = m.end()
            q = find(literal, pos + a, hi)
        else:
            pos = last + 1
            q = find(literal, q + 1, hi)


def may_match(text: str, needs: tuple[tuple[str, ...], ...], lo: int = 0, hi: int | None = None) -> bool:
    """False when text[lo:hi] lacks every literal of one entry of literal_needs: no match."""
    find = text.find
    hi = len(text) if hi is None else hi
    return not any(all(find(a, lo, hi) < 0 for a in alts) for alts in needs)


def _seq_needs(seq: list) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, av in seq:
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append(("".join(run),))
            run = []
        if op is _C.SUBPATTERN and not av[1] & re.IGNORECASE:
            out.extend(_seq_needs(list(av[-1])))
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT) and av[0] >= 1:
            out.extend(_seq_needs(list(av[2])))
        elif op is _C.BRANCH:
            alts: list[str] = []
            for branch in av[1]:
                inner = _seq_needs(list(branch))
                best = max(inner, key=lambda a: min(len(x) for x in a), default=None)
                if best is None:
                    break
                alts.extend(best)
            else:
                out.append(tuple(dict.fromkeys(alts)))
    if run:
        out.append(("".join(run),))
    return out


# "(?:\b|(?<=[DENSE]))" before a first character that is a word character (WORD: \w, not
# _ and not dense) says the same as this after it: the character before it is no word
# character, or a dense one, or there is none.
_LATIN_START = rf"(?<![^\W{DENSE}].)"


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
        if i == 0 and follows and _HANGUL.match(w[-1]) and not w.endswith(PARTICLES):
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
            _check(regexes, f"{where}.{side}")
            sides.append((tuple(phrases), tuple(regexes)))
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
        negated = parse_negated(entry["negated_by"], at) if entry.get("negated_by") is not None else None
        not_inside = None
        if entry.get("not_inside") is not None:
            in_phrases: list[tuple[str, ...]] = []
            in_regexes: list[str] = []
            try:
                _split(_terms(entry["not_inside"], f"{at}: not_inside"), in_phrases, in_regexes)
            except ValueError as exc:
                raise PatternFileError(f"{at}: not_inside: {exc}") from None
            not_inside = _compile(in_phrases, in_regexes, at + " not_inside")
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
                negated,
                not_inside,
            )
        )
    return tuple(out)


def parse_negated(rule: Any, at: str) -> tuple[re.Pattern[str], int]:
    """A signal's negated_by rule: {window: N, terms: [...] or {lang: [...]}}."""
    where = f"{at}: negated_by"
    if not isinstance(rule, dict):
        raise PatternFileError(f"{where}: expected a mapping with terms and window")
    require_keys(rule, ("terms", "window"), where)
    window = entry_value(rule, "window", int, "an integer", where)
    if not 0 < window <= 80:
        raise PatternFileError(f"{where}: key 'window' must be between 1 and 80")
    phrases: list[tuple[str, ...]] = []
    regexes: list[str] = []
    try:
        _split(_terms(rule["terms"], f"{where}.terms"), phrases, regexes)
    except ValueError as exc:
        raise PatternFileError(f"{where}.terms: {exc}") from None
    return _compile(phrases, regexes, where), window


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


def _phrase_ends(iset: IndicatorSet, matched: str) -> tuple[tuple[int, int], ...]:
    """(signal, end offset in ``matched``) of every phrase a trie match stands for."""
    found = iset.by_key.get(_key(matched), ())
    if " " in matched or "\n" in matched or "\t" in matched:
        ends = [i + 1 for i, ch in enumerate(matched) if not ch.isspace()]
        out = tuple((sig, ends[n - 1]) for sig, n in found)
    else:
        out = tuple(found)
    cache = iset.ends_cache
    if len(cache) > _ENDS_CACHE_SIZE:  # spacing variants are few, but text is unbounded
        cache.clear()
    cache[matched] = out
    return out


_ENDS_CACHE_SIZE = 20_000


def _matches(text: str, iset: IndicatorSet, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, int]]:
    """(signal index, start, end) in normalised text (or text[lo:hi]), before exclusion."""
    out: list[tuple[int, int, int]] = []
    append = out.append
    hi = len(text) if hi is None else hi
    cached = iset.ends_cache.get
    for rx in (iset.latin, *iset.dense):
        if rx is None:
            continue
        if iset.overlapping:
            # Every match, including those inside the previous one (see _scan), inlined:
            # the near scans run this loop for tens of thousands of matches per batch.
            search = rx.search
            m = search(text, lo, hi)
            while m is not None:
                start = m.start()
                matched = m.group()
                ends = cached(matched)
                if ends is None:
                    ends = _phrase_ends(iset, matched)
                for sig, n in ends:
                    append((sig, start, start + n))
                m = search(text, start + 1, hi)
            continue
        for m in rx.finditer(text, lo, hi):
            start = m.start()
            matched = m.group()
            ends = cached(matched)
            if ends is None:
                ends = _phrase_ends(iset, matched)
            for sig, n in ends:
                append((sig, start, start + n))
    n = len(iset.regexes)
    for (idx, rx), needs, anchor in zip(iset.regexes, iset.needs or [()] * n, iset.anchors or [None] * n):
        if anchor is not None:
            for m in _led(rx, text, lo, hi, anchor):
                out.append((idx, m.start(), m.end()))
            continue
        if not may_match(text, needs, lo, hi):
            continue  # a literal every match holds is missing: the regex cannot match
        for m in rx.finditer(text, lo, hi):
            if m.end() > m.start():
                out.append((idx, m.start(), m.end()))
    if iset.near_a is not None and iset.near_b is not None:
        out.extend(_near_matches(text, iset.near_a, iset.near_b, iset.near_rules))
    return out


# How far past a near window the b scan reads, so a term at the window's edge is whole.
_NEAR_MARGIN = 40


def _near_matches(
    text: str, near_a: IndicatorSet, near_b: IndicatorSet, rules: tuple[tuple[int, int], ...]
) -> list[tuple[int, int, int]]:
    """(owning signal, start, end) of every near rule: a terms everywhere, b terms around them."""
    a_terms: dict[int, set[tuple[int, int]]] = {}
    # A term inside a handle, e-mail or URL is no word of the poster's unless it spells the
    # address (see _resolve): the C-speed mask test first, the syntax search only on a hit.
    in_address = address_spans(text).mask.find
    syntax = _ADDRESS_SYNTAX.search
    for rule, start, end in _matches(text, near_a):
        if in_address(1, start, end) < 0 or syntax(text, start, end):
            terms = a_terms.get(rule)
            if terms is None:
                terms = a_terms[rule] = set()
            terms.add((start, end))
    if not a_terms:
        return []
    reach = max(w for _, w in rules) + _NEAR_MARGIN
    # Rules share terms: each distinct span once (the merged windows are the same).
    spans = sorted({(max(0, a - reach), b + reach) for terms in a_terms.values() for a, b in terms})
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    b_terms: dict[int, set[tuple[int, int]]] = {}
    size = len(text)
    for lo, hi in merged:
        for rule, start, end in _matches(text, near_b, lo, min(hi, size)):
            # Only rules with an `a` term can pair; the others' b terms are never read.
            if rule in a_terms and (in_address(1, start, end) < 0 or syntax(text, start, end)):
                terms = b_terms.get(rule)
                if terms is None:
                    terms = b_terms[rule] = set()
                terms.add((start, end))
    out = []
    for rule, a_spans in a_terms.items():
        if rule in b_terms:
            owner, window = rules[rule]
            out.extend((owner, a, b) for a, b in _near_spans(text, sorted(a_spans), sorted(b_terms[rule]), window))
    return out


def _scan(rx: re.Pattern[str], text: str, overlapping: bool, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """finditer over text[lo:hi], or every match including those inside the previous one.

    The overlapping scan restarts one character after each match start: still one C-speed
    skip between candidates (a lookahead-wrapped pattern loses that and cost 5x).
    """
    if not overlapping:
        yield from rx.finditer(text, lo, hi)
        return
    m = rx.search(text, lo, hi)
    while m is not None:
        yield m
        m = rx.search(text, m.start() + 1, hi)


def _near_spans(
    text: str, a_spans: list[tuple[int, int]], bs: list[tuple[int, int]], window: int
) -> list[tuple[int, int]]:
    """Spans from each `a` term to the closest `b` term within the window (same line)."""
    starts = [b[0] for b in bs]
    longest = max(b1 - b0 for b0, b1 in bs)
    out = []
    for a0, a1 in a_spans:
        lo = bisect.bisect_left(starts, a0 - window - longest)
        best: tuple[int, int, int] | None = None
        for b0, b1 in bs[lo:]:
            if b0 > a1 + window:
                break
            gap = b0 - a1 if b0 >= a1 else a0 - b1 if b1 <= a0 else 0
            if gap > window or (b0 < a1 and b1 > a0 and (b0, b1) == (a0, a1)):
                continue
            lo_, hi_ = min(a0, b0), max(a1, b1)
            if "\n" in text[lo_:hi_]:
                continue
            # Closest first; at equal gaps the longer term (sponsored over its prefix sponsor).
            if best is None or (gap, lo_ - hi_) < (best[0], best[1] - best[2]):
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
    """A short Hangul word (무직; 무 of "무 경험") whose evidence continues a longer Hangul
    word of the original text (사무직; 실무 경험: "practical experience", not "no experience")."""
    words = evidence.split()
    first = words[0] if words else ""
    return (
        0 < len(first) <= SHORT_HANGUL
        and all(_HANGUL.match(c) for c in first)
        and start > 0
        and bool(_HANGUL.match(original[start - 1]))
    )


def _negated(text: str, sig: Signal, start: int, end: int, lo: int, hi: int) -> bool:
    """A term of the signal's negated_by rule within its window, on the hit's line."""
    rx, window = sig.negated_by  # type: ignore[misc]
    # A term counts when any part of it lies within the window: read a little further, so a
    # term that starts inside the window is whole ("fresh start" + " bakery").
    a, b = max(lo, start - window - _NEGATION_REACH), min(hi, end + window + _NEGATION_REACH)
    line_a = text.rfind("\n", a, start) + 1 or a
    line_b = text.find("\n", end, b)
    for m in rx.finditer(text, max(a, line_a), b if line_b < 0 else line_b):
        if m.start() <= end + window and m.end() >= start - window:
            return True
    return False


_NEGATION_REACH = 24  # the longest negated_by term we expect, beyond its window
_LONGEST_CONTAINER = 24  # characters a not_inside word may reach past a hit on either side


def _inside_longer_word(text: str, rx: re.Pattern[str], start: int, end: int) -> bool:
    """A not_inside word covers the whole hit (ไลน์ of ออนไลน์)."""
    lo = max(0, start - _LONGEST_CONTAINER)
    pos = lo
    while (m := rx.search(text, pos, min(len(text), end + _LONGEST_CONTAINER))) is not None and m.start() <= start:
        if m.end() >= end:
            return True
        pos = m.start() + 1
    return False


def _resolve(text: str, iset: IndicatorSet, bounds, to_hit) -> None:
    """Drop excluded matches and duplicates; to_hit(signal, start, end) records the rest.

    Text inside a handle, e-mail address or URL (@hold_recruit, freshstart_bakery.id) is
    the poster's name for themselves, not a statement: it is evidence only for a pattern
    that spells the address itself (@, a dot, a slash), and then the whole address is
    the evidence, never a piece of it.
    """
    seen: set[tuple[int, int]] = set()
    addresses = address_spans(text)
    in_address = addresses.mask.find  # the C-speed test first: most matches touch no address
    word = _WORD_CH.match  # _whole_words, inlined: it runs for every match of a batch
    size = len(text)
    signals = iset.signals
    for idx, start, end in _matches(text, iset):
        if (idx, start) in seen:
            continue
        inside = addresses.covering(start, end) if in_address(1, start, end) >= 0 else None
        if inside is not None:
            if not _ADDRESS_SYNTAX.search(text, start, end):
                continue
            start, end = min(start, inside[0]), max(end, inside[1])
            if (idx, start) in seen:
                continue
        elif (start > 0 and word(text, start) and word(text, start - 1)) or (
            end < size and word(text, end - 1) and word(text, end)
        ):
            continue  # starts or ends inside a Latin-script word
        sig = signals[idx]
        if sig.not_inside is not None and _inside_longer_word(text, sig.not_inside, start, end):
            continue
        if sig.exclude is not None or sig.negated_by is not None:
            lo, hi = bounds(start)
            if sig.exclude is not None and sig.exclude.search(
                text, max(lo, start - EXCLUDE_WINDOW), min(hi, end + EXCLUDE_WINDOW)
            ):
                continue
            if sig.negated_by is not None and _negated(text, sig, start, end, lo, hi):
                continue
        seen.add((idx, start))
        to_hit(sig, start, end)


# Handles, e-mail addresses and URLs in normalised text. Every branch opens with a literal
# (@, http, www., or the dot of a top-level domain) so the scan skips at C speed, and every
# repeat is bounded: linear on any input. The part before an @ or a domain's dot is found
# by a bounded look back from each match (few per ad), never by a pattern that could start
# anywhere.
_TLDS = (
    "com|net|org|edu|gov|info|biz|io|dev|app|ai|me|co|jobs|asia|work|site|online|shop|xyz|"
    "kr|kh|th|vn|ph|jp|cn|tw|hk|mo|id|my|sg|la|mm|in|pl|uk|de|fr|au|nz|ca|us|ae|ru|eu"
)
_ADDRESS = re.compile(
    r"@[\w-]{1,64}(?:\.[\w-]{1,63}){0,8}"
    r"|https?://[^\s<>\"'()\x00]{1,300}"
    r"|www\.[^\s<>\"'()\x00]{1,300}"
    rf"|\.(?:{_TLDS})(?![\w-])(?:/[^\s<>\"'()\x00]{{0,300}})?"
)
_LOCAL_PART = re.compile(r"[a-z0-9._+-]{1,64}\Z")  # before an @: an e-mail address
_DOMAIN_HEAD = re.compile(r"(?<![\w.-])(?:[a-z0-9-]{1,63}\.){0,6}[a-z0-9-]{1,63}\Z")  # before a TLD's dot
_ADDRESS_SYNTAX = re.compile(r"[@./:]")
_TRAILING = ".,;:!?)]}>'\""


@dataclass(frozen=True)
class AddressSpans:
    """Sorted, disjoint (start, end) spans of handles, e-mail addresses and URLs."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    # One byte per character of the text, 1 inside an address: "does this match touch an
    # address" is then one C-speed find per match (a batch has tens of thousands of matches).
    mask: bytes = b""

    def covering(self, start: int, end: int) -> tuple[int, int] | None:
        """The address span that overlaps [start, end), if any."""
        if not self.starts or self.mask.find(1, start, end) < 0:
            return None
        i = bisect.bisect_right(self.starts, start) - 1
        for k in (i, i + 1):
            if 0 <= k < len(self.starts) and self.starts[k] < end and start < self.ends[k]:
                return self.starts[k], self.ends[k]
        return None


@functools.lru_cache(maxsize=4)
def address_spans(text: str) -> AddressSpans:
    """Where handles, e-mail addresses and URLs stand in a normalised text (or batch)."""
    spans: list[tuple[int, int]] = []
    for m in _ADDRESS.finditer(text):
        a, b = m.span()
        head = text[max(0, a - 64) : a]
        if text[a] == "@":
            local = _LOCAL_PART.search(head)
        elif text[a] == ".":
            local = _DOMAIN_HEAD.search(text[max(0, a - 200) : a])
            if local is None:  # ".com" after a space is not a domain
                continue
        else:
            local = None
        if local is not None:
            a -= len(local.group())
        while b > a and text[b - 1] in _TRAILING:
            b -= 1
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    mask = bytearray(len(text)) if spans else bytearray()
    for a, b in spans:
        mask[a:b] = b"\x01" * (b - a)
    return AddressSpans(tuple(s for s, _ in spans), tuple(e for _, e in spans), bytes(mask))


# Japanese writes a word's negating prefix and a verb's inflection in the word itself: a
# pattern that spells 経験ok or 立て替 is evidence as 未経験OK and 立て替え, the words a reader
# sees. One prefix and one okurigana kana at most: without a dictionary a longer reach
# would swallow the next word (万円保証 is two words).
_NEGATING_PREFIX = frozenset("未無不非")
_OKURIGANA = frozenset("いえきけぎげしせじぜちてりれみめびべ")


# After an inflection: punctuation, a particle or an auxiliary, not more of a name (株式会社しおり舎).
_AFTER_INFLECTION = frozenset("てたはがをにでともやへ")


def _word_ends(original: str, at: int, hi: int) -> bool:
    c = original[at] if at < hi else ""
    return not ("\u3041" <= c <= "\u309f") or c in _AFTER_INFLECTION


def _kanji(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def snap_word(original: str, a: int, b: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """Widen a hit over a Japanese negating prefix before it and one okurigana kana after it."""
    hi = len(original) if hi is None else hi
    if a > lo and a < b and original[a - 1] in _NEGATING_PREFIX and _kanji(original[a]):
        a -= 1
    if b < hi and b > a and _kanji(original[b - 1]) and original[b] in _OKURIGANA and _word_ends(original, b + 1, hi):
        b += 1
    return a, b


def find_hits(norm: Normalized, iset: IndicatorSet) -> list[Hit]:
    """All indicator hits in one normalised text, evidence mapped back to the original.

    One hit per signal and start; nested phrases of one signal keep the longest.
    """
    hits: list[Hit] = []

    def add(sig: Signal, start: int, end: int) -> None:
        a, b, ev = norm.span_text(start, end)
        if starts_inside_word(norm.original, a, ev):
            return
        if a >= 0:
            a, b = snap_word(norm.original, a, b)
            ev = norm.original[a:b]
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
    hangul = _HANGUL.match
    raw, size = batch.raw, len(original)
    for (sig, _, _), k, a, b in zip(found, items, orig_a, orig_b):
        off = orig_starts[k]
        # starts_inside_word needs a Hangul character before the hit, snap_word a negating
        # prefix before it or a kana after it: the cheap tests first, for ~20,000 hits.
        if a > 0 and hangul(original, a - 1) and starts_inside_word(original, a, original[a:b]):
            continue
        hi = off + len(raw[k]) if raw else size
        if (a > off and original[a - 1] in _NEGATING_PREFIX) or (b < hi and original[b] in _OKURIGANA):
            a, b = snap_word(original, a, b, off, hi)
        text = raw[k][a - off : b - off] if raw else original[a:b]
        hits[k].append(Hit(sig.id, sig.label, sig.weight, a - off, b - off, text))
    for h in hits:
        h.sort(key=lambda x: (x.start, -x.weight))
    return hits
