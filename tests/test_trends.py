"""Trends over steps: the bqplot figure's data, its marker, clicks, exports and JupyterLab."""

from __future__ import annotations

import ast
import doctest
import http.cookiejar
import json
import math
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import bqplot
import numpy as np
import pytest
import test_jupyterlab
from browser_support import block_non_local, serve_directory
from notebook_support import execute, export_offline, notebook

import audiowidget as aw
import audiowidget.trends
from audiowidget.analysis import analyze
from audiowidget.trends import ALIASES, STATISTICS, TrendsFigure, resolve_statistic, trends

RATE = 8000
RUNS = ("baseline", "bigger-model")
STEPS = (0, 10, 20, 30)
NBEXTENSIONS = Path(sys.prefix) / "share" / "jupyter" / "nbextensions"

lab = test_jupyterlab.lab  # the module-scoped JupyterLab server of the JupyterLab tests


def tone(amp: float, seconds: float = 0.5) -> aw.Audio:
    t = np.arange(int(seconds * RATE)) / RATE
    return aw.Audio((amp * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)


def amplitude(run: str, step: int) -> float:
    return (0.05 + 0.01 * step) * (1 + RUNS.index(run))


def logged_panel(groups: tuple[str, ...] = ("tts/hello",)) -> aw.AudioPanel:
    panel = aw.AudioPanel()
    for step in STEPS:
        for run in RUNS:
            panel.log({g: tone(amplitude(run, step)) for g in groups}, step=step, run=run)
    return panel


def same(a: float, b: object) -> bool:
    """Equal, with every undefined statistic (None, -inf, NaN) a NaN gap in the figure."""
    defined = isinstance(b, (int, float)) and math.isfinite(b)
    return a == b if defined else math.isnan(a)


# -- statistics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field"),
    [("loudness", "loudness_lufs"), ("rms", "rms_dbfs"), ("peak", "peak_dbfs"),
     ("crest", "crest_factor_db"), ("dynamic_range", "dynamic_range_db"),
     ("silence", "silence_ratio"), ("dc", "dc_offset"), ("clipped", "clipped_samples"),
     ("RMS", "rms_dbfs"), ("loudness_lufs", "loudness_lufs"), ("duration", "duration")],
)  # fmt: skip
def test_aliases_and_field_names_resolve(name, field):
    assert resolve_statistic(name) == field


def test_every_numeric_statistic_of_the_analysis_can_be_plotted():
    scalars = analyze(np.full(4000, 0.1), RATE).scalars()
    numeric = {k for k, v in scalars.items() if isinstance(v, (int, float)) or v is None}
    assert numeric - {"spectrum_fps"} == set(STATISTICS)  # the spectrum's time resolution
    assert set(ALIASES.values()) <= set(STATISTICS)


@pytest.mark.parametrize("bad", ["snr", "loud", ""])
def test_unknown_statistic_names_the_accepted_ones(bad):
    panel = logged_panel()
    with pytest.raises(ValueError, match=r"unknown statistic .*loudness, rms, peak.*rms_dbfs"):
        trends(panel, bad)


def test_a_statistic_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="stat must be a statistic name"):
        trends(logged_panel(), 3)  # type: ignore[arg-type]


def test_unknown_group_lists_the_logged_groups():
    with pytest.raises(KeyError, match=r"no group 'nope'.*'tts/hello'"):
        trends(logged_panel(), "rms", "nope")


# -- data and colors -----------------------------------------------------------------


@pytest.mark.parametrize("stat", [*ALIASES, "duration"])
def test_line_data_equals_the_panel_stats(stat):
    panel = logged_panel()
    field = resolve_statistic(stat)
    fig = trends(panel, stat, "tts/hello")
    assert isinstance(fig, bqplot.Figure)
    assert list(fig.lines) == [("tts/hello", run) for run in RUNS]
    for run in RUNS:
        line = fig.lines["tts/hello", run]
        assert line.x.tolist() == list(STEPS)
        expected = [panel.stats(run, "tts/hello", s)[field] for s in STEPS]
        assert all(same(a, b) for a, b in zip(line.y.tolist(), expected, strict=True))
    fig.close()


def test_rms_rises_with_the_logged_amplitude():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    for run in RUNS:
        expected = [20 * math.log10(amplitude(run, s) / math.sqrt(2)) for s in STEPS]
        assert fig.lines["tts/hello", run].y.tolist() == pytest.approx(expected, abs=0.01)


