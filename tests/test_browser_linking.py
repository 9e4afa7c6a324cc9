"""Linked step sliders, the reference run, fullscreen and keyboard shortcuts, live
logging and two views of one panel, in the built bundle.

The step each group shows is checked against what Python computes
(:attr:`audiowidget.AudioPanel.group_steps`) for the same traits, on a real
panel's state loaded into the harness page.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from panel_state import panel_state
from playwright.sync_api import expect
from test_browser_bundle import RUNS, Harness, harness, make_clip, site

import audiowidget as aw

pytestmark = pytest.mark.browser

__all__ = ["harness", "site"]  # fixtures shared with test_browser_bundle

SR = 8000
STEPS = {"a": (0, 100, 200, 300), "b": (0, 150, 250), "c": (5,)}


def short(freq: float = 440.0) -> aw.Audio:
    t = np.arange(2 * SR) / SR
    return aw.Audio((0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR)


def make_panel() -> aw.AudioPanel:
    panel = aw.AudioPanel()
    for group, steps in STEPS.items():
        for step in steps:
            for run in ("baseline", "bigger-model"):
                panel.log({group: short()}, step=step, run=run)
    return panel


@pytest.fixture(scope="module")
def real() -> Any:
    panel = make_panel()
    yield {"panel": panel, "state": panel_state(panel)}
    panel.close()


class Steps:
    def __init__(self, h: Harness) -> None:
        self.h = h
        self.page = h.page

    def shown(self, view: int = 0) -> dict[str, int]:
        return {g: int(self.value(g, view)) for g in STEPS}

    def value(self, group: str, view: int = 0) -> str:
        return self.h.section(group, view).locator(".aw-step-value").text_content()

    def note(self, group: str, view: int = 0) -> str | None:
        note = self.h.section(group, view).locator(".aw-step-note")
        return note.text_content() if note.is_visible() else None

    def lock(self, group: str, view: int = 0) -> Any:
        return self.h.section(group, view).get_by_role("button", name="Link steps")

    def trait(self, name: str) -> Any:
        return self.h.js("n => harness.panel.get(n)", name)

    def set(self, name: str, value: Any) -> None:
        self.h.js("([n, v]) => harness.panel.set(n, v)", [name, value])


@pytest.fixture
def steps(harness: Harness, real: dict[str, Any]) -> Steps:
    harness.js("s => harness.loadState(s)", real["state"])
    harness.render()
    for group in STEPS:
        expect(harness.cards(group)).to_have_count(2)
    return Steps(harness)


def python_steps(panel: aw.AudioPanel, linked: int | None, unlinked=(), pinned=None) -> dict:
    panel._linked_step = linked
    panel._unlinked = list(unlinked)
    panel._pinned_steps = dict(pinned or {})
    return panel.group_steps


# -- linked sliders ------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", [None, 0, 99, 100, 149, 150, 175, 200, 225, 250, 275, 300])
def test_linked_steps_equal_python(steps: Steps, real: dict[str, Any], linked: int | None) -> None:
    steps.set("_linked_step", linked)
    expected = python_steps(real["panel"], linked)
    assert steps.shown() == expected
    wanted = 300 if linked is None else linked
    for group, step in expected.items():
        assert steps.note(group) == (None if step == wanted else f"nearest to step {wanted}")
        assert steps.h.card_steps(group) == [str(step)] * 2
        slider = steps.h.section(group).get_by_label("Step", exact=True)
        assert slider.input_value() == str(STEPS[group].index(step))
        valuetext = slider.get_attribute("aria-valuetext")
        assert valuetext.startswith(f"step {step}")


@pytest.mark.parametrize(
    ("unlinked", "pinned", "linked"),
    [(["b"], {"b": 0}, 100), (["b"], {}, 100), (["a", "b"], {"a": 120}, None),
     (["a", "b", "c"], {"b": 200}, 0)],
)  # fmt: skip
def test_unlinked_and_pinned_steps_equal_python(
    steps: Steps, real: dict[str, Any], unlinked: list[str], pinned: dict, linked: int | None
) -> None:
    steps.set("_unlinked", unlinked)
    steps.set("_pinned_steps", pinned)
    steps.set("_linked_step", linked)
    assert steps.shown() == python_steps(real["panel"], linked, unlinked, pinned)
    for group in STEPS:
        pressed = steps.lock(group).get_attribute("aria-pressed")
        assert pressed == ("false" if group in unlinked else "true")


def test_moving_a_linked_slider_moves_every_linked_group(steps: Steps) -> None:
    s = steps
    for group in STEPS:
        expect(s.lock(group)).to_have_attribute("aria-pressed", "true")  # linked by default
    s.h.section("b").get_by_label("Step", exact=True).fill("1")  # b: 150
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 150")
    assert s.shown() == {"a": 100, "b": 150, "c": 5}  # 100 and 200 tie: the lower
    assert s.note("a") == "nearest to step 150"
    assert s.note("b") is None
    assert s.note("c") == "nearest to step 150"
    # The keyboard on a focused section: → from 100 is 200.
    s.h.section("a").focus()
    s.page.keyboard.press("ArrowRight")
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 200")
    assert s.shown() == {"a": 200, "b": 150, "c": 5}
    # The newest step overall writes null: follow.
    s.page.keyboard.press("ArrowRight")
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === null")
    assert s.shown() == {"a": 300, "b": 250, "c": 5}
    assert s.trait("_pinned_steps") == {}
    assert s.h.js("() => harness.panel.saves") >= 3


def test_unlocking_moves_a_group_on_its_own(steps: Steps) -> None:
    s = steps
    s.set("_linked_step", 100)
    lock = s.lock("b")
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "false")
    assert s.trait("_unlinked") == ["b"]
    assert s.trait("_pinned_steps") == {"b": 150}  # unlocking keeps the step shown
    s.h.section("b").get_by_label("Step", exact=True).fill("0")
    s.page.wait_for_function("() => harness.panel.get('_pinned_steps').b === 0")
    assert s.shown() == {"a": 100, "b": 0, "c": 5}
    assert s.note("b") is None
    assert s.trait("_linked_step") == 100  # the linked groups did not move
    # The unlinked slider at its newest step unpins (follows); locking again links it.
    s.h.section("b").get_by_label("Step", exact=True).fill("2")
    s.page.wait_for_function("() => !('b' in harness.panel.get('_pinned_steps'))")
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "true")
    assert s.trait("_unlinked") == []
    assert s.shown() == {"a": 100, "b": 150, "c": 5}


# -- live logging ------------------------------------------------------------------------------


def test_new_steps_appear_and_moved_sliders_stay(harness: Harness) -> None:
    """How fast a logged step reaches the screen in a real JupyterLab: ``bench/live.py``."""
    h = harness
    clips = [make_clip(r["name"], g, s, seconds=0.3) for g in "xy" for s in (0, 10) for r in RUNS]
    h.add_page(clips)
    h.render()
    expect(h.cards("y")).to_have_count(2)
    value = h.section("x").locator(".aw-step-value")

    def log_and_wait(group: str, step: int, selector_group: str, expected: str) -> None:
        h.add_page([make_clip(r["name"], group, step, seconds=0.3) for r in RUNS])
        expect(h.section(selector_group).locator(".aw-step-value")).to_have_text(expected)

    # Following the newest: both linked groups follow a step logged in x only.
    log_and_wait("x", 20, "x", "20")
    assert value.text_content() == "20"
    assert h.section("y").locator(".aw-step-note").text_content() == "nearest to step 20"
    # The user moves the linked sliders back: new steps no longer move them.
    h.section("y").get_by_label("Step", exact=True).fill("0")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === 0")
    h.add_page([make_clip(r["name"], "x", 30, seconds=0.3) for r in RUNS])
    slider = h.section("x").get_by_label("Step", exact=True)
    expect(slider).to_have_attribute("max", "3")
    assert (slider.input_value(), value.text_content()) == ("0", "0")
    # An unlinked group follows its own newest step while not moved.
    h.section("y").get_by_role("button", name="Link steps").click()
    h.page.wait_for_function("() => harness.panel.get('_unlinked').includes('y')")
    h.section("y").get_by_label("Step", exact=True).fill("1")  # its newest: follows
    log_and_wait("y", 40, "y", "40")
    assert value.text_content() == "0"  # x stays where the user put it


# -- the reference run ------------------------------------------------------------------------


def test_reference_run_shows_first_with_its_nearest_earlier_clip(harness: Harness) -> None:
    panel = aw.AudioPanel()
    for step in (0, 100, 200):
        panel.log({"g": short(300)}, step=step, run="model")
    panel.log({"g": short(500)}, step=0, run="ground truth", reference=True)
    panel.log({"g": short(500)}, step=150, run="ground truth")
    panel.log({"h": short(500)}, step=300, run="ground truth")  # only after every step of h
    panel.log({"h": short(300)}, step=100, run="model")
    harness.js("s => harness.loadState(s)", panel_state(panel))
    panel.close()
    harness.js("() => harness.panel.set('_unlinked', ['g', 'h'])")
    harness.js("() => harness.panel.set('_pinned_steps', {h: 100})")
    harness.render()
    cards = harness.cards("g")
    expect(cards).to_have_count(2)

    def grid(group: str = "g") -> list[list[str | None]]:
        return harness.cards(group).evaluate_all(
            "els => els.map(e => [e.dataset.run, e.dataset.step, e.dataset.reference ?? null])"
        )

    assert grid() == [["ground truth", "150", "true"], ["model", "200", None]]
    badge = cards.first.locator(".aw-badge")
    expect(badge).to_be_visible()
    assert badge.text_content() == "reference"
    expect(cards.nth(1).locator(".aw-badge")).to_be_hidden()
    assert grid("h") == [["ground truth", "300", "true"], ["model", "100", None]]  # its only clip
    pin = "s => harness.panel.set('_pinned_steps', {g: s})"
    harness.js(pin, 100)
    expect(cards.nth(1)).to_have_attribute("data-step", "100")
    assert grid() == [["ground truth", "0", "true"], ["model", "100", None]]
    # At a step the reference run logged itself: one card, not two.
    harness.js(pin, 0)
    expect(cards.nth(1)).to_have_attribute("data-step", "0")
    assert grid() == [["ground truth", "0", "true"], ["model", "0", None]]
    # No reference: its card at this step is an ordinary card, in run order.
    harness.js("() => harness.panel.set('_reference', '')")
    expect(cards.first).to_have_attribute("data-run", "model")
    assert grid() == [["model", "0", None], ["ground truth", "0", None]]
    harness.js(pin, 200)
    expect(cards).to_have_count(1)


# -- fullscreen and keys ----------------------------------------------------------------------


def test_fullscreen_keys_and_escape(steps: Steps) -> None:
    s = steps
    section = s.h.section("a")
    button = section.get_by_role("button", name="Fullscreen")
    button.click()
    exit_button = section.get_by_role("button", name="Exit fullscreen")
    expect(exit_button).to_have_count(1)
    native = s.h.js("() => document.fullscreenElement?.dataset.group ?? null")
    overlay = section.evaluate("e => e.classList.contains('aw-overlay')")
    assert native == "a" or overlay
    expect(section).to_be_focused()
    box = section.bounding_box()
    assert box["width"] >= 1199  # the whole viewport
    assert box["height"] >= 899
    # ← / →: steps; 1–9: runs; Space: play/pause the selected card (or the focused one's).
    s.page.keyboard.press("ArrowLeft")
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 200")
    s.page.keyboard.press("2")
    s.page.wait_for_function("() => harness.panel.get('selected_run') === 'bigger-model'")
    card = s.h.card("a", "bigger-model")
    expect(card).to_have_attribute("data-selected", "true")
    s.page.keyboard.press(" ")
    expect(card.get_by_role("button", name="Pause")).to_have_count(1)
    s.page.keyboard.press(" ")
    expect(card.get_by_role("button", name="Play")).to_have_count(1)
    # Space on a card's own seek slider plays that card, not the selected one.
    other = s.h.card("a", "baseline")
    other.get_by_label("Seek").focus()
    s.page.keyboard.press(" ")
    expect(other.get_by_role("button", name="Pause")).to_have_count(1)
    expect(card.get_by_role("button", name="Play")).to_have_count(1)
    s.page.keyboard.press(" ")
    expect(other.get_by_role("button", name="Play")).to_have_count(1)
    section.focus()
    s.page.keyboard.press("9")  # no ninth run: nothing changes
    assert s.trait("selected_run") == "bigger-model"
    s.page.keyboard.press("Escape")
    expect(section.get_by_role("button", name="Fullscreen")).to_have_count(1)
    s.page.wait_for_function("() => document.fullscreenElement === null")
    assert not section.evaluate("e => e.classList.contains('aw-overlay')")


@pytest.mark.parametrize("how", ["refused", "missing"])
def test_fullscreen_falls_back_to_an_overlay(steps: Steps, how: str) -> None:
    s = steps
    if how == "refused":
        s.h.js(
            "() => { Element.prototype.requestFullscreen = () =>"
            " Promise.reject(new TypeError('Permissions check failed')); }"
        )
    else:
        s.h.js("() => { delete Element.prototype.requestFullscreen; }")
    section = s.h.section("b")
    section.get_by_role("button", name="Fullscreen").click()
    expect(section).to_have_class("aw-group aw-overlay aw-full")
    style = section.evaluate(
        "e => { const c = getComputedStyle(e); const r = e.getBoundingClientRect();"
        " return [c.position, r.left, r.top, r.width, r.height]; }"
    )
    assert style == ["fixed", 0, 0, 1200, 900]
    s.page.keyboard.press("ArrowLeft")  # keys still work in the overlay
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 150")
    s.page.keyboard.press("Escape")
    expect(section.get_by_role("button", name="Fullscreen")).to_have_count(1)
    expect(section).not_to_have_class("aw-group aw-overlay aw-full")


def test_keys_stay_out_of_inputs_and_the_help_popover(steps: Steps) -> None:
    s = steps
    section = s.h.section("a")
    # Arrows on the step slider step it natively (once, not twice).
    section.get_by_label("Step", exact=True).focus()
    s.page.keyboard.press("ArrowLeft")
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 200")
    # Space on a focused button activates that button only.
    play = s.h.card("a", "baseline").get_by_role("button", name="Play")
    play.focus()
    s.page.keyboard.press(" ")
    expect(s.h.card("a", "baseline").get_by_role("button", name="Pause")).to_have_count(1)
    assert s.h.js("() => harness.playing().length") == 1
    s.h.card("a", "baseline").get_by_role("button", name="Pause").click()
    # The ? button opens a popover listing the keys; Escape and a click outside close it.
    help_button = section.get_by_role("button", name="Keyboard shortcuts")
    help_button.click()
    popover = section.get_by_role("dialog", name="Keyboard shortcuts")
    expect(popover).to_be_visible()
    assert help_button.get_attribute("popovertarget") == popover.get_attribute("id")
    text = popover.text_content()
    for key in ("\u2190 \u2192", "Space", "1\u20139", "Esc"):
        assert key in text
    s.page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    expect(help_button).to_be_focused()
    section.focus()
    s.page.keyboard.press("?")
    expect(popover).to_be_visible()
    s.page.mouse.click(5, 890)
    expect(popover).to_be_hidden()


def test_volume_mute_and_focus_follow_the_run_from_step_to_step(steps: Steps) -> None:
    s = steps
    card = s.h.card("a", "bigger-model")
    card.get_by_label("Volume").fill("0.2")
    card.get_by_role("button", name="Mute").click()
    analyze = card.get_by_role("button", name="Analyze")
    analyze.focus()
    s.page.keyboard.press("ArrowLeft")  # a: 300 -> 200, on a focused card's button
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 200")
    moved = s.h.section("a").locator('.aw-card[data-step="200"][data-run="bigger-model"]')
    expect(moved).to_have_count(1)
    levels = "a => [a.volume, a.muted]"
    assert moved.locator("audio").evaluate(levels) == [pytest.approx(0.2), True]
    expect(moved.get_by_role("button", name="Unmute")).to_have_count(1)
    assert s.h.card("a", "baseline").locator("audio").evaluate(levels) == [1, False]
    # focus stayed on the run's Analyze button, so the next arrow moves on again
    expect(moved.get_by_role("button", name="Analyze")).to_be_focused()
    s.page.keyboard.press("ArrowLeft")
    s.page.wait_for_function("() => harness.panel.get('_linked_step') === 100")
    again = s.h.section("a").locator('.aw-card[data-step="100"][data-run="bigger-model"]')
    assert again.locator("audio").evaluate(levels) == [pytest.approx(0.2), True]
    expect(again.get_by_role("button", name="Analyze")).to_be_focused()


# -- two views ----------------------------------------------------------------------------------


def test_two_views_follow_each_other(harness: Harness) -> None:
    h = harness
    clips = [make_clip(r["name"], g, s, seconds=0.5) for g in "xy" for s in (0, 10) for r in RUNS]
    h.add_page(clips)
    h.render()
    h.render()
    for v in (0, 1):
        expect(h.cards("y", v)).to_have_count(2)

    h.section("x", 0).get_by_label("Step", exact=True).fill("0")
    expect(h.section("y", 1).locator(".aw-step-value")).to_have_text("0")
    h.section("y", 1).get_by_role("button", name="Link steps").click()
    expect(h.section("y", 0).get_by_role("button", name="Link steps")).to_have_attribute(
        "aria-pressed", "false"
    )
    h.section("y", 0).get_by_label("Step", exact=True).fill("1")
    expect(h.section("y", 1).locator(".aw-step-value")).to_have_text("10")
    expect(h.section("x", 1).locator(".aw-step-value")).to_have_text("0")
    h.card("x", "bigger-model", 0).locator(".aw-run-name").click()
    expect(h.card("x", "bigger-model", 1)).to_have_attribute("data-selected", "true")
    expect(h.card("y", "bigger-model", 1)).to_have_attribute("aria-current", "true")
    h.section("x", 1).get_by_role("button", name="Compare").click()
    for v in (0, 1):
        for g in ("x", "y"):
            expect(h.section(g, v).locator(".aw-compare")).to_have_count(1)
    expect(h.card("x", "bigger-model", 0)).to_have_attribute("data-audible", "true")
    h.section("y", 0).get_by_role("button", name="Match loudness").click()
    expect(h.section("x", 1).get_by_role("button", name="Match loudness")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(h.card("x", "baseline", 1).locator(".aw-gain")).to_have_text("unchanged")
    # Playback stays per view.
    h.section("x", 0).locator(".aw-compare").get_by_role("button", name="Play").click()
    h.page.wait_for_function(
        "() => Number(document.querySelector('.view .aw-compare').dataset.position) > 0.1"
    )
    other = h.section("x", 1).locator(".aw-compare")
    assert other.get_attribute("data-position") == "0.000"
    expect(other.get_by_role("button", name="Play")).to_have_count(1)
    assert h.js("() => harness.audio.created") == 1
    h.section("x", 0).get_by_role("button", name="Compare").click()
    for v in (0, 1):
        expect(h.view(v).locator(".aw-compare")).to_have_count(0)
