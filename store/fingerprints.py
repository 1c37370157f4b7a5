"""Ad fingerprints: normalised contact keys and a MinHash of the text, with its LSH bands.

Each ad gets normalised contact keys (``tg:``, ``phone:``, ``kakao:``,
``email:``, ...) and the band hashes of a MinHash signature (datasketch) over
character shingles, all stored in ``fingerprint_keys``; store.campaigns links
ads that share keys.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.minhash import NUM_PERM, minhash, new_minhash
from store.schema import Ad, AdFingerprint, FingerprintKey

if TYPE_CHECKING:  # for the annotations only: core.minhash imports datasketch (and scipy) when a MinHash is made
    from datasketch import MinHash

BANDS, ROWS = 16, 4  # 16 bands of core.minhash.NUM_PERM rows: candidate pairs from Jaccard ~0.5 up
MIN_TEXT = 40  # shorter texts are too generic to link on
# Changing a parameter here or in core.minhash needs a new FINGERPRINT_VERSION,
# which recomputes every stored fingerprint.
FINGERPRINT_VERSION = "mh1"


# Country codes of the places these ads target or recruit from.
_COUNTRY_CODES = ("855", "856", "95", "82", "66", "84", "86", "63", "62", "60", "81", "1")


def _digits(value: str) -> str:
    """A phone number as its national number: +855 12 345 678 and 012-345-678 agree."""
    digits = re.sub(r"\D", "", value)
    international = value.strip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if international or len(digits) >= 11:
        for code in _COUNTRY_CODES:
            if digits.startswith(code) and len(digits) - len(code) >= 7:
                digits = digits[len(code) :]
                break
    digits = digits.lstrip("0")
    return digits if len(digits) >= 7 else ""


def _handle(value: str) -> str:
    value = value.strip().lower()
    value = re.sub(r"^(https?://)?(www\.)?(t\.me|telegram\.me)/(s/)?", "", value)
    return value.lstrip("@").strip("/ ")


def _link(value: str) -> str:
    value = value.strip().lower()
    value = re.sub(r"^https?://(www\.)?", "", value)
    return value.rstrip("/ ")


_NORMALISERS = {
    "telegram": ("tg", _handle),
    "kakao": ("kakao", _link),
    "phone": ("phone", _digits),
    "whatsapp": ("phone", _digits),
    "line": ("line", lambda v: v.strip().lower().lstrip("@")),
    "email": ("email", lambda v: v.strip().lower()),
}


def contact_keys(contacts: Mapping[str, Any] | None) -> set[str]:
    """Normalised lookup keys of an ad's contacts (a ``url`` contact is not a key:
    many unrelated ads link the same big job board)."""
    keys: set[str] = set()
    for kind, values in (contacts or {}).items():
        if kind not in _NORMALISERS:
            continue
        prefix, normalise = _NORMALISERS[kind]
        for value in values if isinstance(values, list) else [values]:
            norm = normalise(str(value or ""))
            if len(norm) >= 3:
                keys.add(f"{prefix}:{norm}"[:300])
    return keys


def _text(ad: Ad) -> str:
    return " ".join(f"{ad.title} {ad.description}".lower().split())


def minhash_of(text: str) -> MinHash | None:
    """The MinHash of a text's character shingles; None for texts too short to link."""
    if len(text) < MIN_TEXT:
        return None
    return minhash(text)


