"""The built front end (``audiowidget/static/index.js`` + ``index.css``) in headless Chromium.

A harness page (``tests/bundle_page/``) stands in for anywidget and the widget
manager: models with get/set/on/off/save_changes, "IPY_MODEL_<id>" references
and one model proxy per view. Clips carry real FLAC bytes and int16 peaks made
here with numpy + soundfile, the way the Python side sends them.
"""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from browser_support import block_non_local, serve_directory
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "audiowidget" / "static"
PAGE_DIR = Path(__file__).resolve().parent / "bundle_page"

EMPTY_HINT = "Nothing logged yet: panel.log({...}, step=..., run=...)"
RUNS = [{"name": "baseline", "color": "#4C78E0"}, {"name": "bigger-model", "color": "#E8590C"}]
SPEECH = "tts/hello"  # 12 s mono clips: long enough to skip 5 s both ways
MUSIC = "music/x"  # 1.5 s stereo clips
SINGLE = "single/only"  # one step only
XSS = ['<img src=x onerror="window.__xss=1">', "</script><script>window.__xss=1</script>"]


# -- clip specs: what the Python side sends, with bytes as base64 -------------------------


def _peaks(x: np.ndarray, buckets: int = 400) -> np.ndarray:
    """(channels, buckets, 2) int16 min/max, 32767 = full scale."""
    n = min(buckets, x.shape[0])
    starts = (np.arange(n) * x.shape[0]) // n
    lows = np.minimum.reduceat(x, starts, axis=0)
    highs = np.maximum.reduceat(x, starts, axis=0)
    pairs = np.stack([lows.T, highs.T], axis=-1)
    return np.round(np.clip(pairs, -1, 1) * 32767).astype("<i2")


def make_clip(
    run: str,
    group: str,
    step: int,
    index: int = 0,
    *,
    seconds: float = 12.0,
    channels: int = 1,
    caption: str | None = None,
    sample_rate: int = 8000,
    peaks_offset: int = 0,
) -> dict[str, Any]:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    freq = 200 + 40 * (step % 7) + 90 * (len(run) % 5) + 30 * index
    envelope = 0.2 + 0.6 * np.abs(np.sin(np.pi * t / seconds * 3))
    x = np.stack(
        [envelope * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)], axis=1
    )
    x = x.astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, sample_rate, format="FLAC", subtype="PCM_16")
    data = buf.getvalue()
    peaks = _peaks(x)
    return {
        "run": run,
        "group": group,
        "step": step,
        "index": index,
        "meta": {
            "caption": caption,
            "sample_rate": sample_rate,
            "channels": channels,
            "frames": x.shape[0],
            "duration": x.shape[0] / sample_rate,
            "encoding": "FLAC 16-bit",
            "mime": "audio/flac",
            "ext": "flac",
            "bytes": len(data),
        },
        "audio": base64.b64encode(data).decode(),
        "peaks": {
            "shape": list(peaks.shape),
            "data": base64.b64encode(peaks.tobytes()).decode(),
            "offset": peaks_offset,
        },
    }


def standard_clips(steps: tuple[int, ...] = (0, 100)) -> list[dict[str, Any]]:
    clips = []
    for step in steps:
        for run in ("baseline", "bigger-model"):
            clips.append(make_clip(run, SPEECH, step, caption=f"hello at {step}"))
            clips.append(make_clip(run, MUSIC, step, seconds=1.5, channels=2))
    return clips


# -- the harness ------------------------------------------------------------------------------


