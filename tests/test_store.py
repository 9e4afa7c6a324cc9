"""The pure data model: steps, replacement, run order and colors."""

from __future__ import annotations

import pytest

from audiowidget.store import PALETTE, ClipStore, Key, palette_color, relative_luminance

# JupyterLab's light and dark layout backgrounds.
BACKGROUNDS = ["#FFFFFF", "#111111", "#212121"]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("n", range(40))
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_run_colors_are_legible_on_light_and_dark(n, background):
    assert contrast(palette_color(n), background) >= 3.0


def test_palette_has_24_distinct_colors_then_golden_angle():
    assert len(PALETTE) == 24
    assert len({c.upper() for c in PALETTE}) == 24
    after = [palette_color(n) for n in range(24, 64)]
    assert len(set(after)) == len(after)
    assert not set(after) & set(PALETTE)


def test_step_none_is_previous_step_plus_one_per_run():
    store: ClipStore[str] = ClipStore()
    assert store.next_step("a") == 0
    store.put("g", 0, "a", ["x"])
    store.put("g", 7, "a", ["x"])
    assert store.next_step("a") == 8
    assert store.next_step("b") == 0


def test_put_replaces_and_removes_extra_indices():
    store: ClipStore[str] = ClipStore()
    assert store.put("g", 1, "a", ["x0", "x1", "x2"]) == []
    replaced = store.put("g", 1, "a", ["y0"])
    assert [k for k, _ in replaced] == [Key("g", 1, "a", i) for i in range(3)]
    assert [v for _, v in store.at("g", 1)] == ["y0"]
    assert len(store) == 1


def test_order_of_runs_and_groups_is_first_logging_order():
    store: ClipStore[str] = ClipStore()
    store.put("z", 0, "second", ["a"])
    store.put("a", 0, "first", ["b"])
    store.put("z", 3, "first", ["c"])
    assert store.runs == ["second", "first"]
    assert store.groups == ["z", "a"]
    assert store.steps("z") == [0, 3]
    assert [k.run for k, _ in store.at("z", 0)] == ["second"]
    assert store.color("second") == PALETTE[0]
    assert store.color("first") == PALETTE[1]


@pytest.mark.parametrize(
    ("color", "error", "match"),
    [
        (12, TypeError, "CSS color string"),
        ("", ValueError, "not a CSS color"),
        ("red; background: url(x)", ValueError, "not a CSS color"),
        ("#12345", ValueError, "not a CSS color"),
        ("expression(alert(1))", ValueError, "not a CSS color"),
    ],
)
def test_set_color_rejects_what_is_not_a_color(color, error, match):
    store: ClipStore[str] = ClipStore()
    store.put("g", 0, "a", ["x"])
    with pytest.raises(error, match=match):
        store.set_color("a", color)
    assert store.color("a") == PALETTE[0]


@pytest.mark.parametrize(
    "color", ["#abc", "#A1B2C3", "#A1B2C3CC", "teal", "rgb(1 2 3)", "hsl(200 70% 45%)"]
)
def test_set_color_accepts_css_colors(color):
    store: ClipStore[str] = ClipStore()
    store.put("g", 0, "a", ["x"])
    store.set_color("a", color)
    assert store.color("a") == color


def test_unknown_names_say_what_exists():
    store: ClipStore[str] = ClipStore()
    store.put("g", 0, "a", ["x"])
    with pytest.raises(KeyError, match="logged runs: \\['a'\\]"):
        store.color("b")
    with pytest.raises(KeyError, match="logged groups: \\['g'\\]"):
        store.steps("h")
