"""The model registry from the command line: list versions, make one current, roll back.

Every change of the current model (``train --promote``, ``models promote``, ``models
rollback``) loads the version first, so a modified artefact is refused, and then
rescores every undecided ad with it; decisions are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from classifier import registry
from classifier.card import headline
from config import Config
from stages.common import database, missing_database, utcnow
from store.training import note_crossings, undecided_flags

log = logging.getLogger(__name__)


@dataclass
class RescoreCounts:
    """What rescoring the queue after a promotion did."""

    scored: int = 0
    entered: int = 0
    left: int = 0
    model: str = ""
    skipped_reason: str | None = None


@dataclass(frozen=True)
class Promotion:
    """A version made current, and what rescoring the queue with it did."""

    version: str
    rescore: RescoreCounts


def make_current(config: Config, version: str, reason: str) -> None:
    """Point CURRENT at a version after loading it (hash and library checks): a tampered
    or unloadable artefact never becomes current."""
    registry.load_model(config.models.dir, version)
    registry.set_current(config.models.dir, version, reason)


def rescore_queue(config: Config, factory: sessionmaker[Session], *, progress: bool | None = None) -> RescoreCounts:
    """Rescore every undecided ad with the (new) current model; decisions stay untouched.

    Returns how many undecided items entered the flagged queue and how many left it
    (those stay pending at their lower score, with an audit event; see store.training).
    """
    if config.scoring.model != "current":
        return RescoreCounts(
            skipped_reason=f"scoring.model pins {config.scoring.model}: the promoted model does not score the queue"
        )
    with factory() as session:
        before = undecided_flags(session)
    from stages.score import score_ads  # only promotions score: `models list` loads no model stack

    result = score_ads(config, factory, rescore=True, progress=progress)
    version = result.counts["model"]
    with factory.begin() as session:
        after = undecided_flags(session, version)
        entered, left = note_crossings(session, before, after, version, utcnow())
    log.info(
        "rescored %d ad(s) with %s: %d newly flagged, %d no longer flagged (kept pending at lower priority)",
        result.counts["scored"],
        version,
        entered,
        left,
    )
    return RescoreCounts(int(result.counts["scored"]), entered, left, version)


def promote(config: Config, version: str, reason: str = "models promote") -> Promotion:
    """Make ``version`` current, then rescore every undecided ad with it."""
    make_current(config, version, reason)
    if missing_database(config):  # nothing to rescore yet; promoting must not create a database
        return Promotion(version, RescoreCounts(skipped_reason=f"no database at {config.database.url}"))
    with database(config, create=False) as factory:
        return Promotion(version, rescore_queue(config, factory))


def rollback(config: Config) -> Promotion:
    """Make the version that was current before the current one current again (HISTORY)."""
    return promote(config, registry.rollback_target(config.models.dir), "models rollback")


def convert(config: Config, versions: list[str]) -> list[tuple[str, int]]:
    """`models convert`: versions saved as pickles, saved again as skops without retraining.

    Every version still a pickle when none is named. Each conversion must give identical
    probabilities on the seed ads (classifier.registry.convert_to_skops); (version, ads checked).
    """
    root = config.models.dir
    targets = versions or [v for v in registry.list_versions(root) if (root / v / registry.PICKLE).is_file()]
    if not targets:
        return []
    from classifier import datasets

    probe = datasets.load_seed(config.training.seed_dir)
    return [(v, registry.convert_to_skops(root, v, probe)) for v in targets]


def format_conversions(done: list[tuple[str, int]]) -> str:
    """One line per converted version."""
    if not done:
        return "nothing to convert: every model is a skops artefact"
    return "\n".join(f"{v}: converted to {registry.ARTEFACT}, identical probabilities on {n} seed ads" for v, n in done)


def format_promotion(promotion: Promotion) -> str:
    """What `models promote`, `models rollback` and `train --promote` print after promoting."""
    counts = promotion.rescore
    rescored = (
        f"queue not rescored: {counts.skipped_reason}"
        if counts.skipped_reason
        else f"rescored {counts.scored} undecided ad(s) with {counts.model}: {counts.entered} newly flagged "
        f"(in the queue), {counts.left} no longer flagged (kept pending, below every flagged item)"
    )
    return f"current model: {promotion.version}\n{rescored}"


@dataclass(frozen=True)
class ModelList:
    """Every saved version, oldest first, with its card (or why it cannot be read)."""

    models_dir: Path
    current: str | None
    cards: list[tuple[str, dict | str]]  # (version, card, or the error reading it)


def list_models(config: Config) -> ModelList:
    """The registry's versions and the current one."""
    root = config.models.dir
    try:
        current = registry.current_version(root)
    except registry.ModelError:
        current = None
    cards: list[tuple[str, dict | str]] = []
    for v in registry.list_versions(root):
        try:
            cards.append((v, registry.read_card(root, v)))
        except registry.ModelError as exc:
            cards.append((v, str(exc)))
    return ModelList(root, current, cards)


def format_models(listing: ModelList) -> str:
    """`models list`: one line per version, newest last; `*` marks the current one.

    Held-out figures for models compared on rows they never saw; grouped-CV figures
    (marked cv) for models fitted on every row.
    """
    if not listing.cards:
        return f"no models in {listing.models_dir}"

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    lines = [
        f"  {'VERSION':<20} {'CREATED':<25} {'ROWS':>6} {'DECIDED':>7} {'THRESH':>6} {'R@FPR':>6} {'PR-AUC':>6} EVAL"
    ]
    for v, card in listing.cards:
        mark = "*" if v == listing.current else " "
        if isinstance(card, str):
            lines.append(f"{mark} {v:<20} unreadable card: {card}")
            continue
        r_fpr, pr_auc, kind = headline(card)
        training = card.get("training") or {}
        rows, decided = training.get("rows"), training.get("decisions")
        lines.append(
            f"{mark} {v:<20} {str(card.get('created', '-')):<25} "
            f"{'-' if rows is None else int(rows):>6} {'-' if decided is None else int(decided):>7} "
            f"{fmt(card.get('threshold')):>6} {fmt(r_fpr):>6} {fmt(pr_auc):>6} {kind}"
        )
    return "\n".join(lines)
