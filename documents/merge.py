"""Three-way merge of Markdown texts by paragraph, and the differences between two texts.

Two writers start from the same revision (the base). When the second one
saves, their text ("ours") is merged with what the first one saved
("theirs"). A paragraph changed on one side only is taken from that side;
a paragraph both sides changed the same way is taken once; when both sides
change the same paragraph differently (or both add a paragraph at the same
place), that is a conflict and nothing is guessed: the writer chooses
(``resolve``). Changes to neighbouring paragraphs merge. Paragraphs are
matched exactly (difflib, Python's own library), never fuzzily, so a change
cannot land in the wrong place.

``paragraph_word_diff`` shows what changed between two texts: paragraph by
paragraph, and word by word only inside the paragraphs that changed, so a
long text with a small change costs little. ``render_diff`` turns it into
sanitised HTML with the Markdown rendered and the changes marked.
"""

import html
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum
from html.parser import HTMLParser

from django.utils.safestring import SafeString

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


class Choice(StrEnum):
    """What the writer keeps where both sides changed the same paragraph."""

    THEIRS = "theirs"
    OURS = "ours"
    BOTH = "both"  # theirs first, then ours
    EDIT = "edit"  # a text the writer wrote for this place


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


def _overlaps(start: int, end: int, hunk: Hunk) -> bool:
    """Whether a change touches the same paragraphs as base[start:end] (empty: an insertion point).

    Two changes of different paragraphs never overlap, not even next to each
    other; two insertions at the same place do (their order is a choice), and
    so does an insertion inside a changed range.
    """
    if start < end and hunk.start < hunk.end:
        return hunk.start < end and start < hunk.end
    if start == end and hunk.start == hunk.end:
        return start == hunk.start
    if start == end:
        return hunk.start < start < hunk.end
    return start < hunk.start < end


def _merge_parts(base: str, ours: str, theirs: str) -> list[list[str] | Conflict]:
    """The merged text as a sequence of agreed paragraphs and conflicts, in order."""
    base_parts = paragraphs(base)
    hunks = sorted(
        _hunks(base_parts, paragraphs(ours), "ours") + _hunks(base_parts, paragraphs(theirs), "theirs"),
        key=lambda h: (h.start, h.end),
    )
    parts: list[list[str] | Conflict] = []
    position, index = 0, 0
    while index < len(hunks):
        group = [hunks[index]]
        start, end = hunks[index].start, hunks[index].end
        index += 1
        while index < len(hunks) and _overlaps(start, end, hunks[index]):
            group.append(hunks[index])
            end = max(end, hunks[index].end)
            index += 1
        parts.append(base_parts[position:start])
        position = end
        sides = {hunk.side for hunk in group}
        ours_part = _apply(base_parts, start, end, [h for h in group if h.side == "ours"])
        theirs_part = _apply(base_parts, start, end, [h for h in group if h.side == "theirs"])
        if sides == {"ours"}:
            parts.append(ours_part)
        elif sides == {"theirs"} or ours_part == theirs_part:
            parts.append(theirs_part)
        else:
            parts.append(Conflict(base=join(base_parts[start:end]), ours=join(ours_part), theirs=join(theirs_part)))
    parts.append(base_parts[position:])
    return parts


