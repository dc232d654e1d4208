"""Small SVG charts rendered on the server (no JavaScript, no external assets).

Every label is XML-escaped; the returned markup is safe to put in a template as is.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30343f"]


def _text(x: float, y: float, label: object, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(str(label))}</text>"
    )


def line_chart(
    series: dict[str, list[int]], labels: list[str], title: str, width: int = 640, height: int = 240
) -> Markup:
    """One line per series over the ``labels`` (weeks), with a legend on the right."""
    left, right, top, bottom = 36, 190, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(v) for v in series.values() if v] + [1])
    n = max(len(labels), 2)

    def xy(i: int, value: int) -> tuple[float, float]:
        return left + plot_w * i / (n - 1), top + plot_h * (1 - value / peak)

    parts = [_text(left, 14, title, size=13)]
    for step in (0, 0.5, 1):
        y = top + plot_h * (1 - step)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(_text(left - 4, y + 4, f"{peak * step:g}", anchor="end", size=10))
    for i, label in enumerate(labels):
        parts.append(_text(xy(i, 0)[0], height - 8, label, anchor="middle", size=10))
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        ly = top + 14 * k + 6
        parts.append(
            f'<rect x="{width - right + 10}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
        )
        parts.append(_text(width - right + 24, ly + 1, f"{name[:22]} ({sum(values)})", size=10))
    if not series:
        parts.append(_text(width / 2, height / 2, "belum ada data", anchor="middle"))
    return _svg(width, height, title, parts)


def bar_chart(rows: list[tuple[str, int, bool]], title: str, width: int = 640) -> Markup:
    """Horizontal bars (label, value, highlighted in red when True)."""
    bar_h, left = 18, 170
    height = 30 + bar_h * max(len(rows), 1) + 8
    peak = max([v for _, v, _ in rows] + [1])
    parts = [_text(4, 14, title, size=13)]
    for i, (label, value, red) in enumerate(rows):
        y = 24 + i * bar_h
        w = (width - left - 50) * value / peak
        color = "#c0392b" if red else "#1b6ca8"
        parts.append(_text(left - 6, y + 12, label[:26], anchor="end"))
        parts.append(
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 5}" fill="{color}"/>'
        )
        parts.append(_text(left + w + 4, y + 12, value))
    if not rows:
        parts.append(_text(width / 2, 40, "tidak ada antrean", anchor="middle"))
    return _svg(width, height, title, parts)


def funnel_chart(stages: list[tuple[str, int]], width: int = 640) -> Markup:
    """Centered bars narrowing from harvested posts to finished LAPOR! complaints."""
    bar_h = 30
    height = bar_h * len(stages) + 10
    peak = max([v for _, v in stages] + [1])
    parts = []
    for i, (label, value) in enumerate(stages):
        w = max(2.0, (width - 20) * value / peak)
        x, y = (width - w) / 2, 4 + i * bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h - 4}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" opacity="0.85"/>'
        )
        parts.append(_text(width / 2, y + 18, f"{label}: {value}", anchor="middle", size=12))
    return _svg(width, height, "funnel", parts)


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">{body}</svg>'
    )
