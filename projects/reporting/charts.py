"""Server-side SVG charts (pure): plain lists in, an SVG string out; no JavaScript, nothing fetched at run time.

Every text in the SVG is escaped here, so the string may be marked safe by the template that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ("#417690", "#e08b2c", "#6a9f3a", "#b94a48", "#7a5ea8", "#999999")
WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 48
MARGIN_RIGHT = 16
MARGIN_TOP = 28
MARGIN_BOTTOM = 40


@dataclass(frozen=True)
class Series:
    """One line: a value per x label; None leaves a gap (e.g. days still to come)."""

    name: str
    values: list[float | None]
    dashed: bool = False


def _nice_ceiling(value: float) -> float:
    """The axis top: 1, 2, 4, 6 or 8 times a power of ten, at or above the value; its quarters (the grid lines)
    are round numbers too."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 4, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def _frame(title: str, top: float, *, width: int, height: int) -> list[str]:
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="16" font-size="13" font-weight="bold" fill="#333">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = MARGIN_TOP + plot_height - plot_height * tick / 4
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e5e5"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#666">'
            f"{_number(value)}</text>"
        )
    return parts


def _x_labels(labels: list[str], positions: list[float], height: int) -> list[str]:
    # At most ~8 labels along the axis, or they overlap.
    every = max(1, -(-len(labels) // 8))
    return [
        f'<text x="{x:.1f}" y="{height - MARGIN_BOTTOM + 16}" font-size="10" text-anchor="middle" fill="#666">'
        f"{escape(label)}</text>"
        for index, (label, x) in enumerate(zip(labels, positions, strict=True))
        if index % every == 0 or index == len(labels) - 1
    ]


def _empty(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-empty" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13" fill="#999">'
        f"{escape(title)}: no data yet</text></svg>"
    )


def line_chart(labels: list[str], series: list[Series], *, title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """A line per series over the x labels, with a legend; an empty chart says so."""
    values = [value for line in series for value in line.values if value is not None]
    if not labels or not values:
        return _empty(title, width, height)
    top = _nice_ceiling(max(values))
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_width / max(1, len(labels) - 1)
    xs = (
        [MARGIN_LEFT + step * index for index in range(len(labels))]
        if len(labels) > 1
        else [MARGIN_LEFT + plot_width / 2]
    )
    parts = _frame(title, top, width=width, height=height)
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        points = [
            f"{x:.1f},{MARGIN_TOP + plot_height - plot_height * value / top:.1f}"
            for x, value in zip(xs, line.values, strict=False)
            if value is not None
        ]
        if points:
            parts.append(
                f'<polyline class="series" data-series="{escape(line.name)}" data-points="{len(points)}" '
                f'fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(points)}"/>'
            )
        # A point with no neighbour draws no line: a dot shows it (a project's first day, a lone day of data).
        for index, (x, value) in enumerate(zip(xs, line.values, strict=False)):
            before = index > 0 and line.values[index - 1] is not None
            after = index + 1 < len(line.values) and line.values[index + 1] is not None
            if value is not None and not before and not after:
                y = MARGIN_TOP + plot_height - plot_height * value / top
                parts.append(f'<circle class="lone-point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        legend_x = MARGIN_LEFT + 150 * number + 180
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="12" y2="12" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{legend_x + 22}" y="16" font-size="11" fill="#333">{escape(line.name)}</text>'
        )
    parts.extend(_x_labels(labels, xs, height))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    width: int = WIDTH,
    height: int = HEIGHT,
    colour: str = PALETTE[0],
) -> str:
    """One bar per label, its value written above it; an empty chart says so."""
    if not labels or not any(values):
        return _empty(title, width, height)
    top = _nice_ceiling(max(values))
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / len(labels)
    bar_width = max(2.0, slot * 0.7)
    parts = _frame(title, top, width=width, height=height)
    centres = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_height = plot_height * value / top
        x = MARGIN_LEFT + slot * index + (slot - bar_width) / 2
        y = MARGIN_TOP + plot_height - bar_height
        centres.append(x + bar_width / 2)
        parts.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{value:g}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_width:.1f}" height="{bar_height:.1f}" fill="{colour}"><title>{escape(label)}: '
            f"{value:g}</title></rect>"
        )
        if value and len(labels) <= 31:
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{y - 3:.1f}" font-size="9" text-anchor="middle" '
                f'fill="#333">{_number(value)}</text>'
            )
    parts.extend(_x_labels(labels, centres, height))
    parts.append("</svg>")
    return "".join(parts)


def progress_charts(
    days: list[str], cumulative: list[int | None], planned: list[float], labels_per_day: list[int]
) -> tuple[str, str]:
    """The dashboard's and report's pair: annotated tasks against the planned pace, and labels per day."""
    progress = line_chart(
        days,
        [Series("annotated tasks", list(cumulative)), Series("planned pace", list(planned), dashed=True)],
        title="Progress against target",
    )
    throughput = bar_chart(days, [float(count) for count in labels_per_day], title="Labels per day")
    return progress, throughput


def heat_map(
    row_labels: list[str],
    column_labels: list[str],
    values: list[list[int]],
    *,
    title: str,
    row_title: str = "",
    column_title: str = "",
    cell: int = 34,
) -> str:
    """A grid of counts shaded by size (e.g. a confusion matrix, rows gold, columns predicted), counts written in."""
    if not row_labels or not column_labels:
        return _empty(title, WIDTH, HEIGHT)
    label_width = 12 + 7 * max(len(label) for label in row_labels)
    label_height = 12 + 6 * max(len(label) for label in column_labels)
    left, top = label_width + 16, MARGIN_TOP + 16 + label_height
    width = left + cell * len(column_labels) + MARGIN_RIGHT
    height = top + cell * len(row_labels) + 12
    largest = max((count for row in values for count in row), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heat-map" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="16" font-size="13" font-weight="bold" fill="#333">{escape(title)}</text>',
        f'<text x="{left}" y="{MARGIN_TOP + 4}" font-size="10" fill="#666">{escape(column_title)}</text>',
        f'<text x="4" y="{top - 4}" font-size="10" fill="#666">{escape(row_title)}</text>',
    ]
    for column, label in enumerate(column_labels):
        x = left + cell * column + cell / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top - 4}" font-size="10" fill="#333" transform="rotate(-60 {x:.1f} {top - 4})">'
            f"{escape(label)}</text>"
        )
    for row, label in enumerate(row_labels):
        y = top + cell * row
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" font-size="10" text-anchor="end" fill="#333">'
            f"{escape(label)}</text>"
        )
        for column, count in enumerate(values[row]):
            share = count / largest
            # Diagonal cells (agreement) in blue, the rest (confusions) in red; darker means more.
            colour = "65,118,144" if row == column else "185,74,72"
            x = left + cell * column
            parts.append(
                f'<rect class="cell" data-row="{escape(label)}" data-column="{escape(column_labels[column])}" '
                f'data-value="{count}" x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgba({colour},{0.08 + 0.92 * share:.2f})" stroke="#fff"><title>{escape(label)} → '
                f"{escape(column_labels[column])}: {count}</title></rect>"
            )
            if count:
                text_colour = "#fff" if share > 0.55 else "#333"
                parts.append(
                    f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="{text_colour}">{_number(count)}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
