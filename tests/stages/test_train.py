"""Retraining from analysts' decisions: real (small) models, a real database, the CLI."""

from __future__ import annotations

import os
import random
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

import pipeline
from classifier import registry
from config import load_config
from stages.common import database
from stages.score import score_ads
from stages.train import train_candidate
from store.ads import upsert_ad
from store.queue import decide
from store.schema import ReviewItem

PROJECT_SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "seed_ads.csv"
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)

# A distinctive kind of ad: volunteer placements of a (fictional) aid agency in Cambodia,
# worded like lures (free flights, housing, no experience). Analysts keep clearing them.
_OPEN = [
    "한빛국제협력단 해외봉사단원 모집",
    "한빛국제협력단 봉사단 파견 공고",
    "한빛국제협력단 단기 봉사 파견",
    "한빛국제협력단 청년 봉사단 모집 안내",
    "한빛국제협력단 현지 활동가 선발",
]
_PLACE = ["캄보디아 프놈펜", "캄보디아 시엠립", "캄보디아 바탐방", "라오스 비엔티안", "캄보디아 캄퐁참"]
_LURE = [
    "숙식 제공, 경험 무관, 여권만 있으면 바로 출국.",
    "월 300만원 생활비 지급, 숙소 무료 제공, 경력 무관.",
    "항공권 숙식 모두 제공, 나이 경력 상관없음, 급구.",
    "현지 체류비 월 250만원, 숙식 제공, 즉시 출국 가능.",
]
_BODY = [
    "왕복 항공권과 숙소를 제공합니다.",
    "경험이 없어도 지원할 수 있습니다.",
    "현지 생활비를 매달 지원합니다.",
    "파견 전 국내 교육 4주를 받습니다.",
    "활동 분야는 교육, 보건, 농촌 개발입니다.",
    "여권 사본과 자기소개서를 제출하세요.",
    "한빛국제협력단 누리집에서 지원서를 받습니다.",
    "봉사단원 안전 교육과 보험이 포함됩니다.",
    "파견 기간은 1년이며 연장할 수 있습니다.",
]


def volunteer_ad(i: int) -> dict:
    rnd = random.Random(i)
    body = " ".join([rnd.choice(_LURE)] + rnd.sample(_BODY, 3))
    return {
        "source": "board",
        "external_id": f"vol{i}",
        "language": "ko",
        "title": f"{rnd.choice(_OPEN)} ({rnd.choice(_PLACE)}) {i}기",
        "description": f"{rnd.choice(_PLACE)} 지역 {body} 모집 번호 {1000 + i * 7}",
    }


def small_seed(folder: Path, per_class: int = 30) -> Path:
    """A stratified sample of the project's seed set (in the repo, not ../shared)."""
    df = pd.read_csv(PROJECT_SEED, dtype=str, keep_default_na=False)
    parts = [df[df["label"] == v].sample(per_class, random_state=0) for v in ("0", "1")]
    folder.mkdir(parents=True, exist_ok=True)
    pd.concat(parts).to_csv(folder / "seed.csv", index=False)
    return folder


@pytest.fixture
def retrain_config(write_config, tmp_path):
    seed = small_seed(tmp_path / "seed")
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'r.db'}"},
            "models": {"dir": str(tmp_path / "models")},
            "training": {"seed_dir": str(seed), "n_splits": 2},
            "logging": {"dir": "logs"},
        }
    )
    return load_config(path)


def _score_of(config, text: dict) -> float:
    from classifier.scoring import score_frame

    pipe, card = registry.load_model(config.models.dir)
    return float(score_frame(pipe, pd.DataFrame([text]), card["threshold"])["score"].iloc[0])


def _queue_and_decide(config, ads, decision: str) -> int:
    """Store ads, score them with the current model, decide every queued item."""
    with database(config) as factory:
        with factory.begin() as s:
            for ad in ads:
                upsert_ad(s, ad, T0)
        score_ads(config, factory, progress=False)
        with factory.begin() as s:
            items = s.scalars(select(ReviewItem).where(ReviewItem.status == "pending")).all()
            for item in items:
                decide(s, item.id, decision, "kim", T0, note="registered aid agency, checked")
        return len(items)


