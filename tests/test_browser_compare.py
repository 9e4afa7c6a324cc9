"""Compare mode and loudness matching in the built bundle, on a REAL panel made in Python.

The clips are logged into an :class:`audiowidget.AudioPanel`; its state
(FLAC bytes and the statistics numpy computed) is loaded into the harness
page, so the compare transport decodes and plays exactly what Python encoded.
The harness counts what the bundle does with Web Audio (AudioContexts,
decodes, started sources, connected nodes) and exposes each transport's
GainNode values through ``element.awCompareGains()``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from panel_state import panel_state
from playwright.sync_api import expect
from test_browser_bundle import Harness, harness, site

import audiowidget as aw

pytestmark = pytest.mark.browser

__all__ = ["harness", "site"]  # fixtures shared with test_browser_bundle

SR = 16000
GROUP = "vocoder/a"
RUNS = ("baseline", "bigger-model", "spiky", "short")
#: (seconds, sine amplitude in dBFS, frequency) per run; "spiky" is quiet with one full-scale
#: sample (its gain is limited by its peak); "short" is below 400 ms (no loudness).
CLIPS = {
    "baseline": (2.0, -20.0, 440.0),
    "bigger-model": (3.0, -10.0, 550.0),
    "spiky": (2.5, -32.0, 660.0),
    "short": (0.3, -20.0, 330.0),
}
MINUS = "\u2212"


def tone(seconds: float, level_db: float, freq: float, spike: bool = False) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if spike:
        x[len(x) // 2] = 0.99
    return x


def make_panel() -> aw.AudioPanel:
    panel = aw.AudioPanel()
    for run, (seconds, level, freq) in CLIPS.items():
        panel.log(
            {GROUP: aw.Audio(tone(seconds, level, freq, run == "spiky"), SR)}, step=0, run=run
        )
    for run in RUNS[:2]:  # a second step for two runs
        seconds, level, freq = CLIPS[run]
        panel.log({GROUP: aw.Audio(tone(seconds, level - 3, freq * 1.5), SR)}, step=100, run=run)
    return panel


@pytest.fixture(scope="module")
def real() -> Any:
    panel = make_panel()
    yield {"panel": panel, "state": panel_state(panel)}
    panel.close()


class Compare:
    def __init__(self, h: Harness, real: dict[str, Any]) -> None:
        self.h = h
        self.page = h.page
        self.real = real

    def load(self, step: int = 0) -> int:
        self.h.js("s => harness.loadState(s)", self.real["state"])
        self.h.js("s => harness.panel.set('_linked_step', s)", step)
        view = self.h.render()
        expect(self.h.cards(GROUP, view)).to_have_count(4 if step == 0 else 2)
        return view

    def section(self, view: int = 0) -> Any:
        return self.h.section(GROUP, view)

    def transport(self, view: int = 0) -> Any:
        return self.section(view).locator(".aw-compare")

    def position(self, view: int = 0) -> float:
        return float(self.transport(view).get_attribute("data-position"))

    def gains(self, view: int = 0) -> dict[str, float]:
        return self.transport(view).evaluate("e => e.awCompareGains()")

    def wait_gains(self, expected: dict[str, float], every: bool = True) -> dict[str, float]:
        """Wait until the GainNodes reach `expected` (within 0.1 %: a ramp takes 5 ms);
        `every`: and no other clip sounds."""
        self.page.wait_for_function(
            """([want, every]) => {
                const got = document.querySelector('.aw-compare').awCompareGains();
                const n = Object.keys(want).length;
                return (!every || Object.keys(got).length === n)
                    && Object.entries(want).every(([r, g]) => Math.abs(got[r] - g) <= g / 1e3);
            }""",
            arg=[expected, every],
        )
        return self.gains()

    def audible(self, view: int = 0) -> dict[str, str]:
        cards = self.h.cards(GROUP, view)
        return dict(cards.evaluate_all("els => els.map(e => [e.dataset.run, e.dataset.audible])"))

    def wait_position(self, above: float, view: int = 0) -> None:
        self.page.wait_for_function(
            "([v, t]) => Number(document.querySelectorAll('.view')[v]"
            ".querySelector('.aw-compare').dataset.position) > t",
            arg=[view, above],
        )

    def turn_on(self, view: int = 0) -> None:
        self.section(view).get_by_role("button", name="Compare").click()
        expect(self.transport(view)).to_have_count(1)

    def play(self, view: int = 0) -> None:
        self.transport(view).get_by_role("button", name="Play").click()
        expect(self.transport(view).get_by_role("button", name="Pause")).to_have_count(1)

    def stats(self, run: str, step: int = 0) -> dict[str, Any]:
        return self.real["panel"].stats(run, GROUP, step)


@pytest.fixture
def cmp(harness: Harness, real: dict[str, Any]) -> Compare:
    c = Compare(harness, real)
    c.load()
    return c


def expected_gains(c: Compare, runs: tuple[str, ...] = RUNS, step: int = 0) -> dict[str, Any]:
    """Loudness-matching gains from Python's statistics: {run: (dB, limited) | None}."""
    loud = {r: c.stats(r, step)["loudness_lufs"] for r in runs}
    target = float(np.median([v for v in loud.values() if v is not None]))
    out: dict[str, Any] = {}
    for run in runs:
        if loud[run] is None:
            out[run] = None
            continue
        gain = target - loud[run]
        peak = c.stats(run, step)["peak_dbfs"]
        out[run] = (-peak, True) if peak + gain > 0 else (gain, False)
    return out


