"""End to end in a real JupyterLab: a panel in a cell and in the sidebar stay in step."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A token-less JupyterLab on localhost, serving a temporary directory."""
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "root"
    root.mkdir()
    for name, cell in (("sync", CELL), ("thread", THREAD_CELL)):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(cell)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, root / f"{name}.ipynb")
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    # no "what's new" or news pop-ups over the page
    settings = tmp_path / "config" / "lab" / "user-settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("JupyterLab did not start") from None
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def run_notebook(page, lab: str, name: str) -> None:
    """Open ``name``.ipynb in a workspace of its own (no tabs restored from other tests), run it."""
    page.set_default_timeout(60_000)
    page.goto(f"{lab}/lab/workspaces/{name}/tree/{name}.ipynb?reset")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    select_kernel = page.get_by_role("button", name="Select", exact=True)
    with contextlib.suppress(PlaywrightTimeout):  # a fresh Jupyter config asks for a kernel
        select_kernel.click(timeout=10_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


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


def test_logging_from_a_thread_shows_within_one_second(lab, page):
    run_notebook(page, lab, "thread")
    page.wait_for_function("() => document.querySelector('.aw-card[data-step=\"0\"]')")
    # record, in the page, when each step first appears and the time its log() call ran
    page.evaluate(
        """() => {
          window.__seen = {};
          const watch = () => {
            for (const card of document.querySelectorAll('.aw-card')) {
              const step = card.dataset.step;
              if (step !== '0' && !(step in window.__seen)) {
                const logged = parseFloat(card.querySelector('.aw-caption').textContent);
                window.__seen[step] = Date.now() / 1000 - logged;
              }
            }
            requestAnimationFrame(watch);
          };
          watch();
        }"""
    )
    page.wait_for_function("() => Object.keys(window.__seen).length >= 4", timeout=30_000)
    delays = page.evaluate("() => window.__seen")
    print("log() to card shown, seconds:", {k: round(v, 3) for k, v in delays.items()})
    assert all(0 <= d < 1.0 for d in delays.values()), delays
    assert page.page_errors == []
