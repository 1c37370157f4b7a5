"""Which regular expressions lurewatch agrees to run over scraped text.

Python's ``re`` backtracks: a pattern such as ``(\\w+\\s?)+$`` takes exponential time on a
few dozen words, and every indicator pattern runs over every ad. The patterns come from
``indicators.yaml`` and, once a model is trained, from the model file itself (the
analyser keeps a copy), so a crafted model could carry one. Each pattern is checked
before it is compiled, on its parsed form, against rules that keep matching linear in
practice: nothing is repeated but a single character (a class, a literal, a dot), a
repeated character never holds another repetition, repetitions are few, bounded ones are
short and together they allow few ways to match one position, and there are no
back-references. Once admitted, a pattern is compiled with its open repetitions bounded
(compile_bounded), so each start position costs at most a constant and a scan is linear. Every pattern we ship passes; an analyst
writing a new one keeps to the same shapes (``\\s*``, ``\\d{1,2}``, ``[^\\n]{0,12}?``).
"""

from __future__ import annotations

import re
from re import _compiler as _compile_tree
from re import _constants as C  # noqa: N812 (the parser's own names)
from re import _parser as P  # noqa: N812

MAX_PATTERN_LENGTH = 500  # characters of one pattern's source
MAX_UNBOUNDED = 3  # open repetitions (*, +, {n,}) in one pattern
MAX_BOUND = 32  # the upper bound of a bounded repetition ({0,12})
# The ways one start position can be matched: the product of (bound + 1) over the pattern's
# repetitions, open ones counted at OPEN_READS. Repetitions in a row that accept the same
# characters (a{0,32}a{0,32}a{0,32}!) cost that product at every position of a run; the
# budget keeps it a constant of the scan. Our widest pattern (최소\s*\d{1,2}\s*년) costs 3,267.
MAX_WORK = 4096
# What an open repetition (\s*, \d+) may read once compiled. Python's re tries a pattern at
# every position, so an open repetition over a long run of the characters it accepts
# (a[^\n]*z over 100,000 a's) costs the square of the run; read at most OPEN_READS
# characters, each start costs a constant, and the scan stays linear. No pattern of ours
# means more than a few spaces or digits there.
OPEN_READS = 32
_SINGLE = {C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY, C.CATEGORY}
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT}


def linear_problem(source: str) -> str | None:
    """Why ``source`` could make the regex engine backtrack without bound, or None if it cannot."""
    if len(source) > MAX_PATTERN_LENGTH:
        return f"longer than {MAX_PATTERN_LENGTH} characters"
    try:
        parsed = P.parse(source)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"does not compile: {exc}"
    unbounded: list[int] = []
    problem = _walk(parsed, unbounded, inside_repeat=False)
    if problem is None and len(unbounded) > MAX_UNBOUNDED:
        problem = f"has {len(unbounded)} open repetitions (at most {MAX_UNBOUNDED})"
    if problem is None and (work := _work(parsed)) > MAX_WORK:
        problem = f"has repetitions that can match one position {work:,} ways (at most {MAX_WORK:,})"
    return problem


def _inner(op, av) -> list:
    """The parsed sequences inside one item that is not a repetition: a group's body, the
    branches of a choice, a look-around's body; none for a character or an anchor. The one
    place that knows where the parser keeps them, for the three walks below."""
    if op == C.SUBPATTERN:
        return [av[-1]]
    if op == C.ATOMIC_GROUP:
        return [av]
    if op == C.BRANCH:
        return list(av[1])
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [av[1]]
    return []


def _work(seq) -> int:
    """The product of (bound + 1) over the repetitions of ``seq``; the widest branch of a choice."""
    total = 1
    for op, av in seq:
        if op in _REPEATS:
            low, high, body = av
            high = max(low, OPEN_READS) if high == C.MAXREPEAT else high
            total *= (high + 1 if high > 1 else 1) * _work(body)
        elif op == C.BRANCH:
            total *= max(_work(branch) for branch in av[1])
        else:
            for inner in _inner(op, av):
                total *= _work(inner)
        if total > 10 * MAX_WORK:  # enough to refuse; no need to multiply further
            return total
    return total


def _walk(seq, unbounded: list[int], inside_repeat: bool) -> str | None:
    for op, av in seq:
        problem = None
        if op in _REPEATS:
            low, high, body = av
            if high > 1:
                if inside_repeat:
                    return "repeats a repetition (nested quantifiers)"
                if high == C.MAXREPEAT:
                    unbounded.append(low)
                elif high > MAX_BOUND:
                    return f"has a repetition bounded above {MAX_BOUND}"
                if len(body) != 1 or body[0][0] not in _SINGLE:
                    return "repeats a group; only single characters may repeat"
            problem = _walk(body, unbounded, inside_repeat or high > 1)
        elif op in (C.GROUPREF, C.GROUPREF_EXISTS):
            return "uses a back-reference"
        else:
            for inner in _inner(op, av):
                problem = problem or _walk(inner, unbounded, inside_repeat)
        if problem is not None:
            return problem
    return None


def compile_bounded(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source)`` with every open repetition read at most OPEN_READS times.

    The pattern is parsed, its open repetitions get an upper bound, and the parsed form is
    compiled (the standard library's compiler takes a parsed pattern as well as a string).
    """
    parsed = P.parse(source, flags)
    bound_repeats(parsed)
    return _compile_tree.compile(parsed, flags)


def bound_repeats(seq) -> None:
    """Give every open repetition of a parsed pattern (re._parser) the upper bound OPEN_READS, in place."""
    for i, (op, av) in enumerate(seq):
        if op in _REPEATS:
            low, high, body = av
            if high == C.MAXREPEAT:
                seq[i] = (op, (low, max(low, OPEN_READS), body))
            bound_repeats(body)
        else:
            for inner in _inner(op, av):
                bound_repeats(inner)
