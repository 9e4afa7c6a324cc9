"""The Analyze view of the built bundle, on a REAL panel made in Python.

A module fixture logs clips into an :class:`audiowidget.AudioPanel`;
:func:`panel_state.panel_state` serializes it (panel, pages, clip models, with
binary buffers) and the harness page loads that state into its fake widget
manager, so the bundle draws exactly the arrays and statistics numpy computed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analyze_screenshot import analyze_screenshot
from panel_state import panel_state
from playwright.sync_api import expect
from test_browser_bundle import LUMINANCE_JS, XSS, Harness, harness, site

import audiowidget as aw

pytestmark = pytest.mark.browser

__all__ = ["harness", "site"]  # fixtures shared with test_browser_bundle

SR = 16000
GROUP = "tts/chirp"
EDGE = "edge/cases"
TABS = ["Spectrum", "Waveform", "Spectrogram", "Statistics"]
RUNS = ("baseline", "bigger-model")


def chirp(seconds: float, f0: float, f1: float, channels: int = 1) -> np.ndarray:
    """A log sweep from f0 to f1 Hz at -6 dBFS, with a quieter octave-up copy per extra channel."""
    t = np.arange(int(seconds * SR)) / SR
    k = np.log(f1 / f0) / seconds
    phase = 2 * np.pi * f0 * (np.exp(k * t) - 1) / k
    lanes = [0.5 / (c + 1) * np.sin(phase * (c + 1)) for c in range(channels)]
    return np.stack(lanes, axis=1).astype(np.float32)


def make_panel() -> aw.AudioPanel:
    panel = aw.AudioPanel()
    panel.log({GROUP: aw.Audio(chirp(3.0, 100, 6000), SR, caption="sweep")}, step=0, run=RUNS[0])
    panel.log({GROUP: aw.Audio(chirp(3.0, 200, 7000, channels=2), SR)}, step=0, run=RUNS[1])
    # Silence (levels of -inf) and a clip shorter than 400 ms (no loudness).
    panel.log({EDGE: aw.Audio(np.zeros(SR // 2, dtype=np.float32), SR)}, step=5, run=RUNS[0])
    panel.log({EDGE: aw.Audio(chirp(0.3, 300, 600), SR)}, step=5, run=RUNS[1])
    return panel


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    """The panel, its serialized state and each clip's spectrum fps, built once."""
    panel = make_panel()
    state = panel_state(panel)
    fps = {}
    for entry in state["models"].values():
        s = entry["state"]
        if "meta" in s:
            fps[(s["run"], s["group"])] = s["meta"]["spectrum_fps"]
    yield {"panel": panel, "state": state, "fps": fps}
    panel.close()


class Analyze:
    """The harness with a real panel loaded and rendered, plus Analyze-dialog helpers."""

    def __init__(self, h: Harness, real: dict[str, Any]) -> None:
        self.h = h
        self.page = h.page
        self.real = real

    def load(self, width: str | None = None) -> int:
        self.h.js("s => harness.loadState(s)", self.real["state"])
        view = self.h.render(width)
        expect(self.h.cards(GROUP, view)).to_have_count(2)
        expect(self.h.cards(EDGE, view)).to_have_count(2)
        return view

    def card(self, run: str = RUNS[0], group: str = GROUP, view: int = 0) -> Any:
        return self.h.card(group, run, view)

    def open(self, run: str = RUNS[0], group: str = GROUP, view: int = 0) -> Any:
        self.card(run, group, view).get_by_role("button", name="Analyze").click()
        dialog = self.page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        return dialog

    def audio(self, run: str = RUNS[0], group: str = GROUP) -> Any:
        return self.card(run, group).locator("audio")

    def wait_metadata(self, run: str = RUNS[0], group: str = GROUP) -> None:
        self.page.wait_for_function(
            "a => a.readyState >= 1", arg=self.audio(run, group).element_handle()
        )

    def frame(self, dialog: Any) -> int:
        return int(dialog.locator("canvas[data-frame]").get_attribute("data-frame"))

    def fps(self, run: str = RUNS[0], group: str = GROUP) -> float:
        return self.real["fps"][(run, group)]


@pytest.fixture
def analyze(harness: Harness, real: dict[str, Any]) -> Analyze:
    a = Analyze(harness, real)
    a.load()
    return a


