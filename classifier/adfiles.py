"""Reading and writing ad files (CSV or JSON Lines) in chunks, with errors naming file and line.

Files are decoded strictly (core.textfile): UTF-8, or one declared or detected encoding
for the whole file. Every frame read is indexed by the line each row starts on, so a
later check (a missing text, a bad label) can name the line too. A dict or list value
in a JSON Lines file is kept as JSON, never as Python's repr.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from classifier.errors import AdFileError
from core.cleantext import strip_controls
from core.spreadsheet import neutralise
from core.textfile import CsvRecordError, TextDecodeError, csv_records, open_text

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 2_000
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}
TEXT_COLUMNS = {"title", "description", "text"}
# A cell over a million characters is not an ad: a broken quote swallowed the rest of the file.
MAX_CELL_CHARS = 1_000_000
STRUCTURED = ("contacts",)  # columns whose dicts and lists the classifier reads as such
# The ad's own text, cleaned like the crawler cleans it (core.cleantext): controls and
# direction overrides out. Other columns pass through untouched.
CLEANED_COLUMNS = TEXT_COLUMNS | {"company", "location", "salary"}
# A JSON number longer than this is no value of an ad (Python refuses integers of over
# 4,300 digits with a ValueError, which was exit 3 with a traceback: issue 23, probe 14).
MAX_NUMBER_CHARS = 40


def file_format(path: Path | str) -> str:
    """'csv' or 'jsonl' from the extension; AdFileError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise AdFileError(f"{path}: unknown ad file type {suffix or '(none)'!r}; use .csv or .jsonl")


def _check_columns(path: Path, columns: list[str], line: int) -> None:
    if not TEXT_COLUMNS & set(columns):
        raise AdFileError(f"{path}:{line}: no text column; expected one of title, description, text")


def _read_csv(path: Path, chunksize: int, encoding: str | None) -> Iterator[pd.DataFrame]:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    stream, _ = open_text(path, encoding)
    with stream:
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        for start, row in csv_records(stream, sep):
            if header is None:
                header = [h.strip() for h in row]
                _check_columns(path, header, start)
                continue
            if not any(v.strip() for v in row):
                continue
            if len(row) > len(header):
                raise AdFileError(
                    f"{path}:{start}: malformed CSV: {len(row)} cells, but the header has {len(header)} columns"
                )
            rows.append([strip_controls(v) if c in CLEANED_COLUMNS else v for c, v in zip(header, row)])
            rows[-1] += [""] * (len(header) - len(row))
            lines.append(start)
            if len(rows) >= chunksize:
                yield pd.DataFrame(rows, columns=header, index=lines, dtype=str)
                rows, lines = [], []
        if header is None:
            raise AdFileError(f"{path}:1: empty file")
        if rows:
            yield pd.DataFrame(rows, columns=header, index=lines, dtype=str)


def _flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """Dicts and lists as JSON text, except where the classifier reads the structure; the ad's
    text cleaned."""
    return {
        k: json.dumps(v, ensure_ascii=False)
        if isinstance(v, (dict, list)) and k not in STRUCTURED
        else strip_controls(v)
        if isinstance(v, str) and k in CLEANED_COLUMNS
        else v
        for k, v in obj.items()
    }


class _NumberTooLong(ValueError):
    """A JSON number of more than MAX_NUMBER_CHARS characters."""


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise _NumberTooLong(f"a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS})")
        value = kind(text)
        return None if isinstance(value, float) and not math.isfinite(value) else value  # 1e999 is inf

    return parse


def _not_a_number(name: str) -> None:
    """NaN, Infinity and -Infinity are not JSON: read as null, so they never reach the output."""
    return None


def parse_json_line(line: str) -> Any:
    """One JSON value, with numbers capped (MAX_NUMBER_CHARS) and NaN/Infinity read as null."""
    return json.loads(line, parse_int=_number(int), parse_float=_number(float), parse_constant=_not_a_number)


