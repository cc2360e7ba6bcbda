"""Typography, colours and small text helpers shared by both reports.

Calm and readable for a practice audience: 11 pt body, clear headings, light table rules, one
accent colour. All user text goes through `text()` / `paragraphs()`, which escape it, so a
note that says "<b>" or "A & B" prints exactly as typed.
"""

from __future__ import annotations

from datetime import date, time
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from .fonts import BOLD, ITALIC, REGULAR, register_fonts

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
ACCENT = colors.HexColor("#1F5F8B")
ACCENT_LIGHT = colors.HexColor("#E8F1F8")
RULE = colors.HexColor("#C9D2DC")
ZEBRA = colors.HexColor("#F5F7FA")
WARN = colors.HexColor("#B54708")
TARGET = colors.HexColor("#B42318")

BODY_SIZE = 11

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _style(name: str, **kw) -> ParagraphStyle:
    base = dict(fontName=REGULAR, bulletFontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.3, textColor=INK,
                alignment=TA_LEFT, splitLongWords=1)
    base.update(kw)
    return ParagraphStyle(name, **base)


class Styles:
    """Paragraph styles; built after the fonts are registered."""

    def __init__(self) -> None:
        register_fonts()
        self.body = _style("body", spaceAfter=5)
        self.small = _style("small", fontSize=9, leading=12, textColor=MUTED)
        self.cell = _style("cell", fontSize=10, leading=13)
        self.cell_bold = _style("cell_bold", fontName=BOLD, fontSize=10, leading=13)
        self.cell_muted = _style("cell_muted", fontSize=9, leading=12, textColor=MUTED)
        self.cell_muted_right = _style("cell_muted_right", fontSize=9, leading=12, textColor=MUTED,
                                       alignment=TA_RIGHT)
        self.cell_right = _style("cell_right", fontSize=10, leading=13, alignment=TA_RIGHT)
        self.head_cell = _style("head_cell", fontName=BOLD, fontSize=9, leading=12, textColor=MUTED)
        self.head_cell_right = _style("head_cell_right", fontName=BOLD, fontSize=9, leading=12, textColor=MUTED,
                                      alignment=TA_RIGHT)
        self.kicker = _style("kicker", fontName=BOLD, fontSize=9, leading=12, textColor=ACCENT, spaceAfter=2)
        self.title = _style("title", fontName=BOLD, fontSize=19, leading=23, spaceAfter=2)
        self.subtitle = _style("subtitle", fontSize=10.5, leading=14, textColor=MUTED, spaceAfter=8)
        self.h2 = _style("h2", fontName=BOLD, fontSize=13.5, leading=17, textColor=ACCENT, spaceBefore=9,
                         spaceAfter=4)
        self.h3 = _style("h3", fontName=BOLD, fontSize=10.5, leading=13.5, spaceBefore=7, spaceAfter=1)
        self.bullet = _style("bullet", fontSize=9.5, leading=12.5, leftIndent=13, bulletIndent=3, spaceAfter=1.5)
        self.label = _style("label", fontName=ITALIC, fontSize=8.5, leading=11, textColor=MUTED, spaceBefore=2,
                            keepWithNext=1)
        self.cell_first = _style("cell_first", fontSize=10, leading=13, spaceBefore=5)
        self.note = _style("note", spaceAfter=6)
        self.big_number = _style("big_number", fontName=BOLD, fontSize=22, leading=26, textColor=ACCENT)
        self.italic = _style("italic", fontName=ITALIC, fontSize=10, leading=13, textColor=MUTED)


def text(value: object) -> str:
    """User text made safe for Paragraph markup; line breaks kept."""
    return escape(str(value or "")).replace("\r\n", "\n").replace("\n", "<br/>")


def paragraphs(value: str, style: ParagraphStyle) -> list[Paragraph]:
    """Free text as paragraphs: a blank line starts a new one, so long notes split cleanly over pages."""
    blocks = [b.strip() for b in (value or "").replace("\r\n", "\n").split("\n\n")]
    return [Paragraph(text(b), style) for b in blocks if b]