#: Fraction of painted pixels and distinct colors of a canvas (read back from its pixels).
PIXELS_JS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0; const colors = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) { painted++; colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
    }
    return {painted: painted / (d.length / 4), colors: colors.size, width: c.width}; }"""


def expect_drawn(canvas: Any, min_painted: float, min_colors: int) -> dict[str, Any]:
    canvas.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
    stats = canvas.evaluate(PIXELS_JS)
    assert stats["painted"] >= min_painted, stats
    assert stats["colors"] >= min_colors, stats
    return stats


# -- the data really is Python's ------------------------------------------------------------


def test_state_round_trip_keeps_every_model_and_buffer(harness: Harness, real: dict[str, Any]):
    state = real["state"]
    clips = [m for m in state["models"].values() if "arrays" in m["state"]]
    assert len(clips) == 4
    paths = {tuple(b["path"]) for b in clips[0]["buffers"]}
    assert ("audio",) in paths
    assert ("arrays", "spectrum_frames", "data") in paths
    assert harness.js("s => harness.loadState(s)", state) == len(state["models"])
    shapes = harness.js(
        """() => [...harness.manager.models.values()].filter(m => m.get('arrays')).map(m => {
             const a = m.get('arrays');
             return [a.spectrum_frames.data instanceof DataView, a.spectrum_frames.shape,
                     a.spectrum_frequencies.data.byteLength, m.get('audio') instanceof DataView];
           })"""
    )
    assert len(shapes) == 4
    for is_view, shape, freq_bytes, audio_is_view in shapes:
        assert is_view
        assert audio_is_view
        assert shape[1] == 256
        assert freq_bytes == 256 * 4


def test_compressed_arrays_reach_the_tabs_exactly_as_numpy_made_them(analyze: Analyze, real):
    arrays = next(
        m["state"]["arrays"]
        for m in real["state"]["models"].values()
        if m["state"].get("run") == RUNS[1] and m["state"].get("group") == GROUP
    )
    assert arrays["spectrum_frames"]["codec"] == "delta-deflate"
    assert arrays["waveform"]["codec"] == "deflate"
    expected = aw.analyze(aw.Audio(chirp(3.0, 200, 7000, channels=2), SR))
    dialog = analyze.open(RUNS[1])
    got = dialog.evaluate(
        """d => { const {spectrum: s, waveform: w} = d.awAnalysis();
             return {frames: Array.from(s.frames), count: s.count, bins: s.bins,
                     waveform: Array.from(w.data), shape: w.shape}; }"""
    )
    assert (got["count"], got["bins"]) == expected.spectrum_frames.shape
    assert got["frames"] == expected.spectrum_frames.ravel().tolist()
    assert got["shape"] == list(expected.peaks.shape)
    assert got["waveform"] == expected.peaks.ravel().tolist()


def test_an_unreadable_compressed_array_says_so_and_the_rest_still_shows(harness: Harness, real):
    state = json.loads(json.dumps(real["state"]))
    for m in state["models"].values():
        if m["state"].get("group") == GROUP and m["state"].get("run") == RUNS[0]:
            m["state"]["arrays"]["spectrum_frames"]["codec"] = "zstd"
    harness.js("s => harness.loadState(s)", state)
    view = harness.render()
    harness.card(GROUP, RUNS[0], view).get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("No spectrum for this clip")).to_be_attached()
    dialog.get_by_role("tab", name="Waveform").click()
    expect(dialog.locator(".aw-wave-large canvas")).to_be_visible()
    dialog.press("Escape")
    expect(dialog).to_have_count(0)


# -- the dialog -------------------------------------------------------------------------------


def test_every_card_has_analyze_and_every_tab_renders(analyze: Analyze) -> None:
    a = analyze
    assert a.h.view().get_by_role("button", name="Analyze").count() == 4
    dialog = a.open()
    assert dialog.get_attribute("aria-modal") == "true"
    title = a.page.locator("#" + dialog.get_attribute("aria-labelledby"))
    assert title.text_content() == f"{RUNS[0]} · {GROUP} · step 0 · clip 0"
    expect(dialog).to_have_accessible_name(f"{RUNS[0]} · {GROUP} · step 0 · clip 0")
    tablist = dialog.get_by_role("tablist")
    assert tablist.get_by_role("tab").all_text_contents() == TABS
    for name in TABS:
        tab = dialog.get_by_role("tab", name=name, exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        panel = a.page.locator("#" + tab.get_attribute("aria-controls"))
        assert panel.get_attribute("role") == "tabpanel"
        expect(panel).to_be_visible()
        assert dialog.get_by_role("tabpanel").count() == 1  # the others are hidden
        if name == "Spectrum":
            # Grid, labels, the average and the frame at 0 s (the chirp starts at once).
            expect_drawn(panel.locator("canvas"), 0.03, 4)
            expect(panel.get_by_role("img")).to_have_accessible_name(re.compile("average spectrum"))
        elif name == "Waveform":
            stats = expect_drawn(panel.locator("canvas"), 0.2, 1)
            assert stats["width"] > 500  # full width of the dialog
        elif name == "Spectrogram":
            # The magma image plus the colorbar: many distinct colors.
            expect_drawn(panel.locator("canvas"), 0.5, 100)
        else:
            expect(panel.locator("tr[data-stat]")).to_have_count(14)
    dialog.get_by_role("button", name="Close").click()
    expect(a.page.get_by_role("dialog")).to_have_count(0)
    analyze_button = a.card().get_by_role("button", name="Analyze")
    expect(analyze_button).to_be_focused()


def test_stereo_waveform_has_one_lane_per_channel(analyze: Analyze) -> None:
    dialog = analyze.open(RUNS[1])
    dialog.get_by_role("tab", name="Waveform").click()
    canvas = dialog.get_by_role("tabpanel").locator("canvas")
    expect_drawn(canvas, 0.1, 1)
    # The upper lane holds the louder channel: more painted rows in its half.
    halves = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const rows = [0, 0];
            for (let y = 0; y < c.height; y++) {
              let n = 0; for (let x = 0; x < c.width; x++) if (d[(y * c.width + x) * 4 + 3]) n++;
              if (n > c.width / 2) rows[y < c.height / 2 ? 0 : 1]++;
            }
            return rows; }"""
    )
    assert halves[0] > halves[1] > 0