def merge(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge by paragraph; where both sides changed the same paragraph, the text holds theirs."""
    parts = _merge_parts(base, ours, theirs)
    merged: list[str] = []
    for part in parts:
        merged += paragraphs(part.theirs) if isinstance(part, Conflict) else part
    return MergeResult(text=join(merged), conflicts=[part for part in parts if isinstance(part, Conflict)])


def resolve(base: str, ours: str, theirs: str, choices: list[tuple[str, str]]) -> str:
    """The merge with every conflict settled as the writer chose: (``Choice``, hand-written text) each.

    The conflicts are those of ``merge(base, ours, theirs)``, in order; the
    texts are the same ones the writer saw, so they are found again exactly.
    Raises ``ValueError`` when the number of choices does not match.
    """
    parts = _merge_parts(base, ours, theirs)
    conflicts = [part for part in parts if isinstance(part, Conflict)]
    if len(choices) != len(conflicts):
        raise ValueError(f"{len(conflicts)} conflicts, {len(choices)} choices")
    settled = iter(choices)
    merged: list[str] = []
    for part in parts:
        if not isinstance(part, Conflict):
            merged += part
            continue
        choice, edited = next(settled)
        if choice == Choice.THEIRS:
            merged += paragraphs(part.theirs)
        elif choice == Choice.OURS:
            merged += paragraphs(part.ours)
        elif choice == Choice.BOTH:
            merged += paragraphs(part.theirs) + paragraphs(part.ours)
        elif choice == Choice.EDIT:
            merged += paragraphs(edited)
        else:
            raise ValueError(f"unknown choice {choice!r}")
    return join(merged)


# --- Showing a difference ---------------------------------------------------------------

# A citation and a link's destination are one word each: changed, they are shown whole.
WORD = re.compile(r"\[@[A-Za-z0-9_-]+\]|\]\([^)\s]*\)|\w+|[^\w\s]|\s+")
# Paragraph blocks this much alike count as one changed paragraph, not a deletion and an insertion.
ALIKE = 0.5
# Beyond this many pairs of paragraphs to compare in one changed block, they are paired in order.
PAIRING_LIMIT = 400


@dataclass(frozen=True)
class ParagraphDiff:
    """One paragraph of a difference: equal, inserted, deleted or changed (with word pieces)."""

    kind: str  # "equal" | "insert" | "delete" | "change" (| "skip": paragraphs left out, see ``around_changes``)
    pieces: tuple[tuple[str, str], ...]  # ("equal" | "delete" | "insert", text), in reading order

    @property
    def old(self) -> str:
        return "".join(text for kind, text in self.pieces if kind != "insert")

    @property
    def new(self) -> str:
        return "".join(text for kind, text in self.pieces if kind != "delete")


def word_pieces(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Word-level difference of two paragraphs, readable: a run of changed words is one deletion and one insertion.

    Spaces between two changed words join the change, so replacing a phrase
    shows the old phrase and the new one, not word for word in turns.
    """
    old_words, new_words = WORD.findall(old), WORD.findall(new)
    raw: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old_words, b=new_words, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(("equal", "".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            raw.append(("delete", "".join(old_words[i1:i2])))
        if j2 > j1:
            raw.append(("insert", "".join(new_words[j1:j2])))
    for index, (kind, text) in enumerate(raw):
        if kind != "equal" or text.strip() or not 0 < index < len(raw) - 1:
            continue
        around = {k for k, _ in _run(raw, index, -1) + _run(raw, index, 1)}
        # Only between replacements: a space between two insertions stays as it is.
        if {"delete", "insert"} <= around:
            raw[index] = ("both", text)
    pieces: list[tuple[str, str]] = []
    deleted, inserted = [], []
    for kind, text in [*raw, ("equal", "")]:
        if kind == "equal":
            if deleted:
                pieces.append(("delete", "".join(deleted)))
            if inserted:
                pieces.append(("insert", "".join(inserted)))
            deleted, inserted = [], []
            if text:
                pieces.append(("equal", text))
            continue
        if kind in ("delete", "both"):
            deleted.append(text)
        if kind in ("insert", "both"):
            inserted.append(text)
    return tuple(pieces)


def _run(pieces: list[tuple[str, str]], index: int, step: int) -> list[tuple[str, str]]:
    """The changed pieces next to ``pieces[index]``, on one side (``step`` -1 or 1)."""
    run = []
    index += step
    while 0 <= index < len(pieces) and pieces[index][0] != "equal":
        run.append(pieces[index])
        index += step
    return run


def _similarity(old: str, new: str) -> float:
    matcher = SequenceMatcher(a=WORD.findall(old), b=WORD.findall(new), autojunk=False)
    if matcher.real_quick_ratio() < ALIKE or matcher.quick_ratio() < ALIKE:
        return 0.0
    return matcher.ratio()


def _pair(old: list[str], new: list[str]) -> list[ParagraphDiff]:
    """A block of changed paragraphs: alike ones as changes, the rest as deletions and insertions."""
    if len(old) == len(new) or len(old) * len(new) > PAIRING_LIMIT:
        paired = min(len(old), len(new))
        return (
            [ParagraphDiff("change", word_pieces(a, b)) for a, b in zip(old[:paired], new[:paired], strict=True)]
            + [ParagraphDiff("delete", (("delete", a),)) for a in old[paired:]]
            + [ParagraphDiff("insert", (("insert", b),)) for b in new[paired:]]
        )
    result, next_new = [], 0
    for paragraph in old:
        match = next(
            (j for j in range(next_new, len(new)) if _similarity(paragraph, new[j]) >= ALIKE),
            None,
        )
        if match is None:
            result.append(ParagraphDiff("delete", (("delete", paragraph),)))
            continue
        result += [ParagraphDiff("insert", (("insert", b),)) for b in new[next_new:match]]
        result.append(ParagraphDiff("change", word_pieces(paragraph, new[match])))
        next_new = match + 1
    return result + [ParagraphDiff("insert", (("insert", b),)) for b in new[next_new:]]


def paragraph_word_diff(old: str, new: str) -> list[ParagraphDiff]:
    """What changed from ``old`` to ``new``: paragraph by paragraph, word by word inside changed ones."""
    old_parts, new_parts = paragraphs(old), paragraphs(new)
    result: list[ParagraphDiff] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old_parts, b=new_parts, autojunk=False).get_opcodes():
        if tag == "equal":
            result += [ParagraphDiff("equal", (("equal", p),)) for p in old_parts[i1:i2]]
        else:
            result += _pair(old_parts[i1:i2], new_parts[j1:j2])
    return result


def around_changes(diff: list[ParagraphDiff], context: int = 1) -> list[ParagraphDiff]:
    """Only the changed paragraphs and ``context`` paragraphs around them; an ellipsis for each run left out."""
    changed = [index for index, paragraph in enumerate(diff) if paragraph.kind != "equal"]
    keep = {i for index in changed for i in range(index - context, index + context + 1)}
    result: list[ParagraphDiff] = []
    for index, paragraph in enumerate(diff):
        if index in keep:
            result.append(paragraph)
        elif not result or result[-1].kind != "skip":
            result.append(ParagraphDiff("skip", (("equal", "…"),)))
    return result


# Marks around changed words while the Markdown is rendered: characters of
# Unicode's private use area, taken out of the texts first, so they can only
# be ours. After rendering they become <ins> and <del> inside each piece of
# text, so the marks never cross the rendered Markdown's own tags.
INS_OPEN, INS_CLOSE, DEL_OPEN, DEL_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
MARKS = re.compile("[\ue000-\ue003]")
ENCODED_MARKS = re.compile("%EE%80%8[0-3]", re.IGNORECASE)
# What starts a Markdown block on a line (heading, list item, quote, fence): kept out of a mark,
# so a new heading or list item is still rendered as one.
BLOCK_PREFIX = re.compile(r"^(?:[ \t]{0,3}(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]?|```+|~~~+))*")
TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
# Markdown punctuation inside changed words of a changed paragraph is shown as written,
# so a removed "**" is seen struck through instead of making the words around it bold.
MARKUP = re.compile(r"[\\`*_\[\]<>#~!]")
CITATION = re.compile(r"\[@[A-Za-z0-9_-]+\]")


def without_marks(text: str) -> str:
    return MARKS.sub("", text)


def _escape_markup(text: str) -> str:
    pieces, position = [], 0
    for match in CITATION.finditer(text):
        pieces.append(MARKUP.sub(lambda m: "\\" + m.group(0), text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(MARKUP.sub(lambda m: "\\" + m.group(0), text[position:]))
    return "".join(pieces)


def _mark(text: str, kind: str, *, line_start: bool, escape: bool) -> str:
    """``text`` with marks around its words, line by line and cell by cell (see ``render_diff``)."""
    opening, closing = (INS_OPEN, INS_CLOSE) if kind == "insert" else (DEL_OPEN, DEL_CLOSE)
    out = []
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append("\n")
        at_start = line_start or number > 0
        if at_start and TABLE_RULE.match(line) and "-" in line:
            out.append(line)
            continue
        prefix = BLOCK_PREFIX.match(line).group(0) if at_start else ""
        rest = line[len(prefix) :]
        if prefix and not rest.strip():
            prefix, rest = "", line  # only the block's markup changed: show it as text
        out.append(prefix)
        for cell_number, cell in enumerate(rest.split("|")):
            if cell_number:
                out.append("|")
            core = cell.strip()
            if not core:
                out.append(cell)
                continue
            lead = cell[: len(cell) - len(cell.lstrip())]
            trail = cell[len(cell.rstrip()) :]
            out.append(lead + opening + (_escape_markup(core) if escape else core) + closing + trail)
    return "".join(out)


def marked_markdown(diff: list[ParagraphDiff]) -> str:
    """The Markdown of a difference, old and new words both in it, with marks around the changes."""
    blocks = []
    for paragraph in diff:
        if paragraph.kind in ("equal", "skip"):
            blocks.append(without_marks(paragraph.pieces[0][1]))
        elif paragraph.kind in ("insert", "delete"):
            blocks.append(_mark(without_marks(paragraph.pieces[0][1]), paragraph.kind, line_start=True, escape=False))
        else:
            written = ""
            for kind, text in paragraph.pieces:
                text = without_marks(text)
                if kind == "equal":
                    written += text
                else:
                    written += _mark(text, kind, line_start=not written or written.endswith("\n"), escape=True)
            blocks.append(written)
    return "\n\n".join(blocks)


class _Marker(HTMLParser):
    """Turns the marks in rendered HTML into <ins> and <del> around each piece of text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.state: str | None = None

    def handle_starttag(self, tag, attrs):
        self.out.append(ENCODED_MARKS.sub("", without_marks(self.get_starttag_text())))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        for piece in re.split("([\ue000-\ue003])", data):
            if piece in (INS_OPEN, DEL_OPEN):
                self.state = "ins" if piece == INS_OPEN else "del"
            elif piece in (INS_CLOSE, DEL_CLOSE):
                self.state = None
            elif piece:
                text = html.escape(piece, quote=False)
                self.out.append(f"<{self.state}>{text}</{self.state}>" if self.state and piece.strip() else text)


def render_diff(diff: list[ParagraphDiff], render) -> SafeString:
    """The difference as HTML: ``render`` makes sanitised HTML of Markdown (with citations numbered).

    Deleted words are shown in <del>, inserted ones in <ins>. Everything
    passes the same sanitiser as every rendered text, with only those two
    tags added.
    """
    from denktank.markdown import sanitise

    marker = _Marker()
    marker.feed(str(render(marked_markdown(diff))))
    marker.close()
    return sanitise("".join(marker.out), extra_tags=frozenset({"ins", "del"}))
