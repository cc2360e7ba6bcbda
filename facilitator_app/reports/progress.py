"""The practice progress report: engagement against plan, the strategy checklist by ABCS domain,
run charts of the ABCS measures against the 70% target, and open next steps.

Written for practice leaders and supervisors: the headline numbers first, then the detail.
Sections with no data (no visits, no measures, no open steps) are left out.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Paragraph

from ..core.vocab import StrategyStatus
from .charts import STATUS_COLORS, engagement_chart, run_chart, status_chart
from .data import MeasureSeries, ProgressData
from .layout import Footer, Rendered, build_pdf, frame_width, write_pdf
from .styles import (
    ACCENT_LIGHT,
    MUTED,
    RULE,
    ZEBRA,
    Styles,
    clip,
    gap,
    grid_style,
    heading,
    long_date,
    make_table,
    number,
    paragraphs,
    short_date,
    text,
)

RUN_CHART_HEIGHT = 150
REASONS_HEADING = "Reasons for declining, in full"


def _hex(color) -> str:
    return color.hexval().replace("0x", "#")


def _header(data: ProgressData, st: Styles) -> list[Flowable]:
    p = data.practice
    out: list[Flowable] = [Paragraph("PRACTICE PROGRESS REPORT", st.kicker), Paragraph(text(p.name), st.title)]
    where = ", ".join(v for v in (p.address, p.state) if v)
    bits = [text(v) for v in (where, p.phone) if v]
    if p.status_label:
        bits.append(f"Status: {text(p.status_label)}")
    if p.enrolled_on:
        bits.append(f"Enrolled {short_date(p.enrolled_on)}")
    if bits:
        out.append(Paragraph(" · ".join(bits), st.subtitle))
    f = data.facilitator
    line = f"Report as of {long_date(data.generated_on)}"
    if not f.is_empty():
        contact = ([f"<b>{text(f.name)}</b>"] if f.name else []) + [text(v) for v in (f.phone, f.email) if v]
        line += " · Facilitator: " + " · ".join(contact)
    out.append(Paragraph(line, st.small))
    return out


def _tiles(data: ProgressData, st: Styles, width: float) -> Flowable:
    """Three headline numbers a practice leader can read at a glance."""
    e = data.engagement
    of = "<font size=11 color='#5F6B7A'> of {} {}</font>".format
    visits = number(e.visits) + (of(number(e.planned_visits), "planned") if e.planned_visits else "")
    hours = number(e.hours) + (of(number(e.planned_hours), "planned") if e.planned_hours else "")
    done = str(data.implemented) + of(data.selected, "chosen")
    cells = [
        [Paragraph(visits, st.big_number), Paragraph("visits and other contacts", st.small)],
        [Paragraph(hours, st.big_number), Paragraph("hours of facilitation", st.small)],
        [Paragraph(done, st.big_number),
         Paragraph(f"strategies implemented or sustained ({data.implemented} of {data.total_strategies} "
                   "in the toolkit)", st.small)],
    ]
    col = width / 3
    return make_table([cells], [col] * 3, [
        ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEAFTER", (0, 0), (1, 0), 1.5, "white"),
        ("LEFTPADDING", (0, 0), (-1, -1), 10), ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 9)])


def _engagement(data: ProgressData, st: Styles, width: float) -> list[Flowable]:
    e = data.engagement
    if not e.visits:
        return []
    lines = [f"First contact {short_date(e.first_contact)}, latest {short_date(e.last_contact)}: "
             f"<b>{number(e.months_active)} months</b> of facilitation."]
    if e.cadence_label:
        lines.append(f"Agreed cadence: {text(e.cadence_label)}.")
    rows = [[Paragraph("Contact type", st.head_cell), Paragraph("Contacts", st.head_cell_right),
             Paragraph("Hours", st.head_cell_right)]]
    rows += [[Paragraph(text(m.label), st.cell), Paragraph(number(m.visits), st.cell_right),
              Paragraph(number(m.hours), st.cell_right)] for m in e.by_mode]
    rows.append([Paragraph("<b>Total</b>", st.cell), Paragraph(f"<b>{number(e.visits)}</b>", st.cell_right),
                 Paragraph(f"<b>{number(e.hours)}</b>", st.cell_right)])
    chart_w = width * 0.56
    table_w = width - chart_w - 20
    table = make_table(rows, [table_w - 110, 58, 52],
                       [*grid_style().getCommands(), ("LINEABOVE", (0, -1), (-1, -1), 1, MUTED),
                        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)])
    side = make_table([[engagement_chart(e, chart_w), table]], [chart_w + 20, table_w], [
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (0, 0), 6)])
    return [*heading("Engagement", st.h2), Paragraph(" ".join(lines), st.body), gap(2), side]


def _status_cell(row, st: Styles) -> Paragraph:
    dot = f"<font color='{_hex(STATUS_COLORS.get(row.status, RULE))}'>●</font> "
    return Paragraph(dot + text(row.status_label), st.cell)


def _checklist(data: ProgressData, st: Styles, width: float) -> list[Flowable]:
    summary = (f"<b>{data.implemented}</b> of the <b>{data.selected}</b> strategies the practice chose are "
               f"implemented or sustained; that is <b>{data.implemented}</b> of the {data.total_strategies} "
               "strategies in the toolkit.")
    if data.selected_in_plan:
        summary += f" The facilitation plan selected {data.selected_in_plan}."
    out: list[Flowable] = [KeepTogether([*heading("Strategy checklist", st.h2), Paragraph(summary, st.body), gap(2),
                                         status_chart(data.domains, width), gap(10)])]
    widths = [width * 0.43, width * 0.19, width * 0.18, width * 0.20]
    rows = [[Paragraph(h, st.head_cell) for h in ("Strategy", "Status", "Owner", "Notes")]]
    cmds = [*grid_style().getCommands()]
    continued = []  # rows whose reason is too long for a cell: printed in full after the table
    for g in data.domains:
        r = len(rows)
        skipped = ("Not selected: " + text(", ".join(g.not_selected_ids))) if g.not_selected_ids else ""
        rows.append([Paragraph(f"<b>{text(g.label)}</b>", st.cell), "", Paragraph(skipped, st.cell_muted_right), ""])
        cmds += [("SPAN", (0, r), (1, r)), ("SPAN", (2, r), (3, r)), ("BACKGROUND", (0, r), (-1, r), ZEBRA)]
        if g.worked_rows:  # never leave a domain's name alone at the foot of a page
            cmds.append(("NOSPLIT", (0, r), (-1, r + 1)))
        for row in g.worked_rows:
            notes = []
            if row.target_date:
                notes.append(f"Target {short_date(row.target_date)}")
            if row.steps_done:
                notes.append(f"{row.steps_done} of {row.step_count} steps done")
            title = f"<b>{text(row.id)}</b> {text(row.title)}"
            if row.status == StrategyStatus.DECLINED and row.reason:
                shown, cut = clip(row.reason)
                more = f" … <i>(continued under “{REASONS_HEADING}” below)</i>" if cut else ""
                title += f"<br/><font color='#5F6B7A'>Reason: {text(shown)}{more}</font>"
                if cut:
                    continued.append(row)
            rows.append([Paragraph(title, st.cell), _status_cell(row, st),
                         Paragraph(text(row.owner), st.cell), Paragraph("<br/>".join(notes), st.cell)])
    out.append(make_table(rows, widths, cmds, repeatRows=1, split_tall_rows=True))
    if continued:
        out += heading(REASONS_HEADING, st.h3)
        for row in continued:
            out.append(Paragraph(f"<b>{text(row.id)}</b> {text(row.title)}: declined because", st.label))
            out += paragraphs(row.reason, st.note)
    return out


def _measure_block(series: MeasureSeries, st: Styles, width: float, target: float) -> list[Flowable]:
    last = series.points[-1]
    first = series.points[0]
    caption = f"Latest ({text(last.quarter)}): <b>{round(last.rate * 100)}%</b> ({last.numerator:,} of " \
              f"{last.denominator:,})"
    if len(series.points) > 1:
        change = round((last.rate - first.rate) * 100)
        caption += f"; {'+' if change > 0 else ''}{change} points since {text(first.quarter)}"
    if series.version:
        caption += f" · {text(series.cms_id)}{text(series.version)}" if series.version.startswith("v") else \
            f" · version {text(series.version)}"
    return [run_chart(series, width, RUN_CHART_HEIGHT, target), Paragraph(caption, st.cell_muted)]


def _measures(data: ProgressData, st: Styles, width: float) -> list[Flowable]:
    if not data.measures:
        return []
    gutter = 18
    col = (width - gutter) / 2
    cells = [_measure_block(s, st, col, data.target) for s in data.measures]
    pairs = [[cells[i:i + 2] + ([""] if len(cells[i:i + 2]) == 1 else [])] for i in range(0, len(cells), 2)]
    rows = [make_table(pair, [col + gutter / 2, col + gutter / 2], [
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (0, -1), gutter / 2), ("LEFTPADDING", (1, 0), (1, -1), gutter / 2),
        ("RIGHTPADDING", (1, 0), (1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 12)]) for pair in pairs]
    intro = (f"Rolling 12-month rates reported each quarter. The dashed red line is the Million Hearts "
             f"target of {round(data.target * 100)}%.")
    return [KeepTogether([*heading("ABCS measures", st.h2), Paragraph(intro, st.body), gap(4), rows[0]]), *rows[1:]]


def _open_steps(data: ProgressData, st: Styles, width: float) -> list[Flowable]:
    if not data.open_steps:
        return []
    rows = [[Paragraph(h, st.head_cell) for h in ("What", "Who", "Due", "Agreed")]]
    for s in data.open_steps:
        due = short_date(s.due) if s.due else "No date"
        if s.overdue:
            due = f"<font color='#B54708'><b>{due}</b><br/>overdue</font>"
        rows.append([Paragraph(text(s.action), st.cell), Paragraph(text(s.owner), st.cell), Paragraph(due, st.cell),
                     Paragraph(short_date(s.visit_date), st.cell_muted)])
    table = make_table(rows, [width * 0.47, width * 0.2, width * 0.18, width * 0.15], grid_style(), repeatRows=1,
                       split_tall_rows=True)
    return [*heading("Open next steps", st.h2), table]


def progress_story(data: ProgressData, *, size: str = "letter") -> list[Flowable]:
    st = Styles()
    width = frame_width(size)
    story = _header(data, st) + [gap(8), _tiles(data, st, width)]
    story += _engagement(data, st, width)
    if data.domains:
        story += _checklist(data, st, width)
    story += _measures(data, st, width)
    story += _open_steps(data, st, width)
    return story


def render_progress(data: ProgressData, *, size: str = "letter") -> Rendered:
    footer = Footer(label=f"Practice progress report · {data.practice.name}",
                    note=f"Generated {short_date(data.generated_on)} · Toolkit version {data.toolkit_version}")
    return build_pdf(progress_story(data, size=size), size=size,
                     title=f"Progress report: {data.practice.name}, {data.generated_on.isoformat()}",
                     subject="Practice facilitation progress report", author=data.facilitator.name, footer=footer)


def write_progress(data: ProgressData, path: Path | str, *, size: str = "letter") -> Rendered:
    rendered = render_progress(data, size=size)
    write_pdf(rendered.pdf, path)
    return rendered