def db_text(db: float) -> str:
    text = f"{abs(db):.1f}"
    return f"{MINUS if db < 0 and float(text) != 0 else '+'}{text} dB"


# -- compare mode --------------------------------------------------------------------------------


def test_compare_switches_the_audible_run_without_restarting(cmp: Compare) -> None:
    c = cmp
    c.turn_on()
    assert c.h.js("() => harness.panel.get('compare')") is True
    expect(c.section().get_by_role("button", name="Compare")).to_have_attribute(
        "aria-pressed", "true"
    )
    # One transport for the group; the cards' own players are hidden.
    expect(c.section().get_by_label("Seek").filter(visible=True)).to_have_count(1)
    expect(c.transport().get_by_label("Seek")).to_be_visible()
    for run in RUNS:
        expect(c.h.card(GROUP, run).locator(".aw-controls")).to_be_hidden()
    expected = {"baseline": "true", "bigger-model": "false", "spiky": "false", "short": "false"}
    assert c.audible() == expected
    assert c.h.card(GROUP, "baseline").get_attribute("data-selected") == "true"
    assert c.h.js("() => harness.audio.created") == 0  # created lazily, on play

    c.play()
    c.wait_position(0.3)
    assert c.h.js("() => harness.audio.created") == 1
    assert c.h.js("() => harness.audio.decodes") == 4  # each clip once
    starts = c.h.js("() => harness.audio.starts")
    assert starts == 4
    assert c.gains() == {"baseline": 1, "bigger-model": 0, "spiky": 0, "short": 0}
    assert c.h.js("() => harness.playing().length") == 0  # no <audio> element plays
    assert c.h.js("() => harness.pendingFrames.size") == 1  # one playhead loop

    samples = [c.position() for _ in range(3)]
    c.h.card(GROUP, "bigger-model").locator(".aw-run-name").click()
    for _ in range(6):
        samples.append(c.position())
        c.page.wait_for_timeout(40)
    assert c.h.js("() => harness.panel.get('selected_run')") == "bigger-model"
    assert c.audible()["bigger-model"] == "true"
    assert c.audible()["baseline"] == "false"
    card = c.h.card(GROUP, "bigger-model")
    assert card.get_attribute("data-selected") == "true"
    assert card.get_attribute("aria-current") == "true"
    assert c.h.card(GROUP, "baseline").get_attribute("data-selected") is None
    assert c.wait_gains({"baseline": 0, "bigger-model": 1, "spiky": 0, "short": 0})
    # Same sources, no restart, and the playhead never went back.
    assert c.h.js("() => harness.audio.starts") == starts
    assert all(b >= a for a, b in itertools.pairwise(samples)), samples
    assert samples[-1] > samples[0] + 0.15, samples

    # Number keys select by run order; the gains follow within one ramp.
    c.section().focus()
    c.page.keyboard.press("3")
    c.page.wait_for_function("() => harness.panel.get('selected_run') === 'spiky'")
    c.wait_gains({"baseline": 0, "bigger-model": 0, "spiky": 1, "short": 0})
    assert c.audible()["spiky"] == "true"
    # Space pauses the transport, and plays it again from where it was.
    c.page.keyboard.press(" ")
    expect(c.transport().get_by_role("button", name="Play")).to_have_count(1)
    paused_at = c.position()
    c.page.wait_for_timeout(100)
    assert c.position() == paused_at
    assert c.gains() == {}  # sources stopped and released
    c.page.keyboard.press(" ")
    c.wait_position(paused_at + 0.05)
    assert c.h.js("() => harness.audio.decodes") == 4  # cached per clip model
    assert c.h.js("() => harness.audio.created") == 1  # one context per view


