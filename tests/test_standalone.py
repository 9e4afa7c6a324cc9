"""Self-contained HTML reports (``audiowidget.standalone``) opened from file:// in Chromium.

Every page is opened with every request that is not file:, data: or blob:
aborted and recorded; each test asserts none was even attempted. Panels are
real :class:`audiowidget.AudioPanel` objects, and notebooks run in a real
kernel (the CLI with ``--execute`` in a subprocess, as a user runs it).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from ipywidgets.embed import dependency_state
from notebook_support import ASSETS, execute, notebook
from playwright.sync_api import expect

import audiowidget as aw
from audiowidget import standalone
from audiowidget.standalone import (
    ReportError,
    WidgetRenderer,
    _first_view_clips,
    describe_overhead,
    notebook_html,
    report_overhead,
    save_html,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
RATE = 8000
RUNS = ("baseline", "bigger-model")
GROUPS = ("tts/hello", "music/x")
STEPS = (0, 100)
XSS = ['<img src=x onerror="window.__xss=1">', "</script><script>window.__xss=1</script>"]
LOCAL = ("file:", "data:", "blob:")
AMD_TAG = '<script type="application/vnd.audiowidget.amd+json">'
PANELS_TAG = '<script type="application/vnd.audiowidget.state+json">'
JUPYTER_STATE_TAG = '<script type="application/vnd.jupyter.widget-state+json">'
OVERHEAD_LINE = re.compile(
    r"wrote (?P<path>.+): (?P<html>[\d.]+) MB, (?P<audio>[\d.]+) MB of audio in (?P<clips>\d+) "
    r"clips, overhead (?P<ratio>[\d.]+)x"
)

LOG_CELL = """
import numpy as np, audiowidget as aw
rate = 8000
rng = np.random.default_rng(0)
panel = aw.AudioPanel()
for step in (0, 100):
    for i, run in enumerate(["baseline", "bigger-model"]):
        t = np.arange(int((2.0 + i) * rate)) / rate
        tone = 0.2 * np.sin(2 * np.pi * (220 + step + 50 * i) * t) + rng.normal(0, 0.02, t.size)
        clip = (tone * 32767).astype(np.int16)
        panel.log({"tts/hello": aw.Audio(clip, rate, caption=f"hello at {step}"),
                   "music/x": aw.Audio(clip[: rate], rate)}, step=step, run=run)
panel
"""
MARKDOWN = "# Listening report\n\nCheckpoints of *two runs*, compared side by side."


def tone(step: int, run: int, seconds: float) -> np.ndarray:
    """int16 (bit-exact FLAC): a tone per step and run with a little noise, so FLAC has work."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(step + 7 * run)
    x = 0.2 * np.sin(2 * np.pi * (220 + step + 50 * run) * t) + rng.normal(0, 0.02, t.size)
    return (x * 32767).astype(np.int16)


def make_panel(runs: tuple[str, ...] = RUNS, groups: tuple[str, ...] = GROUPS) -> aw.AudioPanel:
    """runs × groups × STEPS; the first group's clips are 2 s (+1 s per run), the others 1 s."""
    panel = aw.AudioPanel()
    for step in STEPS:
        for i, run in enumerate(runs):
            clips = {
                group: aw.Audio(
                    tone(step, i, 2.0 + i if g == 0 else 1.0), RATE, caption=f"hello at {step}"
                )
                for g, group in enumerate(groups)
            }
            panel.log(clips, step=step, run=run)
    return panel


def audio_bytes(panel: aw.AudioPanel) -> tuple[int, int]:
    """(total bytes, clips) of the encoded audio the panel's clip models hold."""
    sizes = [
        len(base64.b64decode(b["data"]))
        for entry in dependency_state(panel, drop_defaults=False).values()
        for b in entry.get("buffers", [])
        if b["path"] == ["audio"]
    ]
    return sum(sizes), len(sizes)


# -- the browser, with no network at all ----------------------------------------------------------


