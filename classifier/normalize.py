"""Text normalisation that defeats spacing and character tricks, keeping a map to original offsets.

Scam posters evade keyword filters with spaced letters (캄 보 디 아), dots (텔.레), full-width
letters, zero-width characters and look-alike letters from other scripts (MOEL, docs/signals.md
S18). We undo these tricks before matching, and keep enough bookkeeping to point evidence
spans back at the analyst's original text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

# Scripts written without spaces between the units we match (Hangul, kana, Han, Thai, and
# Lao, Khmer and Burmese). Khmer, Lao and Burmese must be here: their vowel signs and
# subscripts are combining marks, which \w does not match, so as "words" they split into
# pieces (ក of a longer word) that an analyst would be shown as evidence.
DENSE = (
    "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f"
    "\u0e80-\u0eff\u1780-\u17ff\u19e0-\u19ff\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff"
)
# Japanese: the iteration marks 々 and 〆 are letters of kanji words (人々, 締切 as 〆切).
DENSE += "\u3005\u3006"
# Deleted before matching: zero-width characters, and the text-direction controls (LRE, RLE,
# PDF, LRO, RLO, LRI, RLI, FSI, PDI; ALM) that reorder what a reader sees without being
# letters, so "visa" written with an override between its letters still reads as visa.
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e\u202a-\u202e\u2066-\u2069\u061c"
# ・ (katakana middle dot; half-width ･ folds to it) separates words and list items in
# Japanese, and spells words out (テ・レ・グ・ラ・ム) like a dot or a space.
_SEP_CHARS = r"\s.\-_·•*~|/\\,'\"`^+=:;!?()\[\]{}<>\u30fb"
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
# Both patterns open with a character class and check the character before it with a
# two-character lookbehind: a pattern opening with a lookbehind is tried at every position
# of a batch (~20 ms per 2,000 ads each), one opening with a class is skipped at C speed.
# At offset 0 the two-character lookbehind cannot match, so the check passes, as before.
_SPELLED = re.compile(r"[a-z](?<![a-z0-9][a-z])([\s.\-_*])[a-z](?![a-z0-9])(?:\1[a-z](?![a-z0-9])){2,}")
# Spelled-out numbers (월 4 0 0 만 원): at least three single digits.
_SPELLED_DIGITS = re.compile(r"\d(?<![\w.,]\d)([\s.\-_*])\d(?!\w)(?:\1\d(?!\w))+")
_SPELLED_SEP = re.compile(r"[\s.\-_*]")


# The same pattern as one group, for split(): kept and deleted pieces alternate. That holds
# while _DELETE has no group of its own and never matches empty (each branch consumes).
assert _DELETE.groups == 0
_DELETE_SPLIT = re.compile(f"({_DELETE.pattern})")


def _deletions(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the spans to delete, sorted by start then end (may overlap)."""
    # split() cuts the text in C; the piece lengths give every span without building a
    # match object per deletion (Korean text deletes every space: ~15 per ad).
    lengths = np.fromiter(map(len, _DELETE_SPLIT.split(text)), dtype=np.int64)
    bounds = np.cumsum(lengths)
    starts, ends = bounds[0:-1:2], bounds[1::2]
    if " " in text or "." in text:
        extra = [
            (m.start() + k.start(), m.start() + k.end())
            for m in [*_SPELLED.finditer(text), *_SPELLED_DIGITS.finditer(text)]
            for k in _SPELLED_SEP.finditer(m.group())
        ]
        if extra:
            more = np.asarray(extra, dtype=np.int64)
            starts, ends = np.concatenate((starts, more[:, 0])), np.concatenate((ends, more[:, 1]))
            order = np.lexsort((ends, starts))
            starts, ends = starts[order], ends[order]
    return starts, ends


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


# Look-alike digits and signs inside a Latin word (p@ssport, urg3nt, pa55port, c0mpany,
# cu$tomer): one to one, so offsets do not move. Only between two letters, so amounts
# (usd3000, $3,000), phone numbers and handles ending in digits keep theirs; an @ that
# starts a domain (hr@company.com) is an e-mail address and stays.
_LEET_MAP = str.maketrans("0134@5$", "oieaass")
_LEET = re.compile(r"[a-z]([01345@$]+)(?=[a-z])")
_DOMAIN_AFTER = re.compile(r"[a-z0-9-]+\.[a-z]{2,}")


