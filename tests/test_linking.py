"""Linked steps, the reference run and the comparison toggles, on the Python side."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import audiowidget as aw
from audiowidget.widget import nearest_step

RATE = 8000


def clip(level: float = 0.1, seconds: float = 0.05) -> aw.Audio:
    return aw.Audio(np.full(int(seconds * RATE), level, dtype=np.float32), RATE)


def panel_with_steps() -> aw.AudioPanel:
    panel = aw.AudioPanel()
    for step in (0, 100, 200, 300):
        panel.log({"a": clip()}, step=step, run="r")
    for step in (0, 150, 250):
        panel.log({"b": clip()}, step=step, run="r")
    return panel


@pytest.mark.parametrize(
    ("steps", "wanted", "expected"),
    [([0, 10, 20], 10, 10), ([0, 10, 20], 14, 10), ([0, 10, 20], 15, 10), ([0, 10, 20], 16, 20),
     ([0, 10, 20], -5, 0), ([0, 10, 20], 99, 20), ([7], 3, 7)],
)  # fmt: skip
def test_nearest_step_prefers_the_lower_on_a_tie(steps, wanted, expected):
    assert nearest_step(steps, wanted) == expected


def test_linked_by_default_and_following_the_newest():
    panel = panel_with_steps()
    assert panel.step == 300
    assert panel.group_steps == {"a": 300, "b": 250}
    panel.log({"b": clip()}, step=400, run="r")
    assert panel.step == 400
    assert panel.group_steps == {"a": 300, "b": 400}


def test_setting_the_linked_step_moves_every_linked_group():
    panel = panel_with_steps()
    panel.step = 200
    assert panel._linked_step == 200
    assert panel.group_steps == {"a": 200, "b": 150}  # 150 and 250 tie: the lower one
    panel.log({"a": clip()}, step=500, run="r")
    assert panel.group_steps == {"a": 200, "b": 150}  # pinned: new steps do not move it
    panel.step = None
    assert panel.group_steps == {"a": 500, "b": 250}


def test_an_unlinked_group_keeps_its_own_step():
    panel = panel_with_steps()
    panel.link("b", False)
    assert panel._unlinked == ["b"]
    panel._pinned_steps = {"b": 0}
    panel.step = 100
    assert panel.group_steps == {"a": 100, "b": 0}
    panel.link("b")
    assert panel._unlinked == []
    assert panel.group_steps == {"a": 100, "b": 150}
    with pytest.raises(KeyError, match="logged groups"):
        panel.link("nope")


def test_step_checks_its_value():
    panel = panel_with_steps()
    with pytest.raises(ValueError, match="step must be >= 0"):
        panel.step = -1
    with pytest.raises(TypeError, match="non-negative int"):
        panel.step = "3"  # type: ignore[assignment]


def test_reference_run_from_log_and_set_reference():
    panel = aw.AudioPanel()
    panel.log({"g": clip()}, step=0, run="model")
    assert panel.reference is None
    panel.log({"g": clip()}, step=0, run="ground truth", reference=True)
    assert panel.reference == "ground truth"
    assert panel._reference == "ground truth"
    panel.set_reference("model")
    assert panel.reference == "model"
    panel.set_reference(None)
    assert panel._reference == ""
    with pytest.raises(KeyError, match="no run 'x'"):
        panel.set_reference("x")


def test_comparison_toggles_are_synced_traits():
    panel = aw.AudioPanel()
    state = panel.get_state()
    assert (state["compare"], state["match_loudness"], state["selected_run"]) == (False, False, "")
    panel.compare = True
    panel.match_loudness = True
    panel.selected_run = "baseline"
    assert panel.get_state(["compare", "match_loudness", "selected_run"]) == {
        "compare": True,
        "match_loudness": True,
        "selected_run": "baseline",
    }


def test_four_threads_logging_250_clips_each_lose_nothing():
    panel = aw.AudioPanel()
    audio = clip(seconds=0.02)
    errors: list[BaseException] = []

    def work(run: str) -> None:
        try:
            for step in range(250):
                panel.log({"g": audio, "h": [audio, audio]}, step=step, run=run)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"run{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    clips = [m for page in panel._pages for m in page.clips]
    assert len(clips) == 4 * 250 * 3
    assert len({(m.run, m.group, m.step, m.index) for m in clips}) == 3000
    assert all(len(page.clips) <= 32 for page in panel._pages)
    assert panel.steps("h") == list(range(250))
    assert sorted(panel.runs) == ["run0", "run1", "run2", "run3"]
