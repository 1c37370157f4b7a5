"""Strict decoding of the text files people hand us (decisions, ads, labelled data).

A file is UTF-8 (a byte-order mark is allowed), else ONE other encoding for the whole
file: the one the user declares, or the one detected among those spreadsheet programs
write (Korean Excel saves plain "CSV" as CP949, Western Excel as CP1252, and so on).
A file that mixes encodings, say rows pasted from a CP949 file into a UTF-8 one, is
refused with the line where it stops being what it started as: decoding it either way
would store mojibake without a word. NUL bytes are refused too (a UTF-16 file, or a
binary one, renamed .csv). Every error names the line, counted as a text editor does.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

UTF8 = "utf-8-sig"
# What spreadsheet programs write when a user does not pick UTF-8, by region; detection
# only chooses among these, so a short file is not read as some rare code page.
LEGACY_ENCODINGS = ("cp949", "cp1252", "cp932", "gb18030", "big5", "cp874", "cp1258", "cp1251")
SAMPLE_BYTES = 1 << 20  # legacy lines kept for detection: plenty for charset detection
BLOCK = 1 << 20


class TextDecodeError(ValueError):
    """A file cannot be decoded as one encoding; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Encoding:
    """The encoding a file is read with, and how it was chosen."""

    name: str
    how: str  # "utf-8", "declared" or "detected"


def _lines(fh: BinaryIO) -> Iterator[bytes]:
    yield from fh  # binary files iterate by b"\n", which every encoding we accept keeps as one byte


def sniff(fh: BinaryIO, declared: str | None = None) -> Encoding:
    """Read a binary stream once and choose its one encoding (TextDecodeError otherwise).

    UTF-8 when every line is; otherwise the declared encoding, or the detected one, and
    only when no line needs UTF-8 (a file with both is mixed, whatever was declared).
    """
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise TextDecodeError(f"unknown encoding {declared!r}", 0) from None
    first_utf8 = first_legacy = 0
    sample = bytearray()
    for n, line in enumerate(_lines(fh), start=1):
        if b"\x00" in line:
            raise TextDecodeError(f"line {n}: NUL byte (is it UTF-16 or a binary file? save it as CSV UTF-8)", n)
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            first_utf8 = first_utf8 or n
        except UnicodeDecodeError:
            first_legacy = first_legacy or n
            if len(sample) < SAMPLE_BYTES:
                sample += line
        if first_utf8 and first_legacy:
            raise TextDecodeError(
                f"line {max(first_utf8, first_legacy)}: the file mixes encodings (line {first_utf8} is UTF-8, "
                f"line {first_legacy} is not); save it again as CSV UTF-8",
                max(first_utf8, first_legacy),
            )
    if not first_legacy:
        return Encoding(UTF8, "utf-8")
    if declared:
        return Encoding(declared, "declared")
    return Encoding(_detect(bytes(sample), first_legacy), "detected")


def _detect(sample: bytes, line: int) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None:
        raise TextDecodeError(
            f"line {line}: not UTF-8, and not one of the encodings spreadsheets write "
            f"({', '.join(LEGACY_ENCODINGS)}); save it as CSV UTF-8 or name its encoding",
            line,
        )
    return best.encoding


def decode_bytes(raw: bytes, declared: str | None = None) -> tuple[str, Encoding]:
    """A whole file's text and its encoding; TextDecodeError naming the line otherwise."""
    encoding = sniff(io.BytesIO(raw), declared)
    try:
        return raw.decode(encoding.name), encoding
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TextDecodeError(f"line {line}: not valid {encoding.name} ({encoding.how})", line) from None


class StrictReader(io.TextIOBase):
    """A text stream over a binary file in one encoding, for streaming parsers.

    A byte that does not decode raises TextDecodeError with its line number, which a
    parser reading through its own buffers (pandas reports "byte 0") cannot give.

    Decoded text waits in ``_pending`` from ``_pos`` on: a line is a slice from there, and
    the consumed head is dropped only when a new block arrives, so reading is linear in the
    file's size (slicing the rest off after every line made it quadratic in the block size).
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._encoding = encoding
        self._lines_before = 0  # newlines in the bytes already decoded
        self._pending = ""
        self._pos = 0  # start of the text not yet handed out
        self._eof = False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _fill(self) -> bool:
        """Decode one more block onto the pending text; False at the end of the file."""
        if self._eof:
            return False
        block = self._raw.read(BLOCK)
        try:
            text = self._decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            line = self._lines_before + block.count(b"\n", 0, max(exc.start, 0)) + 1
            raise TextDecodeError(f"line {line}: not valid {self._encoding}", line) from None
        self._lines_before += block.count(b"\n")
        self._pending = self._pending[self._pos :] + text
        self._pos = 0
        self._eof = not block
        return True

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            while self._fill():
                pass
            size = len(self._pending) - self._pos
        while len(self._pending) - self._pos < size and self._fill():
            pass
        out = self._pending[self._pos : self._pos + size]
        self._pos += len(out)
        return out

    def readline(self, size: int | None = -1) -> str:
        searched = self._pos
        while (newline := self._pending.find("\n", searched)) < 0:
            searched = len(self._pending) - self._pos  # offset survives the refill's compaction
            if not self._fill():
                break
            searched = self._pos + searched
        end = newline + 1 if newline >= 0 else len(self._pending)
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        out = self._pending[self._pos : end]
        self._pos = end
        return out

    def __iter__(self) -> Iterator[str]:
        while line := self.readline():
            yield line


class CsvRecordError(ValueError):
    """A CSV record cannot be parsed; ``line`` is the line it starts on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: malformed CSV: {problem}")
        self.line, self.problem = line, problem


def csv_records(stream: io.TextIOBase | io.StringIO, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) of every CSV record, strictly parsed.

    A quoted cell may span lines, so a record's line is where it starts, as a text editor
    shows it; an unterminated quote or a cell over csv.field_size_limit() is a
    CsvRecordError naming that line, where the csv module names none.
    """
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = str(exc)
            if "end of data" in problem:
                problem = "unterminated quote: a quoted cell opened here runs to the end of the file"
            elif "field limit" in problem:
                problem = f"a cell is longer than {csv.field_size_limit():,} characters"
            raise CsvRecordError(start, problem) from None
        yield start, row


def open_text(path: Path, declared: str | None = None) -> tuple[StrictReader, Encoding]:
    """A strict text stream over ``path`` in its one encoding (the file is read twice:
    once to choose the encoding, then as the caller reads)."""
    with path.open("rb") as fh:
        encoding = sniff(fh, declared)
    raw = path.open("rb")
    if encoding.name == UTF8 and raw.read(3) != codecs.BOM_UTF8:
        raw.seek(0)
    reader = StrictReader(raw, "utf-8" if encoding.name == UTF8 else encoding.name)
    return reader, encoding