def short_tone_tab(harness: Harness, freq: float, samples: int, tab: str) -> Any:
    """The canvas of ``tab`` in the Analyze dialog of a lone short -6 dBFS tone."""
    panel = aw.AudioPanel()
    x = 0.5 * np.sin(2 * np.pi * freq * np.arange(samples) / SR)
    panel.log({"short": aw.Audio(x.astype(np.float32), SR)}, step=0, run=RUNS[0])
    harness.js("s => harness.loadState(s)", panel_state(panel))
    panel.close()
    harness.render()
    harness.card("short", RUNS[0]).get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    dialog.get_by_role("tab", name=tab).click()
    return dialog.get_by_role("tabpanel").locator("canvas").first


def test_a_clip_of_fewer_samples_than_buckets_draws_a_line(harness: Harness) -> None:
    # 800 samples of a 3 kHz tone: one sample per bucket, drawn as dots unless joined
    canvas = short_tone_tab(harness, 3000, 800, "Waveform")
    expect_drawn(canvas, 0.05, 1)
    tall = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let tall = 0, drawn = 0;
            for (let x = 0; x < c.width; x++) {
              let n = 0;
              for (let y = 0; y < c.height; y++) if (d[(y * c.width + x) * 4 + 3] > 128) n++;
              if (n > 0) drawn++; if (n > c.height / 8) tall++;
            }
            return tall / drawn; }"""
    )
    assert tall > 0.5, tall  # consecutive samples swing by up to the full amplitude


def test_a_clip_shorter_than_a_frame_fills_its_spectrogram(harness: Harness) -> None:
    # 30 ms: one frame, whose column ended at 16.7 ms and left the rest of the plot empty
    canvas = short_tone_tab(harness, 1000, 480, "Spectrogram")
    expect_drawn(canvas, 0.1, 2)
    # painted share of each tenth of the canvas's width, along its middle row
    tenths = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const y = Math.floor(c.height / 2), out = [];
            for (let t = 0; t < 10; t++) {
              let n = 0, all = 0;
              for (let x = Math.floor(t * c.width / 10); x < (t + 1) * c.width / 10; x++, all++)
                if (d[(y * c.width + x) * 4 + 3] > 0) n++;
              out.push(n / all);
            }
            return out; }"""
    )
    assert min(tenths[2:9]) > 0.9, tenths


