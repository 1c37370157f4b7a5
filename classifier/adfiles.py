"""Reading and writing ad files (CSV or JSON Lines) in chunks, with errors naming file and line."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import IO, Iterator

import pandas as pd

from classifier.errors import AdFileError

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 2_000
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}
TEXT_COLUMNS = {"title", "description", "text"}


def file_format(path: Path | str) -> str:
    """'csv' or 'jsonl' from the extension; AdFileError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise AdFileError(f"{path}: unknown ad file type {suffix or '(none)'!r}; use .csv or .jsonl")


def _check_columns(path: Path, columns: list[str], where: str) -> None:
    if not TEXT_COLUMNS & set(columns):
        raise AdFileError(f"{path}:{where}: no text column; expected one of title, description, text")


def _read_csv(path: Path, chunksize: int) -> Iterator[pd.DataFrame]:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunksize, sep=sep, encoding="utf-8")
        first = True
        for chunk in reader:
            if first:
                _check_columns(path, list(chunk.columns), "1")
                first = False
            yield chunk
    except pd.errors.EmptyDataError:
        raise AdFileError(f"{path}:1: empty file") from None
    except pd.errors.ParserError as exc:
        msg = " ".join(str(exc).split())
        line = msg.split(" line ")[1].split(",")[0] if " line " in msg else "?"
        raise AdFileError(f"{path}:{line}: malformed CSV: {msg}") from None
    except UnicodeDecodeError as exc:
        raise AdFileError(f"{path}: not UTF-8 text (byte {exc.start}): re-save as UTF-8") from None


def _read_jsonl(path: Path, chunksize: int) -> Iterator[pd.DataFrame]:
    rows: list[dict] = []
    seen_text = False
    try:
        with path.open("r", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise AdFileError(f"{path}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
                if not isinstance(obj, dict):
                    raise AdFileError(f"{path}:{lineno}: expected a JSON object per line, got {type(obj).__name__}")
                if not seen_text:
                    _check_columns(path, list(obj), str(lineno))
                    seen_text = True
                rows.append(obj)
                if len(rows) >= chunksize:
                    yield pd.DataFrame(rows)
                    rows = []
    except UnicodeDecodeError as exc:
        raise AdFileError(f"{path}: not UTF-8 text (byte {exc.start}): re-save as UTF-8") from None
    if rows:
        yield pd.DataFrame(rows)


def read_ads(path: Path | str, chunksize: int = DEFAULT_CHUNK) -> Iterator[pd.DataFrame]:
    """Ad rows in chunks (memory stays flat); every column passes through as read."""
    p = Path(path)
    fmt = file_format(p)
    if not p.is_file():
        raise AdFileError(f"{p}: no such file")
    yield from (_read_csv(p, chunksize) if fmt == "csv" else _read_jsonl(p, chunksize))


def read_all(path: Path | str) -> pd.DataFrame:
    """The whole file in one frame (for labelled files of modest size)."""
    chunks = list(read_ads(path))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def labels(df: pd.DataFrame, path: Path | str) -> pd.Series:
    """The `label` column as 0/1 ints; AdFileError naming the first bad row."""
    if "label" not in df.columns:
        raise AdFileError(f"{path}: no 'label' column (1 scam, 0 legit)")
    mapped = df["label"].map(
        lambda v: {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}.get(str(v).strip().lower())
    )
    bad = mapped.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise AdFileError(f"{path}: row {i + 1}: label {df['label'].iloc[i]!r} is not 0 or 1")
    return mapped.astype(int)


def _cell(v):
    if isinstance(v, float) and v != v:
        return None
    return v.item() if hasattr(v, "item") else v


def write_chunk(df: pd.DataFrame, fh: IO[str], fmt: str, header: bool) -> None:
    """Append one chunk to an open text stream; `reasons` must already be in output form."""
    if fmt == "jsonl":
        for rec in df.to_dict("records"):
            fh.write(json.dumps({k: _cell(v) for k, v in rec.items()}, ensure_ascii=False) + "\n")
    else:
        buf = io.StringIO()
        df.to_csv(buf, index=False, header=header, quoting=csv.QUOTE_MINIMAL)
        fh.write(buf.getvalue())
