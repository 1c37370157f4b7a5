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

# Scripts written without spaces between the units we match (Hangul, kana, Han, Thai).
DENSE = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f"
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e"
_SEP = r"[\s.\-_·•*~|/\\,'\"`^+=:;!?()\[\]{}<>]"
# Deleted spans: zero-width characters anywhere; separator runs between two dense-script
# characters (캄 보 디 아 -> 캄보디아, 텔.레 -> 텔레).
_DELETE = re.compile(
    rf"[{_ZERO_WIDTH}]+"
    rf"|(?<=[{DENSE}]){_SEP}+(?=[{_ZERO_WIDTH}]*[{DENSE}])"
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


def _per_char(text: str) -> tuple[str, tuple[int, ...]]:
    """Slow path: NFKC + lowercase one character at a time, recording where each came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).lower()
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), tuple(where)


def normalize(text: str | None) -> Normalized:
    """NFKC, lowercase, homoglyphs to Latin, zero-width and in-word separators removed."""
    original = "" if text is None else str(text)
    base = original
    base_map: tuple[int, ...] | None = None
    if not unicodedata.is_normalized("NFKC", base):
        base, base_map = _per_char(base)
    else:
        lowered = base.lower()
        if len(lowered) != len(base):  # rare: e.g. 'İ' lowercases to two characters
            base, base_map = _per_char(base)
        else:
            base = lowered
    base = base.translate(_HOMOGLYPHS)
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
    return Normalized(original, "".join(pieces), base_map, tuple(seg_norm), tuple(seg_src))


def normalize_pattern_text(text: str) -> str:
    """Normalise a phrase from the indicator file the same way ad text is normalised."""
    return normalize(text).text
