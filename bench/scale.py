"""Scale: 8 runs x 4 groups x 100 steps x 2 s speech-like clips at 48 kHz.

That is 3 200 clips and 6 400 audio-seconds.

Prints, measured in one run:

- logging throughput (clips/s) and audio-seconds logged per second;
- Python memory per audio-second against the encoded bytes per audio-second
  of every clip (Python keeps every encoded file, embedded or not; target: at
  most the encoded bytes plus 10 %, i.e. no float copies kept);
- notebook bytes per audio-second (the saved widget state of every model,
  base64 as in the .ipynb) against ``IPython.display.Audio`` of the same clips
  (targets: <= 0.6x lossless, <= 0.1x with ``audio_format="opus"``), both with
  the default 64 MB embed budget (what a saved notebook holds) and with
  ``embed="all"`` (every clip's audio in the notebook, like IPython's);
- what one clip's notebook bytes are made of (audio, analysis arrays, rest),
  so the ratios can be read against FLAC's own ratio to WAV.

``--quick`` logs 10 steps instead of 100 (for a smoke run).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

import numpy as np
from IPython.display import Audio as IPythonAudio

sys.path.insert(0, str(Path(__file__).parent))

from speech import speech_like

import audiowidget as aw

RATE = 48000
SECONDS = 2.0
RUNS, GROUPS = 8, 4


def rss_bytes() -> int:
    """Resident memory of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def notebook_bytes(panel: aw.AudioPanel) -> int:
    """Bytes the panel's widget state takes in a saved notebook (JSON, buffers in base64)."""
    widgets = [panel, *panel._pages, *(m for page in panel._pages for m in page.clips)]
    total = 0
    for widget in widgets:  # one model at a time: the whole state would not fit twice in memory
        state = aw.AudioPanel.get_manager_state(widgets=[widget])["state"]
        total += len(json.dumps(state, separators=(",", ":")).encode())
    return total


def main() -> None:
    steps = 10 if "--quick" in sys.argv else 100
    bases = [speech_like(SECONDS, RATE, seed=i) for i in range(32)]
    rng = np.random.default_rng(1)

    def clip_for(i: int) -> np.ndarray:  # every clip distinct, so encoded sizes are honest
        return bases[i % len(bases)] + rng.normal(0, 3e-4, bases[0].size).astype(np.float32)

    gc.collect()
    before = rss_bytes()
    panel = aw.AudioPanel()
    n = 0
    log_time = 0.0
    for step in range(steps):
        for run in range(RUNS):
            clips = {f"group-{g}": aw.Audio(clip_for(n + g), RATE) for g in range(GROUPS)}
            t0 = time.perf_counter()
            panel.log(clips, step=step, run=f"run-{run}")
            log_time += time.perf_counter() - t0
            n += GROUPS
    del clips
    gc.collect()
    after = rss_bytes()
    audio_seconds = n * SECONDS
    models = [m for page in panel._pages for m in page.clips]
    encoded = sum(len(m.data) for m in models)
    embedded = sum(len(m.audio) for m in models)
    analysis = sum(len(a["data"]) for m in models for a in m.arrays.values())
    print(
        f"clips: {n} ({RUNS} runs x {GROUPS} groups x {steps} steps x {SECONDS:g} s at {RATE} Hz)"
    )
    print(f"logging: {n / log_time:.1f} clips/s, {audio_seconds / log_time:.1f} audio-s/s")
    per_s = (after - before) / audio_seconds
    audio_rate, analysis_rate = encoded / audio_seconds, analysis / audio_seconds
    print(
        f"python memory: {per_s / 1000:.1f} kB per audio-second; encoded audio "
        f"{audio_rate / 1000:.1f} kB/s, analysis arrays {analysis_rate / 1000:.1f} kB/s; "
        f"memory / encoded = {per_s / audio_rate:.2f} (target <= 1.10)"
    )

    sample = [clip_for(i) for i in range(64)]
    wav = np.mean([len(IPythonAudio(x, rate=RATE)._repr_html_().encode()) for x in sample])
    ours = notebook_bytes(panel)
    print(
        f"notebook, default budget ({embedded / 1e6:.0f} of {encoded / 1e6:.0f} MB of audio "
        f"embedded): {ours / audio_seconds / 1000:.1f} kB per audio-second, "
        f"{ours / n / wav:.2f}x IPython.display.Audio (target <= 0.6)"
    )
    for model in models:
        model.set_embedded(True)
    everything = notebook_bytes(panel)
    flac_b64 = 4 / 3 * encoded / n
    print(
        f"notebook, embed='all': {everything / audio_seconds / 1000:.1f} kB per audio-second, "
        f"{everything / n / wav:.2f}x IPython.display.Audio (target <= 0.6); per clip: "
        f"FLAC {flac_b64 / wav:.2f}x, analysis arrays {4 / 3 * analysis / n / wav:.2f}x, "
        f"the rest {(everything / n - flac_b64 - 4 / 3 * analysis / n) / wav:.2f}x"
    )
    panel.close()

    opus = aw.AudioPanel(audio_format="opus")
    for i, x in enumerate(sample):
        opus.log({f"group-{i % GROUPS}": aw.Audio(x, RATE)}, step=i // GROUPS, run="run-0")
    opus_models = [m for page in opus._pages for m in page.clips]
    opus_audio = 4 / 3 * sum(len(m.data) for m in opus_models) / len(sample)
    opus_ratio = notebook_bytes(opus) / len(sample) / wav
    print(
        f"notebook with audio_format='opus': {opus_ratio:.3f}x IPython.display.Audio "
        f"(target <= 0.1); Opus audio alone {opus_audio / wav:.3f}x"
    )


if __name__ == "__main__":
    main()