class Harness:
    """Python handle on the harness page (window.harness)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def add_page(self, clips: list[dict[str, Any]], runs: list[dict[str, str]] = RUNS) -> int:
        return self.js("([c, r]) => harness.addPage(c, r)", [clips, runs])

    def render(self, width: str | None = None) -> int:
        return self.js("w => harness.render(w)", width)

    def view(self, i: int = 0) -> Any:
        return self.page.locator(".view").nth(i)

    def section(self, group: str, view: int = 0) -> Any:
        return self.view(view).locator(f'section.aw-group[data-group="{group}"]')

    def cards(self, group: str, view: int = 0) -> Any:
        return self.section(group, view).locator(".aw-card")

    def card(self, group: str, run: str, view: int = 0) -> Any:
        return self.section(group, view).locator(f'.aw-card[data-run="{run}"]')

    def card_steps(self, group: str, view: int = 0) -> list[str]:
        return self.cards(group, view).evaluate_all("els => els.map(e => e.dataset.step)")

    def pinned(self) -> dict[str, int]:
        return self.js("() => harness.panel.get('_pinned_steps')")

    def linked_step(self) -> int | None:
        return self.js("() => harness.panel.get('_linked_step')")

    def slider(self, group: str, view: int = 0) -> Any:
        return self.section(group, view).get_by_label("Step", exact=True)

    def unlink(self, group: str, view: int = 0) -> None:
        lock = self.section(group, view).get_by_role("button", name="Link steps")
        lock.click()
        self.page.wait_for_function("g => harness.panel.get('_unlinked').includes(g)", arg=group)

    def audio_state(self, group: str, run: str, view: int = 0) -> dict[str, Any]:
        return (
            self.card(group, run, view)
            .locator("audio")
            .evaluate(
                "a => ({t: a.currentTime, paused: a.paused, muted: a.muted, volume: a.volume,"
                " duration: a.duration})"
            )
        )

    def wait_metadata(self, group: str, run: str, view: int = 0) -> None:
        self.card(group, run, view).locator("audio").evaluate(
            "a => a.readyState >= 1 || new Promise(r => a.addEventListener('loadedmetadata', r))"
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    missing = [n for n in ("index.js", "index.css") if not (STATIC / n).is_file()]
    if missing:
        pytest.fail(f"bundle not built ({', '.join(missing)} missing): run `npm run build` in js/")
    root = tmp_path_factory.mktemp("bundle_site")
    for name in ("index.js", "index.css"):
        shutil.copy(STATIC / name, root / name)
    for path in PAGE_DIR.iterdir():
        shutil.copy(path, root / path.name)
    with serve_directory(root) as url:
        yield url


@pytest.fixture
def harness(page: Any, site: str) -> Any:
    blocked: list[str] = []
    block_non_local(page, blocked)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(site + "index.html")
    page.wait_for_function("() => window.harness !== undefined")
    yield Harness(page)
    assert page.page_errors == [], page.page_errors
    assert console_errors == [], console_errors
    assert blocked == [], f"the bundle requested non-local URLs: {blocked}"


@pytest.fixture
def loaded(harness: Harness) -> Harness:
    """Two runs × (speech, music) at steps 0 and 100, plus a one-step group, in one view."""
    harness.add_page(standard_clips())
    harness.add_page([make_clip("baseline", SINGLE, 7, seconds=1.0)])
    harness.render()
    expect_count(harness.cards(SPEECH), 2)
    expect_count(harness.cards(SINGLE), 1)
    return harness


def expect_text(locator: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(locator).to_have_text(text)


def expect_count(locator: Any, n: int) -> None:
    from playwright.sync_api import expect

    expect(locator).to_have_count(n)


#: Relative luminance (0..1, sRGB weights without linearization) of a computed CSS color.
LUMINANCE_JS = """c => { const m = c.match(/\\d+(\\.\\d+)?/g).map(Number);
    return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255; }"""


def rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


# -- (a) cards, colors, slider ------------------------------------------------------------------


def test_empty_panel_shows_hint(harness: Harness) -> None:
    harness.render()
    hint = harness.view().locator(".aw-empty")
    assert hint.text_content() == EMPTY_HINT
    assert hint.is_visible()
    harness.add_page([make_clip("baseline", SPEECH, 0)])
    expect_count(harness.cards(SPEECH), 1)
    assert not hint.is_visible()


def test_no_empty_hint_while_clips_load(harness: Harness) -> None:
    harness.add_page([make_clip("baseline", SPEECH, 0, seconds=0.5)])
    hidden_at_first = harness.js(
        "async () => { const v = await harness.render();"
        " return harness.views[v].el.querySelector('.aw-empty').hidden; }"
    )
    assert hidden_at_first is True
    expect_count(harness.cards(SPEECH), 1)
    assert not harness.view().locator(".aw-empty").is_visible()


def test_cards_show_every_run_at_newest_step_in_run_colors(loaded: Harness) -> None:
    h = loaded
    titles = h.view().locator(".aw-group-title").all_text_contents()
    assert titles == [SPEECH, MUSIC, SINGLE]  # _groups order
    cards = h.cards(SPEECH)
    attrs = cards.evaluate_all(
        "els => els.map(e => [e.dataset.run, e.dataset.group, e.dataset.step, e.dataset.index])"
    )
    assert attrs == [["baseline", SPEECH, "100", "0"], ["bigger-model", SPEECH, "100", "0"]]
    for run in RUNS:
        card = h.card(SPEECH, run["name"])
        name = card.locator(".aw-run-name")
        assert name.text_content() == run["name"]
        assert name.evaluate("e => getComputedStyle(e).color") == rgb(run["color"])
        swatch = card.locator(".aw-swatch").evaluate("e => getComputedStyle(e).backgroundColor")
        assert swatch == rgb(run["color"])
        assert card.locator(".aw-caption").text_content() == "hello at 100"
        assert card.locator(".aw-card-step").text_content() == "step 100"
        assert card.locator(".aw-encoding").text_content() == "FLAC 16-bit"
        assert card.locator(".aw-duration").text_content() == "12.0 s"
        assert card.locator("audio").get_attribute("preload") == "metadata"
    slider = h.section(SPEECH).get_by_label("Step", exact=True)
    assert slider.get_attribute("type") == "range"
    assert slider.input_value() == "1"
    assert slider.get_attribute("max") == "1"
    assert h.section(SPEECH).locator(".aw-step-value").text_content() == "100"
    # A group with one step still shows its (disabled) slider and value.
    single = h.section(SINGLE)
    assert single.get_by_label("Step", exact=True).is_disabled()
    assert single.locator(".aw-step-value").text_content() == "7"
    assert h.card_steps(SINGLE) == ["7"]


def test_step_slider_moves_linked_groups_and_pins_unlinked_ones(loaded: Harness) -> None:
    h = loaded
    slider = h.slider(SPEECH)
    slider.fill("0")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === 0")
    assert h.card_steps(SPEECH) == ["0", "0"]
    assert h.section(SPEECH).locator(".aw-step-value").text_content() == "0"
    assert h.card_steps(MUSIC) == ["0", "0"]  # linked: every group moves
    assert h.card_steps(SINGLE) == ["7"]  # its only step, nearest to 0
    assert h.pinned() == {}
    h.page.wait_for_function("() => harness.panel.saves >= 1")  # debounced save to the kernel
    # Back to the newest step: null, follows new steps again.
    slider.fill("1")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === null")
    assert h.card_steps(SPEECH) == ["100", "100"]
    # An unlinked group's slider pins that group only.
    h.unlink(MUSIC)
    h.slider(MUSIC).fill("0")
    h.page.wait_for_function(f"() => harness.panel.get('_pinned_steps')[{MUSIC!r}] === 0")
    assert h.card_steps(MUSIC) == ["0", "0"]
    assert h.card_steps(SPEECH) == ["100", "100"]
    assert h.linked_step() is None
    # A pin written by Python (or another view) moves the slider.
    h.js("g => harness.panel.set('_pinned_steps', {[g]: 100})", MUSIC)
    assert h.card_steps(MUSIC) == ["100", "100"]
    assert h.slider(MUSIC).input_value() == "1"


def test_keyboard_moves_the_step_slider(loaded: Harness) -> None:
    h = loaded
    slider = h.section(SPEECH).get_by_label("Step", exact=True)
    slider.focus()
    h.page.keyboard.press("ArrowLeft")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === 0")
    assert h.card_steps(SPEECH) == ["0", "0"]


def test_step_change_shows_each_clip_whole(harness: Harness) -> None:
    clips = standard_clips()
    harness.add_page(clips)
    harness.render()
    expect_count(harness.cards(SPEECH), 2)
    audio = {(c["run"], c["group"], c["step"]): c["audio"] for c in clips}
    for step in (0, 100, 0):
        harness.slider(SPEECH).fill("0" if step == 0 else "1")
        harness.page.wait_for_function(
            "s => [...document.querySelectorAll('.aw-card')].every(c => c.dataset.step === s)",
            arg=str(step),
        )
        for run in ("baseline", "bigger-model"):
            card = harness.card(SPEECH, run)
            assert card.get_attribute("aria-label") == f"{run}, step {step}"
            assert card.locator(".aw-card-step").text_content() == f"step {step}"
            assert card.locator(".aw-caption").text_content() == f"hello at {step}"
            link = card.get_by_label("Download")
            assert f"-step{step}" in link.get_attribute("download")
            href = link.get_attribute("href")
            assert href.startswith("blob:")
            assert card.locator("audio").get_attribute("src") == href
            got = harness.js(
                """async href => {
                    const buf = new Uint8Array(await (await fetch(href)).arrayBuffer());
                    let s = ""; for (const b of buf) s += String.fromCharCode(b); return btoa(s);
                }""",
                href,
            )
            assert base64.b64decode(got) == base64.b64decode(audio[(run, SPEECH, step)])
            assert card.get_by_label("Seek").input_value() == "0"


# -- (b) player ------------------------------------------------------------------------------------


def test_play_advances_and_only_one_clip_plays(loaded: Harness) -> None:
    h = loaded
    first = h.card(SPEECH, "baseline")
    second = h.card(SPEECH, "bigger-model")
    first.get_by_role("button", name="Play").click()
    expect_count(first.get_by_role("button", name="Pause"), 1)
    first.locator("audio").evaluate(
        "a => new Promise(r => {"
        " const f = () => (a.currentTime > 0.3 ? r() : setTimeout(f, 20)); f(); })"
    )
    assert not h.audio_state(SPEECH, "baseline")["paused"]
    # The played overlay and seek slider follow currentTime.
    h.page.wait_for_function(
        "() => parseFloat(document.querySelector('.aw-card[data-run=\"baseline\"] .aw-wave-played')"
        ".style.width) > 0"
    )
    assert float(first.get_by_label("Seek").input_value()) > 0
    second.get_by_role("button", name="Play").click()
    expect_count(second.get_by_role("button", name="Pause"), 1)
    expect_count(first.get_by_role("button", name="Play"), 1)
    assert h.audio_state(SPEECH, "baseline")["paused"]
    assert h.js("() => harness.playing().length") == 1
    second.get_by_role("button", name="Pause").click()
    expect_count(second.get_by_role("button", name="Play"), 1)
    assert h.js("() => harness.playing().length") == 0


def test_skip_seek_volume_and_mute(loaded: Harness) -> None:
    h = loaded
    card = h.card(SPEECH, "baseline")
    h.wait_metadata(SPEECH, "baseline")
    card.get_by_role("button", name="Skip forward 5 seconds").click()
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(5, abs=0.05)
    card.get_by_role("button", name="Skip forward 5 seconds").click()
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(10, abs=0.05)
    assert card.locator(".aw-time").text_content() == "0:10.0 / 0:12.0"
    card.get_by_role("button", name="Skip back 5 seconds").click()
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(5, abs=0.05)
    card.get_by_role("button", name="Skip back 5 seconds").click()
    card.get_by_role("button", name="Skip back 5 seconds").click()  # clamps at 0
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(0, abs=0.05)
    card.get_by_label("Seek").fill("7.5")
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(7.5, abs=0.05)
    assert card.locator(".aw-time").text_content() == "0:07.5 / 0:12.0"
    # screen readers hear the position as time, not as raw seconds
    assert card.get_by_label("Seek").get_attribute("aria-valuetext") == "0:07.5 of 0:12.0"

    card.get_by_label("Volume").fill("0.25")
    assert h.audio_state(SPEECH, "baseline")["volume"] == pytest.approx(0.25)
    card.get_by_role("button", name="Mute").click()
    assert h.audio_state(SPEECH, "baseline")["muted"] is True
    expect_count(card.get_by_role("button", name="Unmute"), 1)
    card.get_by_role("button", name="Unmute").click()
    assert h.audio_state(SPEECH, "baseline")["muted"] is False
    expect_count(card.get_by_role("button", name="Mute"), 1)
    # Other cards keep their own state.
    other = h.audio_state(SPEECH, "bigger-model")
    assert other["volume"] == 1
    assert other["t"] == 0


def test_clips_under_a_second_show_hundredths(harness: Harness) -> None:
    h = harness
    h.add_page([make_clip("baseline", SPEECH, 0, seconds=0.05)])
    h.render()
    card = h.card(SPEECH, "baseline")
    h.wait_metadata(SPEECH, "baseline")
    expect_text(card.locator(".aw-time"), "0:00.00 / 0:00.05")
    card.get_by_label("Seek").fill("0.03")
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(0.03, abs=0.002)
    expect_text(card.locator(".aw-time"), "0:00.03 / 0:00.05")
    assert card.get_by_label("Seek").get_attribute("aria-valuetext") == "0:00.03 of 0:00.05"
    # a thousandth of a second per step: the keys move a tenth of the clip, not a fifth
    card.get_by_label("Seek").press("Home")
    card.get_by_label("Seek").press("PageUp")
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(0.005, abs=0.0015)
    card.get_by_label("Seek").press("ArrowRight")
    assert h.audio_state(SPEECH, "baseline")["t"] == pytest.approx(0.006, abs=0.0015)


def test_clips_of_one_flac_frame_play_to_the_end(harness: Harness) -> None:
    # Chromium cannot play a single-frame FLAC (up to 4096 samples) preloaded as metadata only
    h = harness
    h.add_page(
        [
            make_clip("baseline", SPEECH, 0, seconds=0.05, sample_rate=16000),  # 800 samples
            make_clip("bigger-model", SPEECH, 0, seconds=0.25, sample_rate=16000),  # 4000
        ]
    )
    h.render()
    for run in ["baseline", "bigger-model"]:
        h.wait_metadata(SPEECH, run)
        card = h.card(SPEECH, run)
        card.get_by_role("button", name="Play").click()
        card.locator("audio").evaluate(
            "a => new Promise((ok, no) => {"
            " const fail = () => no(new Error(a.error ? a.error.message : 'not ended after 5 s'));"
            " if (a.ended) ok(); if (a.error) fail(); a.addEventListener('ended', ok);"
            " a.addEventListener('error', fail); setTimeout(fail, 5000); })"
        )
        expect_count(card.get_by_role("button", name="Play"), 1)


def test_audio_the_browser_cannot_play_says_so_on_its_card(harness: Harness) -> None:
    h = harness
    broken = make_clip("baseline", SPEECH, 0, seconds=1.0)
    data = base64.b64decode(broken["audio"])
    broken["audio"] = base64.b64encode(data[:4] + bytes(len(data) - 4)).decode()  # fLaC, then 0s
    h.add_page([broken, make_clip("bigger-model", SPEECH, 0, seconds=1.0)])
    h.render()
    card = h.card(SPEECH, "baseline")
    card.get_by_role("button", name="Play").click()
    expect(card).to_have_attribute("data-audio", "unplayable")
    expect(card.locator(".aw-status")).to_contain_text("Cannot play this clip")
    expect(card.locator(".aw-status").get_by_role("button", name="Retry")).to_be_hidden()
    expect(h.card(SPEECH, "bigger-model")).to_have_attribute("data-audio", "ready")


def test_buttons_work_from_the_keyboard(loaded: Harness) -> None:
    h = loaded
    card = h.card(SPEECH, "baseline")
    play = card.get_by_role("button", name="Play")
    play.focus()
    outline = play.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # :focus-visible after keyboard-style focus
    h.page.keyboard.press("Enter")
    expect_count(card.get_by_role("button", name="Pause"), 1)
    h.page.keyboard.press("Space")
    expect_count(card.get_by_role("button", name="Play"), 1)
    assert h.audio_state(SPEECH, "baseline")["paused"]


def test_download_has_safe_name_and_the_clip_bytes(harness: Harness) -> None:
    clip = make_clip("my run/v2", "tts/hello world", 300, index=1, seconds=0.5)
    harness.add_page([make_clip("my run/v2", "tts/hello world", 300, seconds=0.5), clip])
    harness.render()
    card = harness.view().locator('.aw-card[data-index="1"]')
    expect_count(card, 1)
    link = card.get_by_label("Download")
    assert link.get_attribute("download") == "my_run_v2-tts_hello_world-step300-1.flac"
    href = link.get_attribute("href")
    assert href.startswith("blob:")
    got = harness.js(
        """async href => {
            const buf = new Uint8Array(await (await fetch(href)).arrayBuffer());
            let s = ""; for (const b of buf) s += String.fromCharCode(b); return btoa(s);
        }""",
        href,
    )
    assert base64.b64decode(got) == base64.b64decode(clip["audio"])
    # Audio plays from the same Blob URL.
    assert card.locator("audio").get_attribute("src") == href


@pytest.mark.parametrize(
    ("run", "group", "expected"),
    [
        # letters of any script stay; what file systems refuse becomes _
        ("模型-v2", "語音/合成", "模型-v2-語音_合成-step3-0.flac"),
        ("ünïcödé: run?", "tts\tclip", "ünïcödé__run_-tts_clip-step3-0.flac"),
        # a leading dot would hide the file
        (".hidden", "g", "_hidden-g-step3-0.flac"),
        # long names keep their first 60 characters (the step and index always stay)
        ("r" * 300, "g" * 300, "r" * 60 + "-" + "g" * 60 + "-step3-0.flac"),
    ],
)
def test_download_names_keep_any_script_and_stay_short(
    harness: Harness, run: str, group: str, expected: str
) -> None:
    harness.add_page(
        [make_clip(run, group, 3, seconds=0.2)], runs=[{"name": run, "color": "#2F9E44"}]
    )
    harness.render()
    link = harness.view().locator(".aw-card").get_by_label("Download")
    assert link.get_attribute("download") == expected


def test_waveform_is_drawn_and_click_seeks(harness: Harness) -> None:
    # Peaks in a buffer at an odd byte offset: decoding must not need alignment.
    harness.add_page([make_clip("baseline", SPEECH, 0, peaks_offset=1)])
    harness.render()
    card = harness.card(SPEECH, "baseline")
    expect_count(card, 1)
    canvas = card.locator("canvas")
    harness.page.wait_for_function("() => document.querySelector('.aw-card canvas').width > 0")
    painted = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                  return n / (d.length / 4); }"""
    )
    assert 0.05 < painted < 0.95
    harness.wait_metadata(SPEECH, "baseline")
    box = card.locator(".aw-wave").bounding_box()
    harness.page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    assert harness.audio_state(SPEECH, "baseline")["t"] == pytest.approx(6, abs=0.2)
    width = card.locator(".aw-wave-played").evaluate("e => parseFloat(e.style.width)")
    assert width == pytest.approx(50, abs=2)


