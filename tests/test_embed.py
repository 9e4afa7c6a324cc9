"""Embed budget: which clips carry their audio in the widget state, and serving the rest."""

from __future__ import annotations

from typing import Any, ClassVar

import comm
import ipywidgets
import numpy as np
import pytest
from comm.base_comm import BaseComm

import audiowidget as aw
from audiowidget.widget import REPLY_CHUNK_BYTES

RATE = 16000


def noise_clip(seed: int, seconds: float = 0.5) -> aw.Audio:
    x = np.random.default_rng(seed).normal(0, 0.1, int(RATE * seconds))
    return aw.Audio(x.astype(np.float32), RATE)


def models(panel: aw.AudioPanel) -> list[Any]:
    return [m for page in panel._pages for m in page.clips]


class Recorder(BaseComm):
    messages: ClassVar[list[tuple[Any, list[bytes]]]] = []

    def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **keys: Any) -> None:
        buffers = keys.get("buffers")
        if msg_type == "comm_msg" and isinstance(data, dict) and data.get("method") == "custom":
            Recorder.messages.append((data["content"], [bytes(b) for b in buffers or []]))


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: Recorder(*a, **k))
    Recorder.messages = []
    return Recorder.messages


def test_everything_is_embedded_under_the_budget():
    panel = aw.AudioPanel()
    for step in range(5):
        panel.log({"g": noise_clip(step)}, step=step, run="r")
    assert all(m.embedded and m.audio == m.data for m in models(panel))


def test_beyond_the_budget_the_oldest_steps_are_left_out():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 3.5))
    for step in range(6):
        panel.log({"g": noise_clip(step)}, step=step, run="r")
    embedded = {m.step: m.embedded for m in models(panel)}
    assert embedded == {0: False, 1: False, 2: False, 3: True, 4: True, 5: True}
    for m in models(panel):
        assert (m.audio == m.data) if m.embedded else (m.audio == b"")
        assert m.meta["duration"] == 0.5  # metadata and analysis stay
        assert "spectrum_frames" in m.arrays
    state = models(panel)[0].get_state()
    assert state["audio"] == b""
    assert state["embedded"] is False


def test_groups_logged_on_different_step_scales_keep_their_newest_steps_alike():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 4.5))
    for i in range(4):
        panel.log({"per epoch": noise_clip(i)}, step=i, run="r")
        panel.log({"per iteration": noise_clip(10 + i)}, step=1000 * i, run="r")
    kept = sorted((m.group, m.step) for m in models(panel) if m.embedded)
    assert kept == [
        ("per epoch", 2),
        ("per epoch", 3),
        ("per iteration", 2000),
        ("per iteration", 3000),
    ]


def test_latest_and_all():
    latest = aw.AudioPanel(embed="latest")
    every = aw.AudioPanel(embed="all")
    for step in range(3):
        for panel in (latest, every):
            panel.log({"a": noise_clip(step), "b": noise_clip(step + 10)}, step=step, run="r")
    latest.log({"a": noise_clip(99)}, step=7, run="r")
    assert sorted((m.group, m.step) for m in models(latest) if m.embedded) == [("a", 7), ("b", 2)]
    assert all(m.embedded for m in models(every))


def test_the_steps_the_sliders_show_keep_their_audio_first():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 3.5))
    for step in range(6):
        panel.log({"g": noise_clip(step), "h": noise_clip(step + 10)}, step=step, run="r")
    shown = lambda: sorted((m.group, m.step) for m in models(panel) if m.embedded)  # noqa: E731
    assert shown() == [("g", 4), ("g", 5), ("h", 5)]  # newest first, within 3.5 clips
    panel.step = 1  # both groups are linked: they show step 1
    assert shown() == [("g", 1), ("g", 5), ("h", 1)]
    panel.link("h", False)
    panel._pinned_steps = {"h": 3}  # as the browser sets it when h's own slider moves
    assert shown() == [("g", 1), ("g", 5), ("h", 3)]
    panel.step = None  # back to the newest, which has its audio: nothing moves
    assert shown() == [("g", 1), ("g", 5), ("h", 3)]
    # "latest" keeps each group's newest step and also what the sliders show
    panel.embed = "latest"
    assert shown() == [("g", 5), ("h", 3), ("h", 5)]
    panel.embed = "all"
    panel.step = 0
    assert len(shown()) == 12


