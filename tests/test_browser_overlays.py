"""The Analyze view's "All runs" overlays in the built bundle, on a REAL panel made in Python.

Three runs log tones of different frequencies and levels (one of them stereo)
at the same step; :func:`panel_state.panel_state` serializes the panel and the
harness page loads it, so the overlays draw exactly the averages, envelopes and
spectrograms numpy computed. Colors are checked by reading canvas pixels back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from panel_state import panel_state
from playwright.sync_api import expect
from test_browser_analyze import OVERFLOW_JS
from test_browser_bundle import XSS, Harness, harness, rgb, site

import audiowidget as aw

pytestmark = pytest.mark.browser

__all__ = ["harness", "site"]  # fixtures shared with test_browser_bundle

SR = 16000
TONES = "tones/a"
FEW = "tones/few"  # only two of the three runs log here
#: run -> (frequency in Hz, amplitude, channels): apart in frequency and level.
RUNS = {"low": (220.0, 0.8, 1), "mid": (1000.0, 0.4, 1), "high": (4000.0, 0.15, 2)}
NAMES = list(RUNS)
TABS = ["Spectrum", "Waveform", "Spectrogram", "Statistics"]


def tone(hz: float, amplitude: float, channels: int = 1, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = amplitude * np.sin(2 * np.pi * hz * t)
    return np.stack([x / (c + 1) for c in range(channels)], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    """Three runs of tones at step 3 of TONES, two of them at step 3 of FEW; with run colors."""
    panel = aw.AudioPanel()
    for run, (hz, amplitude, channels) in RUNS.items():
        panel.log({TONES: aw.Audio(tone(hz, amplitude, channels), SR)}, step=3, run=run)
    for run in NAMES[:2]:
        hz, amplitude, _ = RUNS[run]
        panel.log({FEW: aw.Audio(tone(hz, amplitude), SR)}, step=3, run=run)
    colors = {r["name"]: r["color"] for r in panel._runs}
    assert len(set(colors.values())) == 3
    yield {"state": panel_state(panel), "colors": colors}
    panel.close()


class Overlays:
    """The harness with the tones panel rendered, plus helpers for the dialog and its switch."""

    def __init__(self, h: Harness, real: dict[str, Any], width: str | None = None) -> None:
        self.h = h
        self.page = h.page
        self.colors: dict[str, str] = real["colors"]
        h.js("s => harness.loadState(s)", real["state"])
        self.view = h.render(width)
        expect(h.cards(TONES, self.view)).to_have_count(3)
        expect(h.cards(FEW, self.view)).to_have_count(2)

    def open(self, run: str = "low", group: str = TONES) -> Any:
        self.h.card(group, run, self.view).get_by_role("button", name="Analyze").click()
        dialog = self.page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        return dialog

    def switch(self, dialog: Any) -> Any:
        return dialog.get_by_role("switch", name="All runs")

    def tab(self, dialog: Any, name: str) -> Any:
        dialog.get_by_role("tab", name=name, exact=True).click()
        return dialog.get_by_role("tabpanel")

    def legend(self, panel: Any) -> list[list[str]]:
        """(name, computed color) of every run in the visible legend, once it is built.

        The overlay is built as soon as the other runs' compressed arrays are
        inflated (a few milliseconds after the switch is turned on).
        """
        expect(panel.locator(".aw-legend li").first).to_be_attached()
        return panel.locator(".aw-legend li").evaluate_all(
            "ls => ls.map(l => [l.textContent, getComputedStyle(l).color])"
        )

    def expected_legend(self, runs: list[str]) -> list[list[str]]:
        return [[run, rgb(self.colors[run])] for run in runs]

    def pixels(self, canvas: Any, runs: list[str] = NAMES) -> dict[str, dict[str, int]]:
        """Per run, the pixels of `canvas` in its color (see RUN_PIXELS_JS)."""
        self.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
        self.page.wait_for_timeout(50)  # a resize redraw
        targets = [_rgb_tuple(self.colors[r]) for r in runs]
        return dict(zip(runs, canvas.evaluate(RUN_PIXELS_JS, targets), strict=True))

    def counts(self, canvas: Any) -> dict[str, int]:
        return {run: p["all"] for run, p in self.pixels(canvas).items()}


def _rgb_tuple(hex_color: str) -> list[int]:
    return [int(hex_color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]


#: For each target RGB, the pixels (alpha over half) within a small distance of it:
#: how many in all, in the upper and the lower half, and the x of the highest one
#: below the top 20 rows (where the plot's own key is).
RUN_PIXELS_JS = """(c, targets) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return targets.map(([r, g, b]) => {
      const out = {all: 0, upper: 0, lower: 0, peak_x: -1};
      let top = c.height;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 128) continue;
        if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > 24) continue;
        const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);
        out.all++;
        out[y < c.height / 2 ? 'upper' : 'lower']++;
        if (y > 20 && y < top) [top, out.peak_x] = [y, x];
      }
      return out; }); }"""


@pytest.fixture
def overlays(harness: Harness, real: dict[str, Any]) -> Overlays:
    return Overlays(harness, real)


def test_switch_is_off_by_default_and_per_dialog(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open()
    switch = o.switch(dialog)
    expect(switch).to_have_attribute("aria-checked", "false")
    assert dialog.locator(".aw-legend").count() == 0
    switch.focus()
    o.page.keyboard.press("Space")
    expect(switch).to_have_attribute("aria-checked", "true")
    o.page.keyboard.press("Escape")
    expect(o.page.get_by_role("dialog")).to_have_count(0)
    # Reopened, or another card's dialog: off again.
    for run in ("low", "mid"):
        dialog = o.open(run)
        expect(o.switch(dialog)).to_have_attribute("aria-checked", "false")
        expect(dialog.locator(".aw-legend")).to_have_count(0)
        dialog.get_by_role("button", name="Close").click()


def test_spectrum_overlays_every_runs_average_in_its_color(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open("mid")
    panel = o.tab(dialog, "Spectrum")
    canvas = panel.locator("canvas")
    before = o.counts(canvas)
    # Off: the card's frame in its color, no other run's.
    assert before["mid"] > 50, before
    assert before["low"] == before["high"] == 0, before
    o.switch(dialog).click()
    expect(o.switch(dialog)).to_have_attribute("aria-checked", "true")
    assert o.legend(panel) == o.expected_legend(NAMES)
    expect(panel.get_by_role("list", name="Average spectrum")).to_be_visible()
    counts = o.counts(canvas)
    for run in NAMES:
        assert counts[run] > 30, counts
    # Each run's average peaks at its own tone: its color reaches highest near that frequency.
    peaks = [p["peak_x"] for p in o.pixels(canvas).values()]
    assert peaks == sorted(peaks), peaks  # 220 Hz left of 1 kHz left of 4 kHz
    o.switch(dialog).click()
    expect(o.switch(dialog)).to_have_attribute("aria-checked", "false")
    expect(panel.locator(".aw-legend")).to_have_count(0)
    after = o.counts(canvas)
    assert after["low"] == after["high"] == 0, after


def test_waveform_overlays_every_runs_envelope_one_lane_per_channel(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open()
    panel = o.tab(dialog, "Waveform")
    o.switch(dialog).click()
    assert o.legend(panel) == o.expected_legend(NAMES)
    canvas = panel.locator("canvas:visible")
    expect(canvas).to_have_count(1)
    counts = o.counts(canvas)
    for run in NAMES:
        assert counts[run] > 100, counts
    # Semi-transparent bodies: the quiet run's body shows through the loud one's.
    alphas = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const a = new Set(); for (let i = 3; i < d.length; i += 4) if (d[i]) a.add(d[i]);
            return [...a]; }"""
    )
    assert any(0 < a < 200 for a in alphas), alphas
    # "high" is stereo: two lanes; the mono runs only draw in the upper one.
    lanes = {run: (p["upper"], p["lower"]) for run, p in o.pixels(canvas).items()}
    assert lanes["low"][0] > 100, lanes
    assert lanes["mid"][0] > 100, lanes
    assert lanes["low"][1] == lanes["mid"][1] == 0, lanes
    assert min(lanes["high"]) > 100, lanes
    # Click to seek still moves the card's audio.
    box = canvas.bounding_box()
    o.page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.25)
    t = o.h.card(TONES, "low").locator("audio").evaluate("a => a.currentTime")
    assert t == pytest.approx(0.75, abs=0.05)
    o.switch(dialog).click()
    expect(panel.locator(".aw-legend")).to_have_count(0)
    single = panel.locator("canvas:visible")
    expect(single).to_have_count(1)
    counts = o.counts(single)
    assert counts["low"] > 100, counts
    assert counts["mid"] == counts["high"] == 0, counts


