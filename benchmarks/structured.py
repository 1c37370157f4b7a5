"""Structured-data reading: our reader against extruct on the JobPosting fixture corpus.

For each page of tests/fixtures/jobposting/, the time to parse the HTML and read its
JobPostings (JSON-LD, microdata, RDFa), best of 5, and whether a posting was found on the
pages expected.json marks readable. extruct is not a dependency of lurewatch (it was
measured and not adopted, README "Structured data"); the script measures it when it is
importable, e.g. from a separate virtualenv with lurewatch on PYTHONPATH:

    PYTHONPATH=. python benchmarks/structured.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.http import HtmlResponse  # noqa: E402

from crawler.jobposting import page_postings  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "jobposting"


def ours(name: str, body: bytes) -> bool:
    return bool(page_postings(HtmlResponse(f"https://jobs.example.com/{name}", body=body).selector).postings)


def extruct_reader() -> Callable[[str, bytes], bool] | None:
    try:
        import extruct  # type: ignore[import-not-found]
    except ImportError:
        return None

    def read(name: str, body: bytes) -> bool:
        text = HtmlResponse(f"https://jobs.example.com/{name}", body=body).text  # same decoding as ours
        data: dict[str, Any] = extruct.extract(
            text, base_url=f"https://jobs.example.com/{name}", syntaxes=["json-ld", "microdata", "rdfa"],
            uniform=True, errors="ignore",
        )  # fmt: skip
        found = json.dumps(data)
        return '"JobPosting"' in found or "schema.org/JobPosting" in found

    return read


def measure(label: str, read: Callable[[str, bytes], bool]) -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    seconds, found, readable, missed = [], 0, 0, []
    for page in sorted(CORPUS.glob("*.html")):
        body = page.read_bytes()
        best, got = float("inf"), False
        for _ in range(5):
            start = time.perf_counter()
            got = read(page.name, body)
            best = min(best, time.perf_counter() - start)
        seconds.append(best)
        wanted = not (expected[page.name].get("unreadable") or expected[page.name].get("not_an_ad"))
        readable += wanted
        found += wanted and got
        if wanted and not got:
            missed.append(page.name)
    print(
        f"{label:>8}: JobPosting found on {found} of {readable} readable pages; "
        f"{sum(seconds) / len(seconds) * 1000:.2f} ms per page (parse + read, best of 5)"
        + (f"; missed {', '.join(missed)}" if missed else "")
    )


def main() -> int:
    measure("ours", ours)
    reader = extruct_reader()
    if reader is None:
        print(" extruct: not installed here (pip install extruct in another virtualenv to compare)")
    else:
        measure("extruct", reader)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