def test_slider_traits_given_at_construction_do_not_replan_a_half_built_panel():
    panel = aw.AudioPanel(_linked_step=3, _pinned_steps={"g": 1}, embed="latest")
    panel.log({"g": noise_clip(0)}, step=0, run="r")
    assert [m.embedded for m in models(panel)] == [True]


def test_the_reference_clip_beside_the_shown_step_keeps_its_audio():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 2.5))
    for step in (0, 4):
        panel.log({"g": noise_clip(100 + step)}, step=step, run="truth")
    for step in range(6):
        panel.log({"g": noise_clip(step)}, step=step, run="model")
    panel.set_reference("truth")
    panel.step = 3  # beside step 3 the reference card shows truth's step 0
    kept = sorted((m.run, m.step) for m in models(panel) if m.embedded)
    assert kept[:2] == [("model", 3), ("truth", 0)]


def test_a_float_budget_of_whole_bytes_is_taken():
    assert aw.AudioPanel(embed=64e6).embed == 64_000_000


@pytest.mark.parametrize("embed", ["some", -1, 1.5, -1e6, float("nan"), True])
def test_bad_embed_values_are_refused(embed):
    with pytest.raises(
        ValueError, match="embed must be 'all', 'latest' or a whole number of bytes"
    ):
        aw.AudioPanel(embed=embed)
    panel = aw.AudioPanel()
    panel.log({"g": noise_clip(0)}, step=0, run="r")
    with pytest.raises(
        ValueError, match="embed must be 'all', 'latest' or a whole number of bytes"
    ):
        panel.embed = embed
    assert panel.embed == 64_000_000  # unchanged, and the next log still works
    panel.log({"g": noise_clip(1)}, step=1, run="r")
    assert panel.steps("g") == [0, 1]


def test_the_default_budget_is_64_mb():
    assert aw.AudioPanel().embed == 64_000_000


def test_changing_embed_applies_at_once_to_what_was_logged():
    panel = aw.AudioPanel()
    for step in range(3):
        panel.log({"g": noise_clip(step)}, step=step, run="r")
    panel.embed = 0
    assert not any(m.embedded or m.audio for m in models(panel))
    panel.embed = "latest"
    assert [m.step for m in models(panel) if m.embedded] == [2]
    panel.embed = "all"
    assert all(m.embedded and m.audio == m.data for m in models(panel))


def test_the_reference_run_keeps_its_audio_first():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 3.5))
    panel.log({"g": noise_clip(100)}, step=0, run="truth", reference=True)
    for step in range(4):
        panel.log({"g": noise_clip(step)}, step=step, run="model")
    kept = sorted((m.run, m.step) for m in models(panel) if m.embedded)
    # shown beside every step, the reference clip comes before the model's newest steps
    assert kept == [("model", 2), ("model", 3), ("truth", 0)]
    latest = aw.AudioPanel(embed="latest")
    latest.log({"g": noise_clip(100)}, step=0, run="truth")
    for step in range(4):
        latest.log({"g": noise_clip(step)}, step=step, run="model")
    assert sorted((m.run, m.step) for m in models(latest) if m.embedded) == [("model", 3)]
    latest.set_reference("truth")
    kept = sorted((m.run, m.step) for m in models(latest) if m.embedded)
    assert kept == [("model", 3), ("truth", 0)]


def test_a_clip_left_out_from_the_start_never_sends_its_audio(monkeypatch):
    sent: list[tuple[str, str, list[bytes]]] = []

    class Tap(BaseComm):
        def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **keys: Any) -> None:
            buffers = [bytes(b) for b in keys.get("buffers") or []]
            sent.append((self.comm_id, msg_type, buffers))

    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: Tap(*a, **k))
    panel = aw.AudioPanel(embed="latest")
    panel.log({"g": noise_clip(1)}, step=5, run="r")
    panel.log({"g": noise_clip(2)}, step=1, run="r")  # an older step: left out at once
    old, new = sorted(models(panel), key=lambda m: m.step)
    assert (old.embedded, new.embedded) == (False, True)

    def audio_sent(model: Any) -> int:
        return sum(
            buffer == model.data
            for comm_id, _, buffers in sent
            if comm_id == model.comm.comm_id
            for buffer in buffers
        )

    assert audio_sent(old) == 0  # its metadata and analysis went, its audio never did
    assert audio_sent(new) == 1  # once, before any page listed it
    page_update = next(
        i for i, (comm_id, _, _) in enumerate(sent) if comm_id == panel._pages[0].comm.comm_id
    )
    first_audio = next(
        i for i, (comm_id, _, b) in enumerate(sent) if comm_id == new.comm.comm_id and new.data in b
    )
    assert first_audio < page_update