# -- (c) two views -------------------------------------------------------------------------------


def test_two_views_stay_on_the_same_step(loaded: Harness) -> None:
    h = loaded
    h.render()
    expect_count(h.cards(SPEECH, view=1), 2)
    h.section(SPEECH, view=0).get_by_label("Step", exact=True).fill("0")
    h.page.wait_for_function(
        "() => [...document.querySelectorAll("
        "'.view:nth-child(2) .aw-card[data-group=\"tts/hello\"]')]"
        ".every(c => c.dataset.step === '0')"
    )
    assert h.card_steps(SPEECH, view=1) == ["0", "0"]
    assert h.section(SPEECH, view=1).get_by_label("Step", exact=True).input_value() == "0"
    h.section(SPEECH, view=1).get_by_label("Step", exact=True).fill("1")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === null")
    assert h.card_steps(SPEECH, view=0) == ["100", "100"]
    # Playback is per view: one view's audio does not pause the other's.
    h.card(SPEECH, "baseline", view=0).get_by_role("button", name="Play").click()
    h.card(SPEECH, "baseline", view=1).get_by_role("button", name="Play").click()
    expect_count(h.page.get_by_role("button", name="Pause"), 2)


# -- (d) user text is text ------------------------------------------------------------------------


@pytest.mark.parametrize("evil", XSS)
def test_user_text_is_never_markup(harness: Harness, evil: str) -> None:
    harness.add_page(
        [make_clip(evil, evil, 1, seconds=0.5, caption=evil)],
        runs=[{"name": evil, "color": "#2F9E44"}],
    )
    harness.render()
    card = harness.view().locator(".aw-card")
    expect_count(card, 1)
    assert harness.view().locator(".aw-group-title").text_content() == evil
    assert card.locator(".aw-run-name").text_content() == evil
    assert card.locator(".aw-caption").text_content() == evil
    assert card.get_attribute("data-run") == evil
    assert harness.view().locator("img, script").count() == 0
    harness.page.wait_for_timeout(100)
    assert harness.js("() => window.__xss") is None
    name = card.get_by_label("Download").get_attribute("download")
    assert not set(name) & set('/\\:*?"<>| ')
    assert name.isprintable()