@pytest.mark.slow
def test_decisions_that_contradict_the_seed_model_change_it(retrain_config, capsys):
    config = retrain_config
    assert pipeline.main(["train", "--promote", "--config", str(config.path)]) == 0
    first = registry.current_version(config.models.dir)
    probe = volunteer_ad(999)  # never stored, never decided: a new ad of the same kind
    first_threshold = registry.read_card(config.models.dir, first)["threshold"]
    before = _score_of(config, probe)
    assert before >= first_threshold, "the seed model should flag the volunteer ads"
    decided = _queue_and_decide(config, [volunteer_ad(i) for i in range(40)], "legit")
    assert decided >= 20
    capsys.readouterr()

    assert pipeline.main(["train", "--promote", "--config", str(config.path)]) == 0
    out = capsys.readouterr().out
    second = registry.current_version(config.models.dir)
    assert second != first
    card = registry.read_card(config.models.dir, second)
    assert card["training"]["decisions"] == decided
    assert card["heldout"]["current_version"] == first
    assert f"({decided} analyst decisions)" in out and "recall at max FPR" in out
    assert "current model: " + second in out and "newly flagged (in the queue)" in out
    after = _score_of(config, probe)
    assert after < card["threshold"] < before or after < card["threshold"] <= first_threshold
    assert after < before / 3
    folder = config.models.dir / second
    assert (folder / "heldout.json").is_file() and (folder / "heldout_pr.png").stat().st_size > 1000
    assert [h["version"] for h in registry.history(config.models.dir)] == [first, second]


def _split_seed(folder: Path) -> tuple[Path, Path]:
    """A shuffled-label copy of the small seed, and a true-labelled gold file of other seed rows."""
    df = pd.read_csv(PROJECT_SEED, dtype=str, keep_default_na=False)
    used = set(pd.read_csv(folder / "seed" / "seed.csv", dtype=str, keep_default_na=False)["id"])
    gold = pd.concat([df[~df["id"].isin(used) & (df["label"] == v)].sample(30, random_state=3) for v in ("0", "1")])
    gold_path = folder / "gold.csv"
    gold[["title", "description", "company", "location", "salary", "language", "label"]].to_csv(gold_path, index=False)
    noisy = pd.read_csv(folder / "seed" / "seed.csv", dtype=str, keep_default_na=False)
    noisy["label"] = noisy["label"].sample(frac=1.0, random_state=1).to_numpy()
    (folder / "noisy").mkdir()
    noisy.to_csv(folder / "noisy" / "seed.csv", index=False)
    return folder / "noisy", gold_path


@pytest.mark.slow
def test_worse_model_is_refused_without_force_and_kept(retrain_config, write_config, tmp_path, capsys):
    config = retrain_config
    assert pipeline.main(["train", "--promote", "--config", str(config.path)]) == 0
    good = registry.current_version(config.models.dir)
    noisy_seed, gold = _split_seed(tmp_path)
    noisy = write_config(
        {
            "database": {"url": config.database.url},
            "models": {"dir": str(config.models.dir)},
            "training": {"seed_dir": str(noisy_seed), "n_splits": 2},
            "logging": {"dir": "logs"},
        },
        name="noisy.yaml",
    )
    capsys.readouterr()
    argv = ["train", "--promote", "-q", "--eval", str(gold), "--config", str(noisy)]
    assert pipeline.main(argv) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: not promoted: ") and len(err.strip().splitlines()) == 1
    assert registry.current_version(config.models.dir) == good
    refused = [v for v in registry.list_versions(config.models.dir) if v != good]
    assert len(refused) == 1 and refused[0] in out  # kept, not current
    card = registry.read_card(config.models.dir, refused[0])
    assert card["heldout"]["not_worse"] is False and card["heldout"]["rows"] == 60
    capsys.readouterr()
    # The same data and parameters again: nothing is trained or saved, the refused twin is forced in.
    assert pipeline.main([*argv, "--force"]) == 0
    assert f"identical to {refused[0]}" in capsys.readouterr().out
    assert registry.current_version(config.models.dir) == refused[0]
    assert len(registry.list_versions(config.models.dir)) == 2
    assert registry.history(config.models.dir)[-1]["reason"] == "train --promote --force"


