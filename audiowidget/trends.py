"""Trends over steps: one statistic of every run, plotted against training steps.

Entry points:

- :func:`trends` (also ``AudioPanel.trends``) builds a live :class:`TrendsFigure`,
  a ``bqplot.Figure`` with one line per run in the run's color, a dashed
  vertical line at the step the panel shows, and a tooltip with run, step and
  value on every point. Clicking a point moves the panel to that step.
- :func:`resolve_statistic` turns a friendly name (``"loudness"``, ``"rms"``,
  …) into the statistic's field name; :data:`STATISTICS` lists them all.

The figure follows the panel: new logs extend the lines, moving a slider (or
setting ``panel.step``) moves the marker, and ``figure.close()`` disconnects it.
It is a regular widget, so it is saved with the notebook and drawn in HTML
exports. Clicking a point and the marker following the sliders need a kernel
(the figure and the panel talk through Python); tooltips do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import bqplot
import ipywidgets
import numpy as np

if TYPE_CHECKING:
    from .widget import AudioPanel

__all__ = ["ALIASES", "STATISTICS", "TrendsFigure", "resolve_statistic", "trends"]

#: Statistic field (as in ``AudioPanel.stats``) → axis label.
STATISTICS: Mapping[str, str] = {
    "loudness_lufs": "Integrated loudness (LUFS)",
    "rms_dbfs": "RMS (dBFS)",
    "peak_dbfs": "Peak (dBFS)",
    "crest_factor_db": "Crest factor (dB)",
    "dynamic_range_db": "Dynamic range (dB)",
    "silence_ratio": "Silence (share of 50 ms windows)",
    "dc_offset": "DC offset (full scale)",
    "clipped_samples": "Clipped samples",
    "duration": "Duration (s)",
    "sample_rate": "Sample rate (Hz)",
    "channels": "Channels",
}

#: Friendly name → statistic field.
ALIASES: Mapping[str, str] = {
    "loudness": "loudness_lufs",
    "rms": "rms_dbfs",
    "peak": "peak_dbfs",
    "crest": "crest_factor_db",
    "crest_factor": "crest_factor_db",
    "dynamic_range": "dynamic_range_db",
    "silence": "silence_ratio",
    "dc": "dc_offset",
    "clipped": "clipped_samples",
}

#: Groups of a figure over every group are told apart by line style and point marker.
LINE_STYLES = ("solid", "dashed", "dotted", "dash_dotted")
MARKERS = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
#: The current-step marker: Jupyter's secondary text color, gray outside Jupyter.
CURSOR_COLOR = "var(--jp-ui-font-color2, #888888)"
CURSOR_LABEL = "current step"
#: Up to this many distinct steps, the step axis has a tick at each (never at half steps).
MAX_TICKS = 12


def resolve_statistic(name: object) -> str:
    """The statistic field for ``name``: a field of :data:`STATISTICS` or an alias.

    Examples:
        >>> resolve_statistic("loudness"), resolve_statistic("rms_dbfs")
        ('loudness_lufs', 'rms_dbfs')
        >>> resolve_statistic("snr")
        Traceback (most recent call last):
        ...
        ValueError: unknown statistic 'snr'; use one of: loudness, rms, peak, crest, ...
    """
    if not isinstance(name, str):
        raise TypeError(
            f"stat must be a statistic name such as 'loudness', got {type(name).__name__}: {name!r}"
        )
    key = name.strip().lower()
    if key in STATISTICS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    raise ValueError(
        f"unknown statistic {name!r}; use one of: {', '.join(ALIASES)}, "
        f"or a field name: {', '.join(STATISTICS)}"
    )


def _number(value: Any) -> float:
    """A statistic as a float; undefined values and silent levels (None, ±inf, NaN) as NaN."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    number = float(value)
    return number if math.isfinite(number) else math.nan