def band_keys(mh: MinHash) -> set[str]:
    values = mh.hashvalues.astype("<u8")
    keys = set()
    for b in range(BANDS):
        digest = hashlib.blake2b(values[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=10)
        keys.add(f"band{b}:{digest.hexdigest()}")
    return keys


def load_minhash(blob: bytes) -> MinHash:
    return new_minhash(np.frombuffer(blob, dtype="<u8"))


def similarity(mh: MinHash, blob: bytes) -> float:
    """Estimated Jaccard similarity of a MinHash and a stored signature.

    ``mh.jaccard(load_minhash(blob))`` without building a MinHash per stored signature,
    which cost more than the comparison: linking compares each ad with several.
    """
    return float(np.count_nonzero(mh.hashvalues == np.frombuffer(blob, dtype="<u8"))) / NUM_PERM


def fingerprint(session: Session, ad: Ad) -> tuple[set[str], MinHash | None, bool]:
    """(contact keys, MinHash, refreshed?) for an ad, stored; recomputed only on a content change.

    Writes fingerprint_keys only: link_ads also keeps campaign_keys and free_keys in step,
    so ads meant for linking must be fingerprinted through link_ads, not this.
    """
    return refresh_fingerprint(session, ad, session.get(AdFingerprint, ad.id))


# Core, not ORM, statements: an ORM bulk delete scans the whole identity map to keep it in
# step (1,000 loaded ads per scoring batch), and no FingerprintKey objects are ever loaded.
_DELETE_KEYS = FingerprintKey.__table__.delete().where(FingerprintKey.__table__.c.ad_id == bindparam("ad_id"))
_INSERT_KEYS = FingerprintKey.__table__.insert()
_FP = AdFingerprint.__table__
_INSERT_FINGERPRINT = _FP.insert()
_UPDATE_FINGERPRINT = _FP.update().where(_FP.c.ad_id == bindparam("id"))  # SET from the parameters given


def _stamp(ad: Ad) -> str:
    """What a stored fingerprint was made from: the ad's content and the method's version."""
    return hashlib.sha256(f"{FINGERPRINT_VERSION}:{ad.content_hash}".encode()).hexdigest()


def _signature(ad: Ad) -> tuple[MinHash | None, bytes | None]:
    """The ad's MinHash, and its bytes as stored (None for a text too short to link)."""
    mh = minhash_of(_text(ad))
    return mh, (mh.hashvalues.astype("<u8").tobytes() if mh is not None else None)


def fingerprint_new(session: Session, ads: list[Ad]) -> dict[int, tuple[set[str], MinHash | None, set[str]]]:
    """Fingerprint ads that have none yet, in two statements for all of them:
    {ad id: (contact keys, MinHash, all its keys)}.

    What refresh_fingerprint does for an ad without a fingerprint row, for a whole batch at
    once: linking reads an ad's fingerprint only after it has linked that ad (a new ad has no
    campaign or free keys by which an earlier one could find it), so writing them ahead of
    the loop changes nothing but the number of round trips.
    """
    made: dict[int, tuple[set[str], MinHash | None, set[str]]] = {}
    rows: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for ad in ads:
        contacts = contact_keys(ad.contacts)
        mh, blob = _signature(ad)
        rows.append({"ad_id": ad.id, "content_hash": _stamp(ad), "minhash": blob})
        own = contacts | (band_keys(mh) if mh is not None else set())
        keys += [{"ad_id": ad.id, "key": k} for k in sorted(own)]
        made[ad.id] = (contacts, mh, own)
    if rows:
        session.execute(_INSERT_FINGERPRINT, rows)
    if keys:
        session.execute(_INSERT_KEYS, keys)
    return made


def refresh_fingerprint(session: Session, ad: Ad, fp: AdFingerprint | None) -> tuple[set[str], MinHash | None, bool]:
    """``fingerprint`` given the ad's stored fingerprint row (None when it has none)."""
    contacts = contact_keys(ad.contacts)
    stamp = _stamp(ad)
    if fp is not None and fp.content_hash == stamp:
        return contacts, (load_minhash(fp.minhash) if fp.minhash else None), False
    mh, blob = _signature(ad)
    # Core statements, not pending ORM objects: linking queries the database between ads,
    # and every query would first autoflush whatever the session holds.
    if fp is None:
        session.execute(_INSERT_FINGERPRINT, {"ad_id": ad.id, "content_hash": stamp, "minhash": blob})
    else:
        session.execute(_UPDATE_FINGERPRINT, {"id": ad.id, "content_hash": stamp, "minhash": blob})
        set_committed_value(fp, "content_hash", stamp)  # the loaded row stays true, and clean
        set_committed_value(fp, "minhash", blob)
        session.execute(_DELETE_KEYS, {"ad_id": ad.id})  # keys are written with a fingerprint row only
    keys = contacts | (band_keys(mh) if mh is not None else set())
    if keys:
        # executemany of one cached statement: SQLAlchemy batches it into multi-row
        # INSERTs itself ("insertmanyvalues"), without compiling a new statement per ad.
        session.execute(_INSERT_KEYS, [{"ad_id": ad.id, "key": k} for k in sorted(keys)])
    return contacts, mh, True
