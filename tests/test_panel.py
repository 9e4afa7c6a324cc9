"""AudioPanel: logging, replacement, the widget state it syncs, and what log() sends."""

from __future__ import annotations

import json
import threading
from typing import Any, ClassVar

import comm
import numpy as np
import pytest
import soundfile as sf
from comm.base_comm import BaseComm
from ipywidgets.widgets.widget import _remove_buffers

import audiowidget as aw
from audiowidget.widget import PAGE_SIZE, ClipModel, _array_payload, _decode_array

RATE = 16000


def tone(seconds: float = 0.5, freq: float = 440.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def clip(seed: int = 0, seconds: float = 0.5) -> aw.Audio:
    noise = np.random.default_rng(seed).normal(0, 0.1, int(seconds * RATE))
    return aw.Audio((noise * 32767 * 0.5).astype(np.int16), sample_rate=RATE, caption=f"c{seed}")


def models(panel: aw.AudioPanel) -> list[ClipModel]:
    return [m for page in panel._pages for m in page.clips]


def test_log_builds_runs_groups_steps():
    panel = aw.AudioPanel()
    for step in (0, 100, 200):
        for run in ("baseline", "bigger-model"):
            panel.log({"tts/hello": clip(step), "tts/long": [clip(1), clip(2)]}, step=step, run=run)
    assert panel.runs == ["baseline", "bigger-model"]
    assert panel.groups == ["tts/hello", "tts/long"]
    assert panel.steps("tts/long") == [0, 100, 200]
    assert len(models(panel)) == 3 * 2 * 3
    assert panel._runs == [
        {"name": "baseline", "color": panel.color("baseline")},
        {"name": "bigger-model", "color": panel.color("bigger-model")},
    ]
    assert panel._groups == ["tts/hello", "tts/long"]


def test_step_none_continues_each_run():
    panel = aw.AudioPanel()
    panel.log({"g": clip()}, run="a")
    panel.log({"g": clip()}, run="a")
    panel.log({"g": clip()}, run="b")
    panel.log({"g": clip()}, step=10, run="a")
    panel.log({"g": clip()}, run="a")
    assert sorted((m.run, m.step) for m in models(panel)) == [
        ("a", 0), ("a", 1), ("a", 10), ("a", 11), ("b", 0)
    ]  # fmt: skip


def test_relogging_replaces_in_place_and_closes_the_old_model():
    panel = aw.AudioPanel()
    panel.log({"g": [clip(1), clip(2)]}, step=3, run="a")
    panel.log({"g": clip(9)}, step=4, run="a")
    first, second, later = models(panel)
    panel.log({"g": clip(5)}, step=3, run="a")
    now = models(panel)
    assert len(now) == 2
    assert now[0] is not first
    assert now[0].meta["caption"] == "c5"
    assert now[1] is later
    assert first.comm is None  # closed: no longer in the notebook
    assert second.comm is None


def test_clip_model_carries_encoded_audio_and_peaks():
    panel = aw.AudioPanel()
    audio = aw.Audio(tone(), sample_rate=RATE, caption="hello world")
    panel.log({"tts/hello": audio}, step=7, run="r")
    (model,) = models(panel)
    assert (model.run, model.group, model.step, model.index) == ("r", "tts/hello", 7, 0)
    assert model.audio == audio.encode().data
    assert model.meta["encoding"] == "FLAC 16-bit"
    assert model.meta["mime"] == "audio/flac"
    assert model.meta["sample_rate"] == RATE
    assert model.meta["caption"] == "hello world"
    peaks = model.arrays["peaks"]
    assert peaks["dtype"] == "int16"
    decoded = np.frombuffer(peaks["data"], dtype="<i2").reshape(peaks["shape"])
    assert decoded.shape == (1, 400, 2)
    assert decoded[..., 1].max() == pytest.approx(0.3 * 32767, abs=40)
    data, rate = sf.read(__import__("io").BytesIO(model.audio), dtype="float32")
    assert rate == RATE
    assert data.shape == (RATE // 2,)


def test_bulky_analysis_arrays_travel_compressed_without_loss():
    panel = aw.AudioPanel()
    x = np.random.default_rng(3).normal(0, 0.1, (RATE, 2)).astype(np.float32)
    panel.log({"noise": aw.Audio(x, sample_rate=RATE)}, step=0, run="r")
    (model,) = models(panel)
    analysis = aw.analyze(x, RATE)
    frames, waveform = model.arrays["spectrum_frames"], model.arrays["waveform"]
    assert frames["codec"] == "delta-deflate"
    assert waveform["codec"] == "deflate"
    assert len(frames["data"]) < analysis.spectrum_frames.nbytes
    np.testing.assert_array_equal(_decode_array(frames), analysis.spectrum_frames)
    np.testing.assert_array_equal(_decode_array(waveform), analysis.peaks)
    assert "codec" not in model.arrays["peaks"]  # the card draws these at once: raw


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32])
def test_delta_coding_wraps_around_and_round_trips(dtype: Any):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    jumps = np.array([[info.min, info.max, info.min, 0, info.max] * 40] * 3, dtype=dtype)
    smooth = np.repeat(np.arange(200, dtype=dtype)[None], 3, axis=0)
    for array in (jumps, smooth, rng.integers(info.min, info.max, (3, 200), dtype=dtype)):
        for codec in ("deflate", "delta-deflate"):
            payload = _array_payload(array, codec)
            decoded = _decode_array(payload)
            assert decoded.dtype == array.dtype
            np.testing.assert_array_equal(decoded, array)
            if "codec" not in payload:  # random bytes do not deflate: sent raw
                assert payload["data"] == array.astype(array.dtype.newbyteorder("<")).tobytes()
    assert _array_payload(smooth, "delta-deflate")["codec"] == "delta-deflate"