class Offline:
    """A page whose every non-local request is aborted and recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []  # files the report asked for and lacks
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "requestfailed",
            lambda r: (
                self.failed.append(r.url)
                if r.url.startswith("file:") and r.failure != "net::ERR_ABORTED"  # not cancelled
                else None
            ),
        )
        page.on(
            "console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None
        )

        def route(r: Any) -> None:
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        page.context.route("**/*", route)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function(
            "() => ['ready', 'error'].includes(document.documentElement.dataset.audiowidget)",
            timeout=30_000,
        )
        assert self.page.evaluate("document.documentElement.dataset.audiowidget") == "ready"

    def check_clean(self) -> None:
        assert self.blocked == [], f"non-local requests were attempted: {self.blocked}"
        assert [u for u in self.requests if not u.startswith(LOCAL)] == []
        assert self.failed == [], f"requests failed: {self.failed}"
        assert self.page.page_errors == [], self.page.page_errors  # type: ignore[attr-defined]
        assert self.console_errors == [], self.console_errors


@pytest.fixture
def offline(page: Any) -> Any:
    o = Offline(page)
    yield o
    o.check_clean()


def section(scope: Any, group: str) -> Any:
    return scope.locator(f'section.aw-group[data-group="{group}"]')


def card_runs(scope: Any, group: str) -> list[str]:
    return section(scope, group).locator(".aw-card .aw-run-name").all_text_contents()


def card_steps(scope: Any, group: str) -> list[str]:
    return (
        section(scope, group).locator(".aw-card").evaluate_all("cs => cs.map(c => c.dataset.step)")
    )


def check_panel(scope: Any, page: Any) -> None:
    """Cards of every run at the newest step; the step slider moves them; Play plays."""
    for group in GROUPS:
        expect(section(scope, group).locator(".aw-card")).to_have_count(len(RUNS))
        assert card_runs(scope, group) == list(RUNS)
        assert card_steps(scope, group) == ["100", "100"]
    durations = (
        section(scope, GROUPS[0])
        .locator("audio")
        .evaluate_all(
            """els => Promise.all(els.map(a => a.readyState >= 1 ? a.duration : new Promise(r => {
                a.addEventListener('loadedmetadata', () => r(a.duration), {once: true});
                a.load(); })))"""
        )
    )
    assert durations == [pytest.approx(2.0, abs=0.01), pytest.approx(3.0, abs=0.01)]
    # The step slider (linked across groups) changes the cards.
    section(scope, GROUPS[0]).get_by_label("Step", exact=True).fill("0")
    expect(section(scope, GROUPS[0]).locator('.aw-card[data-step="0"]')).to_have_count(2)
    assert card_steps(scope, GROUPS[1]) == ["0", "0"]
    assert (
        section(scope, GROUPS[0]).locator(".aw-caption").all_text_contents() == ["hello at 0"] * 2
    )
    # Play makes currentTime advance.
    card = section(scope, GROUPS[0]).locator(f'.aw-card[data-run="{RUNS[1]}"]')
    card.get_by_role("button", name="Play").click()
    expect(card.get_by_role("button", name="Pause")).to_have_count(1)
    card.locator("audio").evaluate(
        "a => new Promise(r => { const f = () => (a.currentTime > 0.3 ? r() : setTimeout(f, 20));"
        " f(); })"
    )
    assert card.locator("audio").evaluate("a => !a.paused")
    card.get_by_role("button", name="Pause").click()


# -- save_html ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, aw.AudioPanel]:
    panel = make_panel()
    path = save_html(panel, tmp_path_factory.mktemp("panel") / "panel.html", title="Two runs")
    return path, panel


def test_save_html_plays_offline_from_file(panel_report, offline) -> None:
    path, _ = panel_report
    offline.open(path)
    assert offline.page.title() == "Two runs"
    check_panel(offline.page.locator(".aw-report-view"), offline.page)


def test_save_html_can_embed_what_the_panel_leaves_out(tmp_path, offline) -> None:
    panel = make_panel()
    panel.embed = 0  # the notebook keeps no audio; the kernel holds every clip
    with pytest.warns(aw.AudioWarning, match=r"^8 of 8 clips are in the report without"):
        save_html(panel, tmp_path / "none.html")
    numbers = report_overhead(tmp_path / "none.html")
    assert (numbers["audio_bytes"], numbers["clips"], numbers["clips_without_audio"]) == (0, 0, 8)
    assert describe_overhead("none.html", numbers).endswith(
        "no audio; 8 clips without their audio (embed budget)"
    )
    with pytest.warns(aw.AudioWarning, match=r"clips are in the report without"):
        latest = report_overhead(save_html(panel, tmp_path / "latest.html", embed="latest"))
    assert latest["clips"] > 0
    assert latest["clips_without_audio"] > 0
    assert latest["clips"] + latest["clips_without_audio"] == 8
    out = panel.save_html(tmp_path / "all.html", title="Two runs", embed="all")
    assert report_overhead(out)["audio_bytes"] == sum(len(m.data) for _, m in panel._store)
    assert (report_overhead(out)["clips"], report_overhead(out)["clips_without_audio"]) == (8, 0)
    assert panel.embed == 0  # the panel itself is unchanged
    assert not any(m.embedded or m.audio for _, m in panel._store)
    offline.open(out)
    view = offline.page.locator(".aw-report-view")
    expect(view.locator(".aw-remote:visible")).to_have_count(0)
    check_panel(view, offline.page)


def test_a_report_opens_on_the_step_the_sliders_show_with_its_audio(tmp_path, offline) -> None:
    panel = make_panel()
    for i, run in enumerate(RUNS):
        panel.log({g: aw.Audio(tone(50, i, 1.0), RATE) for g in GROUPS}, step=50, run=run)
    panel.embed = "latest"
    panel.step = 0  # moved back: the step it shows keeps its audio beside the newest
    assert sorted({m.step for _, m in panel._store if m.embedded}) == [0, 100]
    with pytest.warns(aw.AudioWarning, match=r"^4 of 12 clips are in the report without"):
        out = save_html(panel, tmp_path / "step0.html")
    offline.open(out)
    view = offline.page.locator(".aw-report-view")
    for group in GROUPS:
        expect(section(view, group).locator('.aw-card[data-audio="ready"]')).to_have_count(2)
        assert card_steps(view, group) == ["0", "0"]
    expect(view.locator(".aw-remote:visible")).to_have_count(0)
    # step 50 was left out: its cards say so at once
    section(view, GROUPS[0]).get_by_label("Step", exact=True).press("ArrowRight")
    assert card_steps(view, GROUPS[0]) == ["50", "50"]
    expect(section(view, GROUPS[0]).locator('.aw-card[data-audio="failed"]')).to_have_count(2)


def test_save_html_refuses_bad_paths_titles_and_closed_panels(tmp_path) -> None:
    panel = make_panel(runs=RUNS[:1], groups=GROUPS[:1])
    with pytest.raises(FileNotFoundError, match=r"there is no folder .*missing.* create it first"):
        panel.save_html(tmp_path / "missing" / "x.html")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        panel.save_html(tmp_path)
    with pytest.raises(TypeError, match="title must be a str or None, got int"):
        panel.save_html(tmp_path / "x.html", title=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embed must be"):
        panel.save_html(tmp_path / "x.html", embed="some")
    panel.close()
    with pytest.raises(ReportError, match="the panel is closed"):
        panel.save_html(tmp_path / "x.html")
    assert list(tmp_path.iterdir()) == []


def test_save_html_is_one_file_without_remote_or_renderer(panel_report) -> None:
    path, panel = panel_report
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(?!data:)", text)
    assert AMD_TAG not in text  # no require.js, no html-manager
    assert JUPYTER_STATE_TAG not in text  # our state only, read by our loader
    # The bundle and its CSS are stored once, beside the models, not in the panel's state.
    (payload,) = re.findall(
        r'<script type="application/vnd.audiowidget.state\+json">(.*?)</script>', text
    )
    saved = json.loads(payload)
    assert saved["panels"] == {panel.model_id: next(iter(saved["bundles"]))}
    assert list(saved["bundles"].values()) == [
        {"esm": panel.get_state()["_esm"], "css": panel.get_state()["_css"]}
    ]
    assert "_esm" not in saved["models"][panel.model_id]["state"]
    assert len(saved["models"]) == 3 + len(RUNS) * len(GROUPS) * len(STEPS)  # panel, page, layout


def test_save_html_overhead_numbers_match_the_file(panel_report) -> None:
    path, panel = panel_report
    numbers = report_overhead(path)
    audio, clips = audio_bytes(panel)
    assert numbers["html_bytes"] == path.stat().st_size
    assert numbers["audio_bytes"] == audio
    assert numbers["clips"] == clips == len(RUNS) * len(GROUPS) * len(STEPS)
    assert numbers["overhead_bytes"] == numbers["html_bytes"] - audio
    assert numbers["ratio"] == pytest.approx(numbers["html_bytes"] / audio)
    # base64 adds a third (rounded up to whole 4-character groups per clip).
    assert 0 <= numbers["base64_bytes"] - audio / 3 <= 3 * clips
    assert numbers["base64_bytes"] + numbers["other_bytes"] == numbers["overhead_bytes"]
    line = describe_overhead(path, numbers)
    match = OVERHEAD_LINE.match(line)
    assert match, line
    assert float(match["ratio"]) == pytest.approx(numbers["ratio"], abs=0.005)


def test_first_view_clips_follow_the_sliders_pins_and_reference_run() -> None:
    """The clips whose buffers come with the state are those the panel opens on."""
    panel = make_panel()

    def first() -> list[tuple[str, int, str]]:
        state = dependency_state(panel, drop_defaults=False)
        shown, every = _first_view_clips(state, panel.model_id)
        assert every == {m.model_id for _, m in panel._store}
        return sorted((m.group, m.step, m.run) for _, m in panel._store if m.model_id in shown)

    def at(steps: dict[str, int], extra: tuple[tuple[str, int, str], ...] = ()) -> list[Any]:
        assert panel.group_steps == steps  # the Python API and the report agree
        return sorted([(g, s, r) for g, s in steps.items() for r in RUNS] + list(extra))

    assert first() == at({GROUPS[0]: 100, GROUPS[1]: 100})
    panel.step = 0
    assert first() == at({GROUPS[0]: 0, GROUPS[1]: 0})
    panel.step = None
    panel.link(GROUPS[1], False)
    panel._pinned_steps = {GROUPS[1]: 0}
    assert first() == at({GROUPS[0]: 100, GROUPS[1]: 0})
    # a reference run logged at step 0 only: shown beside step 100 too
    panel.log({GROUPS[0]: aw.Audio(tone(0, 5, 1.0), RATE)}, step=0, run="reference")
    panel.set_reference("reference")
    assert first() == at({GROUPS[0]: 100, GROUPS[1]: 0}, ((GROUPS[0], 0, "reference"),))


class StalledServer:
    """Serves one page on localhost: up to ``cut`` at once, the rest when released.

    So a test sees the page as a browser does while it is still reading a big report.
    """

    def __init__(self, page: bytes, cut: int) -> None:
        self.release = threading.Event()
        body, release = page, self.release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:cut])
                self.wfile.flush()
                release.wait(60)
                self.wfile.write(body[cut:])

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/report.html"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def stalled(page: Any, html: bytes, cut: int) -> Iterator[StalledServer]:
    """``page`` opened on a StalledServer of ``html``; no page errors by the end."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    server = StalledServer(html, cut)
    try:
        page.goto(server.url, wait_until="commit")
        yield server
    finally:
        server.close()
    assert errors == []