def test_a_log_that_fails_leaves_no_clip_widget_behind():
    panel = aw.AudioPanel(audio_format="opus")
    panel.log({"a": noise_clip(0)}, step=0, run="r")
    before = set(ipywidgets.widgets.widget._instances)
    at_44k = aw.Audio(np.zeros(44100, np.float32) + 0.1, 44100)
    with pytest.raises(ValueError, match="44100"):
        panel.log({"a": noise_clip(1), "b": at_44k}, step=1, run="r")
    # the clip built for "a" was closed again
    assert set(ipywidgets.widgets.widget._instances) == before
    with pytest.raises(ValueError, match="44100"):  # the bad clip later in one group's list
        panel.log({"a": [noise_clip(2), noise_clip(3), at_44k]}, step=1, run="r")
    assert set(ipywidgets.widgets.widget._instances) == before
    assert panel.steps("a") == [0]


def test_audio_requests_are_answered_in_chunks(recorder):
    panel = aw.AudioPanel(embed=0)
    long = aw.Audio(
        np.random.default_rng(0).normal(0, 0.2, RATE * 200).clip(-0.99, 0.99).astype(np.float32),
        RATE,
    )
    panel.log({"g": long}, step=0, run="r")
    (model,) = models(panel)
    assert not model.embedded
    request = {"type": "audio_request", "request_id": 7, "clip": f"IPY_MODEL_{model.model_id}"}
    panel._handle_message(panel, request, [])
    replies = [(c, b) for c, b in recorder if c["type"] == "audio_reply"]
    assert len(model.data) > REPLY_CHUNK_BYTES  # so that it needs several chunks
    assert [c["chunk"] for c, _ in replies] == list(range(replies[0][0]["chunks"]))
    assert all(c["request_id"] == 7 and c["bytes"] == len(model.data) for c, _ in replies)
    assert all(len(b[0]) <= REPLY_CHUNK_BYTES for _, b in replies)
    assert b"".join(b[0] for _, b in replies) == model.data


def test_a_request_for_a_replaced_clip_gets_an_error(recorder):
    panel = aw.AudioPanel(embed=0)
    panel.log({"g": noise_clip(1)}, step=0, run="r")
    (old,) = models(panel)
    old_id = old.model_id
    panel.log({"g": noise_clip(2)}, step=0, run="r")
    panel._handle_message(panel, {"type": "audio_request", "request_id": "x", "clip": old_id}, [])
    (error,) = [c for c, _ in recorder if c["type"] == "audio_error"]
    assert error["request_id"] == "x"
    assert "replaced" in error["message"]


def test_a_reference_logged_at_every_step_does_not_crowd_out_the_newest_step():
    size = len(noise_clip(0).encode().data)
    panel = aw.AudioPanel(embed=int(size * 6.5))
    for step in range(10):
        panel.log({"g": noise_clip(step)}, step=step, run="truth", reference=True)
        panel.log({"g": noise_clip(100 + step)}, step=step, run="model")
    kept = sorted((m.step, m.run) for m in models(panel) if m.embedded)
    # each reference clip is as young as its own step here: newest steps first, the
    # reference clip first within a step
    assert kept == [(s, r) for s in (7, 8, 9) for r in ("model", "truth")]
    # a reference clip logged once, at the first step, is shown beside the newest one
    sparse = aw.AudioPanel(embed=int(size * 2.5))
    sparse.log({"g": noise_clip(100)}, step=0, run="truth", reference=True)
    sparse.log({"g": noise_clip(101)}, step=5, run="truth")
    for step in range(10):
        sparse.log({"g": noise_clip(step)}, step=step, run="model")
    kept = sorted((m.step, m.run) for m in models(sparse) if m.embedded)
    assert kept == [(5, "truth"), (9, "model")]
