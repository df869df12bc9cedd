"""Charts as inline SVG, drawn from the plain chart specs of :mod:`optimiser.report.model`.

No JavaScript and no external resources: each chart is one ``<svg>`` element
with a ``<title>`` per mark for tooltips. Every text is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from optimiser.report.model import Chart

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#8c564b",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
)
WIDTH = 960
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"

STATUS_COLOURS = {
    "current": ("#2e7d32", "C"),
    "expiring": ("#f9a825", "E"),
    "expired": ("#c62828", "X"),
    "none": ("#6d4c41", "N"),
    "not_required": ("#b0bec5", ""),
}


def esc(text: Any) -> str:
    """Text escaped for SVG / HTML content and attribute values."""
    return escape(str(text), quote=True)


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step."""
    if value <= 0:
        return 1.0, 0.25
    exponent = math.floor(math.log10(value))
    for mult in (1, 2, 2.5, 5, 10):
        step = mult * 10 ** (exponent - 1) * 2
        top = math.ceil(value / step) * step
        if top / step <= 8:
            return top, step
    return value, value / 4  # pragma: no cover


def _svg(chart: Chart, height: float, body: list[str], width: float = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{esc(chart.id)}-title" '
        f'data-chart="{esc(chart.kind)}" style="max-width:{width:.0f}px;{FONT}">'
        f'<title id="{esc(chart.id)}-title">{esc(chart.title)}</title>' + "".join(body) + "</svg>"
    )


def _legend(items: list[tuple[str, str]], top: float, left: float = 10) -> tuple[list[str], float]:
    """Swatches in columns; returns the elements and the height used."""
    out = []
    longest = max((len(label) for _, label in items), default=10)
    col_width = min(470, max(232, int(longest * 6.4) + 24))
    per_row = max(1, int((WIDTH - left) // col_width))
    for i, (colour, label) in enumerate(items):
        x = left + (i % per_row) * col_width
        y = top + (i // per_row) * 18
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="12" height="12" fill="{esc(colour)}"/>')
        out.append(
            f'<text x="{x + 17:.0f}" y="{y + 10:.0f}" font-size="11" fill="#333">'
            f"<title>{esc(label)}</title>{esc(_short(label, int((col_width - 24) / 6.2)))}</text>"
        )
    rows = math.ceil(len(items) / per_row) if items else 0
    return out, rows * 18


def _utilisation_colour(value: float) -> str:
    if value >= 98:
        return "#c62828"
    if value >= 90:
        return "#ef6c00"
    if value >= 75:
        return "#f9a825"
    return "#2e7d32"


def stacked_bars(chart: Chart) -> str:
    """Horizontal stacked bars, one per role or person, with optional markers."""
    d = chart.data
    bars: list[str] = d["bars"]
    series: list[str] = d["series"]
    values: list[list[float]] = d["values"]
    markers: list[float] | None = d.get("markers")
    unit = d.get("unit", "")
    totals = [sum(v for v in row if v > 0) for row in values]
    top_value = max([*totals, *(markers or []), 0.0])
    axis_max, step = (
        (float(d["max"]), float(d["max"]) / 4) if d.get("max") else _nice_max(top_value)
    )
    label_w = min(300, max(80, 7 * max((len(b) for b in bars), default=8)))
    left, right = label_w + 16, 30
    plot_w = WIDTH - left - right
    bar_h, gap, top = 18, 8, 28
    scale = plot_w / axis_max if axis_max > 0 else 0
    body: list[str] = []
    height_bars = len(bars) * (bar_h + gap)
    # grid and ticks
    ticks = int(round(axis_max / step)) if step > 0 else 0
    for t in range(ticks + 1):
        value = t * step
        x = left + value * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + height_bars}" '
            f'stroke="#e0e0e0"/>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{top - 8}" font-size="10" text-anchor="middle" fill="#555">'
            f"{esc(_fmt(value))}</text>"
        )
    body.append(
        f'<text x="{left - 6}" y="{top - 8}" font-size="10" text-anchor="end" fill="#555">'
        f"{esc(unit)}</text>"
    )
    colour_by_value = bool(d.get("colour_by_value"))
    for i, (label, row) in enumerate(zip(bars, values, strict=True)):
        y = top + i * (bar_h + gap)
        body.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end" fill="#222">'
            f"<title>{esc(label)}</title>{esc(_short(label, int(label_w / 6.2)))}</text>"
        )
        x = float(left)
        for j, value in enumerate(row):
            if value <= 0:
                continue
            w = value * scale
            if colour_by_value:  # against the bar's target when there is one (100 % = at it)
                target = (d.get("targets") or [100.0] * len(bars))[i]
                colour = _utilisation_colour(100.0 * value / target if target else value)
            else:
                colour = PALETTE[j % len(PALETTE)]
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar_h}" '
                f'fill="{colour}" stroke="#fff" stroke-width="0.5" class="mark">'
                f"<title>{esc(label)}: {esc(series[j])} {esc(_fmt(value))} {esc(unit)}"
                "</title></rect>"
            )
            x += w
        if colour_by_value and row:
            body.append(
                f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="10" fill="#222">'
                f"{esc(_fmt(row[0]))}{esc(unit)}</text>"
            )
        if markers is not None:
            mx = left + markers[i] * scale
            body.append(
                f'<line x1="{mx:.1f}" y1="{y - 3}" x2="{mx:.1f}" y2="{y + bar_h + 3}" '
                f'stroke="#111" stroke-width="2"><title>{esc(d.get("marker_label", ""))}: '
                f"{esc(_fmt(markers[i]))} {esc(unit)}</title></line>"
            )
    height = float(top + height_bars + 8)
    if len(series) > 1:
        items = [(PALETTE[j % len(PALETTE)], s) for j, s in enumerate(series)]
        if markers is not None:
            items.append(("#111", str(d.get("marker_label", "marker"))))
        legend, used = _legend(items, height + 6)
        body += legend
        height += used + 12
    return _svg(chart, height, body)