def test_spectrograms_side_by_side_with_one_colorbar(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open("high")
    panel = o.tab(dialog, "Spectrogram")
    expect(panel.get_by_role("img")).to_have_count(1)
    o.switch(dialog).click()
    figures = panel.locator("figure")
    expect(figures).to_have_count(3)
    captions = figures.locator("figcaption").evaluate_all(
        "cs => cs.map(c => [c.textContent, getComputedStyle(c).color])"
    )
    assert captions == o.expected_legend(NAMES)
    for i, run in enumerate(NAMES):
        canvas = figures.nth(i).get_by_role("img")
        expect(canvas).to_have_accessible_name(f"Spectrogram of {run}, \u2212120 to 0 dB")
        o.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
        stats = canvas.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const colors = new Set(); let right = 0;
                for (let i = 0; i < d.length; i += 4) {
                  if (!d[i + 3]) continue;
                  colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
                  const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);
                  if (x >= c.width - 6 && y < c.height - 24) right++;
                }
                return {colors: colors.size, right}; }"""
        )
        assert stats["colors"] > 20, (run, stats)
        assert stats["right"] == 0, (run, stats)  # no colorbar of its own
    # Side by side in a wide dialog, all the same size.
    boxes = [figures.nth(i).get_by_role("img").bounding_box() for i in range(3)]
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    assert len({round(b["width"]) for b in boxes}) == 1
    # One colorbar for them all, under them.
    bar = panel.get_by_role("img", name="Color scale, \u2212120 to 0 dB")
    expect(bar).to_have_count(1)
    expect(panel.get_by_role("img", name="Color scale", exact=False)).to_have_count(1)
    o.page.wait_for_function("c => c.width > 0", arg=bar.element_handle())
    bar_colors = bar.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const s = new Set(); for (let i = 0; i < d.length; i += 4)
              if (d[i + 3] === 255) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            return s.size; }"""
    )
    assert bar_colors > 100
    assert bar.bounding_box()["y"] >= boxes[0]["y"] + boxes[0]["height"]
    # Off: back to the card's own spectrogram with its own colorbar.
    o.switch(dialog).click()
    expect(panel.locator("figure")).to_have_count(0)
    expect(panel.get_by_role("img")).to_have_count(1)
    expect(panel.get_by_role("img")).to_have_accessible_name("Spectrogram, \u2212120 to 0 dB")


