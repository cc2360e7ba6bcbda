"""The visit leave-behind: what we did today, what comes next and who owns it, and help to use.

One to two pages for the practice. Sections with nothing in them are left out entirely (no
empty headings), and every piece of user text is escaped.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table

from .data import VisitSummaryData
from .layout import Footer, Rendered, build_pdf, frame_width, write_pdf
from .styles import (
    ACCENT_LIGHT,
    RULE,
    Styles,
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


def _facts(data: VisitSummaryData, st: Styles, width: float) -> Table:
    when = long_date(data.date) + (f", {clock(data.start_time)}" if data.start_time else "")
    how = f"{data.mode_label}, {duration(data.minutes)}" + ("" if data.planned else " (unscheduled)")
    cells = [("Date", when), ("Visit", how)]
    if data.next_contact:
        cells.append(("Next visit", long_date(data.next_contact)))
    rows = [[Paragraph(k, st.head_cell), Paragraph(text(v), st.cell)] for k, v in cells]
    f = data.facilitator
    if not f.is_empty():
        parts = ([f"<b>{text(f.name)}</b>"] if f.name else []) + [text(v) for v in (f.phone, f.email) if v]
        rows.append([Paragraph("Your facilitator", st.head_cell), Paragraph(" · ".join(parts), st.cell)])
    return make_table(rows, [104, width - 104], [
        ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, 0), 7),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 7)])


def _strategies(data: VisitSummaryData, st: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [*heading("What we worked on", st.h2)]
    if data.activities:
        out.append(Paragraph("<b>Activities:</b> " + text(", ".join(data.activities)), st.body))
    if data.strategies:
        rows = [[Paragraph("Strategy", st.head_cell), Paragraph("Status", st.head_cell),
                 Paragraph("Notes", st.head_cell)]]
        for s in data.strategies:
            status = text(s.after_label) if not s.changed else f"{text(s.before_label)} → <b>{text(s.after_label)}</b>"
            rows.append([Paragraph(f"<b>{text(s.id)}</b> {text(s.title)}", st.cell), Paragraph(status, st.cell),
                         Paragraph(text(s.note), st.cell)])
        widths = [width * 0.44, width * 0.28, width * 0.28]
        out.append(make_table(rows, widths, grid_style(), repeatRows=1, split_tall_rows=True))
    if data.data_reviewed.strip():
        out += heading("Data we reviewed", st.h3)
        out += paragraphs(data.data_reviewed, st.body)
    return out


def _pdsa(data: VisitSummaryData, st: Styles, width: float) -> list[Flowable]:
    rows = [[Paragraph(text(k), st.cell_bold), Paragraph(text(v), st.cell)]
            for k, v in (data.pdsa.rows() if data.pdsa else [])]
    table = make_table(rows, [150, width - 150], grid_style(header=False), split_tall_rows=True)
    return [KeepTogether([*heading("Plan-Do-Study-Act cycle", st.h2), table])]


def _next_steps(data: VisitSummaryData, st: Styles, width: float) -> list[Flowable]:
    rows = [[Paragraph("", st.head_cell), Paragraph("What", st.head_cell), Paragraph("Who", st.head_cell),
             Paragraph("By when", st.head_cell)]]
    for i, s in enumerate(data.next_steps, 1):
        action = text(s.action) + (f" <i>({s.status})</i>" if s.status != "open" else "")
        rows.append([Paragraph(str(i), st.cell_muted), Paragraph(action, st.cell), Paragraph(text(s.owner), st.cell),
                     Paragraph(short_date(s.due), st.cell)])
    table = make_table(rows, [20, width - 20 - 140 - 88, 140, 88], grid_style(), repeatRows=1, split_tall_rows=True)
    return [*heading("Next steps", st.h2), table]


def _resource_text(r) -> str:
    parts = [f"<b>{text(r.name)}</b>"] + [text(v) for v in (r.phone, r.url) if v]
    line = " · ".join(parts)
    if r.note:
        line += ". " + text(r.note)
    if r.last_verified:
        line += f" <font size=7.5 color='#5F6B7A'>(checked {short_date(r.last_verified)})</font>"
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
        if not (h.ehr_tips or resources):
            continue
        block: list[Flowable] = heading(f"{h.id} · {h.title}", st.h3, lines_after=4)
        if h.ehr_tips:
            block.append(Paragraph("Documenting it in the EHR", st.label))
            block += [Paragraph(text(t), st.bullet, bulletText="•") for t in h.ehr_tips]
        if resources:
            block.append(Paragraph("Resources", st.label))
            block += [Paragraph(_resource_text(r), st.bullet, bulletText="•") for r in resources]
        out += block
    return out


def visit_summary_story(data: VisitSummaryData, *, size: str = "letter") -> list[Flowable]:
    st = Styles()
    width = frame_width(size)
    p = data.practice
    story: list[Flowable] = [Paragraph("VISIT SUMMARY", st.kicker), Paragraph(text(p.name), st.title)]
    where = ", ".join(v for v in (p.address, p.state) if v)
    sub = " · ".join(text(v) for v in (where, p.phone) if v)
    if sub:
        story.append(Paragraph(sub, st.subtitle))
    story += [gap(4), _facts(data, st, width)]
    if data.attendees:
        story += heading("Who attended", st.h2)
        names = ", ".join(f"{text(a.name)} <font color='#5F6B7A'>({text(a.role_label)})</font>"
                          for a in data.attendees)
        story.append(Paragraph(names, st.body))
    if data.strategies or data.activities or data.data_reviewed.strip():
        story += _strategies(data, st, width)
    if data.next_steps:
        story += _next_steps(data, st, width)
    if data.notes.strip():
        story += [*heading("Notes", st.h2), *paragraphs(data.notes, st.note)]
    if data.pdsa and data.pdsa.rows():
        story += _pdsa(data, st, width)
    if data.help or data.quitlines:
        story += _help(data, st, width)
    if data.resources_left:
        story += heading("Resources we left with you", st.h2, lines_after=1)
        story.append(Paragraph("<font color='#5F6B7A'> · </font>".join(text(r) for r in data.resources_left), st.body))
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