def _update(widget: Any, **values: Any) -> None:
    """Set traits in one message, only those that changed (a NaN gap equals a NaN gap)."""
    changed = {}
    for name, new in values.items():
        old = getattr(widget, name)
        if isinstance(new, np.ndarray):
            same = (
                isinstance(old, np.ndarray)
                and old.shape == new.shape
                and old.dtype == new.dtype
                and np.array_equal(old, new, equal_nan=new.dtype.kind == "f")
            )
        else:
            same = old == new
        if not same:
            changed[name] = new
    if changed:
        with widget.hold_sync():
            for name, new in changed.items():
                setattr(widget, name, new)


class TrendsFigure(bqplot.Figure):  # type: ignore[misc]
    """A live plot of one statistic over steps for the runs of an :class:`AudioPanel`.

    Made by :func:`trends`. Its parts, for reading and restyling:

    - ``lines[(group, run)]``: a ``bqplot.Lines`` over the run's logged steps
      (undefined values are gaps), in the run's color, labelled in the legend;
    - ``points[(group, run)]``: a ``bqplot.Scatter`` on the defined values,
      with the tooltip and the click that moves the panel;
    - ``cursor``: a ``bqplot.Lines`` with one vertical line per distinct step
      shown (``cursor_steps``).

    ``close()`` stops following the panel and closes every part.
    """

    marks: list[Any]  # bqplot traits, typed for mypy (bqplot ships no types)
    title: str

    def __init__(self, panel: AudioPanel, stat: str, group: str | None) -> None:
        self._following = False
        field = resolve_statistic(stat)
        if group is not None:
            panel.steps(group)  # raises KeyError listing the logged groups
        label = STATISTICS[field]
        self.panel = panel
        self.stat = field
        self.group = group
        self.lines: dict[tuple[str, str], bqplot.Lines] = {}
        self.points: dict[tuple[str, str], bqplot.Scatter] = {}
        self._x_scale = bqplot.LinearScale()
        self._y_scale = bqplot.LinearScale()
        self._tooltip = bqplot.Tooltip(
            fields=["name", "x", "y"],
            labels=["run", "step", label],
            formats=["", "d", ".4~g"],
        )
        self.cursor = bqplot.Lines(
            x=np.zeros((0, 2)),
            y=np.zeros((0, 2)),
            scales={"x": self._x_scale, "y": bqplot.LinearScale(min=0.0, max=1.0)},
            colors=[CURSOR_COLOR],
            labels=[CURSOR_LABEL],
            line_style="dashed",
            stroke_width=1.5,
            preserve_domain={"x": True},
        )
        self._x_axis = bqplot.Axis(scale=self._x_scale, label="step", tick_format="~s")
        super().__init__(
            marks=[self.cursor],
            axes=[
                self._x_axis,
                bqplot.Axis(scale=self._y_scale, label=label, side="left"),
            ],
            padding_x=0.025,
            legend_location="top-left",
            fig_margin={"top": 50, "bottom": 50, "left": 70, "right": 30},
            layout=ipywidgets.Layout(width="100%", height="340px"),
        )
        self._observed_pages: list[Any] = []
        panel.observe(self._on_data, names=["_pages", "_runs", "_groups"])
        panel.observe(self._on_steps, names=["_linked_step", "_pinned_steps", "_unlinked"])
        self._following = True
        self._refresh()

    # -- following the panel -------------------------------------------------------

    def _groups(self) -> list[str]:
        return self.panel.groups if self.group is None else [self.group]

    def _on_data(self, _change: Mapping[str, Any]) -> None:
        self._refresh()

    def _on_steps(self, _change: Mapping[str, Any]) -> None:
        with self.panel._lock:
            self._move_cursor()

    def _observe_pages(self) -> None:
        """Follow the clip pages: a log appends to the last page without replacing the list."""
        pages = list(self.panel._pages)
        if pages == self._observed_pages:
            return
        for page in self._observed_pages:
            page.unobserve(self._on_data, names="clips")
        for page in pages:
            page.observe(self._on_data, names="clips")
        self._observed_pages = pages

    def _series(self) -> dict[tuple[str, str], dict[int, float]]:
        """``(group, run) → {step: value}`` of every index-0 clip, in group and run order."""
        groups = self._groups()
        found: dict[tuple[str, str], dict[int, float]] = {}
        for page in self.panel._pages:
            for clip in page.clips:
                if clip.index == 0 and clip.group in groups:
                    value = _number(clip.stats.get(self.stat))
                    found.setdefault((clip.group, clip.run), {})[clip.step] = value
        order = {g: i for i, g in enumerate(groups)}
        runs = {r: i for i, r in enumerate(self.panel.runs)}
        return dict(sorted(found.items(), key=lambda kv: (order[kv[0][0]], runs[kv[0][1]])))

    def _refresh(self) -> None:
        """Rebuild every line from the panel's clips, then move the marker."""
        panel = self.panel
        with panel._lock:
            self._observe_pages()
            series = self._series()
            groups = self._groups()
            several = len(groups) > 1  # then points and legend name the group too
            run_label = "run (group)" if several else "run"
            if self._tooltip.labels[0] != run_label:
                self._tooltip.labels = [run_label, *self._tooltip.labels[1:]]
            title = STATISTICS[self.stat] + ("" if several or not groups else f": {groups[0]}")
            if self.title != title:
                self.title = title
            for (group, run), values in series.items():
                if (group, run) not in self.lines:
                    self._add_run(group, run, groups.index(group))
                steps = np.array(sorted(values), dtype=np.float64)
                y = np.array([values[int(s)] for s in steps], dtype=np.float64)
                name = f"{run} ({group})" if several else run
                defined = np.isfinite(y)
                line, points = self.lines[(group, run)], self.points[(group, run)]
                color = panel.color(run)
                _update(line, x=steps, y=y, colors=[color], labels=[name])
                # text, not objects: bqplot cannot serialize an empty object array (a run
                # whose every value is undefined)
                names = np.full(int(defined.sum()), name)
                _update(points, x=steps[defined], y=y[defined], names=names, colors=[color])
            every_step = sorted({int(s) for line in self.lines.values() for s in line.x})
            self._x_axis.tick_values = every_step if len(every_step) <= MAX_TICKS else None
            marks = [*self.lines.values(), self.cursor, *self.points.values()]
            if marks != list(self.marks):
                self.marks = marks
            # nothing to scale to (say, loudness of clips shorter than 400 ms): a fixed axis
            anything = any(np.isfinite(line.y).any() for line in self.lines.values())
            self._y_scale.min, self._y_scale.max = (None, None) if anything else (0.0, 1.0)
            self._move_cursor()

    def _add_run(self, group: str, run: str, position: int) -> None:
        style = LINE_STYLES[position % len(LINE_STYLES)]
        scales = {"x": self._x_scale, "y": self._y_scale}
        self.lines[(group, run)] = bqplot.Lines(
            scales=scales, display_legend=True, stroke_width=2, line_style=style
        )
        points = bqplot.Scatter(
            scales=scales,
            marker=MARKERS[position % len(MARKERS)],
            default_size=48,
            names_unique=False,  # one name (the run) on every point
            display_names=False,
            tooltip=self._tooltip,
        )
        points.on_element_click(self._click_handler(group))
        self.points[(group, run)] = points

    def _move_cursor(self) -> None:
        shown = self.panel.group_steps
        steps = sorted({shown[g] for g in self._groups() if g in shown})
        _update(
            self.cursor,
            x=np.array([[s, s] for s in steps], dtype=np.float64).reshape(-1, 2),
            y=np.array([[0.0, 1.0]] * len(steps), dtype=np.float64).reshape(-1, 2),
        )

    @property
    def cursor_steps(self) -> list[int]:
        """The steps the marker is drawn at (one per distinct step the groups show)."""
        return [int(row[0]) for row in np.asarray(self.cursor.x).reshape(-1, 2)]

    # -- clicks ------------------------------------------------------------------------

    def _click_handler(self, group: str) -> Callable[[Any, Mapping[str, Any]], None]:
        def on_click(_mark: Any, content: Mapping[str, Any]) -> None:
            data = content.get("data")
            step = data.get("x") if isinstance(data, Mapping) else None
            if isinstance(step, bool) or not isinstance(step, (int, float)):
                return
            if float(step).is_integer():
                self.select(group, int(step))

        return on_click

    def select(self, group: str, step: int) -> None:
        """Move the panel to ``step`` as the ``group`` slider would (what a click does).

        A linked group moves every linked group (``panel.step = step``); an
        unlinked one moves alone. Choosing the newest step follows the newest
        step again, as the slider does. A step not logged for ``group`` is ignored.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> for step in (0, 5, 9):
            ...     panel.log({"g": aw.Audio(np.full(800, 0.1), 8000)}, step=step)
            >>> fig = trends(panel, "peak", "g")
            >>> fig.select("g", 5)
            >>> panel.step, fig.cursor_steps
            (5, [5])
        """
        panel = self.panel
        with panel._lock:
            steps = panel.steps(group)
            if step not in steps:
                return
            if group in panel._unlinked:
                pinned = {g: s for g, s in panel._pinned_steps.items() if g != group}
                panel._pinned_steps = pinned if step == steps[-1] else {**pinned, group: step}
                return
            linked = [g for g in panel.groups if g not in panel._unlinked]
            newest = max(panel.steps(g)[-1] for g in linked)
            panel.step = None if step == newest else step

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop following the panel and close the figure with all its parts."""
        if not getattr(self, "_following", False):  # closed already, or never built
            super().close()
            return
        self._following = False
        panel = self.panel
        panel.unobserve(self._on_data, names=["_pages", "_runs", "_groups"])
        panel.unobserve(self._on_steps, names=["_linked_step", "_pinned_steps", "_unlinked"])
        for page in self._observed_pages:
            page.unobserve(self._on_data, names="clips")
        self._observed_pages = []
        parts = [*self.lines.values(), *self.points.values(), self.cursor, *self.axes]
        scales = [self._x_scale, self._y_scale, self.cursor.scales["y"]]
        super().close()
        for part in [*parts, *scales, self._tooltip]:
            part.close()

    def __repr__(self) -> str:
        where = repr(self.group) if self.group is not None else "every group"
        return f"TrendsFigure({self.stat}, {where}, {len(self.lines)} lines)"


def trends(panel: AudioPanel, stat: str = "loudness", group: str | None = None) -> TrendsFigure:
    """Plot one statistic of every run over the logged steps, following ``panel``.

    Args:
        panel: the panel whose clips are plotted (index 0 of each logged list).
        stat: a statistic of ``panel.stats``, by field name (``"rms_dbfs"``)
            or friendly name: ``loudness``, ``rms``, ``peak``, ``crest``,
            ``dynamic_range``, ``silence``, ``dc``, ``clipped``.
        group: one group key, or ``None`` for every group in one figure, each
            group with its own line style and point marker, named
            ``run (group)`` in the legend and tooltips.

    Returns:
        A :class:`TrendsFigure` (a ``bqplot.Figure``): one line per run in the
        run's color; undefined values (``None``, the ``-inf`` of silence) are
        gaps. A dashed vertical line marks the step the panel shows and
        follows it; clicking a point moves the panel to that step. The figure
        updates as runs log more steps.

    Raises:
        ValueError: ``stat`` is not a known statistic (the message lists them).
        KeyError: ``group`` was never logged (the message lists the groups).

    Examples:
        >>> import numpy as np, audiowidget as aw
        >>> from audiowidget.trends import trends
        >>> panel = aw.AudioPanel()
        >>> t = np.arange(8000) / 8000
        >>> for step in (0, 10, 20):
        ...     for run, gain in (("baseline", 0.1), ("bigger-model", 0.2)):
        ...         x = gain * (1 + step / 10) * np.sin(2 * np.pi * 440 * t)
        ...         panel.log({"tts/hello": aw.Audio(x, 8000)}, step=step, run=run)
        >>> fig = trends(panel, "rms", "tts/hello")
        >>> fig.lines["tts/hello", "baseline"].y.round(2).tolist()
        [-23.01, -16.99, -13.47]
        >>> panel.step = 10
        >>> fig.cursor_steps
        [10]
    """
    return TrendsFigure(panel, stat, group)