def test_tabs_follow_arrow_keys_home_and_end(analyze: Analyze) -> None:
    a = analyze
    dialog = a.open()
    first = dialog.get_by_role("tab", name="Spectrum")
    expect(first).to_be_focused()  # focus moves into the dialog on open

    def selected() -> str:
        return dialog.locator('[role="tab"][aria-selected="true"]').text_content()

    for expected in ["Waveform", "Spectrogram", "Statistics", "Spectrum"]:  # wraps around
        a.page.keyboard.press("ArrowRight")
        assert selected() == expected
        expect(dialog.get_by_role("tab", name=expected)).to_be_focused()
        assert dialog.get_by_role("tab", name=expected).get_attribute("tabindex") == "0"
    a.page.keyboard.press("ArrowLeft")
    assert selected() == "Statistics"
    a.page.keyboard.press("Home")
    assert selected() == "Spectrum"
    a.page.keyboard.press("End")
    assert selected() == "Statistics"
    tabindex = dialog.get_by_role("tab").evaluate_all("ts => ts.map(t => t.tabIndex)")
    assert tabindex == [-1, -1, -1, 0]
    expect(dialog.get_by_role("tabpanel").locator("table")).to_be_visible()


def test_escape_closes_and_focus_returns_to_analyze(analyze: Analyze) -> None:
    a = analyze
    dialog = a.open(RUNS[1])
    dialog.get_by_role("tab", name="Spectrogram").click()
    a.page.keyboard.press("Escape")
    expect(a.page.get_by_role("dialog")).to_have_count(0)
    expect(a.card(RUNS[1]).get_by_role("button", name="Analyze")).to_be_focused()
    assert a.h.js("() => document.querySelectorAll('dialog').length") == 0
    # Reopening shows the tab last used, from the keyboard as well.
    a.page.keyboard.press("Enter")
    dialog = a.page.get_by_role("dialog")
    expect(dialog.get_by_role("tab", name="Spectrogram")).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_role("tab", name="Spectrogram")).to_be_focused()


def test_dialog_stays_modal_when_its_card_moves(analyze: Analyze) -> None:
    """The kernel makes the dialog's run the reference, which moves its card first."""
    a = analyze
    dialog = a.open(RUNS[1])
    dialog.get_by_role("tab", name="Waveform").click()
    a.h.js("r => harness.panel.set('_reference', r)", RUNS[1])
    expect(a.h.cards(GROUP).first).to_have_attribute("data-run", RUNS[1])
    assert a.h.js("() => document.querySelector('dialog').matches(':modal')") is True
    expect(dialog.get_by_role("tab", name="Waveform")).to_be_focused()
    a.page.keyboard.press("Escape")
    expect(a.page.get_by_role("dialog")).to_have_count(0)
    expect(a.card(RUNS[1]).get_by_role("button", name="Analyze")).to_be_focused()


# -- statistics: exactly what Python computed -------------------------------------------------


def _same(shown: Any, python: Any) -> bool:
    if isinstance(python, (list, tuple)):
        return (
            isinstance(shown, list) and len(shown) == len(python) and all(map(_same, shown, python))
        )
    if python == -math.inf:
        return shown == "-inf"  # JSON has no infinities: the level of silence is a string
    if python is None or (isinstance(python, float) and math.isnan(python)):
        return shown is None  # undefined: the crest factor of silence is nan
    if isinstance(python, str):
        return shown == python
    return shown == pytest.approx(python, rel=1e-6, abs=0)


