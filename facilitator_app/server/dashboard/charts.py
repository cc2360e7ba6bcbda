"""Charts drawn by the server as inline SVG: no JavaScript, they print, and screen readers get
a title and a description (each chart also has its numbers in a table beside it).

Colours use presentation attributes, not style attributes, so the page's Content Security
Policy can forbid inline styles.
"""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

INK, MUTED, BAR, LINE, TARGET, GRID = "#1b1f24", "#57606a", "#2f6f9f", "#2f6f9f", "#a33a00", "#d0d7de"
_ids = iter(range(1, 10**9))


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="chart-t{n} chart-d{n}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, value: str, *, anchor: str = "middle", size: int = 11, fill: str = MUTED) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-family="sans-serif">{escape(value)}</text>')


def month_label(key: str) -> str:
    return date.fromisoformat(key + "-01").strftime("%b %y")


def visits_bar_chart(months: list[tuple[str, int, float]], *, title: str) -> Markup:
    """Visits per calendar month, a bar each, the count above it."""
    width, height, left, bottom, top = 640, 200, 30, 28, 18
    peak = max([n for _, n, _ in months] + [1])
    slot = (width - left - 10) / max(1, len(months))
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="{GRID}"/>']
    for i, (key, n, _hours) in enumerate(months):
        h = (height - bottom - top) * n / peak
        x = left + i * slot + slot * 0.15
        y = height - bottom - h
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        body.append(_text(x + slot * 0.35, y - 4, str(n), fill=INK))
        body.append(_text(x + slot * 0.35, height - bottom + 14, month_label(key)))
    desc = "; ".join(f"{month_label(k)}: {n} visit{'s' if n != 1 else ''}" for k, n, _ in months)
    return _svg(width, height, title, desc, body)


def run_chart(points: list[tuple[date, float]], *, title: str, target: float = 0.70) -> Markup:
    """A measure's rate at each quarter's end, joined by a line, with the 70% target dashed."""
    width, height, left, bottom, top, right = 300, 170, 36, 26, 12, 12
    lo, hi = 0.0, 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(rate: float) -> float:
        return top + plot_h * (1 - (rate - lo) / (hi - lo))

    body = []
    for tick in (0.0, 0.5, 1.0):
        body.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y(tick) + 4, f"{tick:.0%}", anchor="end", size=10))
    body.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - right}" y2="{y(target):.1f}" stroke="{TARGET}" '
                f'stroke-dasharray="5 3" stroke-width="1.5"/>')
    body.append(_text(width - right, y(target) - 4, f"target {target:.0%}", anchor="end", size=10, fill=TARGET))
    if points:
        step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0
        xy = [(left + (i * step if len(points) > 1 else plot_w / 2), y(rate)) for i, (_, rate) in enumerate(points)]
        body.append(f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in xy)}" fill="none" stroke="{LINE}" '
                    f'stroke-width="2"/>')
        body += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{LINE}"/>' for a, b in xy]
        body.append(_text(xy[0][0], height - 8, f"{points[0][0]:%b %y}", anchor="start", size=10))
        if len(points) > 1:
            body.append(_text(xy[-1][0], height - 8, f"{points[-1][0]:%b %y}", anchor="end", size=10))
        desc = "; ".join(f"{d:%b %Y}: {rate:.0%}" for d, rate in points) + f". Target {target:.0%}."
    else:
        body.append(_text(width / 2, height / 2, "No values recorded"))
        desc = "No values recorded."
    return _svg(width, height, title, desc, body)
