"""End to end in a real JupyterLab: a panel in a cell and in the sidebar stay in step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lab_support import jupyterlab, run_notebook, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

CELL = """
import numpy as np, audiowidget as aw
from sidecar import Sidecar
rate = 16000
panel = aw.AudioPanel()
for step in (0, 1, 2):
    for run in ("baseline", "bigger-model"):
        t = np.arange(rate // 2) / rate
        x = (0.2 * np.sin(2 * np.pi * (200 + 100 * step) * t)).astype(np.float32)
        panel.log({"tts/hello": aw.Audio(x, sample_rate=rate)}, step=step, run=run)
sidecar = Sidecar(title="audiowidget")
with sidecar:
    display(panel)
panel
"""

THREAD_CELL = """
import threading, time
import numpy as np, audiowidget as aw
rate = 16000
panel = aw.AudioPanel()
x = (0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 4) / rate)).astype(np.float32)
tone = aw.Audio(x, rate)
panel.log({"live": tone}, step=0, run="train")

def training_loop():
    time.sleep(3)
    for step in range(1, 6):
        # the caption carries the wall-clock time of the log() call
        clip = aw.Audio(x, rate, caption=f"{time.time():.3f}")
        panel.log({"live": clip}, step=step, run="train")
        time.sleep(1.0)

threading.Thread(target=training_loop, daemon=True).start()
panel
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A token-less JupyterLab on localhost, serving a temporary directory."""
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "root"
    root.mkdir()
    for name, cell in (("sync", CELL), ("thread", THREAD_CELL)):
        write_notebook(root, name, cell)
    with jupyterlab(root, tmp_path) as base:
        yield base


def test_cell_and_sidecar_views_stay_in_step(lab, page):
    run_notebook(page, lab, "sync")
    panels = page.locator(".aw-panel")
    page.wait_for_function("() => document.querySelectorAll('.aw-panel .aw-card').length >= 4")
    assert panels.count() == 2
    in_sidecar = page.locator(
        ".jp-LinkedOutputView .aw-panel, .jp-SidecarView .aw-panel, #jp-right-stack .aw-panel"
    )
    assert in_sidecar.count() >= 1
    cell_view = page.locator(".jp-OutputArea .aw-panel").first
    side_view = in_sidecar.first

    def steps(view) -> list[str]:
        return view.locator(".aw-card").evaluate_all("cs => cs.map(c => c.dataset.step)")

    assert steps(cell_view) == ["2", "2"]
    assert steps(side_view) == ["2", "2"]
    slider = cell_view.get_by_label("Step").first
    slider.focus()
    slider.press("ArrowLeft")
    page.wait_for_function(
        "(el) => [...el.querySelectorAll('.aw-card')].every(c => c.dataset.step === '1')",
        arg=side_view.element_handle(),
    )
    assert steps(side_view) == ["1", "1"]
    # and back the other way: the sidebar drives the cell
    side_slider = side_view.get_by_label("Step").first
    side_slider.focus()
    side_slider.press("ArrowLeft")
    page.wait_for_function(
        "(el) => [...el.querySelectorAll('.aw-card')].every(c => c.dataset.step === '0')",
        arg=cell_view.element_handle(),
    )
    assert page.page_errors == []


def test_logging_from_a_thread_shows_while_no_cell_runs(lab, page):
    """Steps logged by a thread after the cell finished reach the open view, in order, and
    the slider at the newest step follows them. (How fast: ``bench/live.py``.)"""
    run_notebook(page, lab, "thread")
    page.wait_for_function("() => document.querySelector('.aw-card[data-step=\"0\"]')")
    # the cell is done (its prompt shows an execution count) before the thread logs step 1
    prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    page.wait_for_function("(el) => /\\[1\\]/.test(el.textContent)", arg=prompt.element_handle())
    # record, in the page, the order in which steps first appear and the time from each
    # log() call (its caption) to the card on screen
    page.evaluate(
        """() => {
          window.__seen = [];
          const watch = () => {
            for (const card of document.querySelectorAll('.aw-card')) {
              const step = Number(card.dataset.step);
              if (step !== 0 && !window.__seen.some(([s]) => s === step)) {
                const logged = parseFloat(card.querySelector('.aw-caption').textContent);
                window.__seen.push([step, Date.now() / 1000 - logged]);
              }
            }
            requestAnimationFrame(watch);
          };
          watch();
        }"""
    )
    page.wait_for_function("() => window.__seen.length >= 5", timeout=30_000)
    seen = page.evaluate("() => window.__seen")
    print("log() to card shown, seconds:", {step: round(delay, 3) for step, delay in seen})
    assert [step for step, _ in seen] == [1, 2, 3, 4, 5]
    assert all(delay >= 0 for _, delay in seen), seen  # each shown after its log() call
    assert page.locator('input[aria-label="Step"]').first.input_value() == "5"
    assert page.page_errors == []