@pytest.mark.parametrize(("run", "group"), [(r, g) for g in (GROUP, EDGE) for r in RUNS])
def test_statistics_equal_python(analyze: Analyze, real: dict[str, Any], run: str, group: str):
    a = analyze
    step = 0 if group == GROUP else 5
    expected = real["panel"].stats(run, group, step)
    dialog = a.open(run, group)
    dialog.get_by_role("tab", name="Statistics").click()
    rows = dialog.locator("tr[data-stat]").evaluate_all(
        """rs => rs.map(r => [r.dataset.stat, r.querySelector('[data-value]').dataset.value,
                             r.querySelector('.aw-stat-value').textContent,
                             r.querySelector('.aw-stat-value').title,
                             r.querySelector('.aw-stat-unit').textContent])"""
    )
    shown = {field: json.loads(value) for field, value, *_ in rows}
    assert set(shown) == set(expected)
    for field, value in expected.items():
        assert _same(shown[field], value), (field, shown[field], value)
    text = {field: (t, title, unit) for field, _, t, title, unit in rows}
    assert text["peak_dbfs"][2] == "dBFS"
    assert text["loudness_lufs"][2] == "LUFS"
    assert text["silence_ratio"][2] == "%"
    assert text["sample_rate"] == (f"{SR}", "", "Hz")
    assert text["encoding"][0] == expected["encoding"]
    if math.isfinite(expected["peak_dbfs"]):
        assert text["peak_dbfs"][0] == f"{expected['peak_dbfs']:.2f}".replace("-", "\u2212")
    else:
        assert text["peak_dbfs"][0] == "\u2212\u221e"
        assert text["rms_dbfs"][0] == "\u2212\u221e"
        assert text["loudness_lufs"][0] == "\u2212\u221e"  # silence, long enough to measure
        assert text["dynamic_range_db"][0] == "n/a"
        assert "two 50 ms windows above" in text["dynamic_range_db"][1]
        assert text["crest_factor_db"][0] == "n/a"
    if expected["loudness_lufs"] is None:  # shorter than 400 ms
        assert text["loudness_lufs"][0] == "n/a"
        assert text["loudness_lufs"][1].startswith("The clip is shorter than 400 ms")
    assert text["silence_ratio"][0] == f"{100 * expected['silence_ratio']:.1f}"


# -- the spectrum follows the card's own player ------------------------------------------------

SAMPLE_JS = """async () => {
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const a = document.querySelector('.aw-card[data-run="baseline"][data-group="tts/chirp"] audio');
    const c = document.querySelector('dialog canvas[data-frame]');
    return [a.currentTime, Number(c.dataset.frame), a.paused]; }"""


def test_spectrum_frame_follows_current_time_while_playing(analyze: Analyze) -> None:
    a = analyze
    fps = a.fps()
    dialog = a.open()
    assert a.frame(dialog) == 0
    dialog.get_by_role("button", name="Play").click()
    expect(dialog.get_by_role("button", name="Pause")).to_be_visible()
    # The card's own player plays (the dialog's button mirrors it).
    expect(a.card().locator(".aw-transport").get_by_role("button", name="Pause")).to_have_count(1)
    samples = []
    for _ in range(8):
        a.page.wait_for_timeout(120)
        samples.append(a.h.js(SAMPLE_JS))
    dialog.get_by_role("button", name="Pause").click()
    expect(dialog.get_by_role("button", name="Play")).to_be_visible()
    assert a.h.js("() => harness.playing().length") == 0
    playing = [(t, f) for t, f, paused in samples if not paused]
    assert len(playing) >= 6, samples
    for t, f in playing:
        assert abs(f - round(t * fps)) <= 1, (t, f, fps)
    frames = [f for _, f in playing]
    assert frames == sorted(frames), frames
    assert frames[-1] > frames[0] + 10, frames
    # Paused: the frame at the paused position.
    t, f, paused = a.h.js(SAMPLE_JS)
    assert paused
    assert f == round(t * fps)


def test_spectrum_frame_follows_a_seek_while_paused(analyze: Analyze) -> None:
    a = analyze
    fps = a.fps()
    a.wait_metadata()
    dialog = a.open()
    a.audio().evaluate("a => { a.currentTime = 1.25; }")
    expect(dialog.locator("canvas[data-frame]")).to_have_attribute(
        "data-frame", str(round(1.25 * fps))
    )
    a.audio().evaluate("a => { a.currentTime = 99; }")  # clamped to the last frame
    last = a.h.js(
        """() => [...harness.manager.models.values()].find(m => m.get('run') === 'baseline'
                 && m.get('group') === 'tts/chirp').get('arrays').spectrum_frames.shape[0] - 1"""
    )
    expect(dialog.locator("canvas[data-frame]")).to_have_attribute("data-frame", str(last))
    # The seek slider of the card is the same player: it moves the dialog too.
    a.audio().evaluate("a => { a.currentTime = 0.5; }")
    expect(dialog.locator("canvas[data-frame]")).to_have_attribute(
        "data-frame", str(round(0.5 * fps))
    )
    assert dialog.locator(".aw-time").text_content() == "0:00.5 / 0:03.0"