def test_undefined_values_are_gaps_in_the_line_and_absent_from_the_points():
    panel = aw.AudioPanel()
    panel.log({"g": tone(0.1)}, step=0, run="r")
    panel.log({"g": aw.Audio(np.zeros(RATE // 2, dtype=np.float32), RATE)}, step=1, run="r")
    panel.log({"g": tone(0.1, seconds=0.2)}, step=2, run="r")  # too short for loudness: None
    panel.log({"g": tone(0.2)}, step=3, run="r")
    fig = trends(panel, "loudness", "g")
    line, points = fig.lines["g", "r"], fig.points["g", "r"]
    assert np.isnan(line.y).tolist() == [False, True, True, False]  # -inf and None
    assert points.x.tolist() == [0, 3]
    assert points.y.tolist() == [line.y[0], line.y[3]]


def test_a_run_with_no_defined_value_has_an_empty_line_and_logging_goes_on():
    """Loudness of clips shorter than 400 ms is undefined: such a run has no point at all,
    when the figure opens and when it arrives while the figure is open."""
    panel = aw.AudioPanel()
    panel.log({"g": tone(0.1, seconds=0.2)}, step=0, run="short")
    fig = trends(panel, "loudness", "g")
    for state in (fig.points["g", "short"].get_state(), fig.get_state()):
        assert state  # serializes
    assert fig.points["g", "short"].x.tolist() == []
    panel.log({"g": tone(0.1, seconds=0.2)}, step=0, run="also short")  # figure open
    panel.log({"g": tone(0.2)}, step=1, run="also short")
    assert [c.run for p in panel._pages for c in p.clips] == ["short", "also short", "also short"]
    assert fig.points["g", "also short"].x.tolist() == [1]
    assert fig.points["g", "also short"].get_state()["names"] == ["also short"]


def test_only_the_first_clip_of_a_logged_list_is_plotted():
    panel = aw.AudioPanel()
    panel.log({"g": [tone(0.1), tone(0.4)]}, step=0, run="r")
    fig = trends(panel, "peak", "g")
    assert fig.lines["g", "r"].y.tolist() == [panel.stats("r", "g", 0, index=0)["peak_dbfs"]]


def test_runs_missing_a_step_have_no_point_there():
    panel = logged_panel()
    panel.log({"tts/hello": tone(0.3)}, step=40, run="late")
    fig = trends(panel, "rms", "tts/hello")
    assert fig.lines["tts/hello", "late"].x.tolist() == [40]
    assert fig.lines["tts/hello", "baseline"].x.tolist() == list(STEPS)


def test_lines_and_points_are_in_the_run_colors_and_follow_set_color():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    for run in RUNS:
        assert fig.lines["tts/hello", run].colors == [panel.color(run)]
        assert fig.points["tts/hello", run].colors == [panel.color(run)]
        assert fig.lines["tts/hello", run].labels == [run]
    panel.set_color("baseline", "teal")
    assert fig.lines["tts/hello", "baseline"].colors == ["teal"]
    assert fig.points["tts/hello", "baseline"].colors == ["teal"]


def test_tooltips_show_run_step_and_value():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    points = fig.points["tts/hello", "bigger-model"]
    assert points.tooltip.fields == ["name", "x", "y"]
    assert points.tooltip.labels == ["run", "step", "RMS (dBFS)"]
    assert points.names.tolist() == ["bigger-model"] * len(STEPS)
    assert points.names_unique is False  # every point keeps its own element
    assert points.display_names is False


def test_line_data_travels_as_binary():
    fig = trends(logged_panel(), "rms", "tts/hello")
    state = fig.lines["tts/hello", "baseline"].get_state()
    assert state["y"]["dtype"] == "float64"
    assert isinstance(state["y"]["value"], memoryview)


# -- following the panel ------------------------------------------------------------


def test_the_marker_follows_panel_step():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    assert fig.cursor_steps == [30]  # following the newest step
    panel.step = 10
    assert fig.cursor_steps == [10]
    panel.step = 14  # no clip there: the nearest logged step, as the sliders show
    assert fig.cursor_steps == [10]
    panel._linked_step = 20  # as a slider in the browser writes it
    assert fig.cursor_steps == [20]
    panel.step = None
    assert fig.cursor_steps == [30]


def test_the_marker_follows_an_unlinked_group_and_its_pin():
    panel = logged_panel(("a", "b"))
    fig_a, fig_b = trends(panel, "rms", "a"), trends(panel, "rms", "b")
    panel.step = 10
    panel.link("b", False)
    assert (fig_a.cursor_steps, fig_b.cursor_steps) == ([10], [30])
    panel._pinned_steps = {"b": 20}
    assert (fig_a.cursor_steps, fig_b.cursor_steps) == ([10], [20])
    panel.link("b")
    assert fig_b.cursor_steps == [10]


def test_new_logs_extend_the_lines_and_move_a_following_marker():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    panel.log({"tts/hello": tone(0.5)}, step=40, run="baseline")
    line = fig.lines["tts/hello", "baseline"]
    assert line.x.tolist() == [*STEPS, 40]
    assert line.y[-1] == panel.stats("baseline", "tts/hello", 40)["rms_dbfs"]
    assert fig.cursor_steps == [40]
    panel.log({"tts/hello": tone(0.01)}, step=40, run="baseline")  # replaced in place
    assert line.y[-1] == panel.stats("baseline", "tts/hello", 40)["rms_dbfs"]
    panel.log({"tts/hello": tone(0.2)}, step=0, run="new-run")
    assert list(fig.lines)[-1] == ("tts/hello", "new-run")
    assert fig.lines["tts/hello", "new-run"].colors == [panel.color("new-run")]
    assert fig.lines["tts/hello", "new-run"] in fig.marks


def test_a_log_updates_only_the_line_it_extends():
    panel = logged_panel()
    panel.log({"tts/hello": aw.Audio(np.zeros(RATE // 2, dtype=np.float32), RATE)}, step=40,
              run="bigger-model")  # fmt: skip
    fig = trends(panel, "rms", "tts/hello")
    assert np.isnan(fig.lines["tts/hello", "bigger-model"].y[-1])  # a gap, still unchanged below
    changes: list[str] = []
    for part in [*fig.lines.values(), *fig.points.values()]:
        part.observe(lambda c: changes.append(c["name"]))
    panel.log({"tts/hello": tone(0.1)}, step=50, run="baseline")
    changes_for_baseline = len(changes)
    fig.lines["tts/hello", "bigger-model"].observe(lambda c: changes.append("bigger-model"))
    fig.points["tts/hello", "bigger-model"].observe(lambda c: changes.append("bigger-model"))
    panel.log({"tts/hello": tone(0.1)}, step=60, run="baseline")
    assert changes_for_baseline > 0
    assert "bigger-model" not in changes


def test_logs_past_the_first_page_and_from_a_thread_reach_the_figure():
    panel = aw.AudioPanel()
    panel.log({"g": tone(0.1)}, step=0, run="r")
    fig = trends(panel, "peak", "g")

    def training_loop():
        for step in range(1, 80):  # 80 clips: three pages of references
            panel.log({"g": tone(0.1)}, step=step, run="r")

    worker = threading.Thread(target=training_loop)
    worker.start()
    worker.join()
    assert fig.lines["g", "r"].x.tolist() == list(range(80))
    assert fig.cursor_steps == [79]


def test_every_group_in_one_figure_with_a_style_per_group():
    panel = logged_panel(("a", "b"))
    fig = trends(panel, "rms")
    assert list(fig.lines) == [("a", "baseline"), ("a", "bigger-model"),
                               ("b", "baseline"), ("b", "bigger-model")]  # fmt: skip
    assert [line.line_style for line in fig.lines.values()] == [
        "solid", "solid", "dashed", "dashed"
    ]  # fmt: skip
    assert fig.points["a", "baseline"].marker != fig.points["b", "baseline"].marker
    assert fig.lines["b", "baseline"].labels == ["baseline (b)"]
    assert fig.points["b", "baseline"].names.tolist() == ["baseline (b)"] * len(STEPS)
    assert fig.points["b", "baseline"].tooltip.labels[0] == "run (group)"
    single = trends(logged_panel(), "rms")  # one group logged: named by run alone
    assert single.lines["tts/hello", "baseline"].labels == ["baseline"]
    assert single.points["tts/hello", "baseline"].tooltip.labels[0] == "run"
    assert (fig.title, single.title) == ("RMS (dBFS)", "RMS (dBFS): tts/hello")
    assert fig.lines["b", "bigger-model"].colors == [panel.color("bigger-model")]
    assert fig.cursor_steps == [30]
    panel.link("b", False)
    panel._pinned_steps = {"b": 10}
    assert fig.cursor_steps == [10, 30]
    panel.log({"c": tone(0.1)}, step=5, run="baseline")  # a new group joins the figure
    assert ("c", "baseline") in fig.lines
    assert fig.lines["c", "baseline"].line_style == "dotted"


def test_close_stops_following_the_panel():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    line = fig.lines["tts/hello", "baseline"]
    fig.close()
    fig.close()  # twice is fine
    assert line.comm is None
    panel.log({"tts/hello": tone(0.1)}, step=99, run="baseline")
    panel.step = 10
    assert line.x.tolist() == list(STEPS)
    assert fig.cursor_steps == [30]


# -- clicks ------------------------------------------------------------------------------


def click(fig: TrendsFigure, group: str, run: str, step: int) -> None:
    """What the browser sends when a point is clicked."""
    points = fig.points[group, run]
    i = points.x.tolist().index(step)
    data = {"x": float(step), "y": float(points.y[i]), "index": i, "name": run}
    points._handle_custom_msgs(None, {"event": "element_click", "data": data})


def test_clicking_a_point_sets_the_panel_step():
    panel = logged_panel(("a", "b"))
    fig = trends(panel, "rms", "a")
    click(fig, "a", "bigger-model", 10)
    assert panel.step == 10
    assert panel.group_steps == {"a": 10, "b": 10}  # linked groups follow
    assert fig.cursor_steps == [10]
    click(fig, "a", "baseline", 30)  # the newest step: follow the newest again
    assert panel._linked_step is None
    assert panel.step == 30


def test_clicking_a_point_of_an_unlinked_group_moves_only_that_group():
    panel = logged_panel(("a", "b"))
    panel.link("b", False)
    fig = trends(panel, "rms")
    click(fig, "b", "baseline", 20)
    assert panel.group_steps == {"a": 30, "b": 20}
    assert panel._pinned_steps == {"b": 20}
    click(fig, "b", "baseline", 30)
    assert panel._pinned_steps == {}


def test_a_click_without_a_step_is_ignored():
    panel = logged_panel()
    fig = trends(panel, "rms", "tts/hello")
    points = fig.points["tts/hello", "baseline"]
    points._handle_custom_msgs(None, {"event": "element_click", "data": None})
    for x in (15.0, 10.5, True, "10"):  # not a logged step, not a step, not a number
        points._handle_custom_msgs(None, {"event": "element_click", "data": {"x": x}})
    assert panel._linked_step is None


# -- the module's own examples and the panel method ------------------------------------


def test_docstring_examples_run():
    result = doctest.testmod(audiowidget.trends, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4
    assert result.failed == 0


def test_the_module_does_not_import_the_widget_module():
    """widget.py imports trends.py lazily; trends.py must never import it back at import time."""
    tree = ast.parse(Path(audiowidget.trends.__file__).read_text())
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not [n for n in imports if isinstance(n, ast.ImportFrom) and n.module == "widget"]


def test_importing_audiowidget_does_not_import_bqplot():
    code = "import sys, audiowidget; print('bqplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_panel_method_returns_the_same_figure():
    panel = logged_panel()
    fig = panel.trends("rms", "tts/hello")
    assert isinstance(fig, TrendsFigure)
    assert (fig.stat, fig.group) == ("rms_dbfs", "tts/hello")
    assert panel.trends().stat == "loudness_lufs"


# -- in the browser -----------------------------------------------------------------------

LOG_CELL = f"""
import numpy as np, audiowidget as aw
from audiowidget.trends import trends
rate = 16000
panel = aw.AudioPanel()
for step in range(4):
    for i, run in enumerate({RUNS!r}):
        t = np.arange(rate // 2) / rate
        x = ((0.05 + 0.05 * step) * (1 + i) * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        panel.log({{"tts/hello": aw.Audio(x, sample_rate=rate)}}, step=step, run=run)
display(panel)
"""
TRENDS_CELL = 'trends(panel, "rms")'

# Tags the point of `run` at `step` (bqplot keeps each point's datum on its element).
TAG_POINT_JS = """([run, step]) => {
  const dots = [...document.querySelectorAll('.bqplot path.dot')];
  const hit = dots.find((d) => d.__data__ && d.__data__.name === run && d.__data__.x === step);
  if (hit) hit.setAttribute('data-test-point', `${run}@${step}`);
  return dots.length;
}"""

# The step the current-step marker is drawn at, and its x pixel next to a point's.
CURSOR_JS = """([run, step]) => {
  const line = [...document.querySelectorAll('.bqplot path.line')]
    .find((p) => p.__data__ && p.__data__.name === 'current step');
  const dot = document.querySelector(`[data-test-point="${run}@${step}"]`);
  const mid = (el) => { const r = el.getBoundingClientRect(); return r.left + r.width / 2; };
  return line ? [line.__data__.values[0].x, mid(line) - mid(dot)] : null;
}"""


def add_bqplot_modules(report: Path) -> None:
    """bqplot's AMD modules beside the report, where require.js looks them up by name."""
    for name in ("bqplot", "bqscales"):
        shutil.copy(NBEXTENSIONS / name / "index.js", report.parent / f"{name}.js")


@pytest.mark.notebook
@pytest.mark.browser
def test_the_figure_renders_in_an_exported_report_offline(tmp_path, page):
    nb = execute(notebook(LOG_CELL, TRENDS_CELL), tmp_path)
    report = export_offline(nb, tmp_path / "site")
    add_bqplot_modules(report)
    blocked: list[str] = []
    block_non_local(page, blocked)
    with serve_directory(report.parent) as base:
        page.goto(base + report.name)
        page.wait_for_function(
            "() => document.querySelectorAll('.bqplot path.dot').length === 8", timeout=30_000
        )
        assert page.locator(".aw-card").count() == 2
        curves = page.locator(".bqplot .curve path.line").evaluate_all(
            "ps => ps.map(p => [p.__data__.name, p.getAttribute('d') || ''])"
        )
        assert sorted(name for name, _ in curves) == [*RUNS, "current step"]
        assert all(d.startswith("M") for _, d in curves)
        assert page.locator(".bqplot .legendtext").all_text_contents() == list(RUNS)
        assert page.evaluate(TAG_POINT_JS, ["baseline", 1]) == 8
        page.locator('[data-test-point="baseline@1"]').hover()
        tooltip = page.locator(".bqplot_mark_tooltip:visible tr")
        tooltip.first.wait_for()
        rows = [r.split("\t") for r in tooltip.all_inner_texts()]
        assert [label for label, _ in rows] == ["run", "step", "RMS (dBFS)"]
        assert rows[0][1] == "baseline"
        assert rows[1][1] == "1"
        assert float(rows[2][1]) == pytest.approx(20 * math.log10(0.1 / math.sqrt(2)), abs=0.01)
    assert page.page_errors == []
    # nothing but nbconvert's own MathJax left localhost: bqplot came from beside the report
    assert [u for u in blocked if "mathjax" not in u] == []


def write_notebook(lab: str, name: str, *cells: str) -> None:
    """Put a notebook into the running JupyterLab through its contents API."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    opener.open(f"{lab}/lab", timeout=10).read()  # sets the _xsrf cookie that writes must echo
    xsrf = next(c.value for c in cookies if c.name == "_xsrf")
    body = json.dumps({"type": "notebook", "format": "json", "content": notebook(*cells)})
    request = urllib.request.Request(
        f"{lab}/api/contents/{name}.ipynb",
        data=body.encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "X-XSRFToken": xsrf},
    )
    opener.open(request, timeout=10).read()


@pytest.mark.notebook
@pytest.mark.browser
def test_clicking_a_point_in_jupyterlab_moves_the_panel(lab, page):
    write_notebook(lab, "trends", LOG_CELL, TRENDS_CELL)
    test_jupyterlab.run_notebook(page, lab, "trends")
    page.wait_for_function("() => document.querySelectorAll('.bqplot path.dot').length === 8")
    page.wait_for_function("() => document.querySelectorAll('.aw-card').length === 2")

    def card_steps() -> list[str]:
        return page.locator(".aw-card").evaluate_all("cs => cs.map(c => c.dataset.step)")

    assert card_steps() == ["3", "3"]
    assert page.evaluate(TAG_POINT_JS, ["bigger-model", 1]) == 8
    page.locator('[data-test-point="bigger-model@1"]').click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.aw-card')].every(c => c.dataset.step === '1')"
    )
    assert card_steps() == ["1", "1"]
    # the marker followed, onto the clicked point
    page.wait_for_function(f"() => ({CURSOR_JS})(['bigger-model', 1])?.[0] === 1")
    step, offset = page.evaluate(CURSOR_JS, ["bigger-model", 1])
    assert step == 1
    assert abs(offset) < 2
    # and the other way: the panel's slider moves the marker
    slider = page.get_by_label("Step").first
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"() => ({CURSOR_JS})(['bigger-model', 1])?.[0] === 2")
    assert page.page_errors == []
