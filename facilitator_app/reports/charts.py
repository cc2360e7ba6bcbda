"""Charts drawn with reportlab.graphics: engagement vs plan, checklist statuses, ABCS run charts.

Every string uses the embedded report font (a chart left on reportlab's default would pull in
an unembedded Helvetica). Bars are drawn from shapes so each segment can carry its count;
run charts use reportlab's line chart with the 70% target as a dashed line.
"""

from __future__ import annotations

from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..core.vocab import StrategyStatus, VisitMode
from .data import DomainGroup, Engagement, MeasureSeries
from .fonts import BOLD, REGULAR
from .styles import ACCENT, INK, MUTED, RULE, TARGET, number

STATUS_COLORS: dict[str, colors.Color] = {
    StrategyStatus.SUSTAINED.value: colors.HexColor("#1D5C3A"),
    StrategyStatus.IMPLEMENTED.value: colors.HexColor("#3C9162"),
    StrategyStatus.IN_PROGRESS.value: colors.HexColor("#3F7FB5"),
    StrategyStatus.SELECTED.value: colors.HexColor("#A8C7E2"),
    StrategyStatus.DECLINED.value: colors.HexColor("#E3A857"),
    StrategyStatus.NOT_SELECTED.value: colors.HexColor("#DDE2E8"),
}
MODE_COLORS: dict[str, colors.Color] = {
    VisitMode.ON_SITE.label: colors.HexColor("#1F5F8B"),
    VisitMode.PHONE.label: colors.HexColor("#6FA8D6"),
    VisitMode.VIDEO.label: colors.HexColor("#8E7CC3"),
    VisitMode.EMAIL.label: colors.HexColor("#AEB9C6"),
    VisitMode.GROUP.label: colors.HexColor("#E3A857"),
}
OTHER_COLOR = colors.HexColor("#C4CCD6")
LABEL_SIZE = 8.5


def _drawing(width: float, height: float) -> Drawing:
    """A Drawing whose renderer starts in the embedded font, not reportlab's Helvetica default."""
    d = Drawing(width, height)
    d.initialFontName = REGULAR
    return d


def _ink_on(fill: colors.Color) -> colors.Color:
    """White text on dark fills, ink on light ones."""
    r, g, b = fill.red, fill.green, fill.blue
    return colors.white if (0.299 * r + 0.587 * g + 0.114 * b) < 0.6 else INK


def _legend(drawing: Drawing, items: list[tuple[str, colors.Color]], x: float, y: float, max_x: float) -> float:
    """A one-or-more-line legend of colour swatches; returns the y below it."""
    cx = x
    for label, fill in items:
        w = 10 + 4 + stringWidth(label, REGULAR, LABEL_SIZE) + 14
        if cx + w > max_x and cx > x:
            cx, y = x, y - 14
        drawing.add(Rect(cx, y - 1, 9, 9, fillColor=fill, strokeColor=None))
        drawing.add(String(cx + 13, y, label, fontName=REGULAR, fontSize=LABEL_SIZE, fillColor=INK))
        cx += w
    return y - 14


def _segment_bar(drawing: Drawing, *, x: float, y: float, height: float, scale: float,
                 segments: list[tuple[float, colors.Color]], show_counts: bool) -> float:
    """Draw stacked segments left to right; returns the x where the bar ends."""
    cx = x
    for value, fill in segments:
        if value <= 0:
            continue
        w = value * scale
        drawing.add(Rect(cx, y, w, height, fillColor=fill, strokeColor=colors.white, strokeWidth=0.8))
        label = number(value)
        if show_counts and stringWidth(label, BOLD, LABEL_SIZE) + 4 <= w:
            drawing.add(String(cx + w / 2, y + height / 2 - 3, label, fontName=BOLD, fontSize=LABEL_SIZE,
                               fillColor=_ink_on(fill), textAnchor="middle"))
        cx += w
    return cx


def engagement_chart(e: Engagement, width: float) -> Drawing:
    """Visits and hours so far, stacked by mode, each against its planned total (dashed marker)."""
    label_w, right_w, bar_h, row_gap = 52, 74, 20, 20
    rows: list[tuple[str, list[tuple[float, str]], float, float | None]] = [
            ("Visits", [(m.visits, m.label) for m in e.by_mode], e.visits, e.planned_visits),
            ("Hours", [(m.hours, m.label) for m in e.by_mode], e.hours, e.planned_hours)]
    legend_items = [(m.label, MODE_COLORS.get(m.label, OTHER_COLOR)) for m in e.by_mode]
    height = 14 + len(rows) * (bar_h + row_gap) + 18
    d = _drawing(width, height)
    bar_w = width - label_w - right_w
    y = height - 14 - bar_h
    for title, parts, total, plan in rows:
        top = max(total, plan or 0) or 1
        scale = bar_w / (top * 1.04)
        d.add(String(0, y + bar_h / 2 - 3.5, title, fontName=BOLD, fontSize=9.5, fillColor=INK))
        d.add(Rect(label_w, y, bar_w, bar_h, fillColor=colors.HexColor("#F3F5F8"), strokeColor=None))
        if plan:  # drawn first, so a bar that passes the plan covers it and its count stays readable
            px = label_w + plan * scale
            d.add(Line(px, y - 4, px, y + bar_h + 4, strokeColor=INK, strokeWidth=1.2, strokeDashArray=[3, 2]))
            anchor = "end" if px > label_w + bar_w - 30 else "middle"
            d.add(String(px, y + bar_h + 7, f"Plan {number(plan)}", fontName=REGULAR, fontSize=7.5,
                         fillColor=MUTED, textAnchor=anchor))
        _segment_bar(d, x=label_w, y=y, height=bar_h, scale=scale, show_counts=True,
                     segments=[(v, MODE_COLORS.get(lbl, OTHER_COLOR)) for v, lbl in parts])
        summary = number(total) + (f" of {number(plan)}" if plan else "")
        d.add(String(width, y + bar_h / 2 - 3.5, summary, fontName=BOLD, fontSize=9.5, fillColor=INK,
                     textAnchor="end"))
        y -= bar_h + row_gap
    _legend(d, legend_items, label_w, 4, width)
    return d


