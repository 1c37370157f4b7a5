"""Text normalisation that defeats spacing and character tricks, keeping a map to original offsets.

Scam posters evade keyword filters with spaced letters (캄 보 디 아), dots (텔.레), full-width
letters, zero-width characters and look-alike letters from other scripts (MOEL, INDICATORS.md
S18). We undo these tricks before matching, and keep enough bookkeeping to point evidence
spans back at the analyst's original text.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

# Scripts written without spaces between the units we match (Hangul, kana, Han, Thai).
DENSE = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f"
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e"
_SEP_CHARS = r"\s.\-_·•*~|/\\,'\"`^+=:;!?()\[\]{}<>"
_SEP = rf"[{_SEP_CHARS}]"
# Deleted spans: zero-width characters anywhere; separator runs between two dense-script
# characters (캄 보 디 아 -> 캄보디아, 텔.레 -> 텔레).
_SPACES = r"[ \t\u00a0\u3000]"
_DELETE = re.compile(
    # One character class first, then the branch: the regex engine then skips non-candidate
    # positions at C speed (an alternation whose branches open with lookbehinds was tried
    # at every position, ~6% of scoring). Each branch re-checks the consumed character, so
    # it matches exactly what "[zw]+ | (?<=[dense])sep+(?=...) | (?<=\s)spaces+" did.
    rf"[{_ZERO_WIDTH}{_SEP_CHARS} \t\u00a0\u3000]"
    rf"(?:(?<=[{_ZERO_WIDTH}])[{_ZERO_WIDTH}]*"
    rf"|(?<=[{DENSE}]{_SEP}){_SEP}*(?=[{_ZERO_WIDTH}]*[{DENSE}])"
    # Runs of spaces collapse to one, so "7+  years  of" matches like "7+ years of"; line
    # breaks are kept (the batch separator relies on them).
    rf"|(?<=\s{_SPACES}){_SPACES}*)"
)
# Spelled-out Latin words (t.e.l.e.g.r.a.m -> telegram): at least four single letters.
# One separator used throughout, so "x t.e.l.e.g.r.a.m y" keeps x and y apart.
_SPELLED = re.compile(r"(?<![a-z0-9])[a-z]([\s.\-_*])[a-z](?![a-z0-9])(?:\1[a-z](?![a-z0-9])){2,}")
# Spelled-out numbers (월 4 0 0 만 원): at least three single digits.
_SPELLED_DIGITS = re.compile(r"(?<![\w.,])\d([\s.\-_*])\d(?!\w)(?:\1\d(?!\w))+")
_SPELLED_SEP = re.compile(r"[\s.\-_*]")


def _deletions(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _DELETE.finditer(text)]
    if " " in text or "." in text:
        for m in [*_SPELLED.finditer(text), *_SPELLED_DIGITS.finditer(text)]:
            spans.extend((m.start() + k.start(), m.start() + k.end())
                         for k in _SPELLED_SEP.finditer(m.group()))
        spans.sort()
    return spans


# Look-alike letters (Cyrillic, Greek) swapped for the Latin ones they imitate. One to one,
# so offsets do not move. Applied everywhere: we do not score Russian or Greek ads.
_HOMOGLYPHS = str.maketrans(
    "аеорсхуіјѕԁԛԝһкмтвнАЕОРСХУІЈЅКМТВНαοντιρκΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyijsdqwhkmtbhaeopcxyijskmtbhaovtipkabezhikmnoptyx",
)
# translate() with a dict looks up every character of a non-ASCII text in Python objects
# (~8% of scoring on a 2,000-ad batch); look-alikes are rare, so replace just the ones found.
_HOMOGLYPH_MAP = {chr(k): chr(v) for k, v in _HOMOGLYPHS.items()}
_HOMOGLYPH_RX = re.compile("[" + "".join(_HOMOGLYPH_MAP) + "]")


def _swap_homoglyphs(text: str) -> str:
    """text.translate(_HOMOGLYPHS), touching only the characters that change."""
    return _HOMOGLYPH_RX.sub(lambda m: _HOMOGLYPH_MAP[m.group()], text)


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus what is needed to map its offsets back to the original."""

    original: str
    text: str
    _base_map: tuple[int, ...] | None  # norm-before-deletion index -> original index
    _seg_norm: tuple[int, ...]  # start of each kept segment in `text`
    _seg_src: tuple[int, ...]  # start of the same segment before deletion

    def _before_delete(self, i: int) -> int:
        k = bisect.bisect_right(self._seg_norm, i) - 1
        return self._seg_src[k] + (i - self._seg_norm[k])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span [start, end) of the normalised text to a span of the original text."""
        if end <= start:
            return start, start
        a = self._before_delete(start)
        b = self._before_delete(end - 1)
        if self._base_map is not None:
            a = self._base_map[a]
            b = self._base_map[b]
        return a, b + 1

    def span_text(self, start: int, end: int) -> tuple[int, int, str]:
        """Original (start, end, text) for a normalised span."""
        a, b = self.to_original(start, end)
        return a, b, self.original[a:b]

    def to_original_many(self, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
        """to_original for many spans at once (numpy searches instead of a bisect per span).

        A batch has tens of thousands of indicator hits; mapping them one by one through
        Python method calls cost ~10% of scoring.
        """
        if not starts:
            return [], []
        s = np.asarray(starts, dtype=np.int64)
        e = np.asarray(ends, dtype=np.int64)
        seg_norm = np.asarray(self._seg_norm, dtype=np.int64)
        seg_src = np.asarray(self._seg_src, dtype=np.int64)

        def before_delete(i: np.ndarray) -> np.ndarray:
            k = np.searchsorted(seg_norm, i, side="right") - 1
            return seg_src[k] + (i - seg_norm[k])

        a = before_delete(s).tolist()
        b = before_delete(e - 1).tolist()
        if self._base_map is not None:
            bm = self._base_map
            a = [bm[x] for x in a]
            b = [bm[x] for x in b]
        empty = (e <= s).tolist()
        return ([st if z else x for x, st, z in zip(a, starts, empty)],
                [st if z else x + 1 for x, st, z in zip(b, starts, empty)])


# ASCII and Hangul syllables never change under NFKC: only other runs go character by character.
_STABLE = re.compile("[\x00-\x7f\uac00-\ud7a3]+")


def _per_char(text: str) -> tuple[str, tuple[int, ...]]:
    """Slow path: NFKC + lowercase, recording where each output character came from."""
    out: list[str] = []
    where: list[int] = []
    last = 0
    for m in [*_STABLE.finditer(text), None]:
        stop = m.start() if m else len(text)
        for i in range(last, stop):
            piece = unicodedata.normalize("NFKC", text[i]).lower()
            out.append(piece)
            where.extend([i] * len(piece))
        if m:
            seg = m.group().lower()
            if len(seg) == len(m.group()):
                out.append(seg)
                where.extend(range(m.start(), m.end()))
            else:  # cannot happen for ASCII/Hangul, kept for safety
                for i in range(m.start(), m.end()):
                    piece = text[i].lower()
                    out.append(piece)
                    where.extend([i] * len(piece))
            last = m.end()
    return "".join(out), tuple(where)


class _CharTable(dict):
    """str.translate table: each character -> its own NFKC form, lowercased (filled lazily).

    Exactly what _per_char computes character by character, but applied by translate()
    at C speed; the per-character Python loop cost ~7% of scoring on Thai/Chinese/Vietnamese
    ads, which are seldom NFKC as a whole.
    """

    def __missing__(self, code: int) -> str:
        piece = unicodedata.normalize("NFKC", chr(code)).lower()
        self[code] = piece
        return piece


_CHAR_TABLE = _CharTable()


def _base(text: str) -> tuple[str, list[int] | None]:
    """NFKC + lowercase; a per-character map only when lengths change (rare)."""
    if text.isascii():
        return text.lower(), None
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered, None
    fast = text.translate(_CHAR_TABLE)
    if len(fast) == len(text):  # one character each: offsets do not move, no map needed
        return fast, None
    base, where = _per_char(text)  # e.g. ligatures, or 'İ' lowercasing to two chars
    return base, list(where)


def _finish(original: str, base: str, base_map: list[int] | None) -> Normalized:
    base = _swap_homoglyphs(base)
    seg_norm = [0]
    seg_src = [0]
    pieces: list[str] = []
    last = 0
    for a, b in _deletions(base):
        if a < last:  # overlapping deletions: keep the furthest end
            a = last
            if b <= last:
                continue
        pieces.append(base[last:a])
        last = b
        seg_norm.append(seg_norm[-1] + len(pieces[-1]))
        seg_src.append(last)
    pieces.append(base[last:])
    return Normalized(original, "".join(pieces), None if base_map is None else tuple(base_map),
                      tuple(seg_norm), tuple(seg_src))


def normalize(text: str | None) -> Normalized:
    """NFKC, lowercase, homoglyphs to Latin, zero-width and in-word separators removed."""
    original = "" if text is None else str(text)
    base, base_map = _base(original)
    return _finish(original, base, base_map)


AD_SEP = "\n\x00\n"  # between ads in a batch: \x00 stops every pattern and every deletion


@dataclass(frozen=True)
class Batch:
    """Many texts normalised as one string, so each regex scans the batch once (C speed)."""

    norm: Normalized
    orig_starts: tuple[int, ...]  # where each text starts in norm.original
    norm_starts: tuple[int, ...]  # where each text starts in norm.text
    norm_ends: tuple[int, ...]

    def texts(self) -> list[str]:
        """The normalised text of each item."""
        return [self.norm.text[a:b] for a, b in zip(self.norm_starts, self.norm_ends)]

    def locate(self, pos: int) -> int:
        """Index of the item containing a normalised offset."""
        return bisect.bisect_right(self.norm_starts, pos) - 1

    def locate_many(self, positions: list[int]) -> list[int]:
        """locate() for many offsets at once."""
        return (np.searchsorted(np.asarray(self.norm_starts), np.asarray(positions, dtype=np.int64),
                                side="right") - 1).tolist()

    def span_text(self, item: int, start: int, end: int) -> tuple[int, int, str]:
        """(start, end, text) in the item's ORIGINAL text for a normalised batch span."""
        a, b, t = self.norm.span_text(start, end)
        off = self.orig_starts[item]
        return a - off, b - off, t


