"""Issue 14, must show: `train --promote` on the shipped model, with a few hundred analysts'
decisions added, promotes without --force when the new model is better on rows neither
model saw.

Set-up (synthetic, honest): a lure family the shipped model has never seen (Spanish
recruitment into the compounds, beside real Spanish work abroad reached through the same
messengers; tests/stages/lure_family.py). Analysts decided 300 of these ads, one
campaign per recruiter, through `review decide --campaign`. Training holds out whole
campaigns, so the held-out recruiters are new to the new model as well; the shipped
model was fitted on the seed data and ../shared/data, never on these ads, and its rows
(the seed rows) are left out of the comparison because it was fitted on them.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

import pipeline
from classifier import registry
from config import load_config
from stages.common import database
from store.ads import upsert_ad
from store.queue import decide_campaign
from store.schema import Campaign, CampaignMember
from tests.stages.lure_family import family

SHIPPED = Path(__file__).resolve().parents[2] / "models"
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def shipped_config(write_config, tmp_path):
    models = tmp_path / "models"
    version = registry.current_version(SHIPPED)
    shutil.copytree(SHIPPED / version, models / version)
    registry.set_current(models, version, "copied from the project")
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'p.db'}"},
            "models": {"dir": str(models)},
            "training": {"n_splits": 3},  # seed data only: no ../shared/data in tests
            "logging": {"dir": "logs"},
        }
    )
    return load_config(path), version


def _decide(config, ads: list[dict]) -> int:
    """Store the ads, link each recruiter's ads as one campaign, decide every campaign."""
    with database(config) as factory, factory.begin() as s:
        campaigns: dict[str, int] = {}
        for n, ad in enumerate(ads):
            ad_id = upsert_ad(
                s,
                {"source": "es-board", "external_id": f"es{n}", "url": f"https://empleos.example/{n}",
                 "title": ad["title"], "description": ad["description"], "language": "es"},
                T0,
            )[1]  # fmt: skip
            if ad["campaign"] not in campaigns:
                campaign = Campaign(created_at=T0, updated_at=T0)
                s.add(campaign)
                s.flush()
                campaigns[ad["campaign"]] = campaign.id
            s.add(CampaignMember(ad_id=ad_id, campaign_id=campaigns[ad["campaign"]], reason="template", joined_at=T0))
        s.flush()
        labels = {a["campaign"]: a["label"] for a in ads}
        decided = 0
        for name, campaign_id in campaigns.items():
            verdict = "scam" if labels[name] else "legit"
            counts = decide_campaign(s, campaign_id, verdict, "analyst", T0, note="checked the employer")
            decided += counts["decided"]
        return decided


@pytest.mark.slow
def test_decisions_on_a_new_lure_family_promote_without_force(shipped_config, capsys):
    config, shipped = shipped_config
    assert _decide(config, family(per_class=150, seed=1)) == 300
    assert pipeline.main(["train", "--promote", "--config", str(config.path)]) == 0
    out = capsys.readouterr().out
    new = registry.current_version(config.models.dir)
    assert new != shipped, out
    heldout = registry.read_card(config.models.dir, new)["heldout"]
    compared = heldout["compared"]
    # Only rows neither model saw: no seed row (the shipped model was fitted on all of them).
    assert set(compared["subsets"]) == {"decision:es-board"} and compared["rows"] > 0
    # A card that records the fitted rows' hashes is matched by them; older cards by data source.
    by_hash = bool(registry.read_card(config.models.dir, shipped)["training"].get("fitted_row_keys"))
    assert compared["excluded"] > 0 and ("by the row hashes" if by_hash else "by data source") in compared["how"]
    mine, theirs = compared["new"], heldout["current"]
    assert mine["n_scam"] > 0 and mine["n_legit"] > 0
    assert mine["recall_at_max_fpr"] > theirs["recall_at_max_fpr"] + 0.01, (mine, theirs)
    assert "beats the current model's" in heldout["verdict"]
    assert f"compared on {compared['rows']} of {heldout['rows']} held-out rows" in out
    assert f"left out because the current model {shipped} was fitted on them" in out
    print(
        f"\nfigures: {compared['rows']} rows neither model saw ({mine['n_scam']} scam, {mine['n_legit']} legit; "
        f"{compared['excluded']} seed rows left out): recall at FPR {mine['max_fpr']}: new "
        f"{mine['recall_at_max_fpr']:.3f} vs shipped {theirs['recall_at_max_fpr']:.3f}; PR-AUC new "
        f"{mine['pr_auc']:.3f} vs shipped {theirs['pr_auc']:.3f}; FPR at own threshold new "
        f"{mine['false_positive_rate']:.3f} vs shipped {theirs['false_positive_rate']:.3f}"
    )
