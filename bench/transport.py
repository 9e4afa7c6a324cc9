"""What logging costs on the wire, against baselines measured in the same run.

Prints ratios (machines are noisy; nothing here asserts a time):

- bytes that ``log()`` sends for the 300th clip / for the 1st clip (target 1.0 ± 0.1);
- bytes per clip that reach the notebook / ``IPython.display.Audio`` of the same clip
  (base64 WAV inlined in the output);
- time per ``log()`` / time to only encode the same clip as FLAC with soundfile.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any, ClassVar

import comm
import numpy as np
import soundfile as sf
from comm.base_comm import BaseComm
from IPython.display import Audio as IPythonAudio

import audiowidget as aw

RATE = 48000
CLIPS = 300


class _Recording(BaseComm):
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
        _Recording.sent.append(size + sum(memoryview(b).nbytes for b in buffers or []))


def speech_like(seed: int, seconds: float = 2.0) -> np.ndarray:
    """Harmonic bursts with pauses and a little noise: compresses like speech does."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    voiced = sum(np.sin(h * phase) / h for h in range(1, 20))
    syllables = (np.sin(2 * np.pi * 3.5 * t) > -0.2).astype(float)
    x = 0.2 * voiced * syllables + rng.normal(0, 0.003, t.size)
    return x.astype(np.float32)


def main() -> None:
    comm.create_comm = lambda *a, **k: _Recording(*a, **k)
    clips = [aw.Audio(speech_like(i), RATE) for i in range(CLIPS)]
    panel = aw.AudioPanel()
    sizes, log_times = [], []
    for step, clip in enumerate(clips):
        _Recording.sent = []
        t0 = time.perf_counter()
        panel.log({"speech": clip}, step=step, run="run")
        log_times.append(time.perf_counter() - t0)
        sizes.append(sum(_Recording.sent))

    encode_times = []
    for i in range(CLIPS):
        x = speech_like(i)
        t0 = time.perf_counter()
        buf = io.BytesIO()
        sf.write(buf, np.round(x * 32767).astype(np.int16), RATE, format="FLAC", subtype="PCM_16")
        encode_times.append(time.perf_counter() - t0)

    ipython = [
        len(IPythonAudio(speech_like(i), rate=RATE)._repr_html_().encode()) for i in range(20)
    ]
    ours = sizes[1:21]
    print(f"clips logged: {CLIPS} x {clips[0].duration:.1f} s at {RATE} Hz")
    print(
        f"bytes sent by log(): 1st {sizes[0]}, 300th {sizes[-1]}, "
        f"ratio 300th/1st {sizes[-1] / sizes[0]:.3f}"
    )
    print(f"max/min bytes per log over all {CLIPS}: {max(sizes) / min(sizes):.3f}")
    print(
        f"notebook bytes per clip vs IPython.display.Audio: {np.mean(ours) / np.mean(ipython):.3f}"
    )
    median_log, median_encode = np.median(log_times), np.median(encode_times)
    print(f"log() time / FLAC encode alone (median): {median_log / median_encode:.2f}")


if __name__ == "__main__":
    main()