def test_seek_restarts_every_source_and_length_is_the_longest(cmp: Compare) -> None:
    c = cmp
    c.turn_on()
    transport = c.transport()
    assert transport.locator(".aw-time").text_content() == "0:00.0 / 0:03.0"  # bigger-model's 3 s
    assert transport.get_by_label("Seek").get_attribute("max") == "3"
    c.play()
    c.wait_position(0.1)
    starts = c.h.js("() => harness.audio.starts")
    transport.get_by_label("Seek").fill("2.2")
    c.wait_position(2.2)
    assert c.position() < 2.6
    assert c.h.js("() => harness.audio.starts") == starts + 4  # all restarted together
    # Past 2 s the 2 s clip has ended: the transport goes on to the longest's end.
    c.page.wait_for_function(
        "() => document.querySelector('.aw-compare .aw-play').ariaLabel === 'Play'",
        timeout=5000,
    )
    assert c.position() == pytest.approx(3.0)
    assert transport.locator(".aw-time").text_content() == "0:03.0 / 0:03.0"
    expect(transport.get_by_label("Seek")).to_have_attribute("aria-valuetext", "0:03.0 of 0:03.0")
    assert c.h.js("() => harness.audio.connected.size") == 0  # ended: every node released
    # Seeking while paused moves the playhead only.
    transport.get_by_label("Seek").fill("1")
    assert c.position() == pytest.approx(1.0)
    assert transport.get_by_role("button", name="Play").count() == 1
    # Play after the end starts over.
    transport.get_by_label("Seek").fill("3")
    c.play()
    c.wait_position(0.05)
    assert c.position() < 1.0


def test_waveform_click_seeks_the_transport_and_step_change_keeps_position(cmp: Compare) -> None:
    c = cmp
    c.turn_on()
    wave = c.h.card(GROUP, "bigger-model").locator(".aw-wave")
    box = wave.bounding_box()
    c.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert c.position() == pytest.approx(1.5, abs=0.05)  # half of its 3 s
    assert c.h.js("() => harness.panel.get('selected_run')") == "bigger-model"
    c.play()
    c.wait_position(1.6)
    # Another step: the new clips play on from the same position.
    c.section().get_by_label("Step", exact=True).fill("1")
    expect(c.h.cards(GROUP)).to_have_count(2)
    c.page.wait_for_function(
        "() => Object.keys(document.querySelector('.aw-compare').awCompareGains()).length === 2"
    )
    assert c.position() > 1.6
    c.wait_gains({"baseline": 0, "bigger-model": 1})
    assert c.h.js("() => harness.audio.decodes") == 6