def test_array_codecs_refuse_what_they_cannot_code():
    with pytest.raises(ValueError, match="integer"):
        _array_payload(np.zeros(8, np.float32), "delta-deflate")
    with pytest.raises(ValueError, match="unknown codec 'zstd'"):
        _array_payload(np.zeros(8, np.uint8), "zstd")


def test_panel_state_is_only_the_index():
    panel = aw.AudioPanel()
    for step in range(40):
        panel.log({"g": clip(step)}, step=step, run="a")
    state = panel.get_state()
    _, _, buffers = _remove_buffers(state)
    assert buffers == []
    assert len(state["_pages"]) == 2
    assert all(ref.startswith("IPY_MODEL_") for ref in state["_pages"])
    page_state = panel._pages[0].get_state()
    assert len(page_state["clips"]) == PAGE_SIZE


def test_bad_log_leaves_everything_logged():
    panel = aw.AudioPanel()
    panel.log({"g": clip(1)}, step=0, run="a")
    before = [(m.run, m.group, m.step, m.audio) for m in models(panel)]
    with pytest.raises(TypeError, match=r"expected audiowidget\.Audio"):
        panel.log({"g": clip(2), "h": np.zeros(10)}, step=0, run="a")
    with pytest.raises(TypeError, match="log\\(\\) takes a dict"):
        panel.log([clip(2)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step must be >= 0"):
        panel.log({"g": clip(2)}, step=-1, run="a")
    with pytest.raises(TypeError, match="step must be a non-negative int"):
        panel.log({"g": clip(2)}, step=1.5, run="a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="run must be a non-empty string"):
        panel.log({"g": clip(2)}, step=1, run=" ")
    with pytest.raises(ValueError, match="empty dict"):
        panel.log({}, step=1, run="a")
    with pytest.raises(ValueError, match="list of clips is empty"):
        panel.log({"g": []}, step=1, run="a")
    assert [(m.run, m.group, m.step, m.audio) for m in models(panel)] == before


def test_set_color_updates_the_synced_index():
    panel = aw.AudioPanel()
    panel.log({"g": clip()}, run="a")
    panel.set_color("a", "rebeccapurple")
    assert panel._runs == [{"name": "a", "color": "rebeccapurple"}]
    with pytest.raises(KeyError, match="no run 'b'"):
        panel.set_color("b", "red")


def test_close_closes_every_child_model():
    panel = aw.AudioPanel()
    panel.log({"g": [clip(1), clip(2)]}, step=0, run="a")
    children: list[Any] = [*models(panel), *panel._pages]
    panel.close()
    assert all(child.comm is None for child in children)


def test_logging_from_threads_loses_nothing():
    panel = aw.AudioPanel()
    audio = clip(3, seconds=0.05)

    def work(run: str) -> None:
        for step in range(25):
            panel.log({"g": audio}, step=step, run=run)

    threads = [threading.Thread(target=work, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(models(panel)) == 100
    assert len({(m.run, m.step) for m in models(panel)}) == 100


# -- what log() sends ------------------------------------------------------------------


class RecordingComm(BaseComm):
    """A comm that measures every message exactly as ipywidgets hands it over."""

    sent: ClassVar[list[int]] = []

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        size = len(json.dumps(data, separators=(",", ":")).encode())
        size += sum(memoryview(b).nbytes for b in buffers or [])
        RecordingComm.sent.append(size)


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: RecordingComm(*a, **k))
    RecordingComm.sent = []
    return RecordingComm.sent


def test_the_300th_log_sends_what_the_1st_did(recording):
    panel = aw.AudioPanel()
    audio = aw.Audio(
        tone(1.0) + np.random.default_rng(0).normal(0, 0.01, RATE).astype(np.float32), RATE
    )
    audio.encode()  # the encoded size is what it is: measure transport, not encoding
    sizes = []
    for step in range(300):
        recording.clear()
        panel.log({"g": audio}, step=step, run="a")
        sizes.append(sum(recording))
    first, last = sizes[0], sizes[-1]
    assert last == pytest.approx(first, rel=0.10), (first, last)
    assert max(sizes) <= first * 1.10
    # and what is sent is the clip (audio + analysis arrays + metadata), not the panel again
    (model,) = models(panel)[:1]
    clip_bytes = len(model.audio) + sum(len(a["data"]) for a in model.arrays.values())
    assert first < clip_bytes + 4096
