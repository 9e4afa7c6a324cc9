"""The light text/html fallback: small, no audio, text-only user strings, shown by nbconvert."""

from __future__ import annotations

import re

import nbformat
import numpy as np
from nbconvert import HTMLExporter
from notebook_support import execute, notebook

import audiowidget as aw
from audiowidget.export import FALLBACK_BUDGET

XSS = '<img src=x onerror="window.__xss=1">'


def sine_clip(freq: float, caption: str | None = None) -> aw.Audio:
    t = np.arange(8000) / 8000
    return aw.Audio((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 8000, caption=caption)


def test_mimebundle_has_the_widget_view_and_a_small_summary():
    panel = aw.AudioPanel()
    for step in (0, 1):
        clips = {"tts/hello": sine_clip(200 + step, "hello"), XSS: sine_clip(300)}
        panel.log(clips, step=step, run=XSS)
    data, _ = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    summary = data["text/html"]
    assert len(summary.encode()) <= FALLBACK_BUDGET
    assert XSS not in summary
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in summary
    assert "tts/hello · step 1" in summary
    assert "<audio" not in summary
    assert "base64" not in summary
    assert summary.count("<svg") == 2
    assert "widget state" in summary
    assert "1.00 s" in summary
    assert "-10.5 dBFS" in summary  # peak of a 0.3 sine


def test_summary_stays_under_budget_with_many_clips():
    panel = aw.AudioPanel()
    clip = sine_clip(440, "a caption that is rather long " * 3)
    for run in range(40):
        panel.log({f"group/{g}": clip for g in range(6)}, step=0, run=f"run-{run:02d}")
    summary = panel.summary_html()
    assert len(summary.encode()) <= FALLBACK_BUDGET
    assert "more clips (not shown" in summary
    assert summary.count("<svg") >= 20


def test_waveforms_get_fewer_points_before_any_row_is_left_out():
    def points(summary: str) -> set[int]:
        return {len(p.split()) // 2 for p in re.findall(r'points="([^"]*)"', summary)}

    small = aw.AudioPanel()
    small.log({"g": sine_clip(440)}, step=0, run="r")
    assert points(small.summary_html()) == {32}
    # 8 runs x 4 groups: every clip has its row, with coarser waveforms
    panel = aw.AudioPanel()
    for run in range(8):
        clips = {f"group/{g}": sine_clip(200 + 50 * run, f"sample {g}") for g in range(4)}
        panel.log(clips, step=0, run=f"model-run-{run}")
    summary = panel.summary_html()
    assert len(summary.encode()) <= FALLBACK_BUDGET
    assert "more clips" not in summary
    assert summary.count("<svg") == 32
    (n,) = points(summary)
    assert 8 <= n < 32


def test_quiet_clips_draw_a_waveform_and_silence_a_flat_line():
    def heights(summary: str) -> list[int]:
        (points,) = re.findall(r'points="([^"]*)"', summary)
        ys = [int(p.split(",")[1]) for p in points.split()]
        half = len(ys) // 2
        return [b - t for t, b in zip(ys[:half], ys[half:][::-1], strict=True)]

    t = np.arange(8000) / 8000
    quiet = aw.AudioPanel()  # peaks at -34 dBFS: rounded to the pixel it was a flat line
    quiet.log({"g": aw.Audio(0.02 * np.sin(2 * np.pi * 200 * t), 8000)}, step=0, run="r")
    assert min(heights(quiet.summary_html())) >= 2
    silent = aw.AudioPanel()
    silent.log({"g": aw.Audio(np.zeros(8000), 8000)}, step=0, run="r")
    assert set(heights(silent.summary_html())) == {0}
    loud = aw.AudioPanel()
    loud.log({"g": aw.Audio(0.9 * np.sin(2 * np.pi * 200 * t), 8000)}, step=0, run="r")
    assert min(heights(loud.summary_html())) >= 17


def test_the_reference_run_is_shown_beside_every_step():
    panel = aw.AudioPanel()
    panel.log({"g": sine_clip(220, "ground truth")}, step=0, run="truth", reference=True)
    for step in (0, 100, 200):
        panel.log({"g": sine_clip(300 + step)}, step=step, run="model")
    summary = panel.summary_html()
    assert "g · step 200" in summary
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td>", summary)
    assert rows[0].startswith("truth <small>(reference, step 0)</small>"), rows
    assert rows[1] == "model"
    panel.step = 0
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td>", panel.summary_html())
    assert rows[0].startswith("truth <small>(reference)</small>"), rows


CELL = """
import numpy as np, audiowidget as aw
panel = aw.AudioPanel()
x = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float32)
panel.log({"tts/hello": aw.Audio(x, 8000)}, step=3, run="baseline")
panel
"""


def test_nbconvert_shows_the_fallback_without_widget_state(tmp_path):
    nb = execute(notebook(CELL), tmp_path)
    nb.metadata.pop("widgets", None)  # as JupyterLab saves by default: no widget state
    body, _ = HTMLExporter().from_notebook_node(nbformat.from_dict(nb))
    assert "audiowidget panel</b>: 1 runs, 1 groups, 1 clips" in body
    assert "tts/hello · step 3" in body
    assert 'type="application/vnd.jupyter.widget-view+json"' not in body