def _undo_leet(text: str) -> str:
    """Replace look-alike digits and signs between Latin letters by the letters they imitate."""

    def swap(m: re.Match[str]) -> str:
        run = m.group(1)
        if "@" in run and _DOMAIN_AFTER.match(text, m.end()):
            return m.group()
        return m.group()[0] + run.translate(_LEET_MAP)

    return _LEET.sub(swap, text)


@dataclass(frozen=True, eq=False)  # holds a numpy array, so == is identity; compare fields instead
class Normalized:
    """Normalised text plus what is needed to map its offsets back to the original."""

    original: str
    text: str
    _base_map: np.ndarray | None  # norm-before-deletion index -> original index (int64)
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
            a = int(self._base_map[a])
            b = int(self._base_map[b])
            if self.original[b + 1 : b + 2] in _MARK_CHARS:
                b += 1  # a voicing mark joined to the span's last kana (see _compose_voicing)
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

        a = before_delete(s)
        b = before_delete(e - 1)
        if self._base_map is not None:
            a = self._base_map[a]
            b = self._base_map[b]
            marks = [m.start() for m in _MARK_RX.finditer(self.original)]
            if marks:  # voicing marks joined to a span's last kana (see _compose_voicing)
                b = b + np.isin(b + 1, marks)
        a, b = a.tolist(), b.tolist()
        empty = (e <= s).tolist()
        return (
            [st if z else x for x, st, z in zip(a, starts, empty)],
            [st if z else x + 1 for x, st, z in zip(b, starts, empty)],
        )


class _CharTable(dict):
    """str.translate table: each character -> its own NFKC form, lowercased (filled lazily).

    Normalising character by character (never composing across characters) keeps every
    output character traceable to one input character. translate() applies it at C speed;
    a per-character Python loop cost ~7% of scoring on Thai/Chinese/Vietnamese ads, which
    are seldom NFKC as a whole.
    """

    def __missing__(self, code: int) -> str:
        piece = unicodedata.normalize("NFKC", chr(code)).lower()
        self[code] = piece
        return piece


_CHAR_TABLE = _CharTable()


# Kana voicing marks left apart by character-by-character NFKC: half-width katakana write
# グ as ｸﾞ (ﾞ folds to the combining U+3099, ゛ to a space and U+3099), and decomposed
# (NFD) text writes it as ク + U+3099. Unjoined, ﾃﾚｸﾞﾗﾑ would never match テレグラム.
_VOICING_MARKS = frozenset(("\u3099", "\u309a", " \u3099", " \u309a"))
# The original characters that fold to those marks: a span ending on a joined kana ends after its mark.
_MARK_CHARS = frozenset("\u3099\u309a\u309b\u309c\uff9e\uff9f")
_MARK_RX = re.compile("[\u3099\u309a\u309b\u309c\uff9e\uff9f]")


def _compose_voicing(text: str) -> tuple[str, np.ndarray]:
    """_base for a text with voicing marks: each mark joins the kana before it (ｸﾞ -> グ).

    The joined kana maps to the base character; the mark maps to nothing, so offsets still
    point into the original. Rare (half-width or NFD Japanese), so a Python loop is fine.
    """
    pieces = [_CHAR_TABLE[ord(c)] for c in text]
    for i in range(1, len(pieces)):
        prev = pieces[i - 1]
        if pieces[i] in _VOICING_MARKS and prev:
            joined = unicodedata.normalize("NFC", prev[-1] + pieces[i][-1])
            if len(joined) == 1:
                pieces[i - 1], pieces[i] = prev[:-1] + joined, ""
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    return "".join(pieces), np.repeat(np.arange(len(text)), lengths)