@pytest.mark.slow
def test_heldout_rows_are_never_fitted(retrain_config, monkeypatch, tiny_fit):
    import stages.train as stage

    # a current model whose artefact was modified: compared with nothing, and said so
    broken = registry.save_model(retrain_config.models.dir, tiny_fit.pipeline, {"threshold": 0.5})
    registry.set_current(retrain_config.models.dir, broken)
    with (retrain_config.models.dir / broken / registry.ARTEFACT).open("ab") as fh:
        fh.write(b"x")

    seen = {}
    real = stage.fit_with_threshold

    def spy(pipeline, X, *args, **kwargs):
        seen["fit_index"] = X.index.to_numpy().copy()
        return real(pipeline, X, *args, **kwargs)

    monkeypatch.setattr(stage, "fit_with_threshold", spy)
    decisions = [
        {**volunteer_ad(i), "ad_id": i, "item_id": i, "decision": "legit", "campaign_id": i % 4, "content_hash": ""}
        for i in range(12)
    ]
    outcome = train_candidate(retrain_config, decisions, progress=False)
    fitted, heldout = set(outcome.fitted_rows), set(outcome.heldout_rows)
    assert fitted and heldout and not fitted & heldout
    assert set(seen["fit_index"]) == fitted  # the fit saw the training part and nothing else
    card = outcome.card
    assert card["training"]["fitted_rows"] == len(fitted)
    assert card["heldout"]["rows"] == len(heldout) and card["training"]["rows"] == len(fitted) + len(heldout)
    assert card["training"]["decisions"] == 12
    assert registry.current_version(retrain_config.models.dir) == broken  # never promotes by itself
    assert outcome.current is None and "cannot be loaded" in outcome.reason and outcome.promote_ok


def test_gather_lists_every_source_and_skips_a_missing_extra_entry(write_config, tmp_path):
    """A fresh clone has no ../shared/data: training goes on with the seed data, and says so."""
    from stages.train import gather

    seed = small_seed(tmp_path / "seed", per_class=3)
    extra = tmp_path / "extra.csv"
    pd.DataFrame({"text": ["Barista, 2 years of experience", "캄보디아 고수익 텔레그램"], "label": [0, 1]}).to_csv(
        extra, index=False
    )
    path = write_config({"training": {"seed_dir": str(seed), "extra_data": ["../shared/data", str(extra)]}})
    parts, sources = gather(load_config(path), decisions=None)
    assert [(s.name, s.rows, s.note) for s in sources] == [
        (f"seed: {os.path.relpath(seed, path.parent)}", 6, ""),
        ("../shared/data", 0, "missing: skipped"),
        (os.path.relpath(extra, path.parent), 2, ""),
        ("analysts' decisions", 0, "not read: --no-decisions"),
    ]
    assert [len(p) for p in parts] == [6, 2, 0]


@pytest.mark.slow
def test_training_stores_only_seed_lures_as_known_lures_and_explain_shows_them(retrain_config, tmp_path, capsys):
    config = retrain_config
    extra = tmp_path / "third_party.csv"  # stands for ../shared/data: trained on, never stored
    third = "Sihanoukville typing job, 월 900만원, passport kept by the company for safety, telegram @third_party_hr"
    pd.DataFrame({"text": [third, "Barista in Busan, 2 years of experience"], "label": [1, 0]}).to_csv(
        extra, index=False
    )
    argv = ["train", "--all-rows", "--no-decisions", "--promote", "--data", str(extra), "--config", str(config.path)]
    assert pipeline.main(argv) == 0
    version = registry.current_version(config.models.dir)
    card = registry.read_card(config.models.dir, version)
    seed = pd.read_csv(config.training.seed_dir / "seed.csv", dtype=str, keep_default_na=False)
    lures = seed[seed["label"] == "1"]
    assert card["neighbours"]["rows"] == len(lures) and card["neighbours"]["kind"] == "seed"
    from classifier.neighbours import model_index

    index = model_index(registry.load_model(config.models.dir, version)[0])
    assert sorted(x.ref for x in index.lures) == sorted(lures["id"])
    assert not any("third_party" in x.text for x in index.lures)  # third-party text is not in the artefact
    with zipfile.ZipFile(config.models.dir / version / registry.ARTEFACT) as art:  # skops: a zip of data files
        stored = b"".join(art.read(name) for name in art.namelist())
    # The seed lures' own words are there (so the search reads stored text); the third party's are not.
    assert str(lures["description"].iloc[0]).encode() in stored and b"third_party_hr" not in stored

    row = lures[lures["description"].str.len() > 40].iloc[0]
    capsys.readouterr()
    assert pipeline.main(["explain", f"{row['title']}\n{row['description']}", "--config", str(config.path)]) == 0
    out = capsys.readouterr().out
    assert "flagged yes" in out and "looks like these known lures" in out
    listed = out.split("looks like these known lures")[1].split("text (evidence")[0].strip().splitlines()
    assert 1 <= len(listed) - 1 <= 3
    seed_name = os.path.relpath(config.training.seed_dir, config.path.parent)
    assert listed[1].startswith(f"  - 1.00 seed lure {seed_name}/seed.csv row {row['id']} ({row['provenance']})")