def wait_playing(card: Any) -> None:
    """Until the card's audio has played past 0.2 s."""
    card.locator("audio").evaluate(
        "a => new Promise(r => { const f = () => (a.currentTime > 0.2 ? r() : "
        "setTimeout(f, 20)); f(); })"
    )


def test_save_html_shows_the_first_clips_before_the_page_is_read(tmp_path, page) -> None:
    """Buffers of clips not shown at first come after the loader: the panel opens at once,
    their cards say they load with the page, and then play."""
    panel = make_panel()
    out = panel.save_html(tmp_path / "report.html")
    html = out.read_bytes()
    late = b'<script type="application/vnd.audiowidget.buffers+json">'
    cut = html.index(late)
    # the buffers of the first view's clips (step 100) come with the state, the others' later
    later = {
        m.model_id: m.step for _, m in panel._store if f'"{m.model_id}":['.encode() in html[cut:]
    }
    assert sorted(later.values()) == [0] * len(RUNS) * len(GROUPS)
    with stalled(page, html, cut) as server:
        for group in GROUPS:
            expect(section(page, group).locator('.aw-card[data-audio="ready"]')).to_have_count(2)
            assert card_steps(page, group) == ["100", "100"]
        assert page.evaluate("document.documentElement.dataset.audiowidget") == "loading"
        # a step whose clips are still on their way: their cards say so (not "not embedded")
        section(page, GROUPS[0]).get_by_label("Step", exact=True).fill("0")
        cards = section(page, GROUPS[0]).locator('.aw-card[data-step="0"]')
        expect(cards).to_have_count(2)
        expect(cards.locator(".aw-status").first).to_contain_text("Loading with the page…")
        assert cards.evaluate_all("cs => cs.map(c => c.dataset.audio)") == ["loading"] * 2
        # Analyze opened meanwhile says its data is coming, and shows it once it is there
        cards.first.get_by_role("button", name="Analyze").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("tab", name="Waveform").click()
        expect(dialog.locator(".aw-unavailable:visible")).to_have_text(
            "The waveform is loading with the page…"
        )
        server.release.set()
        page.wait_for_function("() => document.documentElement.dataset.audiowidget === 'ready'")
        expect(dialog.get_by_role("tab", name="Waveform")).to_have_attribute(
            "aria-selected", "true"
        )
        expect(page.locator(".aw-unavailable")).to_have_count(0)
        expect(dialog.locator("canvas:visible").first).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(section(page, GROUPS[0]).locator('.aw-card[data-audio="ready"]')).to_have_count(2)
        card = section(page, GROUPS[0]).locator(f'.aw-card[data-run="{RUNS[1]}"]')
        card.get_by_role("button", name="Play").click()
        wait_playing(card)
        assert card.locator("audio").evaluate("a => a.duration") == pytest.approx(3.0, abs=0.01)
        # the waveform arrived too: the card draws the step-0 clip's peaks
        assert card.locator("canvas").first.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                      return false; }"""
        )


def test_each_late_tag_is_used_as_soon_as_it_is_read(tmp_path, page, monkeypatch) -> None:
    """The browser still reads the page: the clips of the tags it has read play already."""
    monkeypatch.setattr(standalone, "_LATE_MODELS_PER_TAG", 2)
    panel = make_panel()
    html = panel.save_html(tmp_path / "report.html").read_bytes()
    tags = re.findall(
        rb'<script type="application/vnd\.audiowidget\.buffers\+json">(.*?)</script>', html
    )
    assert len(tags) == 2  # the four step-0 clips, two per tag
    first = set(json.loads(tags[0]))
    signal = standalone._LATE_READ.encode()
    cut = html.index(signal) + len(signal)  # the first tag and the script saying it is whole
    assert html.index(tags[0]) < cut < html.index(tags[1])
    models = {m.model_id: m for _, m in panel._store}
    arrived = {(models[i].group, models[i].run) for i in first}
    with stalled(page, html, cut) as server:
        for group in GROUPS:
            expect(section(page, group).locator('.aw-card[data-audio="ready"]')).to_have_count(2)
        section(page, GROUPS[0]).get_by_label("Step", exact=True).fill("0")  # linked: both move
        for group in GROUPS:
            for run in RUNS:
                card = section(page, group).locator(f'.aw-card[data-run="{run}"]')
                expect(card).to_have_attribute("data-step", "0")
                state = "ready" if (group, run) in arrived else "loading"
                expect(card).to_have_attribute("data-audio", state)
        assert page.evaluate("document.readyState") == "loading"
        assert page.evaluate("document.documentElement.dataset.audiowidget") == "loading"
        group, run = sorted(arrived)[0]
        card = section(page, group).locator(f'.aw-card[data-run="{run}"]')
        card.get_by_role("button", name="Play").click()
        wait_playing(card)
        server.release.set()
        page.wait_for_function("() => document.documentElement.dataset.audiowidget === 'ready'")
        for group in GROUPS:
            expect(section(page, group).locator('.aw-card[data-audio="ready"]')).to_have_count(2)
        expect(
            page.locator('script[type="application/vnd.audiowidget.buffers+json"]')
        ).to_have_count(0)


@pytest.mark.parametrize("evil", XSS)
def test_user_text_stays_text(tmp_path, offline, evil) -> None:
    panel = aw.AudioPanel()
    for step in STEPS:
        panel.log({evil: aw.Audio(tone(step, 0, 1.0), RATE, caption=evil)}, step=step, run=evil)
    path = save_html(panel, tmp_path / "evil.html", title=evil)
    offline.open(path)
    view = offline.page.locator(".aw-report-view")
    expect(view.locator(".aw-card")).to_have_count(1)
    assert view.locator(".aw-run-name").text_content() == evil
    assert view.locator(".aw-caption").text_content() == evil
    assert view.locator(".aw-group-title").text_content() == evil
    assert offline.page.title() == evil
    assert offline.page.locator("h1").text_content() == evil
    assert offline.page.locator("img").count() == 0
    assert offline.page.evaluate("window.__xss") is None


def test_save_html_refuses_other_objects(tmp_path) -> None:
    with pytest.raises(TypeError, match="AudioPanel"):
        save_html(object(), tmp_path / "x.html")
    import ipywidgets

    with pytest.raises(TypeError, match="AudioPanel, got IntSlider"):
        save_html(ipywidgets.IntSlider(), tmp_path / "x.html")


# -- the command line -----------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    clean = {k: v for k, v in os.environ.items() if k != "AUDIOWIDGET_WIDGET_ASSETS"}
    return subprocess.run(
        [sys.executable, "-m", "audiowidget", "report", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def check_printed_overhead(stdout: str, out: Path) -> None:
    match = OVERHEAD_LINE.search(stdout)
    assert match, stdout
    numbers = report_overhead(out)
    assert Path(match["path"]) == out
    assert float(match["html"]) == pytest.approx(out.stat().st_size / 1e6, abs=0.051)
    assert float(match["audio"]) == pytest.approx(numbers["audio_bytes"] / 1e6, abs=0.051)
    assert int(match["clips"]) == numbers["clips"]
    assert float(match["ratio"]) == pytest.approx(out.stat().st_size / numbers["audio_bytes"], 0.01)


def test_cli_refuses_bad_output_and_input_before_running_anything(tmp_path) -> None:
    nbformat.write(notebook("raise SystemExit('must not run')"), tmp_path / "nb.ipynb")
    before = (tmp_path / "nb.ipynb").read_bytes()
    for output, says in [
        ("nb.ipynb", "would overwrite a notebook"),
        ("other.ipynb", "would overwrite a notebook"),
        ("missing/out.html", "there is no folder missing"),
        (".", "it is a folder"),
    ]:
        done = run_cli("nb.ipynb", "-o", output, "--execute", cwd=tmp_path)
        assert done.returncode == 2, (output, done.stderr)
        assert says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "nb.ipynb").read_bytes() == before
    # text that is not JSON, and JSON that is not a notebook (nbformat raises a different
    # exception for each of these)
    for name, text in [
        ("bad.ipynb", "not json"),
        ("empty.json", "{}"),
        ("number.ipynb", '{"cells": 5}'),
        ("list.ipynb", "[1, 2]"),
    ]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        done = run_cli(name, cwd=tmp_path)
        assert done.returncode == 2, (name, done.stderr)
        assert f"{name} is not a notebook" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    # a timeout of 0 or less would mean no limit at all to nbclient
    for timeout in ["0", "-1", "soon"]:
        done = run_cli("nb.ipynb", "--execute", "--timeout", timeout, cwd=tmp_path)
        assert done.returncode == 2
        assert "--timeout: must be a whole number of seconds above 0" in done.stderr, done.stderr
    assert not (tmp_path / "nb.html").exists()


def test_cli_says_to_execute_a_notebook_never_run(tmp_path) -> None:
    nbformat.write(notebook(LOG_CELL), tmp_path / "nb.ipynb")
    done = run_cli("nb.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no outputs (never run?): add --execute" in done.stderr, done.stderr
    assert "no audio" in done.stdout


def test_cli_execute_failures_say_what_failed(tmp_path) -> None:
    def failure(name: str, *cells: str, options: tuple[str, ...] = ()) -> str:
        """stderr of --execute on a notebook of ``cells`` that fails; no report is written."""
        nbformat.write(notebook(*cells), tmp_path / f"{name}.ipynb")
        done = run_cli(f"{name}.ipynb", "--execute", *options, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert not (tmp_path / f"{name}.html").exists()
        return done.stderr

    # one line, naming the cell and the error; the kernel's own log stays out of it
    assert re.fullmatch(
        r"error: cell \d+ raised ZeroDivisionError: division by zero; no report was written "
        r"\(run the notebook in Jupyter to see the traceback\)\n",
        failure("fails", "1 / 0"),
    )
    assert re.fullmatch(
        r"error: cell \d+ ran longer than 2 s, so no report was written; "
        r"raise --timeout or shorten the cell\n",
        failure("slow", "x = 1", "import time\ntime.sleep(60)", options=("--timeout", "2")),
    )
    died = failure("dies", "import os\nos._exit(3)")
    assert died.startswith("error: the kernel died while running the notebook"), died
    assert "WARNING" not in died
    nb = notebook("1")
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "x"}
    nbformat.write(nb, tmp_path / "kernel.ipynb")
    done = run_cli("kernel.ipynb", "--execute", cwd=tmp_path)
    assert done.returncode == 1
    assert "'no-such-kernel', which is not installed" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A notebook (markdown, a panel shown twice, printed text) made by the CLI with --execute."""
    folder = tmp_path_factory.mktemp("cli")
    nb = notebook(LOG_CELL, "print('printed from the kernel')\npanel")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(MARKDOWN))
    nbformat.write(nb, folder / "listen.ipynb")
    out = folder / "out" / "listen.html"
    out.parent.mkdir()
    done = run_cli("listen.ipynb", "-o", str(out), "--execute", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "" or "warning" not in done.stderr, done.stderr
    return out, done.stdout


def test_cli_report_plays_offline_with_markdown(cli_report, offline) -> None:
    out, _ = cli_report
    offline.open(out)
    page = offline.page
    expect(page.locator("h1", has_text="Listening report")).to_have_count(1)
    assert "Checkpoints of two runs, compared side by side." in page.locator("main").inner_text()
    assert "printed from the kernel" in page.locator("main").inner_text()
    views = page.locator(".aw-report-view")
    expect(views).to_have_count(2)
    check_panel(views.nth(0), page)
    # The second view of the same panel followed the slider (change events, no kernel).
    assert card_steps(views.nth(1), GROUPS[0]) == ["0", "0"]
    assert page.title() == "listen"


def test_cli_report_has_no_cdn_and_prints_consistent_overhead(cli_report) -> None:
    out, stdout = cli_report
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(?!data:)", text)
    for remote in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert remote not in text
    assert AMD_TAG not in text  # no other widgets: neither require.js nor html-manager
    check_printed_overhead(stdout, out)


# -- other libraries' widgets ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def slider_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An executed notebook with a panel and a plain ipywidgets.IntSlider."""
    folder = tmp_path_factory.mktemp("slider")
    nb = execute(
        notebook(LOG_CELL, "import ipywidgets\nipywidgets.IntSlider(value=7, description='knob')"),
        folder,
    )
    path = folder / "slider.ipynb"
    nbformat.write(nb, path)
    return path


def test_other_widgets_render_with_the_widget_renderer(slider_notebook, offline) -> None:
    if not (ASSETS / WidgetRenderer.EMBED_AMD).is_file():
        pytest.fail(f"{ASSETS} lacks html-manager: run `make test` (it installs the report assets)")
    out = slider_notebook.parent / "with-renderer.html"
    done = run_cli(
        slider_notebook.name, "-o", str(out), "--widget-assets", str(ASSETS),
        cwd=slider_notebook.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    check_printed_overhead(done.stdout, out)
    offline.open(out)
    page = offline.page
    slider = page.locator(".widget-slider")
    expect(slider).to_have_count(1, timeout=30_000)
    expect(slider.locator(".widget-readout")).to_have_text("7")
    expect(slider.locator(".widget-label")).to_have_text("knob")
    assert page.locator(".aw-widget-note").count() == 0
    check_panel(page.locator(".aw-report-view"), page)


def test_the_renderers_icon_fonts_are_in_the_report(tmp_path, offline) -> None:
    """A button's Font Awesome icon loads from the file itself (not from files beside it)."""
    nb = execute(
        notebook(LOG_CELL, "import ipywidgets\nipywidgets.Button(description='ok', icon='check')"),
        tmp_path,
    )
    nbformat.write(nb, tmp_path / "button.ipynb")
    out = tmp_path / "button.html"
    done = run_cli("button.ipynb", "-o", str(out), "--widget-assets", str(ASSETS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    offline.open(out)
    page = offline.page
    expect(page.locator(".jupyter-button i.fa-check")).to_have_count(1, timeout=30_000)
    font = '900 16px "Font Awesome 5 Free"'
    assert page.evaluate("f => document.fonts.load(f).then(faces => faces.length)", font) >= 1
    assert page.evaluate("f => document.fonts.check(f)", font)
    faces = page.evaluate(
        "[...document.fonts].filter(f => f.family.includes('Awesome')).map(f => f.status)"
    )
    assert "loaded" in faces, faces
    assert "error" not in faces, faces


def test_icon_fonts_are_inlined_once_or_a_warning_says_they_are_not(tmp_path) -> None:
    dist = tmp_path / WidgetRenderer.EMBED_AMD.parent
    dist.mkdir(parents=True)
    (dist / "abc123.woff2").write_bytes(b"wOF2 font bytes")
    (tmp_path / WidgetRenderer.REQUIRE_JS).parent.mkdir(parents=True)
    (tmp_path / WidgetRenderer.REQUIRE_JS).write_text("var requirejs;")
    amd = tmp_path / WidgetRenderer.EMBED_AMD
    amd.write_text('a=n.p+"abc123.woff2";b=o.p+"abc123.woff2";c=n.p+"abc123.woff"')
    renderer = WidgetRenderer.find(tmp_path)
    warnings: list[str] = []
    script = renderer.script(warnings)
    assert warnings == []
    assert script.count(base64.b64encode(b"wOF2 font bytes").decode()) == 1  # once, in the table
    assert 'a=self.__audiowidget_fonts["abc123.woff2"];b=self.__audiowidget_fonts[' in script
    assert 'c=n.p+"abc123.woff"' in script  # other formats stay file names
    amd.write_text('a=somethingElse("abc123.woff2")')  # a build this does not recognise
    assert renderer.script(warnings) == 'a=somethingElse("abc123.woff2")'
    assert len(warnings) == 1
    assert "icon fonts (abc123.woff2) were not found in embed-amd.js" in warnings[0]


def test_other_widgets_show_a_note_without_the_renderer(slider_notebook, offline) -> None:
    out = slider_notebook.parent / "with-note.html"
    done = run_cli(slider_notebook.name, "-o", str(out), cwd=slider_notebook.parent)
    assert done.returncode == 0, done.stderr
    assert "@jupyter-widgets/html-manager" in done.stderr
    assert "npm install @jupyter-widgets/html-manager requirejs" in done.stderr
    assert "--widget-assets" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert AMD_TAG not in text
    assert JUPYTER_STATE_TAG not in text
    offline.open(out)
    page = offline.page
    note = page.locator(".aw-widget-note")
    expect(note).to_have_count(1)
    assert "This widget needs Jupyter's widget renderer" in note.inner_text()
    assert "IntSlider" in note.inner_text()
    assert "@jupyter-widgets/controls" in note.inner_text()
    assert page.locator(".widget-slider").count() == 0
    check_panel(page.locator(".aw-report-view"), page)


def test_requiring_the_renderer_fails_clearly_when_it_is_missing(slider_notebook) -> None:
    out = slider_notebook.parent / "never.html"
    done = run_cli(
        slider_notebook.name, "-o", str(out), "--other-widgets", "embed",
        cwd=slider_notebook.parent,
    )  # fmt: skip
    assert done.returncode == 1
    assert "error: other widgets in this notebook need Jupyter's widget renderer" in done.stderr
    assert "embed-amd.js (npm package @jupyter-widgets/html-manager)" in done.stderr
    assert "require.js (npm package requirejs)" in done.stderr
    assert not out.exists()


def test_note_mode_never_inlines_the_renderer(slider_notebook) -> None:
    nb = nbformat.read(slider_notebook, as_version=4)
    page, warnings = notebook_html(nb, foreign="note", widget_assets=ASSETS)
    assert AMD_TAG not in page
    assert "This widget needs Jupyter" in page
    assert warnings == ["other libraries' widgets are shown as notes: IntSlider"]
    with pytest.raises(ValueError, match="foreign must be"):
        notebook_html(nb, foreign="always")  # type: ignore[arg-type]


def test_renderer_error_names_the_missing_files(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("AUDIOWIDGET_WIDGET_ASSETS", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportError, match=r"npm install @jupyter-widgets/html-manager requirejs"):
        WidgetRenderer.find(tmp_path / "nowhere")
    found = WidgetRenderer.find(ASSETS.parent)  # a folder holding node_modules works too
    assert found.embed_amd == ASSETS / WidgetRenderer.EMBED_AMD


def test_notebook_without_widget_state_warns(tmp_path) -> None:
    nb = execute(notebook(LOG_CELL), tmp_path)
    del nb.metadata["widgets"]
    page, warnings = notebook_html(nb)
    assert any("no saved widget state" in w and "--execute" in w for w in warnings)
    assert PANELS_TAG not in page
    assert "audiowidget-fallback" in page


@pytest.fixture(scope="module")
def box_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An executed notebook showing a panel only inside an ipywidgets.VBox."""
    folder = tmp_path_factory.mktemp("box")
    box = "import ipywidgets\nipywidgets.VBox([ipywidgets.Label('inside a box'), panel])"
    nb = execute(notebook(LOG_CELL.replace("\npanel\n", "\n"), box), folder)
    path = folder / "box.ipynb"
    nbformat.write(nb, path)
    return path


def test_panel_inside_another_widget_renders_through_the_renderer(box_notebook, offline) -> None:
    out = box_notebook.parent / "with-renderer.html"
    nb = nbformat.read(box_notebook, as_version=4)
    page, warnings = notebook_html(nb, foreign="embed", widget_assets=ASSETS)
    assert warnings == []
    out.write_text(page, encoding="utf-8")
    assert report_overhead(out)["clips"] == len(RUNS) * len(GROUPS) * len(STEPS)
    offline.open(out)
    box = offline.page.locator(".widget-vbox")
    expect(box.locator(".widget-label")).to_have_text("inside a box", timeout=30_000)
    assert offline.page.locator(".aw-report-view").count() == 0  # html-manager + anywidget
    check_panel(box, offline.page)


def test_panel_inside_another_widget_shows_below_its_note(box_notebook, offline) -> None:
    out = box_notebook.parent / "with-note.html"
    nb = nbformat.read(box_notebook, as_version=4)
    page, warnings = notebook_html(nb, foreign="note")
    assert warnings == ["other libraries' widgets are shown as notes: VBox"]
    out.write_text(page, encoding="utf-8")
    offline.open(out)
    note = offline.page.locator(".aw-widget-note")
    expect(note).to_have_count(1)
    assert "The audiowidget panels it holds are shown below." in note.inner_text()
    assert offline.page.locator(".widget-vbox").count() == 0
    check_panel(offline.page.locator(".aw-report-view"), offline.page)
