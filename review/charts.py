"""Small SVG charts rendered on the server (no JavaScript, no external assets)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ["#1b6ca8", "#d1495b", "#b7791f", "#00798c", "#2f855a", "#8d6a9f", "#30343f"]
# Drawn on a narrow canvas (``WIDTH`` units, text of 13-14 units) so that they stay readable when a
# phone shrinks them to ~350 px; the page caps their width on a desktop. Legends are HTML lists
# below the picture, so no name is ever cut off. Every label is XML-escaped; the returned markup is
# safe to put in a template as is.
WIDTH = 420
FONT = 13


def _text(x: float, y: float, label: object, anchor: str = "start", size: int = FONT) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(str(label))}</text>"
    )


def _swatch(color: str) -> str:
    return (
        '<svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">'
        f'<rect width="12" height="12" fill="{color}"/></svg>'
    )


def _legend(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<li>{_swatch(color)} {escape(label)}</li>" for label, color in items)
    return f'<ul class="legend">{rows}</ul>' if rows else ""


def line_chart(
    series: dict[str, list[int]], labels: list[str], title: str, height: int = 220
) -> Markup:
    """One line per series over the ``labels`` (weeks); the legend (with totals) below."""
    width = WIDTH
    left, right, top, bottom = 34, 12, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(v) for v in series.values() if v] + [1])
    n = max(len(labels), 2)

    def xy(i: int, value: int) -> tuple[float, float]:
        return left + plot_w * i / (n - 1), top + plot_h * (1 - value / peak)

    parts = []
    for value in sorted({0, peak // 2, peak}):  # counts: whole numbers only
        y = top + plot_h * (1 - value / peak)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(_text(left - 4, y + 4, value, anchor="end", size=12))
    # at most ~7 week labels, so they never run into each other; the last week always, ending
    # at the right edge, and the one before it left out when it would touch it
    every = max(1, -(-len(labels) // 7))
    shown = [i for i in range(len(labels)) if i % every == 0]
    if labels and shown[-1] != len(labels) - 1:
        if len(labels) - 1 - shown[-1] < every / 2 + 1:
            shown.pop()
        shown.append(len(labels) - 1)
    for i in shown:
        last = i == len(labels) - 1 and len(labels) > 1  # the right edge would cut it
        x = xy(i, 0)[0]
        parts.append(_text(x, height - 8, labels[i], anchor="end" if last else "middle", size=12))
    legend = []
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        legend.append((f"{name} ({sum(values)})", color))
    if not series:
        parts.append(_text(width / 2, height / 2, "belum ada data", anchor="middle"))
    return _figure(title, _svg(width, height, title, parts), _legend(legend))


def bar_chart(rows: list[tuple[str, int, bool]], title: str) -> Markup:
    """Horizontal bars (label, value, highlighted in red when True), each name above its bar
    in full."""
    width, row_h = WIDTH, 38
    height = row_h * max(len(rows), 1) + 6
    peak = max([v for _, v, _ in rows] + [1])
    parts = []
    for i, (label, value, red) in enumerate(rows):
        y = 4 + i * row_h
        w = max(2.0, (width - 50) * value / peak)
        color = "#c0392b" if red else "#1b6ca8"
        parts.append(_text(2, y + 13, label + (" (zona merah)" if red else "")))
        parts.append(f'<rect x="2" y="{y + 18}" width="{w:.1f}" height="14" fill="{color}"/>')
        parts.append(_text(w + 8, y + 30, value))
    if not rows:
        parts.append(_text(width / 2, 24, "tidak ada antrean", anchor="middle"))
    return _figure(title, _svg(width, height, title, parts), "")


def funnel_chart(stages: list[tuple[str, int]], title: str = "Alur aduan") -> Markup:
    """Centered bars narrowing from harvested posts to finished LAPOR! complaints."""
    width, bar_h = WIDTH, 34
    height = bar_h * len(stages) + 8
    peak = max([v for _, v in stages] + [1])
    parts = []
    for i, (label, value) in enumerate(stages):
        w = max(2.0, (width - 8) * value / peak)
        x, y = (width - w) / 2, 4 + i * bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h - 4}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" opacity="0.25"/>'
        )
        parts.append(_text(width / 2, y + 21, f"{label}: {value}", anchor="middle", size=14))
    return _figure(title, _svg(width, height, title, parts), "")


def _svg(width: int, height: int, title: str, parts: list[str]) -> str:
    body = "".join(parts)
    label = escape(title, {chr(34): "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{label}">{body}</svg>'
    )


def _figure(title: str, svg: str, legend: str) -> Markup:
    return Markup(
        f'<figure class="figure"><figcaption>{escape(title)}</figcaption>{svg}{legend}</figure>'
    )
