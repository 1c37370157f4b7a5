"""Fingerprints: the similarity of a stored signature is MinHash's own estimate."""

from __future__ import annotations

from store.fingerprints import load_minhash, minhash_of, similarity
from tests.store.test_campaigns import LURE, OTHER, REPOST


def test_similarity_of_a_stored_signature_matches_minhash_jaccard():
    mh = minhash_of(LURE)
    for text in (LURE, REPOST, OTHER):
        blob = minhash_of(text).hashvalues.astype("<u8").tobytes()
        assert similarity(mh, blob) == mh.jaccard(load_minhash(blob))
    assert similarity(mh, mh.hashvalues.astype("<u8").tobytes()) == 1.0
