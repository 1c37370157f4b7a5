"""Nearest known lures: the few known lure texts most like an ad, as a reason an analyst trusts.

Similarity is the cosine of the model's own TF-IDF vectors (the pipeline's fitted text
vectoriser, over the same normalised, script-aware tokens the model reads), so a
neighbour is near in the words the model weighs, in every script. An index is a sparse
matrix of unit rows; a batch of queries is one sparse product.

Two indexes are queried together:
- ``seed``: stored inside the model artefact at training time. It holds only lures we
  wrote ourselves (data/seed, with file, row id and provenance): third-party text the
  model may have been trained on never goes into the artefact. It is plain data (numpy
  arrays, lists of str) under ``INDEX_ATTR`` on the pipeline, which skops loads with no
  new trusted type; it is validated when the model loads. A model saved before has none
  and scores as before, without these neighbours.
- ``confirmed``: ads an analyst decided scam, built by the caller from the store.

Variants of one text share a ``group`` (seed variants, a campaign): at most one per group
is shown, so three neighbours are three different lures, not three reposts of one.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize as unit_rows

from classifier.errors import ModelError
from classifier.normalize import normalize_batch
from classifier.tokens import tokenize

INDEX_ATTR = "known_lures_"
FORMAT = 1
K = 3  # neighbours shown per ad
# Below this cosine two texts share little more than common words: calling such a text
# "like this ad" would mislead, so fewer than K (or none) are shown.
MIN_SIMILARITY = 0.15
SNIPPET = 300  # characters of a neighbour's text kept in the index and shown
MAX_ROWS = 200_000  # bounds checked at load: an index is data, and data is validated
MAX_FIELD = 2_000
FIELDS = ("texts", "sources", "refs", "titles", "details", "groups")


@dataclass(frozen=True)
class KnownLure:
    """One known lure text and where it comes from."""

    text: str  # the text the model reads (title, company, location, salary, description)
    source: str  # the seed file (data/seed/x.csv), or the crawl source of a confirmed ad
    ref: str  # the seed row id, or the ad id
    title: str = ""
    detail: str = ""  # provenance of a seed row; the decision date of a confirmed ad
    group: str = ""  # variants of one lure share one; "" means a group of its own


@dataclass(frozen=True)
class LureIndex:
    """Known lures of one kind and their unit TF-IDF vectors (one row each)."""

    kind: str  # "seed" or "confirmed"
    vectors: sp.csr_matrix
    lures: tuple[KnownLure, ...]

    def __len__(self) -> int:
        return len(self.lures)

    def state(self) -> dict:
        """Plain data for the artefact: arrays, lists of str, ints (no type skops must trust)."""
        m = self.vectors
        return {
            "format": FORMAT,
            "kind": self.kind,
            "shape": [int(m.shape[0]), int(m.shape[1])],
            "data": m.data.astype(np.float32),
            "indices": m.indices.astype(np.int32),
            "indptr": m.indptr.astype(np.int64),
            "texts": [x.text for x in self.lures],
            "sources": [x.source for x in self.lures],
            "refs": [x.ref for x in self.lures],
            "titles": [x.title for x in self.lures],
            "details": [x.detail for x in self.lures],
            "groups": [x.group for x in self.lures],
        }


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The text on one line, cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _vectoriser(pipeline: Pipeline):
    return pipeline.named_steps["features"].named_transformers_["text"]


def has_text_space(pipeline: Pipeline) -> bool:
    """The pipeline has the fitted TF-IDF text block neighbours are measured in (every model
    ``build_pipeline`` makes; a pipeline of another shape simply gets no neighbours)."""
    try:
        return hasattr(_vectoriser(pipeline), "vocabulary_")
    except (AttributeError, KeyError, TypeError):
        return False


def text_vectors(pipeline: Pipeline, texts: Sequence[str]) -> sp.csr_matrix:
    """Unit TF-IDF rows of ``texts`` in the model's text space (normalised and tokenised as
    the model does, without the rest of the analysis: signals, pay and places are not needed)."""
    if not texts:
        return sp.csr_matrix((0, len(_vectoriser(pipeline).vocabulary_)), dtype=np.float32)
    tokens = [tokenize(t) for t in normalize_batch(list(texts)).texts()]
    return unit_rows(_vectoriser(pipeline).transform(tokens).astype(np.float32), copy=False).tocsr()


def build_index(pipeline: Pipeline, lures: Sequence[KnownLure], kind: str) -> LureIndex:
    """An index of ``lures`` in ``pipeline``'s text space; each text is kept as a snippet."""
    vectors = text_vectors(pipeline, [x.text for x in lures])
    kept = tuple(
        KnownLure(
            snippet(x.text),
            x.source[:MAX_FIELD],
            x.ref[:MAX_FIELD],
            snippet(x.title, 200),
            x.detail[:MAX_FIELD],
            x.group[:MAX_FIELD],
        )
        for x in lures
    )
    return LureIndex(kind, vectors, kept)


