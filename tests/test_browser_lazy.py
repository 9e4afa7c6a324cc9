"""Clips beyond the embed budget in the built bundle: fetched from the kernel when needed.

A REAL panel made with a small ``embed`` budget leaves the audio of its older
steps out of the widget state (``embedded: false``, ``audio`` empty). The
harness plays the kernel: it answers the panel's ``audio_request`` messages
from the clips' bytes as Python keeps them, in chunks, like
``AudioPanel._handle_message``; it can also hold requests until told, drop
them (a saved report, where ``send`` goes nowhere) or announce a wrong total.
The page's clock is Playwright's, so a test can jump past the request timeout.
"""

from __future__ import annotations

import base64
from pathlib import Path
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
GROUP = "tts/a"
RUNS = ("baseline", "bigger-model")
STEPS = (0, 100, 200)
SECONDS = 2.0
LOADING = "Audio not embedded: loading from the kernel\u2026"
NO_KERNEL = "Audio not embedded in this report; re-run the notebook or raise embed="
NO_ANSWER = "The kernel did not answer within 15 s; is a cell still running? Retry once it is idle"
#: Past the bundle's request timeout (15 s without progress).
TIMEOUT = "00:16"


def clip(run: int, step: int) -> aw.Audio:
    t = np.arange(int(SECONDS * SR)) / SR
    freq = 220 * (run + 1) + step
    noise = np.random.default_rng(run * 1000 + step).normal(0, 0.01, t.size)
    return aw.Audio((0.3 * np.sin(2 * np.pi * freq * t) + noise).astype(np.float32), SR)


def make_panel() -> aw.AudioPanel:
    """Two runs at three steps; the budget holds the newest step only."""
    size = len(clip(0, 0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 2.5))
    for step in STEPS:
        for i, run in enumerate(RUNS):
            panel.log({GROUP: clip(i, step)}, step=step, run=run)
    return panel


@pytest.fixture(scope="module")
def real() -> Any:
    panel = make_panel()
    models = [m for page in panel._pages for m in page.clips]
    assert {m.step for m in models if m.embedded} == {STEPS[-1]}
    assert all(m.audio == b"" for m in models if not m.embedded)
    yield {
        "state": panel_state(panel),
        "files": {m.model_id: base64.b64encode(m.data).decode() for m in models},
        "data": {(m.run, m.step): m.data for m in models},
        "ids": {(m.run, m.step): m.model_id for m in models},
    }
    panel.close()


class Lazy:
    def __init__(self, h: Harness, real: dict[str, Any]) -> None:
        self.h = h
        self.page = h.page
        self.real = real

    def load(self, step: int = 0, **kernel: Any) -> None:
        """Load the panel at `step`, the kernel serving every clip (`kernel`: its options)."""
        self.h.js("s => harness.loadState(s)", self.real["state"])
        self.h.js("f => harness.kernel.serve(f)", self.real["files"])
        self.h.js("o => harness.kernel.configure(o)", kernel)
        self.h.js("s => harness.panel.set('_linked_step', s)", step)

    def render(self, kernel: bool = True) -> int:
        view = self.h.js("k => harness.render(null, {kernel: k})", kernel)
        expect(self.h.cards(GROUP, view)).to_have_count(len(RUNS))
        return view

    def card(self, run: str = RUNS[0], view: int = 0) -> Any:
        return self.h.card(GROUP, run, view)

    def id(self, run: str, step: int) -> str:
        return self.real["ids"][(run, step)]

    def requests(self) -> list[dict[str, Any]]:
        return self.h.js("() => harness.kernel.requests")

    def release(self, *ids: str, reverse: bool = False) -> int:
        return self.h.js("([c, r]) => harness.kernel.release(c, r)", [list(ids) or None, reverse])

    def play(self, run: str = RUNS[0], view: int = 0) -> None:
        self.card(run, view).get_by_role("button", name="Play").click()

    def status(self, run: str = RUNS[0], view: int = 0) -> Any:
        return self.card(run, view).locator(".aw-status")

    def message(self, run: str = RUNS[0], view: int = 0) -> Any:
        """The status line's text (without its Retry button)."""
        return self.status(run, view).locator("span")

    def expect_loading(self, run: str = RUNS[0], view: int = 0) -> None:
        card = self.card(run, view)
        expect(card).to_have_attribute("aria-busy", "true")
        expect(card).to_have_attribute("data-audio", "loading")
        expect(self.message(run, view)).to_have_text(LOADING)
        expect(self.status(run, view)).to_be_visible()
        expect(self.status(run, view)).to_have_attribute("role", "status")

    def expect_ready(self, run: str = RUNS[0], view: int = 0) -> None:
        card = self.card(run, view)
        expect(card).to_have_attribute("data-audio", "ready")
        expect(card).not_to_have_attribute("aria-busy", "true")
        expect(self.status(run, view)).to_be_hidden()

    def wait_playing(self, run: str = RUNS[0], view: int = 0, above: float = 0.2) -> None:
        self.card(run, view).locator("audio").evaluate(
            "(a, t) => new Promise(r => { const f = () => (a.currentTime > t && !a.paused"
            " ? r() : setTimeout(f, 20)); f(); })",
            above,
        )

    def src_bytes(self, run: str = RUNS[0], view: int = 0) -> bytes:
        """The bytes behind the card's audio element (its Blob URL)."""
        got = (
            self.card(run, view)
            .locator("audio")
            .evaluate(
                """async a => {
                const buf = new Uint8Array(await (await fetch(a.src)).arrayBuffer());
                let s = ""; for (const b of buf) s += String.fromCharCode(b); return btoa(s);
            }"""
            )
        )
        return base64.b64decode(got)

    def leftovers(self) -> dict[str, Any]:
        return self.h.js(
            "() => ({...harness.leftovers(), timers: harness.pendingTimers.size,"
            " requests: harness.kernel.requests.length})"
        )