def test_analyze_follows_and_seeks_the_transport_in_compare_mode(cmp: Compare) -> None:
    """In Compare mode the group's transport plays: the Analyze view of a card follows it,
    and a click on its spectrogram seeks the transport (not the card's silent player)."""
    c = cmp
    c.turn_on()
    c.play()
    c.wait_position(0.3)
    card = c.h.card(GROUP, "bigger-model")
    card.get_by_role("button", name="Analyze").click()
    dialog = c.page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    fps = SR / round(SR / 30)  # the spectrum's hop is the nearest whole sample to 1/30 s
    frame = dialog.locator("canvas[data-frame]")
    # the spectrum frame is the transport's position, and moves on with it
    first = int(frame.get_attribute("data-frame"))
    c.page.wait_for_function(
        "([c, f]) => Number(c.dataset.frame) > f + 3", arg=[frame.element_handle(), first]
    )
    got = c.h.js(
        """() => [Number(document.querySelector('.aw-compare').dataset.position),
                  Number(document.querySelector('dialog canvas[data-frame]').dataset.frame)]"""
    )
    assert got[1] == pytest.approx(got[0] * fps, abs=3)
    assert card.locator("audio").evaluate("a => a.paused")  # the card's own player stays silent
    # the dialog's own Seek slider shows and seeks the transport too
    seek = dialog.get_by_label("Seek", exact=True)
    assert float(seek.input_value()) == pytest.approx(c.position(), abs=0.2)
    c.transport().get_by_role("button", name="Pause").evaluate("b => b.click()")
    seek.focus()
    seek.press("Home")
    assert c.position() == pytest.approx(0, abs=0.01)
    # a click at 80 % of the spectrogram seeks the transport there
    dialog.get_by_role("tab", name="Spectrogram").click()
    canvas = dialog.get_by_role("tabpanel").locator("canvas")
    c.page.wait_for_function("c => c.width > 0", arg=canvas.element_handle())
    box = canvas.bounding_box()
    c.page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
    assert 0.7 * 3.0 < c.position() < 0.9 * 3.0
    assert card.locator("audio").evaluate("a => a.currentTime") == 0


def test_compare_off_restores_the_card_players(cmp: Compare) -> None:
    c = cmp
    c.turn_on()
    c.play()
    c.wait_position(0.1)
    c.section().get_by_role("button", name="Compare").click()
    expect(c.transport()).to_have_count(0)
    assert c.h.js("() => harness.panel.get('compare')") is False
    assert c.h.js("() => harness.audio.connected.size") == 0
    card = c.h.card(GROUP, "baseline")
    expect(card.locator(".aw-controls")).to_be_visible()
    assert card.get_attribute("data-audible") is None
    # A card's own player pauses the compare transport of the view, and the other way round.
    c.turn_on()
    c.play()
    c.section().get_by_role("button", name="Compare").click()
    card.get_by_role("button", name="Play").click()
    expect(card.get_by_role("button", name="Pause")).to_have_count(1)
    c.turn_on()
    assert c.h.js("() => harness.playing().length") == 0  # compare mode paused the card


# -- loudness matching --------------------------------------------------------------------------


def test_match_loudness_shows_and_applies_the_limited_gains(cmp: Compare) -> None:
    c = cmp
    expected = expected_gains(c)
    assert expected["spiky"][1] is True  # the limit applies to the spiky clip
    assert expected["short"] is None
    button = c.section().get_by_role("button", name="Match loudness")
    assert button.get_attribute("aria-pressed") == "false"
    expect(c.section().locator(".aw-gain")).to_have_count(4)
    for run in RUNS:
        expect(c.h.card(GROUP, run).locator(".aw-gain")).to_be_hidden()
    download = c.h.card(GROUP, "spiky").get_by_label("Download").get_attribute("href")
    button.click()
    assert c.h.js("() => harness.panel.get('match_loudness')") is True
    expect(button).to_have_attribute("aria-pressed", "true")
    for run in RUNS:
        label = c.h.card(GROUP, run).locator(".aw-gain")
        expect(label).to_be_visible()
        if expected[run] is None:
            assert label.text_content() == "unchanged"
            assert "shorter than 400 ms" in label.get_attribute("title")
            continue
        db, limited = expected[run]
        assert float(label.get_attribute("data-gain-db")) == pytest.approx(db, abs=1e-9)
        text = label.text_content()
        assert text == db_text(db) + (" limited" if limited else "")
        assert ("0 dBFS" in label.get_attribute("title")) is limited
    # Playback only: the download is the same Blob of the logged bytes.
    assert c.h.card(GROUP, "spiky").get_by_label("Download").get_attribute("href") == download

    # The card's own player goes through a GainNode at the matched gain (made on play).
    card = c.h.card(GROUP, "bigger-model")
    assert card.evaluate("e => e.awPlaybackGain()") is None
    card.get_by_role("button", name="Play").click()
    expect(card.get_by_role("button", name="Pause")).to_have_count(1)
    linear = 10 ** (expected["bigger-model"][0] / 20)
    c.page.wait_for_function("e => e.awPlaybackGain() !== null", arg=card.element_handle())
    assert card.evaluate("e => e.awPlaybackGain()") == pytest.approx(linear, rel=1e-3)
    card.locator("audio").evaluate(
        "a => new Promise(r => {"
        " const f = () => (a.currentTime > 0.2 ? r() : setTimeout(f, 20)); f(); })"
    )
    card.get_by_role("button", name="Pause").click()
    # Off: the label goes, the graph stays at unity gain.
    button.click()
    expect(card.locator(".aw-gain")).to_be_hidden()
    c.page.wait_for_function(
        "e => Math.abs(e.awPlaybackGain() - 1) < 1e-6", arg=card.element_handle()
    )


