"""Characters no ad text may keep: controls, lone surrogates and text-direction overrides.

One definition for every place an ad is normalised (the crawler's normalise pipeline,
files of ads read by ``classify``, ``explain`` and ``train``), so an ad reads the same
whichever way it came in.
"""

from __future__ import annotations

import re

# Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): a
# U+202E in a title reverses the text after it on the analyst's screen, so "moc.liame" reads
# as a harmless word and the order of a line is no longer the order of its characters.
DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# C0 and C1 controls but tab and newline (CR and the two whitespace controls are mapped
# before), DEL, and lone surrogates: PostgreSQL refuses NUL, nothing can encode a surrogate.
_CONTROLS = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff{DIRECTION_CONTROLS}]")
_CONTROL_CANDIDATES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{DIRECTION_CONTROLS}]")
_WHITESPACE_CONTROLS = str.maketrans({"\x0b": " ", "\x0c": " "})


def strip_controls(text: str) -> str:
    """``text`` without control characters or direction overrides (tab and newline kept; CR
    becomes a line break). Linear in the length of ``text``."""
    if not _CONTROL_CANDIDATES.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_WHITESPACE_CONTROLS)
    return _CONTROLS.sub("", text)
