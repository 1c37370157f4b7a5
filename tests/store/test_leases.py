"""Claiming one item: renewals, refusals, expiry, a lead's release, and two claimers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from store.db import open_database
from store.errors import LeaseHeldError, ReviewError
from store.leases import NoLeaseError, claim_item, release_any, require_own_lease
from store.queue import decide, get_item, item_events
from tests.store.queue_fixtures import T0, later, make_ad, score


@pytest.fixture
def queue(db_url):
    engine, factory = open_database(db_url)
    with factory.begin() as s:
        for n in range(3):
            score(s, make_ad(s, n), 0.8 - n / 10)
    yield factory
    engine.dispose()


def test_claim_renew_refuse_and_expire(queue):
    with queue.begin() as s:
        item = claim_item(s, 1, "ann", T0)
        assert (item.status, item.assignee, item.lease_expires_at) == ("in_review", "ann", T0 + timedelta(minutes=30))
        claim_item(s, 1, "ann", later(10))
        assert get_item(s, 1).lease_expires_at == later(40)
        with pytest.raises(LeaseHeldError, match="claimed by ann until"):
            claim_item(s, 1, "bob", later(20))
        assert claim_item(s, 1, "bob", later(41)).assignee == "bob"  # ann's lease ran out
        notes = [e.note for e in item_events(s, 1)]
    assert notes[1].startswith("claimed until") and notes[2].startswith("renewed: claimed until")
    assert notes[3] == "lease expired" and notes[4].startswith("claimed until")


def test_a_decided_item_cannot_be_claimed(queue):
    with queue.begin() as s:
        claim_item(s, 1, "ann", T0)
        decide(s, 1, "scam", "ann", T0)
        with pytest.raises(ReviewError, match="already decided"):
            claim_item(s, 1, "ann", T0)


def test_deciding_needs_ones_own_unexpired_claim(queue):
    with queue.begin() as s:
        with pytest.raises(NoLeaseError, match="claim it first"):
            require_own_lease(get_item(s, 1), "ann", T0)
        claim_item(s, 1, "bob", T0)
        with pytest.raises(LeaseHeldError, match="claimed by bob"):
            require_own_lease(get_item(s, 1), "ann", T0)
        require_own_lease(get_item(s, 1), "bob", T0)
        with pytest.raises(NoLeaseError):
            require_own_lease(get_item(s, 1), "bob", later(31))


def test_a_lead_releases_anyones_claim_and_the_audit_names_both(queue):
    with queue.begin() as s:
        claim_item(s, 2, "bob", T0)
        assert release_any(s, 2, "lea", later(1)).status == "pending"
        assert item_events(s, 2)[-1].note == "released by lead lea (was claimed by bob)"
        with pytest.raises(ReviewError, match="not claimed"):
            release_any(s, 2, "lea", later(2))


def test_two_analysts_claiming_the_same_item_at_once_one_wins(queue):
    barrier, outcomes = threading.Barrier(2), {}

    def attempt(name: str) -> None:
        barrier.wait()
        try:
            with queue.begin() as s:
                claim_item(s, 3, name, T0)
            outcomes[name] = "won"
        except LeaseHeldError:
            outcomes[name] = "refused"

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["refused", "won"]
    with queue() as s:
        assert get_item(s, 3).assignee == next(n for n, o in outcomes.items() if o == "won")
