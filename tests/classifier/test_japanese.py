"""Japanese as a first-class language: normalisation, tokens, signals, seed data.

Japanese nationals are recruited into the same compounds as Koreans. These tests pin what
makes Japanese text readable to the classifier: half-width katakana and split voicing
marks fold (ﾃﾚｸﾞﾗﾑ is テレグラム), spaced or dotted kana join, Latin words glued to kana
still match, every signal has Japanese patterns, and warnings that quote lure words
(警察, 注意喚起) are not read as lures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from classifier.indicators import DEFAULT_PATH, find_hits, find_hits_batch, load_signals
from classifier.normalize import normalize, normalize_batch
from classifier.tokens import tokenize

try:  # Python 3.11+
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse  # type: ignore[no-redef]

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"


@pytest.mark.parametrize(
    "text,folded",
    [
        ("ﾃﾚｸﾞﾗﾑ", "テレグラム"),  # half-width katakana, ﾞ a separate character
        ("ﾊﾟｽﾎﾟｰﾄ", "パスポート"),  # ﾟ too
        ("ハ\u309aスポート", "パスポート"),  # decomposed (NFD) kana
        ("テ゛レ", "デレ"),  # spacing voicing mark (゛)
        ("テ レ グ ラ ム", "テレグラム"),
        ("テ・レ・グ・ラ・ム", "テレグラム"),  # katakana middle dot as a separator
        ("ｔｅｌｅｇｒａｍ　ＩＤ", "telegram id"),
        ("月収８０万円", "月収80万円"),
        ("高収⼊", "高収入"),  # Kangxi radical look-alike
    ],
)
def test_japanese_text_folds_to_one_spelling(text: str, folded: str) -> None:
    assert normalize(text).text == folded


def test_evidence_of_folded_kana_is_the_original_text_with_its_marks() -> None:
    n = normalize("連絡はﾃﾚｸﾞﾗﾑ、ﾋﾞｻﾞ不要")
    start = n.text.index("テレグラム")
    assert n.span_text(start, start + 5)[2] == "ﾃﾚｸﾞﾗﾑ"
    start = n.text.index("ビザ")
    assert n.span_text(start, start + 2)[2] == "ﾋﾞｻﾞ"  # the last kana keeps its ﾞ
    batch = normalize_batch(["ok…", "ﾋﾞｻﾞ不要です"])
    lo = batch.norm_starts[1]
    assert batch.span_text(1, lo, lo + 2) == (0, 4, "ﾋﾞｻﾞ")


def test_kana_and_kanji_are_dense_tokens() -> None:
    tokens = tokenize(normalize("人々のための高収入バイト、LINEで").text)
    assert {"人々", "高収", "収入", "バイ", "イト"} <= set(tokens)
    assert "line" in tokens and "々" not in tokens


# (text, signal, should fire): lures in several registers and spellings, and near-misses.
CASES = [
    ("監禁とか一切ありません、外出自由です", "safety_denial", True),
    ("闇バイトじゃないよ、合法の仕事だから", "safety_denial", True),
    ("スマホも取り上げられないし、いつでも帰国OK", "safety_denial", True),
    ("【注意喚起】『監禁なし』『安全を保証』という求人に注意", "safety_denial", False),
    ("工場内ではヘルメットの着用が必須です（労働安全衛生法）", "safety_denial", False),
    ("かけ子のポジション、台本あり", "crime_duties", True),
    ("使ってない銀行口座を買い取ります", "crime_duties", True),
    ("マッチングアプリで仲良くなって仮想通貨の投資に誘導", "crime_duties", True),
    ("オンカジのお客さん対応", "crime_duties", True),
    ("闇バイトに注意！警察庁が注意喚起", "crime_duties", False),
    ("銀行の窓口業務：口座開設の受付", "crime_duties", False),
    ("観光ビザで入国してもらって大丈夫", "visa_irregular", True),
    ("ビザの心配は無用、コネがあるから", "visa_irregular", True),
    ("観光ビザでの就労は法律で禁止されています", "visa_irregular", False),
    ("ﾊﾟｽﾎﾟｰﾄ写メ送れる人だけDMして", "passport_upfront", True),
    ("面接の前にパスポート画像の提出をお願いします", "passport_upfront", True),
    ("内定後、就労ビザ申請のためにパスポートのコピーをご提出いただきます", "passport_upfront", False),
    ("借金で首が回らない人、一気に返済", "debt_targeting", True),
    ("借金の悩みは法テラスの無料相談へ", "debt_targeting", False),
    ("渡航費はいったん会社が立て替えて、初任給から天引き", "costs_advanced", True),
    ("交通費は一度立て替えていただき、翌月の給与と一緒に精算します", "costs_advanced", False),
    ("空港に着いたら白いバンが迎えに来るから", "indirect_route", True),
    ("ホーチミン経由で、そこから車で国境を越えて移動します", "indirect_route", True),
    ("空港から市内へは電車が便利です", "indirect_route", False),
    ("未経験でも月収80万円スタート", "high_pay_claim", True),
    ("ｺｰﾙｾﾝﾀｰ業務 月給70万〜 保証", "high_pay_claim", True),
    ("月給25万円〜（経験・能力を考慮）", "high_pay_claim", False),
    ("3ヶ月で80万", "high_pay_claim", False),  # a total over months is not a monthly figure
    ("学歴も職歴も一切問いません", "no_experience", True),
    ("ﾐｹｲｹﾝOK 誰でもできる簡単なお仕事", "no_experience", True),
    ("語学力は問いませんが、運転経験3年以上が必要です", "no_experience", False),
    ("ホスト・キャバ経験者大歓迎", "no_experience", False),  # experience wanted, not waived
    ("チャットオペレーター：届いたメッセージに返事するだけ", "vague_desk_role", True),
    ("貿易事務：輸出入書類の作成、通関業者との調整", "vague_desk_role", False),
    ("寮費・食費・光熱費ゼロ", "travel_lodging_paid", True),
    ("渡航費・ビザ申請費用は自己負担となります", "travel_lodging_paid", False),
    ("詳細はテ レ グ ラ ム で", "messenger_contact", True),
    ("ﾃﾚｸﾞﾗﾑ交換しよ", "messenger_contact", True),
    ("興味ある方はLINE ID：kaigai-bz7 まで", "messenger_contact", True),  # Latin glued to kana
    ("DMください、テレに案内します", "messenger_contact", True),
    ("テレワーク可、テレビ局のお仕事", "messenger_contact", False),
    ("【至急】本日締切、明日面談→来週渡航", "urgency", True),
    ("パスポートがあれば3日後にはもう現地です", "urgency", True),
    ("入社日はご相談に応じます（最短で1ヶ月後〜）", "urgency", False),
    ("1ヶ月だけ行ってサクッと稼いで帰ってこよう", "short_term_quick_money", True),
    ("インターンシップ（2週間・交通費支給）", "short_term_quick_money", False),
    ("友達紹介で1人につき10万円ボーナス", "commission_quota", True),
    ("固定給制（歩合なし）、残業代は全額支給", "commission_quota", False),
    ("日本人限定の募集です", "nationality_targeting", True),
    ("日本語能力試験N1以上（国籍不問）", "nationality_targeting", False),
    ("18〜25歳の女性限定、容姿に自信のある方", "age_gender_looks", True),
    ("年齢・性別不問、経験と能力で判断します", "age_gender_looks", False),
    ("会社名は守秘義務のため、面接の際にお伝えします", "employer_vague", True),
    ("本社：東京都千代田区 設立1987年 従業員420名", "employer_vague", False),
    ("私も去年半年働いて、貯金500万できました", "social_proof", True),
    ("先輩社員との座談会をオンラインで開催します", "social_proof", False),
    ("到着後、パスポートは会社で預かります（紛失防止のため）", "passport_retention", True),
    ("パスポートは常にご本人が保管してください。会社が預かることはありません", "passport_retention", False),
    ("タイの就労ビザ（Non-B）と労働許可証を会社が取得します", "work_visa_stated", True),
    ("ビザスポンサーあり", "visa_sponsored", True),
    ("ビザサポートはありません", "visa_sponsored", False),
    ("お問い合わせ：jinji@fujinami-foods.co.jp", "registered_employer", True),
    ("株式会社ひばり物流（法人番号 4011001062739）", "registered_employer", True),
    ("外務省JPO派遣制度 2027年度候補者募集", "official_programme", True),
    ("必須：日本語能力試験N2以上、日系企業での勤務経験2年以上", "qualifications_required", True),
    ("やる気のある方大歓迎！", "qualifications_required", False),
]


@pytest.mark.parametrize("text,signal,fires", CASES, ids=[f"{i:02d}-{c[1]}-{c[2]}" for i, c in enumerate(CASES)])
def test_japanese_indicator_table(text: str, signal: str, fires: bool) -> None:
    hits = find_hits(normalize(text), load_signals())
    assert (signal in {h.signal for h in hits}) is fires, [(h.signal, h.text) for h in hits]


def test_every_signal_has_japanese_patterns_and_japanese_near_terms() -> None:
    spec = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    for entry in spec["signals"]:
        assert entry["patterns"].get("ja"), entry["id"]
        for k, rule in enumerate(entry.get("near") or []):
            for side in ("a", "b"):
                if isinstance(rule[side], dict):  # a rule written per language speaks Japanese too
                    assert rule[side].get("ja"), (entry["id"], k, side)


def test_a_latin_word_glued_to_kana_matches_but_not_inside_a_latin_word() -> None:
    hits = find_hits_batch(normalize_batch(["連絡はwhatsappのみ", "somewhatsapp online"]), load_signals())
    assert "messenger_contact" in {h.signal for h in hits[0]}
    assert not {h.signal for h in hits[1]} & {"messenger_contact"}


def test_japanese_evidence_is_the_ads_own_words() -> None:
    text = "【急募】ｶﾝﾎﾞｼﾞｱ勤務、連絡はﾃﾚｸﾞﾗﾑで"
    hits = {h.signal: h for h in find_hits(normalize(text), load_signals())}
    assert hits["messenger_contact"].text == "ﾃﾚｸﾞﾗﾑ"
    assert text[hits["urgency"].start : hits["urgency"].end] == "急募"


def _repeats(items) -> list[tuple[int, object]]:
    """(max count, subpattern) of every repeat in a parsed regex, outermost first."""
    out = []
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            out.append((av[1], av[2]))
            out += _repeats(av[2])
        elif name == "SUBPATTERN":
            out += _repeats(av[-1])
        elif name == "BRANCH":
            for alt in av[1]:
                out += _repeats(alt)
        elif name in ("ASSERT", "ASSERT_NOT"):
            out += _repeats(av[1])
    return out


def _strings(node) -> list[str]:
    """Every string anywhere in a parsed YAML tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_no_indicator_regex_nests_unbounded_repeats() -> None:
    """(a+)+ and kin backtrack catastrophically on a long ad: none in the pattern file."""
    spec = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    regexes = [s[3:] for s in _strings(spec) if s.startswith("re:")]
    assert len(regexes) > 20
    for source in regexes:
        for count, sub in _repeats(sre_parse.parse(source)):
            if count == sre_parse.MAXREPEAT:
                assert all(c <= 1 for c, _ in _repeats(sub)), source


def test_the_japanese_seed_cases_are_read_and_reported_per_language() -> None:
    from classifier.datasets import load_seed
    from classifier.evaluation import report
    from classifier.trainset import class_counts

    seed = load_seed(SEED)
    ja = seed[seed["language"] == "ja"]
    assert set(ja["label"]) == {0, 1} and ja["group"].str.startswith("seed:").all()
    assert class_counts(seed)["ja"] == {"scam": int(ja["label"].sum()), "legit": int((ja["label"] == 0).sum())}
    y = seed["label"].to_numpy()
    rep = report(y, y.astype(float), 0.5, pd.Series(seed["language"]))
    assert rep["per_language"]["ja"]["n"] == len(ja) and rep["per_language"]["ja"]["n_scam"] == int(ja["label"].sum())