def _base(text: str) -> tuple[str, np.ndarray | None]:
    """NFKC + lowercase; a per-character map only when lengths change (rare)."""
    if text.isascii():
        return text.lower(), None
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered, None
    fast = text.translate(_CHAR_TABLE)
    if "\u3099" in fast or "\u309a" in fast:
        return _compose_voicing(text)
    if len(fast) == len(text):  # one character each: offsets do not move, no map needed
        return fast, None
    # e.g. ligatures, '…' or 'İ' lowercasing to two characters: each output character maps
    # to the input character it came from. The output is exactly `fast` (the table works
    # character by character); the map repeats each input index by its piece's length.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # JSON can carry lone surrogates
    distinct, which = np.unique(codes, return_inverse=True)
    lengths = np.array([len(_CHAR_TABLE[int(c)]) for c in distinct], dtype=np.int64)[which]
    return fast, np.repeat(np.arange(len(text)), lengths)


def _finish(original: str, base: str, base_map: np.ndarray | None) -> Normalized:
    base = _swap_homoglyphs(base)
    if any(c in base for c in "0134@5$"):
        base = _undo_leet(base)
    a, b = _deletions(base)
    if not len(a):
        return Normalized(original, base, base_map, (0,), (0,))
    # Deletions are sorted by start and may overlap (a spelled-out word inside a separator
    # run). Each keeps what lies between the furthest end so far and its own start; one
    # ending before that end adds nothing. Done with numpy: a batch has ~15 deletions per ad.
    last = np.maximum.accumulate(np.concatenate(([0], b[:-1])))
    keep = b > last
    last, a, b = last[keep], np.maximum(a[keep], last[keep]), b[keep]
    kept = [base[i:j] for i, j in zip(last.tolist(), a.tolist())]
    kept.append(base[int(b[-1]) :])
    seg_norm = np.concatenate(([0], np.cumsum(a - last))).tolist()
    seg_src = [0, *b.tolist()]
    return Normalized(original, "".join(kept), base_map, tuple(seg_norm), tuple(seg_src))


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
    # The texts as given: a NUL inside one is a space in norm.original (it separates ads), so
    # evidence is cut from these to stay the ad's own text.
    raw: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        """The normalised text of each item."""
        return [self.norm.text[a:b] for a, b in zip(self.norm_starts, self.norm_ends)]

    def locate(self, pos: int) -> int:
        """Index of the item containing a normalised offset."""
        return bisect.bisect_right(self.norm_starts, pos) - 1

    def locate_many(self, positions: list[int]) -> list[int]:
        """locate() for many offsets at once."""
        return (
            np.searchsorted(np.asarray(self.norm_starts), np.asarray(positions, dtype=np.int64), side="right") - 1
        ).tolist()

    def span_text(self, item: int, start: int, end: int) -> tuple[int, int, str]:
        """(start, end, text) in the item's ORIGINAL text for a normalised batch span."""
        a, b, t = self.norm.span_text(start, end)
        off = self.orig_starts[item]
        if self.raw:
            t = self.raw[item][a - off : b - off]
        return a - off, b - off, t


def normalize_batch(texts: list[str]) -> Batch:
    """Normalise many texts at once (see normalize)."""
    raw = tuple("" if t is None else str(t) for t in texts)
    texts = [t.replace("\x00", " ") for t in raw]
    original = AD_SEP.join(texts)
    bases = [_base(t) for t in texts]
    if all(m is None for _, m in bases):
        base_map = None
    else:
        # Texts that kept their length map one to one: a run of them (with the separators)
        # is one arange; only the few that changed length splice in their own map.
        pieces = []
        src = dst = 0  # where the run being built starts, in the original and in the base
        off = nxt = 0  # offsets of the current text in the original and in the base
        for t, (b, m) in zip(texts, bases):
            if m is not None:
                pieces += [np.arange(src, off), m + off]
                src, dst = off + len(t), nxt + len(b)
            off += len(t) + len(AD_SEP)
            nxt += len(b) + len(AD_SEP)
        pieces.append(np.arange(src, src + (nxt - len(AD_SEP)) - dst))
        base_map = np.concatenate(pieces).astype(np.int64)
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
    return Batch(norm, tuple(orig_starts), tuple(starts), tuple(ends), raw if any("\x00" in t for t in raw) else ())


def normalize_pattern_text(text: str) -> str:
    """Normalise a phrase from the indicator file the same way ad text is normalised."""
    return normalize(text).text
