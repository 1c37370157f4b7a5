"""StrictReader: the stream the CSV and JSON Lines readers parse, over any block size."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.textfile as textfile

TEXT = st.text(alphabet=st.sampled_from(["a", "가", "\n", "한", "\r", ",", '"']), max_size=400)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
# The patched block size is the same for every generated text, so one patch serves them all.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_lines_and_reads_give_back_the_text(block: int, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textfile, "BLOCK", block)
    raw = text.encode("cp949")
    lines = list(textfile.StrictReader(io.BytesIO(raw), "cp949"))
    assert "".join(lines) == text
    assert all(line.endswith("\n") for line in lines[:-1])
    reader = textfile.StrictReader(io.BytesIO(raw), "cp949")
    assert reader.readline(2) + reader.read(5) + reader.read() == text


def test_a_bad_byte_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textfile, "BLOCK", 4)
    raw = "ok\nfine\n".encode() + b"bad \xff here\n"
    with pytest.raises(textfile.TextDecodeError) as err:
        list(textfile.StrictReader(io.BytesIO(raw), "utf-8"))
    assert err.value.line == 3