# -- (e) live updates ------------------------------------------------------------------------------


def test_new_steps_move_following_sliders_only(loaded: Harness) -> None:
    h = loaded
    h.unlink(MUSIC)
    h.section(MUSIC).get_by_label("Step", exact=True).fill("0")  # the user pins music at 0
    h.page.wait_for_function(f"() => harness.panel.get('_pinned_steps')[{MUSIC!r}] === 0")
    card_before = h.card(SPEECH, "baseline").element_handle()
    h.add_page(standard_clips(steps=(200,)))
    h.page.wait_for_function(
        "() => document.querySelector('section[data-group=\"tts/hello\"] .aw-step-value')"
        ".textContent === '200'"
    )
    assert h.card_steps(SPEECH) == ["200", "200"]
    speech_slider = h.section(SPEECH).get_by_label("Step", exact=True)
    assert (speech_slider.get_attribute("max"), speech_slider.input_value()) == ("2", "2")
    music_slider = h.section(MUSIC).get_by_label("Step", exact=True)
    assert (music_slider.get_attribute("max"), music_slider.input_value()) == ("2", "0")
    assert h.card_steps(MUSIC) == ["0", "0"]
    # the step-100 card left, or (reused for the new clip, as cards are) shows step 200
    assert card_before.evaluate("e => !e.isConnected || e.dataset.step === '200'")