def test_runs_without_a_clip_at_the_step_are_skipped(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open("mid", FEW)
    o.switch(dialog).click()
    assert o.legend(o.tab(dialog, "Spectrum")) == o.expected_legend(NAMES[:2])
    assert o.legend(o.tab(dialog, "Waveform")) == o.expected_legend(NAMES[:2])
    expect(o.tab(dialog, "Spectrogram").locator("figure")).to_have_count(2)


REMOVE_JS = """run => {
    const models = [...harness.manager.models.values()];
    const clip = models.find(m => m.get('run') === run && m.get('group') === 'tones/a');
    const ref = 'IPY_MODEL_' + clip.model_id;
    const page = models.find(m => (m.get('clips') || []).includes(ref));
    const before = page.get('clips');
    page.set('clips', before.filter(r => r !== ref));
    window.__restore = () => page.set('clips', before); }"""


def test_overlay_follows_clips_and_colors_while_open(overlays: Overlays) -> None:
    o = overlays
    dialog = o.open()
    panel = o.tab(dialog, "Spectrum")
    o.switch(dialog).click()
    assert o.legend(panel) == o.expected_legend(NAMES)
    o.h.js(REMOVE_JS, "mid")
    expect(o.h.cards(TONES)).to_have_count(2)
    expect(panel.locator(".aw-legend li")).to_have_count(2)
    assert o.legend(panel) == o.expected_legend(["low", "high"])
    assert o.counts(panel.locator("canvas"))["mid"] == 0
    o.h.js("() => window.__restore()")
    expect(panel.locator(".aw-legend li")).to_have_count(3)
    assert o.counts(panel.locator("canvas"))["mid"] > 30
    # A new run color recolors the overlay.
    runs = o.h.js("() => harness.panel.get('_runs')")
    runs = [{**r, "color": "#00A000"} if r["name"] == "high" else r for r in runs]
    o.h.js("r => harness.panel.set('_runs', r)", runs)
    expect(panel.locator(".aw-legend li").nth(2)).to_have_css("color", "rgb(0, 160, 0)")
    o.tab(dialog, "Spectrogram")
    expect(dialog.locator("figcaption").nth(2)).to_have_css("color", "rgb(0, 160, 0)")
    expect(o.switch(dialog)).to_have_attribute("aria-checked", "true")


#: Take the analysis arrays off `run`'s clip; window.__arrive() brings them (a report loading).
ARRAYS_JS = """run => {
    const models = [...harness.manager.models.values()];
    const clip = models.find(m => m.get('run') === run && m.get('group') === 'tones/a');
    const arrays = clip.get('arrays');
    clip.set('arrays', {});
    window.__arrive = () => clip.set('arrays', arrays); }"""


def test_overlay_takes_a_runs_analysis_that_arrives_later(overlays: Overlays) -> None:
    o = overlays
    o.h.js(ARRAYS_JS, "mid")
    dialog = o.open()
    panel = o.tab(dialog, "Spectrum")
    o.switch(dialog).click()
    expect(panel.locator(".aw-legend li")).to_have_count(2)
    assert o.counts(panel.locator("canvas"))["mid"] == 0
    o.h.js("() => window.__arrive()")
    expect(panel.locator(".aw-legend li")).to_have_count(3)
    assert o.legend(panel) == o.expected_legend(NAMES)
    assert o.counts(panel.locator("canvas"))["mid"] > 30
    o.tab(dialog, "Spectrogram")
    expect(dialog.locator("figcaption")).to_have_count(3)


@pytest.mark.parametrize("viewport", [320, 1200])
def test_all_runs_fits_a_300px_panel(harness: Harness, real: dict[str, Any], viewport: int):
    harness.page.set_viewport_size({"width": viewport, "height": 800})
    o = Overlays(harness, real, "300px")
    dialog = o.open("high")
    o.switch(dialog).click()
    for name in TABS:
        panel = o.tab(dialog, name)
        harness.page.wait_for_timeout(50)
        assert dialog.evaluate(OVERFLOW_JS) == [], name
        if name == "Spectrogram":
            figures = panel.locator("figure")
            expect(figures).to_have_count(3)
            widths = figures.evaluate_all("fs => fs.map(f => f.getBoundingClientRect().width)")
            assert max(widths) <= dialog.bounding_box()["width"]
    assert harness.view(o.view).locator(".aw-panel").evaluate("p => p.scrollWidth <= p.clientWidth")


#: Keep the ids of intervals not cleared yet in window.__intervals.
INTERVALS_JS = """() => {
    const set = window.setInterval, clear = window.clearInterval;
    window.__intervals = new Set();
    window.setInterval = (...args) => { const id = set(...args); __intervals.add(id); return id; };
    window.clearInterval = (id) => { __intervals.delete(id); clear(id); }; }"""


def test_closing_with_all_runs_on_releases_everything(overlays: Overlays) -> None:
    o = overlays
    o.h.js(INTERVALS_JS)
    baseline = o.h.js("() => harness.liveListeners()")
    for tab in TABS:
        dialog = o.open()
        o.tab(dialog, tab)
        o.switch(dialog).click()
        o.switch(dialog).click()
        o.switch(dialog).click()
        expect(o.switch(dialog)).to_have_attribute("aria-checked", "true")
        assert o.h.js("() => __intervals.size") == 0  # the overlay is told of changes: no polling
        o.page.keyboard.press("Escape")
        expect(o.page.get_by_role("dialog")).to_have_count(0)
        assert o.h.js("() => harness.liveListeners()") == baseline
        assert o.h.js("() => __intervals.size") == 0
    dialog = o.open()
    o.switch(dialog).click()
    o.h.js("() => harness.cleanup(0)")
    assert o.h.js("() => document.querySelectorAll('dialog, canvas').length") == 0
    assert o.h.js("() => harness.liveListeners()") == []
    assert o.h.js("() => __intervals.size") == 0


@pytest.mark.parametrize("evil", XSS)
def test_run_names_are_text(harness: Harness, evil: str) -> None:
    panel = aw.AudioPanel()
    for run in (evil, "plain"):
        panel.log({TONES: aw.Audio(tone(440.0, 0.5), SR)}, step=1, run=run)
    harness.js("s => harness.loadState(s)", panel_state(panel))
    panel.close()
    harness.render()
    expect(harness.cards(TONES)).to_have_count(2)
    harness.card(TONES, "plain").get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    dialog.get_by_role("switch", name="All runs").click()
    expect(dialog.get_by_role("tabpanel").locator(".aw-legend li")).to_have_count(2)
    names = dialog.get_by_role("tabpanel").locator(".aw-legend li").all_text_contents()
    assert names == [evil, "plain"]
    dialog.get_by_role("tab", name="Spectrogram").click()
    assert dialog.locator("figcaption").all_text_contents() == [evil, "plain"]
    assert dialog.locator("img, script").count() == 0
    harness.page.wait_for_timeout(100)
    assert harness.js("() => window.__xss") is None
