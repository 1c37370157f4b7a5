"""Near-duplicate text: the one set of MinHash parameters.

The classifier groups near-duplicate training ads with these (so reposts never
straddle a split) and the store links ads into campaigns with them; both must
call the same texts near-duplicates. Signatures are stored in the database, so
changing a parameter needs a new store.fingerprints.FINGERPRINT_VERSION.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 64
SHINGLE = 5  # characters; works for Korean, Chinese and Latin text alike
NEAR_DUPLICATE = 0.7  # estimated Jaccard from which two texts are near-duplicates
SEED = 1  # fixed, so signatures made on different nights compare
# datasketch 2 changed its default permutations; naming ours keeps signatures
# comparable across upgrades.
SCHEME = "affine32"


def normalise(text: str) -> str:
    """Lower case, whitespace runs as one space: what the shingles are cut from."""
    return " ".join(text.lower().split())


def shingles(text: str) -> set[bytes]:
    """Character shingles of the normalised text (a shorter text is one shingle)."""
    t = normalise(text)
    if len(t) <= SHINGLE:
        return {t.encode("utf-8")}
    return {t[i : i + SHINGLE].encode("utf-8") for i in range(len(t) - SHINGLE + 1)}


@lru_cache(maxsize=1)
def permutations() -> Any:
    """The MinHash permutations (deriving them costs more than hashing a short ad)."""
    # datasketch is imported where a MinHash is made, not with this module: it loads scipy
    # (~0.5 s of CPU), and every crawl imports this module through the store's migrations
    # (0010 -> store.contactcheck -> store.fingerprints) without making a MinHash.
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def new_minhash(hashvalues: Any = None) -> MinHash:
    """An empty MinHash with our parameters, or one holding stored ``hashvalues``."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=permutations(), hashvalues=hashvalues)


def minhash(text: str) -> MinHash:
    """The MinHash of a text's shingles."""
    mh = new_minhash()
    mh.update_batch(list(shingles(text)))
    return mh