def test_the_dialogs_seek_slider_seeks_from_the_keyboard(analyze: Analyze) -> None:
    """The dialog is modal (the card's own slider is out of reach): its header has a Seek
    slider of its own, on the same player."""
    a = analyze
    fps = a.fps()
    a.wait_metadata()
    dialog = a.open()
    seek = dialog.get_by_label("Seek", exact=True)
    expect(seek).to_have_attribute("aria-valuetext", "0:00.0 of 0:03.0")
    seek.focus()
    seek.press("PageUp")  # a tenth of the clip
    t = a.audio().evaluate("a => a.currentTime")
    assert t == pytest.approx(0.3, abs=0.01)
    expect(dialog.locator("canvas[data-frame]")).to_have_attribute(
        "data-frame", str(round(t * fps))
    )
    expect(seek).to_have_attribute("aria-valuetext", "0:00.3 of 0:03.0")
    assert dialog.locator(".aw-time").text_content() == "0:00.3 / 0:03.0"
    seek.press("End")
    assert a.audio().evaluate("a => a.currentTime") == pytest.approx(3.0, abs=0.01)
    # the card's player moving moves the dialog's slider
    a.audio().evaluate("a => { a.currentTime = 1.5; }")
    expect(seek).to_have_attribute("aria-valuetext", "0:01.5 of 0:03.0")


@pytest.mark.parametrize("tab", ["Waveform", "Spectrogram"])
def test_click_seeks_the_cards_audio(analyze: Analyze, tab: str) -> None:
    a = analyze
    a.wait_metadata()
    dialog = a.open()
    dialog.get_by_role("tab", name=tab).click()
    panel = dialog.get_by_role("tabpanel")
    canvas = panel.locator("canvas")
    a.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
    box = canvas.bounding_box()
    x = box["x"] + box["width"] * 0.4
    a.page.mouse.click(x, box["y"] + box["height"] * 0.4)
    t = a.audio().evaluate("a => a.currentTime")
    assert 0.25 * 3.0 < t < 0.5 * 3.0
    assert a.card().locator(".aw-extra .aw-time").text_content().startswith(f"0:0{int(t)}.")
    # The playhead is drawn where the click was.
    marker = panel.locator(".aw-playhead, .aw-wave-played")
    a.page.wait_for_timeout(50)
    right = marker.evaluate(
        "e => e.classList.contains('aw-playhead')"
        " ? e.getBoundingClientRect().left + e.offsetWidth / 2"
        " : e.getBoundingClientRect().right"
    )
    assert right == pytest.approx(x, abs=2.5)


# -- layout, themes, user text ----------------------------------------------------------------

OVERFLOW_JS = """d => { const bad = []; const box = d.getBoundingClientRect();
    if (box.left < -0.5 || box.right > innerWidth + 0.5) bad.push('dialog outside the viewport');
    for (const e of d.querySelectorAll('*')) {
      const cs = getComputedStyle(e);
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && cs.overflowX !== 'hidden')
        bad.push('scroll:' + e.className);
      const r = e.getBoundingClientRect();
      const outside = r.right > box.right + 0.5 || r.left < box.left - 0.5;
      if (e.getClientRects().length && r.width && outside)
        bad.push('edge:' + (e.className.baseVal ?? e.className));
    }
    return bad; }"""