def test_new_run_and_group_appear_without_disturbing_playback(loaded: Harness) -> None:
    h = loaded
    playing = h.card(MUSIC, "baseline")
    h.js("() => document.querySelector('.aw-card[data-group=\"music/x\"] audio').loop = true")
    playing.get_by_role("button", name="Play").click()
    expect_count(playing.get_by_role("button", name="Pause"), 1)
    audio = playing.locator("audio").element_handle()
    runs = [*RUNS, {"name": "third", "color": "#2F9E44"}]
    h.add_page(
        [make_clip("third", SPEECH, 100), make_clip("third", "new/group", 3, seconds=0.5)], runs
    )
    expect_count(h.cards(SPEECH), 3)
    expect_count(h.cards("new/group"), 1)
    assert h.cards(SPEECH).evaluate_all("els => els.map(e => e.dataset.run)") == [
        "baseline",
        "bigger-model",
        "third",
    ]
    assert h.view().locator(".aw-group-title").all_text_contents()[-1] == "new/group"
    assert audio.evaluate("a => a.isConnected && !a.paused")
    assert playing.locator("audio").element_handle().evaluate("(a, b) => a === b", audio)


def test_relogged_clip_replaces_its_card_and_removed_slot_goes(harness: Harness) -> None:
    harness.add_page(
        [
            make_clip("baseline", SPEECH, 5, 0, seconds=0.5, caption="old"),
            make_clip("baseline", SPEECH, 5, 1, seconds=0.5, caption="second"),
        ]
    )
    harness.render()
    expect_count(harness.cards(SPEECH), 2)
    old = harness.view().locator('.aw-card[data-index="0"]').element_handle()
    harness.js(
        "spec => harness.replaceSlot(0, 0, spec)",
        make_clip("baseline", SPEECH, 5, 0, seconds=0.5, caption="new"),
    )
    harness.page.wait_for_function(
        "() => document.querySelector('.aw-card[data-index=\"0\"] .aw-caption')"
        ".textContent === 'new'"
    )
    assert old.evaluate(
        "e => !e.isConnected || e.querySelector('.aw-caption').textContent === 'new'"
    )
    assert harness.cards(SPEECH).evaluate_all("els => els.map(e => e.dataset.index)") == ["0", "1"]
    harness.js("() => harness.replaceSlot(0, 1, null)")
    expect_count(harness.cards(SPEECH), 1)