@pytest.fixture
def lazy(harness: Harness, real: dict[str, Any]) -> Lazy:
    return Lazy(harness, real)


# -- playing ---------------------------------------------------------------------------------------


def test_playing_a_clip_that_is_not_embedded_fetches_it_in_chunks(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold", chunkBytes=4096, reverse=True)
    z.render()
    card = z.card()
    # Not embedded: said in its metadata, no audio yet, nothing asked for before it is needed.
    expect(card).to_have_attribute("data-audio", "remote")
    expect(card.locator(".aw-remote")).to_have_text("not embedded")
    expect(z.status()).to_be_hidden()
    assert card.locator("audio").get_attribute("src") is None
    assert z.requests() == []
    # An embedded clip of the newest step says nothing of the sort.
    z.h.js("() => harness.panel.set('_linked_step', null)")
    expect(card).to_have_attribute("data-step", str(STEPS[-1]))
    expect(card).to_have_attribute("data-audio", "ready")
    expect(card.locator(".aw-remote")).to_be_hidden()
    z.h.js("() => harness.panel.set('_linked_step', 0)")
    expect(card).to_have_attribute("data-step", "0")

    z.play()
    z.expect_loading()
    (request,) = z.requests()
    assert request["type"] == "audio_request"
    assert request["clip"] == f"IPY_MODEL_{z.id(RUNS[0], 0)}"
    assert isinstance(request["request_id"], str)
    assert request["request_id"]
    data = z.real["data"][(RUNS[0], 0)]
    assert len(data) > 4096 * 3  # several chunks, sent last first
    assert z.release() == 1
    z.expect_ready()
    z.wait_playing()
    expect(card.get_by_role("button", name="Pause")).to_have_count(1)
    assert z.src_bytes() == data
    # Download saves the same bytes, with no second request.
    src = card.locator("audio").get_attribute("src")
    assert card.get_by_label("Download").get_attribute("href") == src
    assert len(z.requests()) == 1
    # The other card has not been fetched.
    expect(z.card(RUNS[1])).to_have_attribute("data-audio", "remote")


def test_analyze_playback_and_download_fetch_first(lazy: Lazy) -> None:
    z = lazy
    z.load(step=100)
    z.render()
    card = z.card(RUNS[1])
    with z.page.expect_download() as info:
        card.get_by_label("Download").click()
    download = info.value
    assert download.suggested_filename == "bigger-model-tts_a-step100-0.flac"
    assert Path(download.path()).read_bytes() == z.real["data"][(RUNS[1], 100)]
    assert len(z.requests()) == 1
    z.expect_ready(RUNS[1])

    # The Analyze dialog's play button plays the card's clip, fetched first.
    first = z.card()
    first.get_by_role("button", name="Analyze").click()
    dialog = first.locator("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Play").click()
    z.wait_playing()
    assert z.src_bytes() == z.real["data"][(RUNS[0], 100)]
    assert len(z.requests()) == 2


def test_a_seek_made_before_the_audio_is_here_is_kept(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    card = z.card()
    box = card.locator(".aw-wave").bounding_box()
    z.page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    assert z.requests() == []  # seeking alone fetches nothing
    expect(card.locator(".aw-time")).to_have_text("0:01.0 / 0:02.0")
    z.play()
    z.expect_loading()
    z.release()
    z.expect_ready()
    z.wait_playing(above=0.0)
    assert z.h.audio_state(GROUP, RUNS[0])["t"] >= 0.95  # from the middle, not from 0


def test_moving_the_step_during_a_fetch_never_shows_the_old_clip(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.play()
    z.expect_loading()
    old = z.card().element_handle()
    # The user moves on while the step-0 clip is in flight, and plays the step-100 clip.
    z.h.slider(GROUP).fill("1")
    expect(z.card()).to_have_attribute("data-step", "100")
    assert old.evaluate("e => !e.isConnected || e.dataset.step === '100'")  # left, or reused
    expect(z.card()).to_have_attribute("data-audio", "remote")
    expect(z.status()).to_be_hidden()
    z.play()
    z.expect_loading()
    assert [r["clip"] for r in z.requests()] == [
        f"IPY_MODEL_{z.id(RUNS[0], 0)}",
        f"IPY_MODEL_{z.id(RUNS[0], 100)}",
    ]
    # The old reply lands first: it is not this card's.
    assert z.release(z.id(RUNS[0], 0)) == 1
    z.page.wait_for_timeout(150)
    z.expect_loading()
    assert z.card().locator("audio").get_attribute("src") is None
    assert z.h.js("() => harness.playing().length") == 0
    assert z.release(z.id(RUNS[0], 100)) == 1
    z.expect_ready()
    z.wait_playing()
    assert z.src_bytes() == z.real["data"][(RUNS[0], 100)]
    expect(z.card()).to_have_attribute("data-step", "100")

    # Back to step 0: the clip fetched for the card that left is ready, with no new request.
    z.h.slider(GROUP).fill("0")
    expect(z.card()).to_have_attribute("data-step", "0")
    z.expect_ready()
    assert z.src_bytes() == z.real["data"][(RUNS[0], 0)]
    assert len(z.requests()) == 2


def test_the_page_keeps_fetched_clips_up_to_a_budget(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0)
    z.render()
    size = len(z.real["data"][(RUNS[0], 0)])
    # room for one clip and a half: fetching a second drops the first from the page's cache
    z.h.js("async b => (await import('./index.js')).setFetchedBudget(b)", int(size * 1.5))
    z.play()
    z.expect_ready()
    z.wait_playing()
    z.card().get_by_role("button", name="Pause").click()
    z.h.slider(GROUP).fill("1")
    expect(z.card()).to_have_attribute("data-step", "100")
    z.play()
    z.expect_ready()
    z.wait_playing()
    z.card().get_by_role("button", name="Pause").click()
    assert len(z.requests()) == 2
    # the card keeps the bytes it shows: downloading them asks for nothing
    with z.page.expect_download() as info:
        z.card().get_by_label("Download").click()
    assert Path(info.value.path()).read_bytes() == z.real["data"][(RUNS[0], 100)]
    assert len(z.requests()) == 2

    # back to step 0: its bytes were dropped, so it says it is not here and asks again
    z.h.slider(GROUP).fill("0")
    expect(z.card()).to_have_attribute("data-step", "0")
    expect(z.card()).to_have_attribute("data-audio", "remote")
    z.play()
    z.expect_ready()
    z.wait_playing()
    assert len(z.requests()) == 3
    assert z.src_bytes() == z.real["data"][(RUNS[0], 0)]
    # the clip fetched last is kept: step 100's card would have to ask again, step 0's not
    z.card().get_by_role("button", name="Pause").click()
    z.h.slider(GROUP).fill("1")
    expect(z.card()).to_have_attribute("data-audio", "remote")
    z.h.slider(GROUP).fill("0")
    z.expect_ready()
    assert len(z.requests()) == 3


def test_a_step_move_with_nothing_played_fetches_nothing(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.play()
    z.expect_loading()
    z.h.slider(GROUP).fill("1")
    expect(z.card()).to_have_attribute("data-step", "100")
    z.release()
    z.page.wait_for_timeout(150)
    # The reply for step 0 neither loads nor plays the step-100 card.
    expect(z.card()).to_have_attribute("data-audio", "remote")
    assert z.card().locator("audio").get_attribute("src") is None
    assert z.h.js("() => harness.playing().length") == 0
    assert len(z.requests()) == 1


def test_audio_that_arrives_in_the_state_is_used(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.play()
    z.expect_loading()
    # Python embeds the clip (the budget changed) before the kernel's reply comes.
    z.h.js(
        """([id, b64]) => {
            const raw = atob(b64); const bytes = new Uint8Array(raw.length);
            for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
            harness.manager.models.get(id).set({audio: new DataView(bytes.buffer), embedded: true});
        }""",
        [z.id(RUNS[0], 0), z.real["files"][z.id(RUNS[0], 0)]],
    )
    z.expect_ready()
    z.wait_playing()
    expect(z.card().locator(".aw-remote")).to_be_hidden()
    assert z.src_bytes() == z.real["data"][(RUNS[0], 0)]
    src = z.card().locator("audio").get_attribute("src")
    z.release()
    z.page.wait_for_timeout(150)
    assert z.card().locator("audio").get_attribute("src") == src


# -- failures --------------------------------------------------------------------------------------


def test_a_dropped_request_times_out_and_retry_works(lazy: Lazy) -> None:
    z = lazy
    z.page.clock.install()
    z.load(step=0, mode="drop")
    z.render()
    z.play()
    z.expect_loading()
    z.page.clock.fast_forward("00:10")
    z.expect_loading()  # still waiting
    z.page.clock.fast_forward("00:06")
    card = z.card()
    expect(card).to_have_attribute("data-audio", "failed")
    expect(card).not_to_have_attribute("aria-busy", "true")
    expect(z.message()).to_have_text(NO_ANSWER)  # a live kernel, busy: not the report's message
    retry = z.status().get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    assert z.h.js("() => harness.playing().length") == 0

    z.h.js("() => harness.kernel.configure({mode: 'answer'})")
    retry.click()
    z.expect_ready()
    assert len(z.requests()) == 2
    assert len({r["request_id"] for r in z.requests()}) == 2  # ids are never reused
    assert z.src_bytes() == z.real["data"][(RUNS[0], 0)]
    z.play()
    z.wait_playing()


def test_progress_keeps_a_slow_fetch_alive(lazy: Lazy) -> None:
    z = lazy
    z.page.clock.install()
    z.load(step=0, chunkBytes=4096, stepwise=True)
    z.render()
    z.play()
    z.expect_loading()
    left = z.h.js("() => harness.kernel.outbox.length")
    assert left >= 3
    # A chunk every 10 s: each one restarts the timeout, so the fetch takes longer than it.
    while left:
        z.page.clock.fast_forward("00:10")
        left = z.h.js("() => harness.kernel.deliver(1)")
        if left:
            z.expect_loading()
    z.expect_ready()
    z.wait_playing()
    assert z.src_bytes() == z.real["data"][(RUNS[0], 0)]


def test_kernel_errors_and_bad_totals_are_shown_with_retry(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, extraBytes=1)
    z.render()
    z.play()
    data = z.real["data"][(RUNS[0], 0)]
    expect(z.status()).to_contain_text(
        f"Cannot load the audio: got {len(data)} bytes, expected {len(data) + 1}"
    )
    expect(z.card()).to_have_attribute("data-audio", "failed")
    assert z.card().locator("audio").get_attribute("src") is None
    # The clip is gone from the kernel (replaced in Python): its error is shown.
    z.h.js("id => harness.kernel.files.delete(id)", z.id(RUNS[0], 0))
    z.h.js("() => harness.kernel.configure({extraBytes: 0})")
    z.status().get_by_role("button", name="Retry").click()
    expect(z.status()).to_contain_text("Cannot load the audio: this clip is no longer in the panel")
    z.h.js("f => harness.kernel.serve(f)", z.real["files"])
    z.status().get_by_role("button", name="Retry").click()
    z.expect_ready()
    assert z.src_bytes() == data


def test_a_report_says_so_at_once(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0)
    z.render(kernel=False)
    for run in RUNS:
        card = z.card(run)
        expect(card).to_have_attribute("data-audio", "failed")
        expect(z.message(run)).to_have_text(NO_KERNEL)
        expect(z.status(run).get_by_role("button", name="Retry")).to_be_hidden()
        # nothing to play or save: the controls are disabled, not dead
        for name in ["Play", "Skip back 5 seconds", "Skip forward 5 seconds"]:
            expect(card.get_by_role("button", name=name)).to_be_disabled()
        expect(card.get_by_role("slider", name="Seek")).to_be_disabled()
        expect(card.get_by_role("link", name="Download")).to_have_attribute("aria-disabled", "true")
    z.card().get_by_role("button", name="Analyze").click()
    dialog = z.page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Play")).to_be_disabled()
    z.page.keyboard.press("Escape")
    url = z.page.url
    z.card().get_by_role("link", name="Download").click(force=True)  # a click gets through
    z.page.wait_for_timeout(100)
    assert z.page.url == url  # and does nothing: no download, no jump to "#"
    expect(z.message()).to_have_text(NO_KERNEL)
    assert z.h.js("() => harness.playing().length") == 0
    # The newest step was embedded: the same cards show it, and it plays.
    z.h.js("() => harness.panel.set('_linked_step', null)")
    expect(z.card()).to_have_attribute("data-step", str(STEPS[-1]))
    z.expect_ready()
    expect(z.card().get_by_role("link", name="Download")).not_to_have_attribute(
        "aria-disabled", "true"
    )
    z.play()
    z.wait_playing()
    assert z.requests() == []


# -- views and Compare mode ------------------------------------------------------------------------


def test_two_views_fetch_once(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.render()
    # Both views ask while the fetch is in flight: one request.
    z.play(view=0)
    z.play(view=1)
    z.expect_loading(view=0)
    z.expect_loading(view=1)
    assert len(z.requests()) == 1
    z.release()
    for view in (0, 1):
        z.expect_ready(view=view)
        z.wait_playing(view=view)
        assert z.src_bytes(view=view) == z.real["data"][(RUNS[0], 0)]
    # Fetched once for the page: the other run's clip, played in view 1 then view 0.
    z.h.js("() => harness.kernel.configure({mode: 'answer'})")
    z.play(RUNS[1], view=1)
    z.expect_ready(RUNS[1], view=1)
    z.play(RUNS[1], view=0)
    z.wait_playing(RUNS[1], view=0)
    assert len(z.requests()) == 2


def test_a_view_closing_mid_fetch_leaves_the_other_one_waiting_to_ask_again(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.render()
    z.play(view=0)
    z.play(view=1)
    assert len(z.requests()) == 1
    z.h.js("() => harness.cleanup(0)")
    # View 1 asks on its own; the reply to the closed view's request is ignored.
    z.page.wait_for_function("() => harness.kernel.requests.length === 2")
    z.expect_loading(view=1)
    z.release()
    z.wait_playing(view=1)
    assert z.src_bytes(view=1) == z.real["data"][(RUNS[0], 0)]


def test_compare_mode_with_clips_that_are_not_embedded(lazy: Lazy) -> None:
    z = lazy
    z.load(step=100, mode="hold")
    z.render()
    section = z.h.section(GROUP)
    section.get_by_role("button", name="Compare").click()
    transport = section.locator(".aw-compare")
    expect(transport).to_have_count(1)
    transport.get_by_role("button", name="Play").click()
    for run in RUNS:
        z.expect_loading(run)
    assert sorted(r["clip"] for r in z.requests()) == sorted(
        f"IPY_MODEL_{z.id(run, 100)}" for run in RUNS
    )
    assert z.h.js("() => harness.audio.starts") == 0
    z.release()
    for run in RUNS:
        z.expect_ready(run)
    z.page.wait_for_function(
        "() => Number(document.querySelector('.aw-compare').dataset.position) > 0.2"
    )
    assert z.h.js("() => harness.audio.decodes") == 2
    assert z.h.js("() => harness.audio.starts") == 2
    gains = transport.evaluate("e => e.awCompareGains()")
    assert gains == {RUNS[0]: 1, RUNS[1]: 0}
    assert z.h.js("() => harness.playing().length") == 0  # no <audio> element plays


# -- cleanup ---------------------------------------------------------------------------------------


def test_cleanup_during_a_fetch_leaves_nothing(lazy: Lazy) -> None:
    z = lazy
    z.load(step=0, mode="hold")
    z.render()
    z.play()
    z.play(RUNS[1])
    z.h.section(GROUP).get_by_role("button", name="Compare").click()
    z.h.section(GROUP).locator(".aw-compare").get_by_role("button", name="Play").click()
    z.expect_loading()
    assert len(z.requests()) == 2
    assert z.h.js("() => harness.pendingTimers.size") >= 2  # one timeout per request
    z.h.js("() => harness.cleanup(0)")
    z.release()
    z.page.wait_for_timeout(200)
    assert z.leftovers() == {
        "audioContextsOpen": 0,
        "audioContextsNotClosed": 0,
        "nodesConnected": 0,
        "pendingFrames": 0,
        "modelListeners": 0,
        "domListeners": [],
        "blobUrlsNotRevoked": 0,
        "audioPlaying": 0,
        "fullscreen": False,
        "timers": 0,
        "requests": 2,
    }
    assert z.h.js("() => harness.created.length") == 0  # the late replies made no Blob URL
    assert z.h.view().inner_html() == ""