def attach(pipeline: Pipeline, index: LureIndex) -> None:
    """Store ``index`` on the fitted pipeline, to be saved with it."""
    setattr(pipeline, INDEX_ATTR, index.state())
    _CACHE.pop(pipeline, None)


_CACHE: "weakref.WeakKeyDictionary[Pipeline, LureIndex | None]" = weakref.WeakKeyDictionary()


def model_index(pipeline: Pipeline) -> LureIndex | None:
    """The index stored in the model, validated (ModelError if malformed); None when it has none."""
    if pipeline in _CACHE:
        return _CACHE[pipeline]
    state = getattr(pipeline, INDEX_ATTR, None)
    if state is not None and not has_text_space(pipeline):
        raise ModelError("the model's known-lure index is malformed (the model has no TF-IDF text block); retrain")
    index = None if state is None else from_state(state, len(_vectoriser(pipeline).vocabulary_))
    _CACHE[pipeline] = index
    return index


def from_state(state: object, width: int) -> LureIndex:
    """An index from its saved state, after checking every type, length and bound."""

    def bad(why: str) -> ModelError:
        return ModelError(f"the model's known-lure index is malformed ({why}); retrain the model")

    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise bad(f"format {state.get('format') if isinstance(state, dict) else None!r}, expected {FORMAT}")
    shape, kind = state.get("shape"), state.get("kind")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(v, int) for v in shape)):
        raise bad("shape")
    n = shape[0]
    if not 0 <= n <= MAX_ROWS or shape[1] != width or not isinstance(kind, str):
        raise bad(f"{n} rows of width {shape[1]}, the model's vocabulary has {width}")
    arrays = [state.get(k) for k in ("data", "indices", "indptr")]
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in arrays):
        raise bad("vectors are not numeric arrays")
    data, indices, indptr = arrays
    if data.dtype != np.float32 or indices.dtype != np.int32 or indptr.dtype != np.int64:
        raise bad("vector dtypes")
    if len(indptr) != n + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != len(data):
        raise bad("row pointers")
    if len(indices) != len(data) or (len(indices) and (indices.min() < 0 or indices.max() >= width)):
        raise bad("column indices")
    if not np.all(np.isfinite(data)):
        raise bad("values")
    columns = [state.get(k) for k in FIELDS]
    for name, col in zip(FIELDS, columns):
        if (
            not isinstance(col, list)
            or len(col) != n
            or not all(isinstance(v, str) and len(v) <= MAX_FIELD for v in col)
        ):
            raise bad(f"{name}")
    vectors = sp.csr_matrix((data, indices, indptr), shape=(n, width))
    return LureIndex(kind, vectors, tuple(KnownLure(*row) for row in zip(*columns)))


def nearest(
    pipeline: Pipeline,
    texts: Sequence[str],
    indexes: Sequence[LureIndex | None],
    k: int = K,
    skip: Sequence[str | None] | None = None,
) -> list[list[dict]]:
    """For each text, its ``k`` most similar known lures over all ``indexes``, most similar
    first, as dicts (kind, source, ref, title, detail, text, similarity).

    ``skip[i]`` ("confirmed:12") is a lure never shown for text i: an ad is not its own
    neighbour. At most one lure per group; none below MIN_SIMILARITY.
    """
    usable = [ix for ix in indexes if ix is not None and len(ix)]
    out: list[list[dict]] = [[] for _ in texts]
    if not usable or not texts or not has_text_space(pipeline):
        return out
    queries = text_vectors(pipeline, texts)
    for ix in usable:
        sims = (queries @ ix.vectors.T).toarray()  # len(texts) x len(ix): small, dense is fastest
        for i in range(len(texts)):
            out[i].extend(_best(ix, sims[i], k, None if skip is None else skip[i]))
    return [sorted(found, key=lambda d: -d["similarity"])[:k] for found in out]


def _best(ix: LureIndex, sims: np.ndarray, k: int, skip: str | None) -> list[dict]:
    """The top ``k`` of one index for one query: distinct groups, above the floor."""
    # Enough candidates to fill k distinct groups in all but pathological cases, without
    # sorting the whole index.
    m = min(len(sims), 8 * k)
    top = np.argpartition(-sims, m - 1)[:m] if m < len(sims) else np.arange(len(sims))
    found, groups = [], set()
    for j in top[np.argsort(-sims[top], kind="stable")]:
        s = float(sims[j])
        if s < MIN_SIMILARITY or len(found) == k:
            break
        lure = ix.lures[j]
        group = lure.group or f"row:{j}"
        if group in groups or (skip is not None and skip == f"{ix.kind}:{lure.ref}"):
            continue
        groups.add(group)
        found.append(
            {
                "kind": ix.kind,
                "source": lure.source,
                "ref": lure.ref,
                "title": lure.title,
                "detail": lure.detail,
                "text": lure.text,
                "similarity": round(s, 3),
            }
        )
    return found
