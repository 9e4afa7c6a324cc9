"""Analysis speed and size, against librosa and pyloudnorm in the same process.

On one 6-minute 48 kHz speech-like clip, given to both sides as the same float32
array, prints (medians of 5 warm runs; the full analysis and librosa's subset are
timed in turns):

- full audiowidget analysis (peaks + spectrum frames + average spectrum + every
  statistic including loudness) vs librosa's ``stft(n_fft=2048, hop=1600)`` +
  ``amplitude_to_db`` + ``feature.rms``; target >= 3x faster; the same
  analysis on one thread; then each part alone (spectrum, loudness, sample
  statistics) and the spectrum's FFTs alone, the same transforms librosa's
  STFT makes, on one thread and on two;
- integrated loudness alone vs ``pyloudnorm``; target >= 3x faster, equal results
  (and our blocks and gates fed with pyloudnorm's own filter output, which shows
  that what differs is only its filter design);
- analysis bytes per audio-second that reach the notebook vs the encoded
  (FLAC 16-bit) audio; target <= 20 %.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import librosa
import numpy as np
import pyloudnorm
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).parent))

from speech import speech_like

import audiowidget as aw
import audiowidget.analysis as analysis_module
from audiowidget.analysis import (
    SPECTRUM_BINS,
    _fft,
    _gated_loudness,
    _lanes,
    _levels,
    _loudness,
    _start_spectrum,
    analyze_samples,
    integrated_loudness,
)
from audiowidget.store import Key
from audiowidget.widget import ClipModel

RATE = 48000
SECONDS = 360


def median_time(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paired_medians(
    ours: Callable[[], object], theirs: Callable[[], object], runs: int = 5
) -> tuple[float, float]:
    """Medians of ``runs`` timings of each, taken in turns, so a drift in the
    machine's speed weighs on both sides alike."""
    a, b = [], []
    for _ in range(runs):
        a.append(median_time(ours, 1))
        b.append(median_time(theirs, 1))
    return statistics.median(a), statistics.median(b)


def librosa_subset(y: np.ndarray) -> None:
    spectrum = librosa.stft(y, n_fft=2048, hop_length=1600)
    librosa.amplitude_to_db(np.abs(spectrum))
    librosa.feature.rms(y=y)


def main() -> None:
    clip = aw.Audio(speech_like(SECONDS, RATE), RATE)
    encoding = clip.encode().encoding
    # both sides get the same float32 samples, already in memory
    x = clip.to_numpy()
    y = x[:, 0]
    # warm up both sides (librosa compiles with numba on first use)
    librosa_subset(y[: RATE * 5])
    analyze_samples(x[: RATE * 5], RATE, encoding=encoding)

    # as analyze() and log() do: the clip knows its peak from when it was made
    ours, theirs = paired_medians(
        lambda: analyze_samples(x, RATE, encoding=encoding, peak=clip.peak),
        lambda: librosa_subset(y),
    )
    print(f"clip: {SECONDS} s at {RATE} Hz, mono, speech-like")
    print(
        f"full analysis {ours:.3f} s, librosa subset {theirs:.3f} s: "
        f"audiowidget is {theirs / ours:.2f}x faster (target >= 3)"
    )
    workers = analysis_module._WORKERS
    analysis_module._WORKERS = 1  # everything in the calling thread, as librosa works
    alone = median_time(lambda: analyze_samples(x, RATE, encoding=encoding, peak=clip.peak))
    analysis_module._WORKERS = workers
    print(
        f"  on one thread the full analysis takes {alone:.3f} s ({theirs / alone:.2f}x faster "
        f"than librosa's subset); the worker threads make it {alone / ours:.2f}x as fast"
    )

    # Where the time goes: each part alone, and the spectrum's FFTs alone on arrays made ready
    # beforehand (the same 10,800 transforms of 2048 points as librosa's STFT), on one thread
    # and then split over two.
    lanes = _lanes(x)
    t_spectrum = median_time(lambda: _start_spectrum(lanes, RATE, SPECTRUM_BINS)())
    t_loudness = median_time(lambda: _loudness(lanes, RATE))
    t_levels = median_time(lambda: _levels(x, RATE))
    print(
        f"  each part alone: spectrum {t_spectrum:.3f} s, loudness {t_loudness:.3f} s, "
        f"sample statistics {t_levels:.3f} s (sum {t_spectrum + t_loudness + t_levels:.3f} s; "
        "the analysis overlaps them on the worker threads)"
    )
    fft = _fft()
    frames = np.ascontiguousarray(sliding_window_view(y, 2048)[::1600])
    t_frames = median_time(lambda: fft.rfft(frames, axis=1))
    half = len(frames) // 2
    with ThreadPoolExecutor(2) as pool:
        t_two = median_time(
            lambda: list(pool.map(lambda f: fft.rfft(f, axis=1), (frames[:half], frames[half:])))
        )
    print(
        f"  the spectrum's FFTs alone: {t_frames:.3f} s on one thread, {t_two:.3f} s on two "
        f"({t_frames / t_two:.2f}x); librosa's whole subset takes {theirs / t_frames:.1f}x "
        "as long as they do on one thread"
    )

    ours_l = median_time(lambda: integrated_loudness(x, RATE))
    meter = pyloudnorm.Meter(RATE)
    x64 = x.astype(np.float64)
    theirs_l = median_time(lambda: meter.integrated_loudness(x64))
    a, b = integrated_loudness(x, RATE), meter.integrated_loudness(x64)
    print(
        f"loudness {ours_l:.3f} s, pyloudnorm {theirs_l:.3f} s: "
        f"{theirs_l / ours_l:.2f}x faster (target >= 3); {a:.3f} vs {b:.3f} LUFS "
        f"(difference {abs(a - b):.3f} LU)"
    )
    # the difference is the filter design: pyloudnorm's high-pass numerator is 0.995, the
    # standard's is 1.0. With pyloudnorm's own filters our blocks and gates give its number.
    weighted = x64
    for stage in meter._filters.values():
        weighted = scipy.signal.lfilter(stage.b, stage.a, weighted, axis=0)
    same = _gated_loudness(weighted, RATE)
    print(
        f"  given pyloudnorm's filters: {same:.4f} vs {b:.4f} LUFS "
        f"(difference {abs(same - b):.1e} LU)"
    )

    model = ClipModel.from_audio(Key("speech", 0, "run", 0), clip)
    analysis_bytes = sum(len(v["data"]) for v in model.arrays.values())
    audio_bytes = len(model.audio)
    print(
        f"encoded audio {audio_bytes / SECONDS / 1000:.1f} kB/s ({encoding}), analysis "
        f"{analysis_bytes / SECONDS / 1000:.2f} kB/s: ratio {analysis_bytes / audio_bytes:.3f} "
        "(target <= 0.20)"
    )
    model.close()


if __name__ == "__main__":
    main()
