"""The dashboard's line chart: week labels that never collide or run off the edge, whole counts."""

from __future__ import annotations

import re

import pytest

from review.charts import line_chart

WEEK = re.compile(r'font-size="12" text-anchor="(middle|end)">(\d\d)/11</text>')
TICK = re.compile(r'text-anchor="end">([^<]*)</text>')


@pytest.mark.parametrize("weeks", [1, 2, 4, 8, 9, 13, 26, 52])
def test_week_labels_fit_and_the_last_week_is_shown_inside_the_picture(weeks):
    labels = [f"{i:02d}/11" for i in range(weeks)]
    svg = str(line_chart({"dlhk": [1] * weeks}, labels, "Aduan per instansi"))
    shown = [(anchor, int(week)) for anchor, week in WEEK.findall(svg)]
    assert len(shown) <= 8
    assert shown[-1][1] == weeks - 1 and shown[0][1] == 0
    assert shown[-1][0] == ("end" if weeks > 1 else "middle")  # not cut at the right edge
    gaps = [b - a for (_, a), (_, b) in zip(shown, shown[1:], strict=False)]
    assert all(g >= max(1, weeks / 14) for g in gaps)  # never two labels run together


def test_the_count_axis_has_whole_numbers_only():
    svg = str(line_chart({"dlhk": [0, 1, 0]}, ["01/11", "08/11", "15/11"], "t"))
    ticks = [t for t in TICK.findall(svg) if not t.endswith("/11")]
    assert ticks == ["0", "1"]
    svg = str(line_chart({"dlhk": [0, 7, 3]}, ["01/11", "08/11", "15/11"], "t"))
    assert [t for t in TICK.findall(svg) if not t.endswith("/11")] == ["0", "3", "7"]
