"""End to end: nbclient executes, nbconvert exports, Chromium plays the report offline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import block_non_local, serve_directory
from notebook_support import execute, export_offline, notebook
from playwright.sync_api import expect

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"

pytestmark = pytest.mark.notebook

LOG_CELL = """
import numpy as np, audiowidget as aw
rate = 22050
panel = aw.AudioPanel()
for step in (0, 100):
    for i, run in enumerate(["baseline", "bigger-model"]):
        seconds = 1.5 + i  # 1.5 s for baseline, 2.5 s for bigger-model
        t = np.arange(int(seconds * rate)) / rate
        x = (0.2 * np.sin(2 * np.pi * (220 + step) * t)).astype(np.float32)
        panel.log({"tts/hello": aw.Audio(x, sample_rate=rate, caption="hello world")},
                  step=step, run=run)
panel
"""


@contextlib.contextmanager
def offline_report(nb: Any, tmp_path: Path, page: Any) -> Iterator[Any]:
    """The nbconvert export of ``nb`` open in ``page`` with every non-local request blocked,
    once its first card is drawn: yields its cards; no page errors and no blocked local
    request by the end."""
    report = export_offline(nb, tmp_path / "site")
    blocked: list[str] = []
    block_non_local(page, blocked)
    with serve_directory(report.parent) as base:
        page.goto(base + report.name)
        cards = page.locator(".aw-card")
        cards.first.wait_for(timeout=30_000)
        yield cards
    assert page.page_errors == []
    assert all(not u.startswith(("http://127.0.0.1", "http://localhost")) for u in blocked)


def wait_playing(page: Any) -> None:
    """Until the first card's audio has played past 0.2 s."""
    page.wait_for_function(
        "() => document.querySelector('.aw-card audio').currentTime > 0.2", timeout=10_000
    )


DURATIONS_JS = """async (els) => Promise.all(els.map(a => a.readyState >= 1 ? a.duration :
    new Promise(r => { a.addEventListener('loadedmetadata', () => r(a.duration), {once: true});
                       a.load(); })))"""


@pytest.mark.browser
def test_exported_report_plays_offline(tmp_path, page):
    nb = execute(notebook(LOG_CELL), tmp_path)
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})
    with offline_report(nb, tmp_path, page) as cards:
        assert cards.count() == 2
        names = cards.locator(".aw-run-name").all_text_contents()
        assert names == ["baseline", "bigger-model"]
        assert page.locator(".aw-card").evaluate_all("cs => cs.map(c => c.dataset.step)") == [
            "100",
            "100",
        ]
        durations = page.locator(".aw-card audio").evaluate_all(DURATIONS_JS)
        assert durations == [pytest.approx(1.5, abs=0.01), pytest.approx(2.5, abs=0.01)]

        # fully interactive with no kernel: change step, play, open Analyze
        slider = page.get_by_label("Step").first
        slider.focus()
        slider.press("ArrowLeft")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.aw-card')].every(c => c.dataset.step === '0')"
        )
        first = cards.first
        first.get_by_role("button", name="Play").click()
        wait_playing(page)
        first.get_by_role("button", name="Pause").click()
        first.get_by_role("button", name="Analyze").click()
        dialog = page.get_by_role("dialog")
        dialog.wait_for()
        tabs = dialog.get_by_role("tab").all_text_contents()
        assert tabs == ["Spectrum", "Waveform", "Spectrogram", "Statistics"]
        dialog.get_by_role("tab", name="Statistics").click()
        loudness = dialog.locator('[data-stat="loudness_lufs"] [data-value]').get_attribute(
            "data-value"
        )
        assert float(loudness) == pytest.approx(-17.0, abs=1.5)  # a 0.2 sine: -3.01 - 13.98 LUFS


NO_KERNEL = "Audio not embedded in this report; re-run the notebook or raise embed="


@pytest.mark.browser
def test_exported_report_says_at_once_what_was_not_embedded(tmp_path, page):
    cell = LOG_CELL.replace("aw.AudioPanel()", 'aw.AudioPanel(embed="latest")')
    nb = execute(notebook(cell), tmp_path)
    with offline_report(nb, tmp_path, page) as cards:
        expect(cards.first).to_have_attribute("data-audio", "ready")
        slider = page.get_by_label("Step").first
        slider.focus()
        slider.press("ArrowLeft")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.aw-card')].every(c => c.dataset.step === '0')"
        )
        # No kernel stands behind nbconvert's page: each card says so at once (not after a
        # request timed out), offers no retry, and its player stays disabled.
        for card in cards.all():
            expect(card.locator(".aw-remote")).to_have_text("not embedded", timeout=2_000)
            expect(card).to_have_attribute("data-audio", "failed", timeout=2_000)
            expect(card.locator(".aw-status")).to_contain_text(NO_KERNEL, timeout=2_000)
            expect(card.get_by_role("button", name="Retry")).to_be_hidden()
            expect(card.get_by_role("button", name="Play")).to_be_disabled()
            assert card.locator("audio").get_attribute("src") is None
        # The embedded step still plays.
        slider.press("ArrowRight")
        expect(cards.first).to_have_attribute("data-step", "100")
        expect(cards.first).to_have_attribute("data-audio", "ready")
        cards.first.get_by_role("button", name="Play").click()
        wait_playing(page)


def test_demo_notebook_runs(tmp_path):
    import nbformat

    nb = nbformat.read(NOTEBOOKS / "demo.ipynb", as_version=4)
    execute(nb, NOTEBOOKS)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "the demo notebook shows no panel"