def test_run_color_change_recolors_cards(loaded: Harness) -> None:
    h = loaded
    h.js(
        "() => harness.panel.set('_runs', [{name: 'baseline', color: '#222222'}, "
        "{name: 'bigger-model', color: '#E8590C'}])"
    )
    name = h.card(SPEECH, "baseline").locator(".aw-run-name")
    assert name.evaluate("e => getComputedStyle(e).color") == "rgb(34, 34, 34)"
    # Run order follows _runs too.
    h.js(
        "() => harness.panel.set('_runs', [{name: 'bigger-model', color: '#E8590C'}, "
        "{name: 'baseline', color: '#222222'}])"
    )
    assert h.cards(SPEECH).evaluate_all("els => els.map(e => e.dataset.run)") == [
        "bigger-model",
        "baseline",
    ]


# -- (f) cleanup ----------------------------------------------------------------------------------


def test_cleanup_stops_audio_revokes_urls_and_removes_listeners(loaded: Harness) -> None:
    h = loaded
    assert h.js("() => harness.listenerCount(0)") > 0
    card = h.card(SPEECH, "baseline")
    card.get_by_role("button", name="Play").click()
    expect_count(card.get_by_role("button", name="Pause"), 1)
    audios = h.view().locator("audio").element_handles()
    created = h.js("() => [...harness.created]")
    assert len(created) == 5  # one Blob URL per card shown
    h.page.wait_for_function("() => harness.frames > 2")  # the playhead animates
    h.js("() => harness.cleanup(0)")
    frames = h.js("() => harness.frames")
    assert all(a.evaluate("a => a.paused") for a in audios)
    assert h.js("() => harness.playing().length") == 0
    assert set(created) <= set(h.js("() => harness.revoked"))
    assert h.js("() => harness.listenerCount(0)") == 0
    assert h.js("() => harness.listenerCount()") == 0  # pages too
    assert h.view().inner_html() == ""
    h.page.wait_for_timeout(200)
    assert h.js("() => harness.frames") == frames  # animation frames cancelled
    # Model events after cleanup touch nothing.
    h.js(f"() => harness.panel.set('_pinned_steps', {{{SPEECH!r}: 0}})")
    h.js("() => harness.panel.set('_runs', [])")
    h.add_page([make_clip("late", SPEECH, 999, seconds=0.5)])
    h.page.wait_for_timeout(100)
    assert h.view().inner_html() == ""
    assert h.js("() => harness.created.length") == len(created)


