"""Classify, explain and evaluate: the model on ads from files or the command line, no database.

Like every stage, each function takes the Config: the model is ``scoring.model`` (or an
explicit version for evaluate), in ``models.dir``, at its card's threshold unless
``scoring.threshold`` overrides it.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from classifier import adfiles, registry
from classifier.card import threshold_for
from classifier.errors import ClassifierError
from classifier.extract import ad_text, coerce_ads
from classifier.neighbours import model_index, nearest
from classifier.scoring import mark_evidence, score_frame
from config import Config
from core.files import atomic_write, atomic_write_text
from core.reasons import neighbour_text, reason_text, reasons_text
from core.textfile import TextDecodeError, decode_bytes

log = logging.getLogger(__name__)


def _load(config: Config, model: str | None = None) -> tuple[Any, dict, float]:
    pipeline, card = registry.load_model(config.models.dir, model or config.scoring.model)
    return pipeline, card, threshold_for(card, config.scoring.threshold)


NO_TEXT = "no text: title, description and text are all empty"


def _check_out(in_path: Path, out_path: Path) -> None:
    """Refuse an output path that would overwrite the input, or that is a folder."""
    if out_path.exists() and (out_path.is_dir() or in_path.exists() and out_path.samefile(in_path)):
        what = "is a folder" if out_path.is_dir() else "is the input file"
        raise ClassifierError(f"--out {out_path} {what}; write the scored rows to another file")
    adfiles.file_format(out_path)


def _scored_chunk(chunk: pd.DataFrame, scored: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The chunk's columns, then score, band, flagged, reasons and error (rows without text get
    no score, only the error)."""
    out = chunk.copy()
    empty = adfiles.textless(chunk)
    out["score"], out["band"], out["flagged"] = scored["score"], scored["band"], scored["flagged"]
    out["reasons"] = scored["reasons"] if fmt == "jsonl" else scored["reasons"].map(reasons_text)
    if empty.any():
        out = out.astype({"score": object, "flagged": object})
        out.loc[empty, ["score", "band", "flagged", "reasons"]] = None
    out["error"] = empty.map({True: NO_TEXT, False: ""})
    return out


def classify(
    config: Config,
    in_path: Path,
    out_path: Path | None = None,
    *,
    n_jobs: int = 1,
    stdout: IO[str] | None = None,
    chunksize: int = adfiles.DEFAULT_CHUNK,
    encoding: str | None = None,
) -> dict:
    """Score a CSV/JSONL of ads chunk by chunk; rows out as in, plus score, band, flagged, reasons, error.

    Output format follows out_path's extension, else the input's; no out_path -> stdout.
    A CSV file written for people is UTF-8 with a byte-order mark (Excel then reads Korean
    as Korean); stdout gets none, since it feeds other programs. Rows without any text are
    not scored: their ``error`` column says so. n_jobs > 1 scores chunks in parallel
    worker processes (joblib), output order kept.
    """
    if out_path is not None:
        _check_out(Path(in_path), Path(out_path))
    if n_jobs > 1:
        # The workers load (and check) the model; this process only reads and writes, so it
        # needs the card, not seconds of loading a model it would never use.
        pipeline, card = None, registry.model_card(config.models.dir, config.scoring.model, verify=True)
        thr = threshold_for(card, config.scoring.threshold)
    else:
        pipeline, card, thr = _load(config)
    fmt = adfiles.file_format(out_path) if out_path else adfiles.file_format(in_path)
    counts = {"rows": 0, "flagged": 0, "no_text": 0, "model": card["version"], "threshold": thr, "out": out_path}
    models_dir = config.models.dir

    def write(fh: IO[str]) -> None:
        chunks = adfiles.read_ads(in_path, chunksize, encoding)
        for i, (chunk, scored) in enumerate(score_chunks(pipeline, chunks, thr, n_jobs, models_dir, card["version"])):
            out = _scored_chunk(chunk, scored, fmt)
            adfiles.write_chunk(out, fh, fmt, header=(i == 0))
            counts["rows"] += len(out)
            counts["flagged"] += int((out["flagged"] == True).sum())  # noqa: E712 - None for rows without text
            counts["no_text"] += int((out["error"] != "").sum())

    if out_path is None:
        write(stdout or sys.stdout)
    else:
        # utf-8-sig: the byte-order mark Excel needs; JSON Lines are for programs, no mark.
        encoding_out = "utf-8-sig" if fmt == "csv" else "utf-8"
        atomic_write(Path(out_path), write, newline="", encoding=encoding_out)  # never half-written
    log.info("classified %d ads, %d flagged (model %s)", counts["rows"], counts["flagged"], card["version"])
    if counts["no_text"]:
        log.warning("%d row(s) have no text and were not scored (see their error column)", counts["no_text"])
    return counts


