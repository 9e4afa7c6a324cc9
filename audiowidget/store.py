"""Runs × groups × steps of logged clips, and run colors. Knows nothing of widgets.

:class:`ClipStore` is the pure data model behind :class:`audiowidget.AudioPanel`:
it keeps every logged value under ``(group, step, run, index)``, the order in
which runs and groups first appeared, each run's color and each run's last
step (so ``step=None`` means "the run's previous step + 1").
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["PALETTE", "ClipStore", "Key", "palette_color", "validate_css_color"]

T = TypeVar("T")

#: 24 run colors in maximum-contrast order. Each has a WCAG contrast ratio of at
#: least 3:1 against white and against JupyterLab's dark background, so run
#: names stay legible in both themes. Runs past the 24th get golden-angle hues.
PALETTE: tuple[str, ...] = (
    "#4C78E0", "#E8590C", "#2F9E44", "#D6336C", "#9C5DE0", "#B08800",
    "#0C8599", "#E03131", "#6C8A00", "#E64980", "#1C7ED6", "#B5651D",
    "#7B61FF", "#D9480F", "#099268", "#B8409C", "#5C7CFA", "#C77700",
    "#3A8E5C", "#F03E3E", "#8F6ED5", "#1A9FB0", "#AE3EC9", "#7F8C00",
)  # fmt: skip

_GOLDEN_ANGLE = 137.50776405003785
_TARGET_LUMINANCE = 0.2  # between the 0.14 and 0.30 that keep 3:1 on both themes

_CSS_COLOR = re.compile(
    r"^(#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}"
    r"|(rgb|rgba|hsl|hsla|hwb|lab|lch|oklab|oklch|color)\([0-9a-zA-Z.,%/+\- ]*\)"
    r"|[a-zA-Z]{3,30})$"
)


def relative_luminance(hex_color: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``.

    Examples:
        >>> round(relative_luminance("#FFFFFF"), 3)
        1.0
    """
    value = hex_color.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _golden_angle_color(n: int) -> str:
    """The ``n``-th color after the palette: golden-angle hue at a fixed luminance."""
    hue = (n * _GOLDEN_ANGLE) % 360 / 360
    low, high = 0.0, 1.0
    for _ in range(30):  # bisection on HLS lightness; luminance is monotonic in it
        mid = (low + high) / 2
        r, g, b = colorsys.hls_to_rgb(hue, mid, 0.7)
        color = f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
        if relative_luminance(color) < _TARGET_LUMINANCE:
            low = mid
        else:
            high = mid
    return color


def palette_color(n: int) -> str:
    """Color of the ``n``-th run (0-based) in logging order.

    Examples:
        >>> palette_color(0)
        '#4C78E0'
    """
    if n < len(PALETTE):
        return PALETTE[n]
    return _golden_angle_color(n)


def validate_css_color(color: object) -> str:
    """Return ``color`` if it looks like a CSS color, else raise with the accepted forms."""
    if not isinstance(color, str):
        raise TypeError(
            f"a run color must be a CSS color string such as '#1f77b4', got {type(color).__name__}"
        )
    stripped = color.strip()
    if not _CSS_COLOR.match(stripped):
        raise ValueError(
            f"{color!r} is not a CSS color: use a hex color ('#1f77b4'), a named color "
            "('teal') or a color function ('rgb(31 119 180)', 'hsl(200 70% 45%)')"
        )
    return stripped


@dataclass(frozen=True, order=True)
class Key:
    """Where a clip sits: group, step, run and index within the logged list."""

    group: str
    step: int
    run: str
    index: int


class ClipStore(Generic[T]):
    """Values logged under (group, step, run, index), with run order and colors.

    Examples:
        >>> store: ClipStore[str] = ClipStore()
        >>> store.put("tts/hello", store.next_step("base"), "base", ["a.wav"])
        []
        >>> store.steps("tts/hello"), store.runs, store.color("base")
        ([0], ['base'], '#4C78E0')
    """

    def __init__(self) -> None:
        self._items: dict[Key, T] = {}
        self._runs: list[str] = []
        self._colors: dict[str, str] = {}
        self._groups: list[str] = []
        self._last_step: dict[str, int] = {}
        self._steps: dict[str, set[int]] = {}
        self._counts: dict[tuple[str, int, str], int] = {}

    @property
    def runs(self) -> list[str]:
        """Run names in the order they were first logged."""
        return list(self._runs)

    @property
    def groups(self) -> list[str]:
        """Group keys in the order they were first logged."""
        return list(self._groups)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[tuple[Key, T]]:
        return iter(self._items.items())

    def steps(self, group: str) -> list[int]:
        """Sorted steps at which ``group`` has at least one clip."""
        if group not in self._steps:
            raise KeyError(f"no group {group!r} has been logged; logged groups: {self._groups}")
        return sorted(self._steps[group])

    def color(self, run: str) -> str:
        """The run's CSS color."""
        if run not in self._colors:
            raise KeyError(f"no run {run!r} has been logged; logged runs: {self._runs}")
        return self._colors[run]

    def set_color(self, run: str, color: str) -> None:
        """Give ``run`` a CSS color (checked by :func:`validate_css_color`)."""
        checked = validate_css_color(color)
        if run not in self._colors:
            raise KeyError(f"no run {run!r} has been logged; logged runs: {self._runs}")
        self._colors[run] = checked

    def next_step(self, run: str) -> int:
        """The step ``step=None`` stands for: the run's previous step + 1, starting at 0."""
        last = self._last_step.get(run)
        return 0 if last is None else last + 1

    def get(self, key: Key) -> T | None:
        return self._items.get(key)

    def at(self, group: str, step: int) -> list[tuple[Key, T]]:
        """Clips of ``group`` at ``step``, by run order then index."""
        order = {run: i for i, run in enumerate(self._runs)}
        found = [(k, v) for k, v in self._items.items() if k.group == group and k.step == step]
        return sorted(found, key=lambda kv: (order[kv[0].run], kv[0].index))

    def put(self, group: str, step: int, run: str, values: Sequence[T]) -> list[tuple[Key, T]]:
        """Store ``values`` as indices 0..n-1 of (group, step, run), replacing what was there.

        Returns the ``(key, value)`` pairs that were replaced or removed.
        """
        if run not in self._colors:
            self._runs.append(run)
            self._colors[run] = palette_color(len(self._runs) - 1)
        if group not in self._steps:
            self._groups.append(group)
            self._steps[group] = set()
        old_count = self._counts.get((group, step, run), 0)
        replaced: list[tuple[Key, T]] = []
        for index in range(max(old_count, len(values))):
            key = Key(group, step, run, index)
            old = self._items.pop(key, None)
            if old is not None:
                replaced.append((key, old))
            if index < len(values):
                self._items[key] = values[index]
        self._counts[(group, step, run)] = len(values)
        self._steps[group].add(step)
        self._last_step[run] = step
        return replaced