CELL_TEXT_CHARS = 300  # a table cell shows at most this much free text...
CELL_TEXT_LINES = 6    # ...and this many lines; the rest is printed in full after the table


def clip(value: str, *, chars: int = CELL_TEXT_CHARS, lines: int = CELL_TEXT_LINES) -> tuple[str, bool]:
    """The start of `value` that fits a table cell, cut at a word, and whether it was cut.

    Why: reportlab cannot draw a table row taller than a page, and splitting one row over
    many pages takes seconds per page for a 100,000-character note; free text flows fast and
    cleanly as ordinary paragraphs, so a long text starts in its cell and ends below the table."""
    value = (value or "").replace("\r\n", "\n").strip()
    kept = "\n".join(value.split("\n")[:lines])
    if len(kept) > chars:
        cut = kept.rfind(" ", 0, chars)
        kept = kept[:cut if cut > chars // 2 else chars]
    if kept == value:
        return value, False
    return kept.rstrip(), True


def heading(title: str, style: ParagraphStyle, *, lines_after: int = 3) -> list[Flowable]:
    """A heading that never sits alone at the foot of a page.

    Why not keepWithNext: reportlab then glues the heading to the whole next flowable, so a
    long note or table jumps to a new page and leaves most of a page blank.
    """
    need = style.spaceBefore + style.leading + style.spaceAfter + lines_after * BODY_SIZE * 1.3
    return [CondPageBreak(need), Paragraph(escape(title), style)]


def long_date(day: date | None) -> str:
    if day is None:
        return ""
    return f"{_DAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def short_date(day: date | None) -> str:
    if day is None:
        return ""
    return f"{_MONTHS[day.month - 1][:3]} {day.day}, {day.year}"


def clock(t: time | None) -> str:
    if t is None:
        return ""
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def duration(minutes: int) -> str:
    hours, mins = divmod(int(minutes or 0), 60)
    if not hours:
        return f"{mins} minutes"
    if not mins:
        return f"{hours} hour{'s' if hours > 1 else ''}"
    return f"{hours} h {mins} min"


def number(value: float) -> str:
    """1 decimal at most, no trailing .0 (hours read better as 12 or 12.5)."""
    return f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"


def gap(points: float = 6) -> Spacer:
    return Spacer(1, points)


TALL_ROW = 400  # points: a row taller than this may not fit below a heading on any page


def make_table(rows: list, widths: list[float], style: list | TableStyle = (), *, split_tall_rows: bool = False,
               **kw) -> Table:
    """A Table whose own font is the embedded one (reportlab's default would add Helvetica).

    `split_tall_rows`: let a row split across pages, but only when some row is too tall to fit
    a page otherwise; reportlab's in-row splitting also breaks short tables at odd places.
    """
    kw.setdefault("hAlign", "LEFT")
    cmds = list(style.getCommands()) if isinstance(style, TableStyle) else list(style)
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *cmds])
    table = Table(rows, colWidths=widths, style=style, **kw)
    if split_tall_rows:
        table.wrap(sum(widths), 10 ** 7)
        if max(table._rowHeights, default=0) > TALL_ROW:
            # NOSPLIT (e.g. a heading row kept with the row below) cannot hold when a row is taller
            # than a page: reportlab then refuses the whole table (LayoutError).
            style = TableStyle([c for c in style.getCommands() if c[0] != "NOSPLIT"])
            table = Table(rows, colWidths=widths, style=style, splitInRow=1, **kw)
    return table


def grid_style(*, header: bool = True, zebra: bool = False, rows: int = 0) -> TableStyle:
    """Light horizontal rules only: tables read as lists, not spreadsheets."""
    cmds = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
    ]
    if header:
        cmds += [("LINEBELOW", (0, 0), (-1, 0), 1, MUTED), ("BOTTOMPADDING", (0, 0), (-1, 0), 4)]
    if zebra:
        first = 1 if header else 0
        for r in range(first, rows, 2):
            cmds.append(("BACKGROUND", (0, r), (-1, r), ZEBRA))
    return TableStyle(cmds)
