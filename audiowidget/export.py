"""Static exports of a panel. Knows nothing of widgets: it takes plain records.

- :func:`fallback_html`: the light ``text/html`` shown where the interactive
  panel cannot be (a notebook saved without widget state, a viewer without
  JavaScript). At most :data:`FALLBACK_BUDGET` bytes, no audio: groups × runs
  at the current step with durations, key statistics and small SVG waveforms.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["FALLBACK_BUDGET", "ClipSummary", "fallback_html"]

#: The fallback never exceeds this many bytes (UTF-8).
FALLBACK_BUDGET = 20_000
#: Points per SVG waveform, most detailed first: fewer are used before any row is left out.
_SVG_POINTS = (32, 20, 12, 8)
_SVG_W, _SVG_H = 96, 20
NEEDS_STATE = (
    "This is a static summary: the interactive audiowidget panel (players, step sliders, "
    "Analyze) needs the notebook's widget state. Run the notebook, or export it with "
    "jupyter nbconvert --execute, to get it."
)


@dataclass(frozen=True)
class ClipSummary:
    """What the fallback shows of one clip."""

    group: str
    step: int
    run: str
    index: int
    color: str
    caption: str | None
    duration: float
    encoding: str
    peak_dbfs: float
    rms_dbfs: float
    loudness_lufs: float | None
    peaks: npt.NDArray[np.int16]  # (channels, buckets, 2)
    reference: bool = False  # the reference run's clip, shown beside every step


def _level(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if value == -math.inf:
        return f"−∞ {unit}"
    return f"{value:.1f} {unit}"


def _svg(peaks: npt.NDArray[np.int16], color: str, points: int) -> str:
    """A tiny min/max envelope of all channels, as one closed SVG polygon of ``points`` columns."""
    lows, highs = peaks[..., 0].min(axis=0), peaks[..., 1].max(axis=0)
    n = min(points, lows.size)
    starts = (np.arange(n) * lows.size) // n
    lo = np.minimum.reduceat(lows, starts) / 32767
    hi = np.maximum.reduceat(highs, starts) / 32767
    xs = np.linspace(0, _SVG_W, n)
    mid = _SVG_H / 2
    # rounded outward to whole pixels: any sound covers the pixel it reaches (a clip peaking
    # at -34 dBFS is a thin band, not a flat line), and silence stays flat
    ys_top = np.floor(mid - hi * mid).astype(int)
    ys_bottom = np.ceil(mid - lo * mid).astype(int)
    top = " ".join(f"{x:.0f},{y}" for x, y in zip(xs, ys_top, strict=True))
    bottom = " ".join(f"{x:.0f},{y}" for x, y in zip(xs[::-1], ys_bottom[::-1], strict=True))
    return (
        f'<svg width="{_SVG_W}" height="{_SVG_H}" viewBox="0 0 {_SVG_W} {_SVG_H}" '
        f'aria-hidden="true"><polygon points="{top} {bottom}" '
        f'fill="{html.escape(color)}"/></svg>'
    )


def _row(clip: ClipSummary, step: int, points: int) -> str:
    name = html.escape(clip.run)
    label = name if clip.index == 0 else f"{name} #{clip.index}"
    if clip.reference:
        label += (
            " <small>(reference"
            + ("" if clip.step == step else f", step {clip.step}")
            + ")</small>"
        )
    caption = f"<br><small>{html.escape(clip.caption)}</small>" if clip.caption else ""
    return (
        f'<tr><td style="color:{html.escape(clip.color)};font-weight:600">{label}{caption}</td>'
        f"<td>{_svg(clip.peaks, clip.color, points)}</td>"
        f"<td>{clip.duration:.2f} s</td><td>{_level(clip.peak_dbfs, 'dBFS')}</td>"
        f"<td>{_level(clip.rms_dbfs, 'dBFS')}</td><td>{_level(clip.loudness_lufs, 'LUFS')}</td>"
        f"<td>{html.escape(clip.encoding)}</td></tr>"
    )


def fallback_html(
    groups: Sequence[tuple[str, int, Sequence[ClipSummary]]], totals: tuple[int, int, int]
) -> str:
    """The static summary: for each ``(group, step, clips)``, a table of the clips shown at that
    step (the reference run's may come from another step: its row says which).

    ``totals`` is ``(runs, groups, clips)`` of the whole panel. Where every
    row does not fit in :data:`FALLBACK_BUDGET`, the waveforms get fewer
    points; rows that still would push the result past it are left out and
    counted.

    Examples:
        >>> fallback_html([], (0, 0, 0)).count("widget state")
        1
    """
    best = _summary(groups, totals, _SVG_POINTS[0])
    for points in _SVG_POINTS[1:]:
        if not best[1]:
            break
        coarser = _summary(groups, totals, points)
        if coarser[1] < best[1]:  # coarser only where it shows more rows
            best = coarser
    return best[0]


def _summary(
    groups: Sequence[tuple[str, int, Sequence[ClipSummary]]],
    totals: tuple[int, int, int],
    points: int,
) -> tuple[str, int]:
    """:func:`fallback_html` with ``points`` per waveform, and how many rows it left out."""
    runs, n_groups, n_clips = totals
    head = (
        '<div class="audiowidget-fallback" style="font-family:sans-serif;font-size:13px">'
        f"<p><b>audiowidget panel</b>: {runs} runs, {n_groups} groups, {n_clips} clips. "
        f"<i>{NEEDS_STATE}</i></p>"
    )
    tail = "</div>"
    table_head = (
        '<table style="border-collapse:collapse"><tr><th align="left">run</th><th>waveform</th>'
        "<th>duration</th><th>peak</th><th>RMS</th><th>loudness</th><th>encoding</th></tr>"
    )
    parts = [head]
    used = len(head.encode()) + len(tail.encode())
    left_out = 0
    reserve = 120  # room for the "left out" line
    for group, step, clips in groups:
        title = f'<h4 style="margin:8px 0 2px">{html.escape(group)} · step {step}</h4>'
        block = title + table_head
        rows = [_row(c, step, points) for c in clips]
        if used + len((block + "</table>").encode()) + reserve > FALLBACK_BUDGET:
            left_out += len(rows)
            continue
        kept = []
        budget = FALLBACK_BUDGET - reserve - used - len((block + "</table>").encode())
        for row in rows:
            size = len(row.encode())
            if size > budget:
                left_out += 1
                continue
            kept.append(row)
            budget -= size
        if kept:
            parts.extend([block, *kept, "</table>"])
            used = FALLBACK_BUDGET - reserve - budget
    if left_out:
        parts.append(f"<p>… and {left_out} more clips (not shown to keep this summary small).</p>")
    parts.append(tail)
    return "".join(parts), left_out
