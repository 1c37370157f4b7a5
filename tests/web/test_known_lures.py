"""Nearest known lures on every read surface: the desk's ad page, the JSONL export, `review show`.

Scored for real (the tiny model with a seed index, stages.score), so what is read is what the
score stage stored: the seed lures of the model and an ad decided scam before.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

import pipeline
from config import load_config
from stages.score import score_ads
from store.ads import upsert_ad
from store.queue import claim, decide
from store.schema import ReviewItem
from tests.web.conftest import NOW

CONFIRMED = {
    "source": "board",
    "external_id": "x1",
    "title": "<i>KK Park</i> data entry",
    "description": "KK Park data entry job, free flight, whatsapp only, urgent hiring",
}
NEW = {
    "source": "feed",
    "external_id": "y1",
    "title": "",
    "description": "KK Park data entry job, free flight, whatsapp only, urgent hiring today",
}


@pytest.fixture
def desk_config(write_config, lure_models_dir):
    return write_config(
        {
            "database": {"url": "sqlite:///data/desk.db"},
            "models": {"dir": str(lure_models_dir)},
            "scoring": {"threshold": 0.05},  # every test ad is flagged
            "export": {"dir": "exports"},
            "logging": {"dir": "logs"},
        }
    )


@pytest.fixture
def scored(desk, desk_config):
    """Ad x1 scored and decided scam by ann; then ad y1, like it, scored. (desk, x1 id, y1's item)."""
    config = load_config(desk_config)
    with desk.factory.begin() as s:
        x = upsert_ad(s, CONFIRMED, NOW)[1]
    score_ads(config, desk.factory, progress=False)
    with desk.factory.begin() as s:
        claim(s, "ann", 1, NOW)
        item = s.scalar(select(ReviewItem.id).where(ReviewItem.ad_id == x))
        decide(s, item, "scam", "ann", NOW + timedelta(hours=1))
        upsert_ad(s, NEW, NOW + timedelta(hours=2))
    score_ads(config, desk.factory, progress=False)
    with desk.factory() as s:
        y_item = s.scalar(select(ReviewItem.id).where(ReviewItem.ad_id != x))
    return desk, x, y_item


def test_the_ad_page_shows_the_known_lures_it_looks_like_escaped(scored):
    desk, x, y_item = scored
    desk.user("ann")
    html = desk.login("ann").get(f"/items/{y_item}").text
    assert "Looks like these known lures" in html
    section = html[html.index('id="known-lures"') :]
    section = section[: section.index("</section>")]
    # The confirmed scam, linked to its own page, with its decision date...
    assert section.count('data-neighbour="confirmed"') == 1
    assert f'<a href="/ads/{x}">ad {x}</a>' in section and "decided scam 2026-11-25" in section
    # ...then the seed lure of the model, by file and row id; scraped text only ever as text.
    assert "<code>data/seed/seed.csv</code> row <code>s-3</code>" in section
    assert "&lt;i&gt;KK Park&lt;/i&gt;" in section and "<i>KK Park" not in section
    assert "&lt;b&gt;now&lt;/b&gt;" in section and "<b>now" not in section


def test_the_jsonl_export_and_review_show_carry_the_stored_neighbours(scored, desk_config, tmp_path, capsys):
    desk, x, y_item = scored
    out = tmp_path / "q.jsonl"
    args = ["--config", str(desk_config)]
    env_db = f"sqlite:///{tmp_path / 'desk.db'}"  # the desk's database, where scored stored them
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LUREWATCH_DATABASE_URL", env_db)
        assert pipeline.main(["export", "--format", "jsonl", "--status", "all", "--out", str(out), *args]) == 0
        capsys.readouterr()
        assert pipeline.main(["review", "show", str(y_item), *args]) == 0
    rows = {r["review_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    near = rows[y_item]["neighbours"]
    assert {(n["kind"], n["ref"]) for n in near[:2]} == {("confirmed", str(x)), ("seed", "s-3")}
    assert [n["similarity"] for n in near] == sorted((n["similarity"] for n in near), reverse=True)
    assert 0.5 < near[1]["similarity"] <= near[0]["similarity"] <= 1.0
    seed = next(n for n in near if n["kind"] == "seed")
    assert seed["source"] == "data/seed/seed.csv" and seed["detail"] == "hand-written"
    shown = capsys.readouterr().out
    assert "looks like these known lures" in shown
    assert f"confirmed scam: ad {x} “<i>KK Park</i> data entry”, decided scam 2026-11-25" in shown
    assert "seed lure data/seed/seed.csv row s-3 (hand-written)" in shown