def test_cleanup_while_models_resolve(harness: Harness) -> None:
    harness.add_page(standard_clips())
    # Clean up before the asynchronous model resolution finishes.
    harness.js("async () => { const v = await harness.render(); await harness.cleanup(v); }")
    harness.page.wait_for_timeout(100)
    assert harness.view().inner_html() == ""
    assert harness.js("() => harness.created.length") == 0
    assert harness.js("() => harness.listenerCount()") == 0


def test_two_views_clean_up_independently(loaded: Harness) -> None:
    h = loaded
    h.render()
    expect_count(h.cards(SPEECH, view=1), 2)
    before = h.js("() => harness.listenerCount(1)")
    h.js("() => harness.cleanup(0)")
    assert h.js("() => harness.listenerCount(0)") == 0
    assert h.js("() => harness.listenerCount(1)") == before
    h.section(SPEECH, view=1).get_by_label("Step", exact=True).fill("0")
    h.page.wait_for_function("() => harness.panel.get('_linked_step') === 0")
    assert h.card_steps(SPEECH, view=1) == ["0", "0"]


# -- (g) layout and themes ------------------------------------------------------------------


def test_narrow_sidebar_has_no_horizontal_overflow(harness: Harness, tmp_path: Path) -> None:
    clips = standard_clips()
    clips.append(make_clip("a-run-with-a-really-long-name-" * 3, SPEECH, 100, caption="x" * 200))
    harness.add_page(clips)
    narrow = harness.render("300px")
    expect_count(harness.cards(SPEECH, view=narrow), 3)
    overflow = harness.view(narrow).evaluate(
        """v => { const bad = [];
            const right = v.getBoundingClientRect().right + 0.5;
            for (const e of [v, ...v.querySelectorAll('*')]) {
              if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'hidden'
                  && e.clientWidth > 0) bad.push('scroll:' + e.className);
              if (e.getBoundingClientRect().right > right && e.getClientRects().length)
                bad.push('edge:' + (e.className.baseVal ?? e.className));
            }
            return bad; }"""
    )
    assert overflow == []
    panel = harness.view(narrow).locator(".aw-panel")
    assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
    # Controls wrap inside the card instead of widening it.
    card_width = harness.card(SPEECH, "baseline", view=narrow).evaluate("e => e.offsetWidth")
    assert card_width <= 300
    full = harness.render()
    expect_count(harness.cards(SPEECH, view=full), 3)
    columns = (
        harness.section(SPEECH, view=full)
        .locator(".aw-grid")
        .evaluate("g => getComputedStyle(g).gridTemplateColumns.split(' ').length")
    )
    assert columns >= 3  # 1200 px wide page
    shot = tmp_path / "panel-full-width.png"
    harness.view(full).screenshot(path=str(shot))
    assert shot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("media", "jp_light", "dark"),
    [
        ("light", None, False),
        ("dark", None, True),  # outside Jupyter: follow the OS
        ("dark", "true", False),  # a light JupyterLab theme wins over the OS
        ("light", "false", True),  # a dark JupyterLab theme
    ],
)
def test_theme_follows_jupyter_then_the_os(
    harness: Harness, media: str, jp_light: str | None, dark: bool
) -> None:
    harness.page.emulate_media(color_scheme=media)
    if jp_light is not None:
        harness.js("v => document.body.setAttribute('data-jp-theme-light', v)", jp_light)
    harness.add_page([make_clip("baseline", SPEECH, 0, seconds=0.5)])
    harness.render()
    expect_count(harness.cards(SPEECH), 1)
    panel = harness.view().locator(".aw-panel")
    background = panel.evaluate(f"p => ({LUMINANCE_JS})(getComputedStyle(p).backgroundColor)")
    assert (background < 0.3) is dark
    title = harness.view().locator(".aw-group-title")
    text = title.evaluate(f"e => ({LUMINANCE_JS})(getComputedStyle(e).color)")
    assert (text > 0.5) is dark


def test_jupyter_variables_drive_the_colors(harness: Harness) -> None:
    harness.js(
        "() => { document.body.style.setProperty('--jp-layout-color1', 'rgb(1, 2, 3)');"
        " document.body.style.setProperty('--jp-ui-font-color1', 'rgb(200, 201, 202)'); }"
    )
    harness.render()
    panel = harness.view().locator(".aw-panel")
    assert panel.evaluate("p => getComputedStyle(p).backgroundColor") == "rgb(1, 2, 3)"
    assert panel.evaluate("p => getComputedStyle(p).color") == "rgb(200, 201, 202)"