def _read_jsonl(path: Path, chunksize: int, encoding: str | None) -> Iterator[pd.DataFrame]:
    rows: list[dict] = []
    lines: list[int] = []
    seen_text = False
    stream, _ = open_text(path, encoding)
    with stream:
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = parse_json_line(line)
            except json.JSONDecodeError as exc:
                raise AdFileError(f"{path}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
            except _NumberTooLong as exc:
                raise AdFileError(f"{path}:{lineno}: invalid JSON: {exc}") from None
            except RecursionError:
                raise AdFileError(f"{path}:{lineno}: invalid JSON: nested too deeply") from None
            if not isinstance(obj, dict):
                raise AdFileError(f"{path}:{lineno}: expected a JSON object per line, got {type(obj).__name__}")
            if not seen_text:
                _check_columns(path, list(obj), lineno)
                seen_text = True
            rows.append(_flatten(obj))
            lines.append(lineno)
            if len(rows) >= chunksize:
                yield pd.DataFrame(rows, index=lines)
                rows, lines = [], []
    if rows:
        yield pd.DataFrame(rows, index=lines)


def read_ads(path: Path | str, chunksize: int = DEFAULT_CHUNK, encoding: str | None = None) -> Iterator[pd.DataFrame]:
    """Ad rows in chunks (memory stays flat), indexed by line; every column passes through."""
    p = Path(path)
    fmt = file_format(p)
    if not p.is_file():
        raise AdFileError(f"{p}: no such file")
    try:
        yield from (_read_csv(p, chunksize, encoding) if fmt == "csv" else _read_jsonl(p, chunksize, encoding))
    except (TextDecodeError, CsvRecordError) as exc:
        raise AdFileError(f"{p}:{exc.line}: {str(exc).removeprefix(f'line {exc.line}: ')}") from None
    except OSError as exc:
        raise AdFileError(f"{p}: cannot read: {exc.strerror or exc}") from None


def read_all(path: Path | str, encoding: str | None = None) -> pd.DataFrame:
    """The whole file in one frame, indexed by line (for labelled files of modest size).

    A file with a header and no rows is an error: there is nothing to evaluate or train on.
    """
    chunks = list(read_ads(path, encoding=encoding))
    if not chunks:
        raise AdFileError(f"{path}: no rows below the header")
    return pd.concat(chunks)


def labels(df: pd.DataFrame, path: Path | str) -> pd.Series:
    """The `label` column as 0/1 ints; AdFileError naming the first bad row's line."""
    if "label" not in df.columns:
        raise AdFileError(f"{path}: no 'label' column (1 scam, 0 legit)")
    mapped = df["label"].map(
        lambda v: {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}.get(str(v).strip().lower())
    )
    bad = mapped.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        shown = str(df["label"].iloc[i])[:20]
        raise AdFileError(f"{path}:{df.index[i]}: label {shown!r} is not 0 or 1")
    return mapped.astype(int)


def textless(df: pd.DataFrame) -> pd.Series:
    """True for rows with no text at all (title, description and text empty)."""
    present = [c for c in TEXT_COLUMNS if c in df.columns]
    if not present:
        return pd.Series(True, index=df.index)
    filled = pd.concat(
        [df[c].map(lambda v: bool(str(v).strip()) if _cell(v) is not None else False) for c in present], axis=1
    )
    return ~filled.any(axis=1)


def _cell(v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and not math.isfinite(v):  # NaN and ±inf: JSON has no such numbers
        return None
    return v


def _csv_cell(v: Any) -> Any:
    v = _cell(v)
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    return neutralise(v) if isinstance(v, str) else v


def write_chunk(df: pd.DataFrame, fh: IO[str], fmt: str, header: bool) -> None:
    """Append one chunk to an open text stream; `reasons` must already be in output form.

    CSV text cells are neutralised (core.spreadsheet): people open these files in Excel.
    """
    if fmt == "jsonl":
        for rec in df.to_dict("records"):
            fh.write(json.dumps({k: _cell(v) for k, v in rec.items()}, ensure_ascii=False, allow_nan=False) + "\n")
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow([str(c) for c in df.columns])
    for rec in df.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in rec])
    fh.write(buf.getvalue())