@pytest.mark.parametrize("viewport", [320, 1200])
def test_dialog_fits_a_300px_panel(harness: Harness, real: dict[str, Any], viewport: int, tmp_path):
    a = Analyze(harness, real)
    harness.page.set_viewport_size({"width": viewport, "height": 800})
    view = a.load("300px")
    assert a.h.view(view).locator(".aw-panel").evaluate("p => p.scrollWidth <= p.clientWidth")
    dialog = a.open(RUNS[1], view=view)
    box = dialog.bounding_box()
    assert box["width"] <= min(viewport, 960) + 1
    for name in TABS:
        dialog.get_by_role("tab", name=name).click()
        harness.page.wait_for_timeout(50)
        assert dialog.evaluate(OVERFLOW_JS) == [], name
        if name != "Statistics":
            canvas = dialog.get_by_role("tabpanel").locator("canvas")
            harness.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
            assert canvas.bounding_box()["width"] <= box["width"]
        shot = tmp_path / f"analyze-{viewport}px-{name.lower()}.png"
        dialog.screenshot(path=str(shot))
        assert shot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("media", "jp_light", "dark"), [("light", None, False), ("dark", "false", True)]
)
def test_themes_screenshot(
    harness: Harness, real: dict[str, Any], tmp_path: Path, media, jp_light, dark
):
    harness.page.emulate_media(color_scheme=media)
    if jp_light is not None:
        harness.js("v => document.body.setAttribute('data-jp-theme-light', v)", jp_light)
    a = Analyze(harness, real)
    a.load()
    out = analyze_screenshot(harness.page, tmp_path / f"analyze-{media}.png")
    assert out.stat().st_size > 5000
    dialog = harness.page.get_by_role("dialog")
    background = dialog.evaluate(f"d => ({LUMINANCE_JS})(getComputedStyle(d).backgroundColor)")
    text = dialog.evaluate(f"d => ({LUMINANCE_JS})(getComputedStyle(d).color)")
    assert (background < 0.3) is dark
    assert (text > 0.5) is dark
    # Paused after ~0.7 s of playback: the spectrum shows a frame from inside the clip.
    assert 5 <= a.frame(dialog) <= 40
    # Axis labels use the theme's muted text color: light on dark, dark on light.
    label = dialog.locator("canvas[data-frame]").evaluate(
        f"""c => ({LUMINANCE_JS})(getComputedStyle(c).getPropertyValue('--aw-fg-muted'))"""
    )
    assert (label > 0.5) is dark
    for name in TABS[1:]:
        dialog.get_by_role("tab", name=name).click()
        harness.page.wait_for_timeout(50)
        dialog.screenshot(path=str(tmp_path / f"analyze-{media}-{name.lower()}.png"))


@pytest.mark.parametrize("evil", XSS)
def test_dialog_title_is_text(harness: Harness, evil: str) -> None:
    panel = aw.AudioPanel()
    panel.log({evil: aw.Audio(chirp(0.5, 200, 400), SR)}, step=1, run=evil)
    harness.js("s => harness.loadState(s)", panel_state(panel))
    panel.close()
    harness.render()
    card = harness.view().locator(".aw-card")
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    assert dialog.locator(".aw-dialog-title").text_content() == f"{evil} · {evil} · step 1 · clip 0"
    assert dialog.locator("img, script").count() == 0
    harness.page.wait_for_timeout(100)
    assert harness.js("() => window.__xss") is None


# -- lifetime ------------------------------------------------------------------------------------


def test_cleanup_with_the_dialog_open_and_playing(analyze: Analyze) -> None:
    a = analyze
    dialog = a.open()
    dialog.get_by_role("button", name="Play").click()
    expect(dialog.get_by_role("button", name="Pause")).to_be_visible()
    a.page.wait_for_function("() => harness.frames > 5")
    before = a.h.js("() => harness.liveListeners().length")
    assert before > 0
    a.h.js("() => harness.cleanup(0)")
    frames = a.h.js("() => harness.frames")
    assert a.h.js("() => harness.playing().length") == 0
    assert a.h.js("() => document.querySelectorAll('dialog, audio, canvas').length") == 0
    assert a.h.js("() => harness.listenerCount()") == 0
    assert a.h.js("() => harness.liveListeners()") == []
    a.page.wait_for_timeout(250)
    assert a.h.js("() => harness.frames") == frames  # no animation frame left running
    assert a.h.view().inner_html() == ""


def test_closing_the_dialog_releases_its_listeners(analyze: Analyze) -> None:
    a = analyze
    baseline = a.h.js("() => harness.liveListeners()")
    for tab in TABS:
        dialog = a.open()
        dialog.get_by_role("tab", name=tab).click()
        dialog.get_by_role("button", name="Play").click()
        expect(dialog.get_by_role("button", name="Pause")).to_be_visible()
        dialog.get_by_role("button", name="Pause").click()
        a.page.keyboard.press("Escape")
        expect(a.page.get_by_role("dialog")).to_have_count(0)
        assert a.h.js("() => harness.liveListeners()") == baseline
    # The card's own controls still follow its player after the dialog's mirror is gone.
    a.card().get_by_role("button", name="Play").click()
    expect(a.card().get_by_role("button", name="Pause")).to_have_count(1)
    a.card().get_by_role("button", name="Pause").click()
    expect(a.card().get_by_role("button", name="Play")).to_have_count(1)


