"""The visit leave-behind: page 1 is what a practice manager reads in a minute and pins up, page 2
the help to use.

Page 1: when and who, what we worked on and where each strategy now stands, what is next (by due
date, with owners), what was closed since the last visit, the practice's ABCS results against
the 70% target, notes for the practice, and how to reach the facilitator. Page 2: EHR tips,
resources and the quitline. Sections with nothing in them are left out (no empty headings or
columns), every piece of user text is escaped, and a visit's private notes are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Table

from .charts import target_bar
from .data import FieldTipLine, MeasureResult, StepLine, VisitSummaryData
from .fonts import BOLD
from .layout import Footer, Rendered, build_pdf, frame_width, write_pdf
from .styles import (
    ACCENT,
    ACCENT_LIGHT,
    RULE,
    Styles,
    clip,
    clock,
    duration,
    gap,
    grid_style,
    heading,
    long_date,
    make_table,
    paragraphs,
    short_date,
    text,
)

IN_FULL_HEADING = "In full"
CELL_CHARS = 200  # free text in a table cell beyond this continues under IN_FULL_HEADING on page 2
ATTENDEES_IN_BOX = 400  # characters of names the box at the top holds; a longer list gets its own section
GREEN = "#2E7D50"
MUTED_HEX = "#5F6B7A"
WARN_HEX = "#B54708"


@dataclass
class _Page:
    """Styles and the texts too long for their cell, collected while page 1 is laid out."""

    st: Styles
    width: float
    in_full: list[tuple[str, str]]

    def __post_init__(self) -> None:
        self.fact_label = ParagraphStyle("fact_label", parent=self.st.head_cell, leading=13)
        self.fact = ParagraphStyle("fact", parent=self.st.cell, leading=13.5)
        self.card_label = ParagraphStyle("card_label", parent=self.st.head_cell, textColor=ACCENT, fontSize=8.5)
        self.card_name = ParagraphStyle("card_name", parent=self.st.cell_bold, fontSize=11.5, leading=15)
        self.rate = ParagraphStyle("rate", parent=self.st.cell_bold, fontSize=12.5, leading=15)
        self.sub = ParagraphStyle("sub", parent=self.st.cell_muted, fontSize=8.5, leading=11)
        # Section headings a little tighter than the progress report's: page 1 holds a lot.
        self.h2 = ParagraphStyle("h2_tight", parent=self.st.h2, fontSize=12.5, leading=15, spaceBefore=7,
                                 spaceAfter=3)
        self.table_title = ParagraphStyle("table_title", parent=self.h2, spaceBefore=0, spaceAfter=0)

    def titled(self, title: str, headers: list[str], *, span: int = 1) -> tuple[list, list]:
        """A header row that is also the section's title (saves a heading line per section on a
        full page 1, and repeats as "title + columns" if the table continues on the next page)."""
        row = [Paragraph(text(title), self.table_title), *[""] * (span - 1),
               *[Paragraph(h, self.st.head_cell) for h in headers]]
        cmds = [("VALIGN", (0, 0), (-1, 0), "BOTTOM")] + ([("SPAN", (0, 0), (span - 1, 0))] if span > 1 else [])
        return row, cmds

    def section_start(self, rows: int = 2) -> list[Flowable]:
        """Room for the title row and a few rows, else a new page; then the space a heading has above it."""
        return [CondPageBreak(self.h2.spaceBefore + 24 + rows * 20), gap(self.h2.spaceBefore)]

    def cell_text(self, value: str, where: str) -> str:
        """`value` for a table cell, escaped; a long one is cut at a word and continued in full on page 2."""
        shown, cut = clip(value, chars=CELL_CHARS)
        if not cut:
            return text(shown)
        self.in_full.append((where, (value or "").strip()))
        return f"{text(shown)} … <i>(continued under “{IN_FULL_HEADING}”)</i>"


class _EndPageOne(CondPageBreak):
    """Start a new page if the story is still on page 1, so the help begins on page 2 and page 1
    stays the summary; once page 1 has overflowed, what follows simply flows on."""

    def __init__(self) -> None:
        super().__init__(0)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        frame = self._doctemplateAttr("frame")
        if frame is not None and self._doctemplateAttr("page") == 1:
            from reportlab.platypus.doctemplate import FrameBreak

            frame.add_generated_content(FrameBreak)
        return 0, 0


def _grid() -> list:
    """The reports' light-rule table style, with a little less air per row (page 1 holds a lot)."""
    return [*grid_style().getCommands(), ("TOPPADDING", (0, 1), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 3.5)]


