"""Scoring in several processes (stages.parallel, store.claims) on real PostgreSQL, and SQLite's refusal."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_config
from stages.common import database
from stages.score import score_ads
from store.ads import upsert_ad
from store.claims import claim_ads
from store.errors import StoreError
from store.schema import CampaignMember, ReviewEvent, ReviewItem, Score
from store.scores import ScoreRow, record_scores
from tests.pgtemp import temporary_database

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
LURE = "캄보디아 채팅 상담원 모집 {i}번. 경험 무관, 월 1000만원 보장, 항공권 숙소 제공. 텔레그램 @kh_{k}"
LEGIT = "(주)한빛 {i}번 백엔드 개발자 채용. Python 경력 3년, 4대보험, 서울 근무. careers{i}@hanbit.example"


def _fill(factory, n: int) -> None:
    """n ads: one in five a lure (contacts shared by groups of them, so campaigns form)."""
    with factory.begin() as s:
        for i in range(n):
            lure = i % 5 == 0
            upsert_ad(
                s,
                {
                    "source": "t",
                    "external_id": str(i),
                    "title": f"ad {i}",
                    "description": (LURE if lure else LEGIT).format(i=i, k=i % 7),
                    "contacts": {"telegram": [f"@kh_{i % 7}"]} if lure else {},
                },
                T0,
            )


def _outcome(factory) -> tuple[dict, dict, dict, int]:
    """(scores by ad, queue by ad, campaign of each ad as a partition, events) of a database."""
    with factory() as s:
        scores = {
            a: (round(v, 9), b, f)
            for a, v, b, f in s.execute(select(Score.ad_id, Score.score, Score.band, Score.flagged))
        }
        queue = {
            a: (st, round(p, 9))
            for a, st, p in s.execute(select(ReviewItem.ad_id, ReviewItem.status, ReviewItem.priority))
        }
        groups: dict[int, set[int]] = {}
        for ad, campaign in s.execute(select(CampaignMember.ad_id, CampaignMember.campaign_id)):
            groups.setdefault(campaign, set()).add(ad)
        partition = {ad: min(members) for members in groups.values() for ad in members}  # ids differ, groups not
        events = len(s.scalars(select(ReviewEvent.id)).all())
    return scores, queue, partition, events


def _config(write_config, url: str, name: str, batch: int = 20):
    return write_config(
        {"database": {"url": url}, "scoring": {"batch_size": batch}, "logging": {"dir": f"logs-{name}"}}, f"{name}.yaml"
    )


def test_sqlite_refuses_several_workers_in_one_line(write_config):
    path = _config(write_config, "sqlite:///t.db", "lite")
    with database(load_config(path)) as factory:
        with pytest.raises(StoreError, match="need PostgreSQL"):
            score_ads(load_config(path), factory, workers=2)
    command = [sys.executable, str(ROOT / "pipeline.py"), "score", "--rescore", "--workers", "2", "--config", str(path)]
    done = subprocess.run(command, cwd=path.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: 2 scoring workers need PostgreSQL: SQLite takes one writer at a time, use --workers 1"
    ]


@pytest.mark.postgres
def test_claims_never_overlap_and_skip_what_is_scored(fresh_postgres_url, write_config):
    config = load_config(_config(write_config, fresh_postgres_url, "claims"))
    with database(config) as factory:
        _fill(factory, 30)
        with factory() as first, factory() as second:
            mine = [a["ad_id"] for a in claim_ads(first, "v1", False, 10)]
            theirs = [a["ad_id"] for a in claim_ads(second, "v1", False, 10)]
            assert len(mine) == len(theirs) == 10 and not set(mine) & set(theirs)
            rows = [ScoreRow(a, 0.1, "low", False) for a in mine]
            record_scores(first, "v1", rows, T0, link_campaigns=False)
            first.commit()  # scored and released: no one claims them again
            second.rollback()  # released unscored: claimable again
            again = [a["ad_id"] for a in claim_ads(second, "v1", False, 100)]
            assert len(again) == 20 and not set(again) & set(mine)
            second.rollback()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_rescoring_processes_share_the_work_and_match_one_worker(postgres_admin_url, write_config):
    n = 600
    with (
        temporary_database(postgres_admin_url, "lurewatch_t") as single_url,
        temporary_database(postgres_admin_url, "lurewatch_t") as shared_url,
    ):
        single = load_config(_config(write_config, single_url, "single"))
        with database(single) as factory:
            _fill(factory, n)
            assert score_ads(single, factory, rescore=True, workers=1).counts["scored"] == n
            expected = _outcome(factory)
        path = _config(write_config, shared_url, "shared")
        with database(load_config(path)) as factory:
            _fill(factory, n)
        command = [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "score",
            "--rescore",
            "--workers",
            "2",
            "--config",
            str(path),
        ]
        runs = [
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=240) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
        scored = [int(out.split("scored ")[1].split(" ")[0]) for out, _ in outputs]
        assert sum(scored) == n  # each ad scored by exactly one of the four workers
        with database(load_config(path)) as factory:
            got = _outcome(factory)
        assert len(got[0]) == n and got[0] == expected[0]
        assert got[1] == expected[1] and any(status == "pending" for status, _ in got[1].values())
        assert got[2] == expected[2] and got[2]  # the same campaigns, linked once
        assert got[3] == expected[3] == len(expected[1])  # one queue event per item, none twice