def format_classify(counts: dict) -> str:
    """One line after `classify --out`; nothing when the rows themselves went to stdout."""
    if counts["out"] is None:
        return ""
    skipped = f", {counts['no_text']} without text not scored" if counts.get("no_text") else ""
    return (
        f"{counts['rows'] - counts.get('no_text', 0)} ads scored, {counts['flagged']} flagged{skipped} "
        f"(model {counts['model']}, "
        f"threshold {counts['threshold']:.3f}) -> {counts['out']}"
    )


@functools.lru_cache(maxsize=2)
def _worker_model(models_dir: str, version: str):
    """Each worker process loads (and hash-checks) the model once, instead of receiving a
    pickled copy with every chunk (that made two processes slower than one)."""
    return registry.load_model(Path(models_dir), version)[0]


def _score_job(models_dir: str, version: str, chunk: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return score_frame(_worker_model(models_dir, version), chunk, threshold)


def score_chunks(
    pipeline, chunks, threshold: float, n_jobs: int = 1, models_dir: Path | None = None, version: str | None = None
):
    """(chunk, scores) pairs in input order; parallel across processes when n_jobs > 1.

    Workers load the model from models_dir/version; joblib dispatches at most 2 * n_jobs
    chunks ahead, so memory stays bounded.
    """
    if n_jobs == 1 or models_dir is None or version is None:
        for chunk in chunks:
            yield chunk, score_frame(pipeline, chunk, threshold)
        return
    from joblib import Parallel, delayed

    # Each chunk is kept here until its scores come back (in order), so only the scores
    # travel back from the workers, not the chunk a second time.
    sent: deque[pd.DataFrame] = deque()

    def jobs():
        for chunk in chunks:
            sent.append(chunk)
            yield delayed(_score_job)(str(models_dir), version, chunk, threshold)

    for scored in Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs")(jobs()):
        yield sent.popleft(), scored


@dataclass(frozen=True)
class Explanation:
    """One ad scored: its score, band and reasons, and its text with the evidence marked."""

    score: float
    band: str
    flagged: bool
    threshold: float
    model: str
    reasons: list[dict]
    marked_text: str
    # The seed lures of the model most like a flagged ad (none when not flagged, or when the
    # model predates the index); confirmed scams live in the database, which explain never reads.
    neighbours: list[dict] = field(default_factory=list)


# One ad's text: 100,000 characters is already a page dump (the crawler drops longer ones).
MAX_EXPLAIN_BYTES = 1_000_000


def _read_capped(path: Path) -> bytes:
    """At most MAX_EXPLAIN_BYTES of ``path``; ClassifierError past that. /dev/zero has no end:
    reading it whole took 2.6 GB and a traceback (issue 23, probe 14)."""
    with path.open("rb") as fh:
        data = fh.read(MAX_EXPLAIN_BYTES + 1)
    if len(data) > MAX_EXPLAIN_BYTES:
        raise ClassifierError(f"{path}: more than {MAX_EXPLAIN_BYTES:,} bytes; one ad's text is far shorter")
    return data


def explain(config: Config, text: str | None = None, file: Path | None = None) -> Explanation:
    """Score one ad given as text or as a text file, with the reasons behind the score."""
    if file is not None:
        try:
            text, _ = decode_bytes(_read_capped(Path(file)))
        except OSError as exc:
            raise ClassifierError(f"{file}: cannot read: {exc.strerror or exc}") from None
        except TextDecodeError as exc:
            raise ClassifierError(f"{file}: {exc}") from None
    if not (text or "").strip():
        where = f"{file} is empty" if file is not None else "the text is empty"
        raise ClassifierError(f"nothing to explain: {where}; give the ad's text")
    pipeline, card, thr = _load(config)
    ad = pd.DataFrame([{"description": text or ""}])
    row = score_frame(pipeline, ad, thr).iloc[0]
    text = ad_text(coerce_ads(ad).iloc[0])
    marked = mark_evidence(text, row["reasons"])
    near = nearest(pipeline, [text], [model_index(pipeline)])[0] if row["flagged"] else []
    return Explanation(
        float(row["score"]),
        str(row["band"]),
        bool(row["flagged"]),
        thr,
        card["version"],
        list(row["reasons"]),
        marked,
        near,
    )


def format_explanation(e: Explanation) -> str:
    """Score, band, threshold, reasons, and the text with the evidence in [[ ]]."""
    lines = [
        f"score {e.score:.3f}  band {e.band}  flagged {'yes' if e.flagged else 'no'}  "
        f"(threshold {e.threshold:.3f}, model {e.model})",
        "reasons:",
    ]
    lines += [f"  - {reason_text(r)}" for r in e.reasons] or ["  (none)"]
    if e.neighbours:
        lines += ["looks like these known lures (similarity, source, text):"]
        lines += [f"  - {neighbour_text(n)}" for n in e.neighbours]
    lines += ["text (evidence in [[ ]]):", "  " + e.marked_text]
    return "\n".join(lines)


def _evaluated(pipeline, path: Path, thr: float, encoding: str | None, chunksize: int):
    """(labels, scores, languages) of a labelled file, scored chunk by chunk: only these three
    columns are kept, so memory grows with the rows' count, not with their text."""
    ys, scores, langs = [], [], []
    for chunk in adfiles.read_ads(path, chunksize, encoding):
        empty = adfiles.textless(chunk)
        if empty.any():
            raise ClassifierError(f"{path}:{chunk.index[empty.to_numpy()][0]}: {NO_TEXT}; remove the row or fill it")
        ys.append(adfiles.labels(chunk, path).to_numpy())
        scores.append(score_frame(pipeline, chunk, thr)["score"].to_numpy(float))
        lang = chunk["language"] if "language" in chunk else pd.Series("", index=chunk.index)
        langs.append(lang.fillna("").astype(str).to_numpy())
    if not ys:
        raise ClassifierError(f"{path}: no rows below the header")
    return np.concatenate(ys), np.concatenate(scores), pd.Series(np.concatenate(langs))


def evaluate(
    config: Config,
    path: Path,
    model: str | None = None,
    out_dir: Path | None = None,
    *,
    encoding: str | None = None,
    chunksize: int = adfiles.DEFAULT_CHUNK,
) -> dict:
    """Metrics on a labelled CSV/JSONL, streamed in chunks; writes <stem>.eval.json and <stem>.pr.png."""
    # Metrics and plotting (scikit-learn's metrics, matplotlib) only for the command that needs them.
    from classifier import evaluation

    pipeline, card, thr = _load(config, model)
    y, scores, langs = _evaluated(pipeline, Path(path), thr, encoding, chunksize)
    rep = evaluation.report(y, scores, thr, langs if (langs != "").any() else None)
    rep.update({"file": str(path), "model": card["version"]})
    out_dir = Path(out_dir) if out_dir else Path.cwd() / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(path).stem
    png, js = out_dir / f"{stem}.pr.png", out_dir / f"{stem}.eval.json"
    if len(set(y.tolist())) == 2:
        o = rep["overall"]
        evaluation.plot_pr(
            evaluation.pr_curve(y, scores), (o["recall"], o["precision"]), png, f"{stem} (model {card['version']})"
        )
        rep["pr_curve_png"] = str(png)
    rep["report_json"] = str(js)
    atomic_write_text(js, json.dumps(rep, indent=2, ensure_ascii=False) + "\n")
    return rep


def format_evaluation(rep: dict) -> str:
    """The overall and per-language figures of an evaluation, and where the report went."""

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    o = rep["overall"]
    lines = [
        f"model {rep['model']}: {o['n']} ads ({o['n_scam']} scam), PR-AUC {fmt(o['pr_auc'])}, "
        f"ROC-AUC {fmt(o['roc_auc'])}, precision {fmt(o['precision'])}, recall {fmt(o['recall'])}, "
        f"F1 {fmt(o['f1'])} at threshold {o['threshold']:.3f}"
    ]
    for lang, m in rep["per_language"].items():
        lines.append(f"  {lang}: n={m['n']} recall {fmt(m['recall'])} FPR {fmt(m['false_positive_rate'])}")
    png = f", PR curve: {rep['pr_curve_png']}" if "pr_curve_png" in rep else ""
    lines.append(f"report: {rep['report_json']}{png}")
    return "\n".join(lines)
