"""End to end: nbclient executes, nbconvert exports, Chromium plays the report offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import block_non_local, serve_directory
from notebook_support import execute, export_offline, notebook

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


DURATIONS_JS = """async (els) => Promise.all(els.map(a => a.readyState >= 1 ? a.duration :
    new Promise(r => { a.addEventListener('loadedmetadata', () => r(a.duration), {once: true});
                       a.load(); })))"""


@pytest.mark.browser
def test_exported_report_plays_offline(tmp_path, page):
    nb = execute(notebook(LOG_CELL), tmp_path)
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})
    report = export_offline(nb, tmp_path / "site")
    blocked: list[str] = []
    block_non_local(page, blocked)
    with serve_directory(report.parent) as base:
        page.goto(base + report.name)
        cards = page.locator(".aw-card")
        cards.first.wait_for(timeout=30_000)
        assert cards.count() == 2
        names = cards.locator(".aw-run-name").all_text_contents()
        assert names == ["baseline", "bigger-model"]
        assert page.locator(".aw-card").evaluate_all("cs => cs.map(c => c.dataset.step)") == [
            "100",
            "100",
        ]
        durations = page.locator(".aw-card audio").evaluate_all(DURATIONS_JS)
        assert durations == [pytest.approx(1.5, abs=0.01), pytest.approx(2.5, abs=0.01)]
    assert page.page_errors == []
    assert all(not u.startswith(("http://127.0.0.1", "http://localhost")) for u in blocked)


def test_demo_notebook_runs(tmp_path):
    import nbformat

    nb = nbformat.read(NOTEBOOKS / "demo.ipynb", as_version=4)
    execute(nb, NOTEBOOKS)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "the demo notebook shows no panel"
