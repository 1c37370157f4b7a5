"""Loaders for data folders like ../shared/data (the real one only when present; the full evaluation is a benchmark)."""

from __future__ import annotations

import pytest

from classifier.datasets import load_shared

from .conftest import SHARED_DATA


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data not present")
def test_shared_loaders_group_and_label() -> None:
    df = load_shared(SHARED_DATA)
    assert {"quoted", "quoted_extra", "quoted_r3", "cambodia_jobboards"} <= set(df["subset"])
    quoted = df["subset"].isin(["quoted", "quoted_extra", "quoted_r3"])
    assert set(df.loc[~quoted, "label"]) == {0}
    assert df.loc[quoted, "group"].str.startswith("quoted:").all()
    assert (df["description"].str.len() > 0).mean() > 0.95


def test_absent_shared_dir_is_empty(tmp_path) -> None:
    assert load_shared(tmp_path / "nope").empty


def test_quoted_extra_keeps_compound_lures_and_legit_ads_only(tmp_path) -> None:
    (tmp_path / "quoted_dev_extra.csv").write_text(
        "id,text,language,label,fidelity,source_group,source,notes,subtype\n"
        "a,월 1000만원 보장 캄보디아 상담원,ko,1,Q,art-1,s,n,\n"
        "b,통장 빌려주면 월 300,ko,1,Q,art-2,s,n,mule-account\n"
        "c,Registered nurse wanted,en,0,Q,art-3,s,n,\n",
        encoding="utf-8",
    )
    df = load_shared(tmp_path)
    assert sorted(df["description"]) == ["Registered nurse wanted", "월 1000만원 보장 캄보디아 상담원"]
    assert set(df["subset"]) == {"quoted_extra"} and set(df["group"]) == {"quoted:art-1", "quoted:art-3"}


def test_adjacent_fraud_is_reported_apart_never_trained_on(tmp_path) -> None:
    (tmp_path / "quoted_dev_r3.csv").write_text(
        "id,text,language,label,fidelity,source_group,source,notes,subtype\n"
        "a,高收入 柬埔寨 客服 飞机联系,zh,1,Q,art-1,s,n,\n"
        "b,Pay a deposit for your uniform first,en,1,P,art-2,s,n,adjacent fraud\n",
        encoding="utf-8",
    )
    from classifier.datasets import load_adjacent

    assert list(load_shared(tmp_path)["description"]) == ["高收入 柬埔寨 客服 飞机联系"]
    adjacent = load_adjacent(tmp_path)
    assert list(adjacent["description"]) == ["Pay a deposit for your uniform first"]
    assert set(adjacent["subset"]) == {"adjacent"}