def _coverage_colour(share: float) -> str:
    if share >= 0.995:
        return "#a5d6a7"
    if share >= 0.9:
        return "#dcedc8"
    if share >= 0.75:
        return "#ffe082"
    if share >= 0.5:
        return "#ffab91"
    return "#ef9a9a"


def heatmap(chart: Chart) -> str:
    """Rows × columns of shares, coloured from red (0) to green (1)."""
    d = chart.data
    rows: list[str] = d["rows"]
    cols: list[str] = d["columns"]
    label_w = min(320, max(80, 7 * max((len(r) for r in rows), default=8)))
    cell_w = max(70, min(150, (WIDTH - label_w - 20) // max(1, len(cols))))
    cell_h, top = 24, 34
    body: list[str] = []
    for j, col in enumerate(cols):
        x = label_w + 10 + j * cell_w + cell_w / 2
        body.append(
            f'<text x="{x:.0f}" y="{top - 10}" font-size="11" text-anchor="middle" fill="#222">'
            f"<title>{esc(col)}</title>{esc(_short(col, int(cell_w / 6.5)))}</text>"
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        body.append(
            f'<text x="{label_w + 4}" y="{y + 16}" font-size="11" text-anchor="end" fill="#222">'
            f"<title>{esc(row)}</title>{esc(_short(row, int(label_w / 6.2)))}</text>"
        )
        for j, value in enumerate(d["values"][i]):
            x = label_w + 10 + j * cell_w
            if value is None:
                body.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                    f'fill="#f5f5f5"/>'
                )
                continue
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{_coverage_colour(value)}" class="mark"><title>{esc(row)}, {esc(cols[j])}: '
                f"{esc(d['labels'][i][j])}</title></rect>"
            )
            body.append(
                f'<text x="{x + cell_w / 2 - 1:.0f}" y="{y + 16}" font-size="11" '
                f'text-anchor="middle" fill="#111">{esc(d["labels"][i][j])}</text>'
            )
    height = top + len(rows) * cell_h + 8
    legend, used = _legend(
        [
            ("#a5d6a7", "100% covered"),
            ("#dcedc8", "90-99%"),
            ("#ffe082", "75-89%"),
            ("#ffab91", "50-74%"),
            ("#ef9a9a", "below 50%"),
        ],
        height + 4,
    )
    width = max(WIDTH, label_w + 10 + len(cols) * cell_w + 10)
    return _svg(chart, height + used + 10, body + legend, width)


def risk_colour(score: int) -> str:
    """NHS 5×5 bands: low, moderate, high, extreme."""
    if score >= 15:
        return "#e53935"
    if score >= 8:
        return "#fb8c00"
    if score >= 4:
        return "#fdd835"
    return "#66bb6a"


LIKELIHOOD = ("Rare", "Unlikely", "Possible", "Likely", "Almost certain")
CONSEQUENCE = ("Negligible", "Minor", "Moderate", "Major", "Catastrophic")


def risk_matrix(chart: Chart) -> str:
    """The 5×5 matrix: consequence up, likelihood across; risk ids in their cells."""
    cells: dict[str, list[str]] = chart.data["cells"]
    left, top, cw, ch = 150, 20, 150, 64
    body: list[str] = []
    for c in range(5, 0, -1):
        y = top + (5 - c) * ch
        body.append(
            f'<text x="{left - 8}" y="{y + ch / 2 + 4:.0f}" font-size="12" text-anchor="end" '
            f'fill="#222">{c} {esc(CONSEQUENCE[c - 1])}</text>'
        )
        for lk in range(1, 6):
            x = left + (lk - 1) * cw
            score = c * lk
            ids = cells.get(f"{lk},{c}", [])
            body.append(
                f'<rect x="{x}" y="{y}" width="{cw - 3}" height="{ch - 3}" rx="3" '
                f'fill="{risk_colour(score)}" fill-opacity="{0.95 if ids else 0.35}" class="mark">'
                f"<title>Consequence {c} × likelihood {lk} = {score}: "
                f"{esc(', '.join(ids) or 'no risks')}</title></rect>"
            )
            body.append(f'<text x="{x + 6}" y="{y + 14}" font-size="10" fill="#333">{score}</text>')
            if ids:
                body.append(
                    f'<text x="{x + cw / 2 - 1:.0f}" y="{y + 32}" font-size="18" font-weight="700" '
                    f'text-anchor="middle" fill="#111">{len(ids)}</text>'
                )
                shown = ", ".join(ids[:4]) + (f" +{len(ids) - 4}" if len(ids) > 4 else "")
                body.append(
                    f'<text x="{x + cw / 2 - 1:.0f}" y="{y + 50}" font-size="10" '
                    f'text-anchor="middle" fill="#111">{esc(_short(shown, 26))}</text>'
                )
    bottom = top + 5 * ch
    for lk in range(1, 6):
        x_mid = left + (lk - 1) * cw + cw / 2
        body.append(
            f'<text x="{x_mid:.0f}" y="{bottom + 16}" font-size="12" text-anchor="middle" '
            f'fill="#222">{lk} {esc(LIKELIHOOD[lk - 1])}</text>'
        )
    body.append(
        f'<text x="{left + 5 * cw / 2:.0f}" y="{bottom + 36}" font-size="12" font-weight="600" '
        f'text-anchor="middle" fill="#222">Likelihood</text>'
    )
    body.append(
        f'<text x="16" y="{top + 5 * ch / 2:.0f}" font-size="12" font-weight="600" '
        f'text-anchor="middle" fill="#222" transform="rotate(-90 16 {top + 5 * ch / 2:.0f})">'
        f"Consequence</text>"
    )
    return _svg(chart, bottom + 48, body, left + 5 * cw + 10)


def status_grid(chart: Chart) -> str:
    """People × competencies, one coloured cell per status."""
    d = chart.data
    rows: list[str] = d["rows"]
    cols: list[str] = d["columns"]
    label_w = min(300, max(80, 7 * max((len(r) for r in rows), default=8)))
    cw, ch = 84, 20
    head = 150
    body: list[str] = []
    for j, col in enumerate(cols):
        x = label_w + 10 + j * cw + cw / 2
        body.append(
            f'<text x="{x:.0f}" y="{head - 6}" font-size="11" fill="#222" '
            f'transform="rotate(-35 {x:.0f} {head - 6})"><title>{esc(col)}</title>'
            f"{esc(_short(col, 30))}</text>"
        )
    for i, row in enumerate(rows):
        y = head + i * ch
        body.append(
            f'<text x="{label_w + 4}" y="{y + 14}" font-size="11" text-anchor="end" fill="#222">'
            f"{esc(_short(row, int(label_w / 6.2)))}</text>"
        )
        for j, status in enumerate(d["values"][i]):
            x = label_w + 10 + j * cw
            if status is None:
                body.append(
                    f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="#fafafa" '
                    f'stroke="#eee"/>'
                )
                continue
            colour, letter = STATUS_COLOURS.get(status, ("#999", "?"))
            body.append(
                f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="{colour}" '
                f'class="mark"><title>{esc(row)}, {esc(cols[j])}: {esc(status)}</title></rect>'
            )
            if letter:
                body.append(
                    f'<text x="{x + cw / 2 - 1:.0f}" y="{y + 14}" font-size="11" font-weight="700" '
                    f'text-anchor="middle" fill="#fff">{letter}</text>'
                )
    height = head + len(rows) * ch + 10
    legend_items = [
        (STATUS_COLOURS[k][0], f"{STATUS_COLOURS[k][1] or '-'}: {label}")
        for k, label in d.get("legend", {}).items()
        if k in STATUS_COLOURS
    ]
    legend, used = _legend(legend_items, height)
    width = max(WIDTH, label_w + 10 + len(cols) * cw + 40)
    return _svg(chart, height + used + 8, body + legend, width)


DRAW = {
    "stacked_bars": stacked_bars,
    "heatmap": heatmap,
    "risk_matrix": risk_matrix,
    "status_grid": status_grid,
}


def svg(chart: Chart) -> str:
    """The chart as one inline ``<svg>`` element."""
    return DRAW[chart.kind](chart)
