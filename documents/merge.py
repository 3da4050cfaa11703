"""Three-way merge of Markdown texts by paragraph.

Two writers start from the same revision (the base). When the second one
saves, their text ("ours") is merged with what the first one saved
("theirs"). A paragraph changed on one side only is taken from that side;
a paragraph both sides changed the same way is taken once; when both sides
touch the same or neighbouring paragraphs differently, that is a conflict and
nothing is guessed. Paragraphs are matched exactly (difflib, Python's own
library), never fuzzily, so a change cannot land in the wrong place.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


def paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").strip()
    return [p.strip("\n") for p in PARAGRAPH_BREAK.split(text)] if text else []


def join(parts: list[str]) -> str:
    return "\n\n".join(parts)


@dataclass(frozen=True)
class Hunk:
    start: int  # range in the base, in paragraphs
    end: int
    replacement: tuple[str, ...]
    side: str


@dataclass
class Conflict:
    base: str
    ours: str
    theirs: str


@dataclass
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _hunks(base: list[str], other: list[str], side: str) -> list[Hunk]:
    matcher = SequenceMatcher(a=base, b=other, autojunk=False)
    return [Hunk(i1, i2, tuple(other[j1:j2]), side) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _apply(base: list[str], start: int, end: int, hunks: list[Hunk]) -> list[str]:
    """One side's version of base[start:end]."""
    result, position = [], start
    for hunk in sorted(hunks, key=lambda h: (h.start, h.end)):
        result += base[position : hunk.start]
        result += list(hunk.replacement)
        position = hunk.end
    return result + base[position:end]


def merge(base: str, ours: str, theirs: str) -> MergeResult:
    base_parts = paragraphs(base)
    hunks = sorted(
        _hunks(base_parts, paragraphs(ours), "ours") + _hunks(base_parts, paragraphs(theirs), "theirs"),
        key=lambda h: (h.start, h.end),
    )
    merged, conflicts, position, index = [], [], 0, 0
    while index < len(hunks):
        group = [hunks[index]]
        start, end = hunks[index].start, hunks[index].end
        index += 1
        # Changes that overlap or touch (share a boundary) are judged together:
        # neighbouring edits by two writers are shown, not guessed.
        while index < len(hunks) and hunks[index].start <= end:
            group.append(hunks[index])
            end = max(end, hunks[index].end)
            index += 1
        merged += base_parts[position:start]
        position = end
        sides = {hunk.side for hunk in group}
        ours_part = _apply(base_parts, start, end, [h for h in group if h.side == "ours"])
        theirs_part = _apply(base_parts, start, end, [h for h in group if h.side == "theirs"])
        if sides == {"ours"}:
            merged += ours_part
        elif sides == {"theirs"} or ours_part == theirs_part:
            merged += theirs_part
        else:
            conflicts.append(Conflict(base=join(base_parts[start:end]), ours=join(ours_part), theirs=join(theirs_part)))
            merged += theirs_part
    merged += base_parts[position:]
    return MergeResult(text=join(merged), conflicts=conflicts)