def test_compare_plays_the_selected_clip_at_its_matched_gain(cmp: Compare) -> None:
    c = cmp
    expected = expected_gains(c)
    c.h.js(
        "() => { harness.panel.set('match_loudness', true); harness.panel.set('compare', true); }"
    )
    expect(c.transport()).to_have_count(1)
    # The short clip (no loudness) plays unchanged; selected before playing, heard from the start.
    c.h.card(GROUP, "short").locator(".aw-run-name").click()
    c.play()
    c.wait_position(0.05)
    assert c.gains()["short"] == 1.0
    # (The short clip has ended by now: its node is idle, its gain no longer moves.)
    for run in ("bigger-model", "spiky", "baseline"):
        c.h.card(GROUP, run).locator(".aw-run-name").click()
        want = dict.fromkeys(RUNS[:3], 0.0)
        want[run] = 10 ** (expected[run][0] / 20)
        gains = c.wait_gains(want, every=False)
        assert gains[run] == pytest.approx(want[run], rel=1e-3)


# -- cleanup ------------------------------------------------------------------------------------

CYCLE_JS = """async n => {
    const until = async (ok, what) => {
        const t0 = performance.now();
        while (!ok()) {
            if (performance.now() - t0 > 5000) throw new Error('timed out waiting for ' + what);
            await new Promise(r => setTimeout(r, 5));
        }
    };
    for (let i = 0; i < n; i++) {
        const compare = i % 3 === 0;
        harness.panel.set('compare', compare);
        harness.panel.set('match_loudness', i % 4 === 1);
        const v = await harness.render();
        const el = harness.views[v].el;
        await until(() => el.querySelectorAll('.aw-card').length === 4, 'cards');
        if (compare) {
            el.querySelector('.aw-compare .aw-play').click();
            await until(() => Number(el.querySelector('.aw-compare').dataset.position) > 0.02,
                        'compare playback');
        } else if (i % 3 === 1) {
            el.querySelector('.aw-card .aw-play').click();  // through a GainNode when matching
            await until(() => harness.playing().length === 1, 'card playback');
            if (i % 4 === 1) {
                const card = el.querySelector('.aw-card');
                await until(() => card.awPlaybackGain() !== null, 'the loudness GainNode');
            }
        }
        if (i % 5 === 0) el.querySelector('.aw-fullscreen').click();  // no user gesture: overlay
        if (i % 7 === 0) el.querySelector('.aw-help-button').click();  // listens outside itself
        await harness.cleanup(v);
    }
    harness.panel.set('compare', false);
}"""


def test_opening_and_closing_a_view_50_times_leaves_nothing(harness: Harness, real: Any) -> None:
    h = harness
    h.js("s => harness.loadState(s)", real["state"])
    h.js("() => harness.panel.set('_linked_step', 0)")
    h.js(CYCLE_JS, 50)
    h.page.wait_for_timeout(100)  # AudioContext.close() settles; stray frames would re-request
    left = h.js("() => harness.leftovers()")
    assert left == {
        "audioContextsOpen": 0,
        "audioContextsNotClosed": 0,
        "nodesConnected": 0,
        "pendingFrames": 0,
        "modelListeners": 0,
        "domListeners": [],
        "blobUrlsNotRevoked": 0,
        "audioPlaying": 0,
        "fullscreen": False,
    }
    # One AudioContext per view that played in compare mode or with matched loudness.
    played = sum(1 for i in range(50) if i % 3 == 0 or (i % 3 == 1 and i % 4 == 1))
    assert h.js("() => harness.audio.created") == played
    assert h.js("() => harness.created.length") == 50 * 4
    assert h.js("() => document.querySelectorAll('.view *').length") == 0