def _header(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    st, p = page.st, data.practice
    out: list[Flowable] = [Paragraph("VISIT SUMMARY", st.kicker), Paragraph(text(p.name), st.title)]
    where = ", ".join(v for v in (p.address, p.state) if v)
    sub = " · ".join(text(v) for v in (where, p.phone) if v)
    if sub:
        out.append(Paragraph(sub, ParagraphStyle("subtitle_tight", parent=st.subtitle, spaceAfter=4)))
    return out


def _short(value: str, chars: int = 60) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= chars else value[:chars].rstrip() + "…"


def _attendee_names(data: VisitSummaryData) -> str:
    return ", ".join(f"{text(a.name)} <font color='{MUTED_HEX}'>({text(a.role_label)})</font>"
                     for a in data.attendees)


def _attendees_fit_box(data: VisitSummaryData) -> bool:
    return sum(len(a.name) + len(a.role_label) + 4 for a in data.attendees) <= ATTENDEES_IN_BOX


def _facts(data: VisitSummaryData, page: _Page) -> Table:
    """The box at the top: date, visit, who attended, next visit; the facilitator's card on the right."""
    when = long_date(data.date) + (f", {clock(data.start_time)}" if data.start_time else "")
    how = f"{data.mode_label}, {duration(data.minutes)}" + ("" if data.planned else " (unscheduled)")
    facts = [("Date", text(when)), ("Visit", text(how))]
    if data.activities:
        doing = text(", ".join(data.activities).lower())
        facts[-1] = ("Visit", text(how) + f" <font color='{MUTED_HEX}'>· {doing}</font>")
    if data.attendees and _attendees_fit_box(data):
        facts.append(("Who attended", _attendee_names(data)))
    if data.next_contact:
        facts.append(("Next visit", f"<b>{text(long_date(data.next_contact))}</b>"))
    f = data.facilitator
    card_w = 0.34 * page.width if f.name else 0
    label_w = 78
    inner = make_table([[Paragraph(k, page.fact_label), Paragraph(v, page.fact)] for k, v in facts],
                       [label_w, page.width - card_w - label_w - 18],  # the box pads 10 left, 8 right
                       [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])
    cells: list = [inner]
    widths = [page.width - card_w]
    style: list = [("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (0, 0), 10), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
             ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]
    if f.name:
        card = [Paragraph("YOUR FACILITATOR", page.card_label), Paragraph(text(f.name), page.card_name)]
        card += [Paragraph(text(v), page.fact) for v in (f.phone, f.email) if v]
        cells.append(card)
        widths.append(card_w)
        style += [("LINEBEFORE", (1, 0), (1, 0), 1.2, ACCENT), ("LEFTPADDING", (1, 0), (1, 0), 10)]
    return make_table([cells], widths, style)


def _status_change(before: str, after: str, changed: bool) -> str:
    if not changed:
        return f"{text(after)} <font color='{MUTED_HEX}' size=8.5>(no change)</font>"
    return f"<font color='{MUTED_HEX}'>{text(before)} →</font> <b>{text(after)}</b>"


def _worked_on(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    """Strategy and where it now stands; a strategy's note sits under its title, so no column is
    ever empty and a long note never squeezes into a narrow one."""
    st = page.st
    head, cmds = page.titled("What we worked on", ["Status: before → now"])
    rows = [head]
    for s in data.strategies:
        cell = f"<b>{text(s.id)}</b>&nbsp; {text(s.title)}"
        if s.note.strip():
            note = page.cell_text(s.note, f"{s.id} · {s.title}: note")
            cell += f"<br/><font size=9 color='{MUTED_HEX}'><i>{note}</i></font>"
        status = _status_change(s.before_label, s.after_label, s.changed)
        rows.append([Paragraph(cell, st.cell), Paragraph(status, st.cell)])
    table = make_table(rows, [page.width * 0.68, page.width * 0.32], _grid() + cmds, repeatRows=1,
                       split_tall_rows=True)
    return [*page.section_start(), table]


def _due_cell(s: StepLine, data: VisitSummaryData, page: _Page) -> Paragraph:
    due = text(short_date(s.due)) if s.due else f"<font color='{MUTED_HEX}'>no date</font>"
    if s.due and s.due < data.date:
        due += f"<br/><font color='{WARN_HEX}' size=8.5>overdue</font>"
    return Paragraph(due, page.st.cell)


def _next_steps(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    """Everything still to do after this visit, soonest due first, with who owns it."""
    st = page.st
    head, cmds = page.titled("Next steps", ["Who", "By when"], span=2)
    rows = [head]
    for i, s in enumerate(data.next_steps, 1):
        action = page.cell_text(s.action, f"Next step {i}")
        extra = []
        if s.made_on:
            extra.append(f"agreed {short_date(s.made_on)}")
        if s.status != "open":
            extra.append(f"{s.status_label.lower()} {short_date(s.closed_on)}".strip())
        if extra:
            action += f"&nbsp; <font size=8.5 color='{MUTED_HEX}'>({text('; '.join(extra))})</font>"
        rows.append([Paragraph(str(i), st.cell_muted), Paragraph(action, st.cell),
                     Paragraph(text(s.owner) or f"<font color='{MUTED_HEX}'>not set</font>", st.cell),
                     _due_cell(s, data, page)])
    owner_w, due_w = 0.26 * page.width, 82
    num_w = 24  # room for "60" without wrapping
    table = make_table(rows, [num_w, page.width - num_w - owner_w - due_w, owner_w, due_w], _grid() + cmds,
                       repeatRows=1, split_tall_rows=True)
    return [*page.section_start(), table]


def _closed(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    """Steps done or dropped since the last visit, each with its note: progress the practice made."""
    st = page.st
    title = "Closed since our last visit" + (f" ({short_date(data.previous_visit)})" if data.previous_visit else "")
    head, cmds = page.titled(title, ["Who", "Closed"], span=2)
    rows = [head]
    for s in data.closed_steps:
        mark = (f"<font color='{GREEN}'><b>✓ Done</b></font>" if s.status == "done"
                else f"<font color='{MUTED_HEX}'><b>Dropped</b></font>")
        action = page.cell_text(s.action, "A closed step")
        if s.closing_note.strip():
            note = page.cell_text(s.closing_note, f"Closed step “{_short(s.action)}”: note")
            action += f"<br/><font size=9 color='{MUTED_HEX}'><i>{note}</i></font>"
        rows.append([Paragraph(mark, st.cell), Paragraph(action, st.cell), Paragraph(text(s.owner), st.cell),
                     Paragraph(text(short_date(s.closed_on)), st.cell)])
    owner_w, when_w, mark_w = 0.22 * page.width, 82, 62
    table = make_table(rows, [mark_w, page.width - mark_w - owner_w - when_w, owner_w, when_w], _grid() + cmds,
                       repeatRows=1, split_tall_rows=True)
    return [*page.section_start(), table]


def _points(value: float) -> str:
    return f"{abs(value):.1f}".rstrip("0").rstrip(".") + (" point" if abs(value) == 1 else " points")


def _change_cell(m: MeasureResult, page: _Page) -> Paragraph:
    change = m.change_points
    if change is None:
        return Paragraph("first quarter on record", page.st.cell_muted)
    if change > 0:
        head = f"<font color='{GREEN}'>▲</font> {_points(change)}"
    elif change < 0:
        head = f"<font color='{WARN_HEX}'>▼</font> {_points(change)}"
    else:
        head = "no change"
    since = f" <font color='{MUTED_HEX}' size=8.5>since {m.previous_quarter}</font>"
    if m.version_changed:
        since += (f"<br/><font color='{MUTED_HEX}' size=8>measure version {text(m.previous_version)} → "
                  f"{text(m.version)}</font>")
    return Paragraph(head + since, page.st.cell)


def _measures(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    """The latest quarter of each ABCS measure: a bar against the target, rate, patients, change."""
    st = page.st
    target = round(data.target * 100)
    title = "Your ABCS results"
    if not any(m.has_data for m in data.measures):
        names = [m.label for m in data.measures]
        line = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
        return [KeepTogether([*heading(title, page.h2, lines_after=1), Paragraph(
            f"No data yet for {text(line)}. Once your EHR's quarterly reports are in, this shows each rate "
            f"against the {target}% target.", st.cell_muted)])]
    quarters = [m.quarter for m in data.measures if m.has_data]
    common = max(set(quarters), key=lambda q: (quarters.count(q), q[-4:], q))
    bar_w = 0.18 * page.width
    first = max(0.27 * page.width, stringWidth(title, BOLD, page.table_title.fontSize) + 12)  # title on one line
    widths = [first, bar_w + 8, 42, 0.14 * page.width]
    widths.append(page.width - sum(widths))
    head, cmds = page.titled(title, [f"Rate vs the {target}% target", "", "Patients", "Change"])
    rows = [head]
    style = [*_grid(), *cmds, ("VALIGN", (0, 1), (-1, -1), "MIDDLE"), ("SPAN", (1, 0), (2, 0))]
    for r, m in enumerate(data.measures, 1):
        name = f"<b>{text(m.label)}</b> <font size=8 color='{MUTED_HEX}'>{text(m.cms_id)}"
        if m.quarter and m.quarter != common:
            name += f" · {text(m.quarter)}"
        name = Paragraph(name + "</font>", st.cell)
        if not m.has_data or m.rate is None:
            rows.append([name, Paragraph("No data yet", st.cell_muted), "", "", ""])
            style.append(("SPAN", (1, r), (-1, r)))
            continue
        rows.append([name, target_bar(m.rate, data.target, bar_w), Paragraph(f"{round(m.rate * 100)}%", page.rate),
                     Paragraph(f"{m.numerator:,} of {m.denominator:,}", st.cell), _change_cell(m, page)])
    table = make_table(rows, widths, style)
    note = Paragraph(f"12-month rates to the end of {text(common)}. The black mark is the {target}% target; "
                     "green bars have reached it.", page.sub)
    return [*page.section_start(5), KeepTogether([table, gap(2), note])]


def _pdsa(data: VisitSummaryData, page: _Page) -> list[Flowable]:
    st = page.st
    rows = [[Paragraph(text(k), st.cell_bold), Paragraph(text(v), st.cell)]
            for k, v in (data.pdsa.rows() if data.pdsa else [])]
    table = make_table(rows, [150, page.width - 150], grid_style(header=False), split_tall_rows=True)
    return [*heading("Plan-Do-Study-Act cycle", page.h2), table]


def _resource_text(r) -> str:
    parts = [f"<b>{text(r.name)}</b>"] + [text(v) for v in (r.phone, r.url) if v]
    line = " · ".join(parts)
    if r.note:
        line += ". " + text(r.note)
    if r.last_verified:
        line += f" <font size=7.5 color='{MUTED_HEX}'>(checked {short_date(r.last_verified)})</font>"
    return line


def _field_tip_text(t: FieldTipLine) -> str:
    line = text(t.text)
    if t.link:
        line += f" · {text(t.link)}"
    if t.by:
        line += f" <font size=7.5 color='{MUTED_HEX}'>({text(t.by)})</font>"
    return line


def _quitlines(data: VisitSummaryData, st: Styles, width: float) -> list[Flowable]:
    """The state quitline first and largest (what leaders valued most), national lines below."""
    state = data.practice.state
    own = [q for q in data.quitlines if q.is_state_line]
    others = [q for q in data.quitlines if not q.is_state_line]
    block: list[Flowable] = []
    for q in own:
        head = f"<b>{text(q.name)}</b>: {text(q.phone)}" + (f" ({text(q.hours)})" if q.hours else "")
        block.append(Paragraph(head, st.cell))
        if q.how_to_refer:
            block.append(Paragraph("<b>How to refer:</b> " + text(q.how_to_refer), st.cell))
        extra = [text(q.url)] if q.url else []
        if q.electronic_referral:
            extra.insert(0, "Electronic referral from your EHR is available")
        if q.last_verified:
            extra.append(f"checked {short_date(q.last_verified)}")
        if extra:
            block.append(Paragraph(" · ".join(extra), st.cell_muted))
    if not own and state:
        block.append(Paragraph(f"No state quitline for {text(state)} is listed in the toolkit; the national line "
                               "routes callers to their state's quitline.", st.cell_muted))
    for i, q in enumerate(others):
        line = f"<b>{text(q.name)}</b>: {text(q.phone)}"
        if q.how_to_refer:
            line += f"<br/><font size=8.5>{text(q.how_to_refer)}</font>"
        block.append(Paragraph(line, st.cell_first if (i or own) else st.cell))
    box = make_table([[block]], [width], [
        ("BOX", (0, 0), (-1, -1), 0.6, RULE), ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT),
        ("LEFTPADDING", (0, 0), (-1, -1), 9), ("RIGHTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 7)])
    return [*heading("Refer patients who use tobacco to the quitline", st.h3), box]


def _help(data: VisitSummaryData, st: Styles, width: float) -> list[Flowable]:
    """EHR tips and resources per strategy; a resource shown once is not repeated, and the
    quitline numbers (already in their own box) are not listed again."""
    out: list[Flowable] = [*heading("Help for the strategies we worked on", st.h2)]
    if data.quitlines:  # the section heading travels with the (unsplittable) quitline box
        out = [KeepTogether(out + _quitlines(data, st, width))]
    shown = {q.name.lower() for q in data.quitlines} | {q.phone for q in data.quitlines}
    for h in data.help:
        resources = []
        for r in h.resources:
            key = r.name.lower()
            if key in shown or (r.phone and r.phone in shown):
                continue
            shown.add(key)
            resources.append(r)
        if not (h.ehr_tips or resources or h.field_tips):
            continue
        block: list[Flowable] = [Paragraph(text(f"{h.id} · {h.title}"), st.h3)]
        if h.ehr_tips:
            block.append(Paragraph("Documenting it in the EHR", st.label))
            block += [Paragraph(text(t), st.bullet, bulletText="•") for t in h.ehr_tips]
        if resources:
            block.append(Paragraph("Resources", st.label))
            block += [Paragraph(_resource_text(r), st.bullet, bulletText="•") for r in resources]
        if h.field_tips:
            block.append(Paragraph("Tips from other practices' facilitators", st.label))
            block += [Paragraph(_field_tip_text(t), st.bullet, bulletText="•") for t in h.field_tips]
        out.append(KeepTogether(block))  # one strategy's help is read as a whole: never split it
    return out


def _in_full(page: _Page) -> list[Flowable]:
    st = page.st
    out: list[Flowable] = [*heading(IN_FULL_HEADING, page.h2)]
    for where, value in page.in_full:
        out += [*heading(where, st.h3, lines_after=2), *paragraphs(value, st.note)]
    return out


def visit_summary_story(data: VisitSummaryData, *, size: str = "letter") -> list[Flowable]:
    page = _Page(Styles(), frame_width(size), [])
    st = page.st
    story: list[Flowable] = [*_header(data, page), gap(2), _facts(data, page)]
    if data.attendees and not _attendees_fit_box(data):
        story += [*heading("Who attended", page.h2, lines_after=1), Paragraph(_attendee_names(data), st.body)]
    if data.strategies:
        story += _worked_on(data, page)
    if data.next_steps:
        story += _next_steps(data, page)
    if data.closed_steps:
        story += _closed(data, page)
    if data.measures:
        story += _measures(data, page)
    if data.notes.strip():
        story += [*heading("Notes", page.h2, lines_after=2), *paragraphs(data.notes, st.note)]
    if data.data_reviewed.strip():
        story += [*heading("Data we reviewed", page.h2, lines_after=1), *paragraphs(data.data_reviewed, st.body)]
    if data.pdsa and data.pdsa.rows():
        story += _pdsa(data, page)
    if data.resources_left:
        story += heading("Resources we left with you", page.h2, lines_after=1)
        story.append(Paragraph(f"<font color='{MUTED_HEX}'> · </font>".join(text(r) for r in data.resources_left),
                               st.body))
    later: list[Flowable] = []  # page 2: reference material, and long texts continued
    if page.in_full:
        later += _in_full(page)
    if data.help or data.quitlines:
        later += _help(data, st, page.width)
    if later:
        story += [_EndPageOne(), *later]
    return story


def render_visit_summary(data: VisitSummaryData, *, size: str = "letter") -> Rendered:
    footer = Footer(label=f"Visit summary · {data.practice.name} · {short_date(data.date)}",
                    note=f"Generated {short_date(data.generated_on)} · Toolkit version {data.toolkit_version}")
    return build_pdf(visit_summary_story(data, size=size), size=size,
                     title=f"Visit summary: {data.practice.name}, {data.date.isoformat()}",
                     subject="Practice facilitation visit summary", author=data.facilitator.name, footer=footer)


def write_visit_summary(data: VisitSummaryData, path: Path | str, *, size: str = "letter") -> Rendered:
    rendered = render_visit_summary(data, size=size)
    write_pdf(rendered.pdf, path)
    return rendered