def normalize_batch(texts: list[str]) -> Batch:
    """Normalise many texts at once (see normalize)."""
    texts = ["" if t is None else str(t).replace("\x00", " ") for t in texts]
    original = AD_SEP.join(texts)
    bases = [_base(t) for t in texts]
    if all(m is None for _, m in bases):
        base_map = None
    else:
        base_map = []
        off = 0
        for k, (t, (b, m)) in enumerate(zip(texts, bases)):
            base_map.extend(range(off, off + len(b)) if m is None else [off + i for i in m])
            off += len(t)
            if k < len(texts) - 1:
                base_map.extend(range(off, off + len(AD_SEP)))
                off += len(AD_SEP)
    norm = _finish(original, AD_SEP.join(b for b, _ in bases), base_map)
    orig_starts, off = [], 0
    for t in texts:
        orig_starts.append(off)
        off += len(t) + len(AD_SEP)
    starts, ends, pos = [], [], 0
    text = norm.text
    for _ in texts:
        starts.append(pos)
        nxt = text.find("\x00", pos)
        end = len(text) if nxt < 0 else nxt - 1
        ends.append(end)
        pos = end + len(AD_SEP)
    return Batch(norm, tuple(orig_starts), tuple(starts), tuple(ends))


def normalize_pattern_text(text: str) -> str:
    """Normalise a phrase from the indicator file the same way ad text is normalised."""
    return normalize(text).text