def test_clip_without_analysis_data_still_opens(harness: Harness) -> None:
    """Clips saved by an older version carry only card peaks: the tabs say so, stats fall back."""
    from test_browser_bundle import make_clip

    harness.add_page([make_clip("baseline", GROUP, 0, seconds=1.0)])
    harness.render()
    harness.view().get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    expect(dialog.get_by_role("tabpanel")).to_contain_text("No spectrum for this clip")
    dialog.get_by_role("tab", name="Waveform").click()
    expect_drawn(dialog.get_by_role("tabpanel").locator("canvas"), 0.05, 1)  # the card's peaks
    dialog.get_by_role("tab", name="Statistics").click()
    value = dialog.locator('tr[data-stat="duration"] [data-value]').get_attribute("data-value")
    assert json.loads(value) == 1.0
    assert dialog.locator('tr[data-stat="peak_dbfs"] .aw-stat-value').text_content() == "n/a"
    fps = dialog.locator('tr[data-stat="spectrum_fps"] .aw-stat-value')
    assert fps.text_content() == "n/a"  # no spectrum, so no frame rate


def test_a_frame_rate_missing_from_saved_stats_comes_from_the_metadata(
    harness: Harness, real: dict[str, Any]
) -> None:
    """Notebooks saved before the statistics held spectrum_fps still show it."""
    state = json.loads(json.dumps(real["state"]))
    for m in state["models"].values():
        if "meta" in m["state"]:
            del m["state"]["meta"]["stats"]["spectrum_fps"]
    harness.js("s => harness.loadState(s)", state)
    harness.render()
    harness.card(GROUP, RUNS[0]).get_by_role("button", name="Analyze").click()
    dialog = harness.page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Statistics").click()
    fps = dialog.locator('tr[data-stat="spectrum_fps"] .aw-stat-value')
    assert fps.text_content() == f"{real['fps'][RUNS[0], GROUP]:.1f}"


def test_undefined_statistics_read_n_a_and_silence_reads_minus_infinity(harness: Harness) -> None:
    """Below 3364 Hz BS.1770 loudness is undefined (n/a, with why); silence has a loudness, -inf.

    Python sends the two apart (null and "-inf"), so the table never guesses
    one from the other.
    """
    low = 3000
    t = np.arange(low) / low
    panel = aw.AudioPanel()
    panel.log({GROUP: aw.Audio(0.5 * np.sin(2 * np.pi * 440 * t), low)}, step=0, run=RUNS[0])
    panel.log({GROUP: aw.Audio(np.zeros(SR), SR)}, step=0, run=RUNS[1])
    assert panel.stats(RUNS[0], GROUP, 0)["loudness_lufs"] is None
    assert panel.stats(RUNS[1], GROUP, 0)["loudness_lufs"] == -math.inf
    assert panel.stats(RUNS[1], GROUP, 0)["crest_factor_db"] is None
    harness.js("s => harness.loadState(s)", panel_state(panel))
    harness.render()

    def table(run: str) -> dict[str, tuple[str, str]]:
        harness.card(GROUP, run).get_by_role("button", name="Analyze").click()
        dialog = harness.page.get_by_role("dialog")
        dialog.get_by_role("tab", name="Statistics").click()
        cells = dialog.locator("tr[data-stat]").evaluate_all(
            """rs => rs.map(r => [r.dataset.stat, r.querySelector('.aw-stat-value').textContent,
                                 r.querySelector('.aw-stat-value').title])"""
        )
        dialog.press("Escape")
        expect(dialog).to_have_count(0)
        return {field: (text, title) for field, text, title in cells}

    low_rate = table(RUNS[0])
    assert low_rate["loudness_lufs"][0] == "n/a"
    assert "below 3364 Hz" in low_rate["loudness_lufs"][1]
    silent = table(RUNS[1])
    assert silent["loudness_lufs"] == ("\u2212\u221e", "")
    assert silent["peak_dbfs"] == ("\u2212\u221e", "")
    assert silent["rms_dbfs"] == ("\u2212\u221e", "")
    assert silent["crest_factor_db"] == ("n/a", "Undefined for silence")
    panel.close()