STATUS_ORDER = [StrategyStatus.SUSTAINED, StrategyStatus.IMPLEMENTED, StrategyStatus.IN_PROGRESS,
                StrategyStatus.SELECTED, StrategyStatus.DECLINED, StrategyStatus.NOT_SELECTED]


def status_chart(domains: tuple[DomainGroup, ...], width: float) -> Drawing:
    """One bar per ABCS domain, as long as the domain's strategy count, split by status."""
    label_w, bar_h, row_gap = 92, 16, 7
    longest = max((len(g.rows) for g in domains), default=1) or 1
    present = [s for s in STATUS_ORDER if any(g.count(s.value) for g in domains)]
    legend_rows = 2 if len(present) > 4 else 1
    height = len(domains) * (bar_h + row_gap) + 14 * legend_rows + 8
    d = _drawing(width, height)
    scale = (width - label_w - 30) / longest
    y = height - bar_h
    for g in domains:
        d.add(String(0, y + bar_h / 2 - 3.5, g.label, fontName=REGULAR, fontSize=9, fillColor=INK))
        end = _segment_bar(d, x=label_w, y=y, height=bar_h, scale=scale, show_counts=True,
                           segments=[(g.count(s.value), STATUS_COLORS[s.value]) for s in STATUS_ORDER])
        d.add(String(end + 5, y + bar_h / 2 - 3.5, str(len(g.rows)), fontName=REGULAR, fontSize=8,
                     fillColor=MUTED))
        y -= bar_h + row_gap
    _legend(d, [(s.label, STATUS_COLORS[s.value]) for s in present], label_w, 14 * (legend_rows - 1) + 3, width)
    return d


def run_chart(series: MeasureSeries, width: float, height: float, target: float) -> Drawing:
    """Quarterly rate (0-100%) with a dashed line at the target, each point labelled."""
    d = _drawing(width, height)
    d.add(String(0, height - 11, f"{series.label}", fontName=BOLD, fontSize=10, fillColor=INK))
    d.add(String(stringWidth(series.label, BOLD, 10) + 5, height - 11, series.cms_id, fontName=REGULAR,
                 fontSize=8, fillColor=MUTED))
    chart = HorizontalLineChart()
    chart.x, chart.y = 30, 26
    chart.width, chart.height = width - chart.x - 8, height - chart.y - 30
    chart.data = [[round(p.rate * 100, 1) for p in series.points]]
    chart.categoryAxis.categoryNames = [p.quarter.replace(" ", "\n") for p in series.points]
    for labels in (chart.categoryAxis.labels, chart.valueAxis.labels):
        labels.fontName, labels.fontSize, labels.fillColor = REGULAR, 7, MUTED
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.categoryAxis.labels.leading = 8
    chart.categoryAxis.strokeColor = RULE
    chart.categoryAxis.tickDown = 2
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 25
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E6EAEF")
    chart.valueAxis.gridStrokeWidth = 0.5
    chart.joinedLines = True
    chart.lines[0].strokeColor = ACCENT
    chart.lines[0].strokeWidth = 1.8
    chart.lines[0].symbol = makeMarker("FilledCircle", size=4.5, fillColor=ACCENT, strokeColor=ACCENT)
    chart.lineLabelFormat = "%d%%" if len(series.points) <= 8 else None
    chart.lineLabels.fontName, chart.lineLabels.fontSize, chart.lineLabels.fillColor = REGULAR, 7, INK
    chart.lineLabels.dy = 7
    d.add(chart)
    ty = chart.y + chart.height * target
    d.add(Line(chart.x, ty, chart.x + chart.width, ty, strokeColor=TARGET, strokeWidth=1.1,
               strokeDashArray=[4, 3]))
    d.add(String(width, height - 11, f"- - {round(target * 100)}% target", fontName=REGULAR, fontSize=7.5,
                 fillColor=TARGET, textAnchor="end"))
    return d


def target_bar(rate: float | None, target: float, width: float, height: float = 12) -> Drawing:
    """A small horizontal bar, 0-100%, filled to `rate`, with a tick at the target: green once the
    target is met, blue below it (the rate itself is printed beside it, so colour is never the only cue)."""
    d = _drawing(width, height)
    track_h = height * 0.62
    y = (height - track_h) / 2
    d.add(Rect(0, y, width, track_h, fillColor=colors.HexColor("#E6EAEF"), strokeColor=None))
    if rate is not None and rate > 0:
        fill = STATUS_COLORS[StrategyStatus.IMPLEMENTED.value] if rate >= target else ACCENT
        d.add(Rect(0, y, width * min(rate, 1.0), track_h, fillColor=fill, strokeColor=None))
    x = width * target
    d.add(Line(x, 0, x, height, strokeColor=INK, strokeWidth=1.4))
    return d
