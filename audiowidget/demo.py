"""Built-in demo data: synthetic "model outputs" that improve with training.

Nothing is downloaded. Each run is a pretend model whose output at a step is
a harmonic sound (a sung vowel for ``tts/vowel``, a chord for ``music/chord``)
degraded by noise, harmonic jitter and a buzzy spurious partial. Better runs
lose those faster over steps, so you *hear* training progress.

Examples:
    >>> from audiowidget.demo import demo_panel
    >>> panel = demo_panel()
    >>> panel.runs
    ['baseline', 'bigger-model', 'bigger-model+ema']
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

from .clip import Audio
from .widget import AudioPanel

__all__ = ["DEMO_GROUPS", "DEMO_RUNS", "DEMO_STEPS", "SAMPLE_RATE", "demo_panel", "synthesize"]

SAMPLE_RATE = 22050
DEMO_STEPS = (0, 250, 500, 750, 1000)
#: run name -> (best quality it reaches, steps it takes to get 63 % of the way there)
DEMO_RUNS = {
    "baseline": (0.55, 600.0),
    "bigger-model": (0.85, 400.0),
    "bigger-model+ema": (0.97, 300.0),
}
#: group key -> caption
DEMO_GROUPS = {"tts/vowel": "sung vowel /a/ at 220 Hz", "music/chord": "G major chord"}
#: group key -> (is a chord, fundamentals in Hz)
_SOURCES = {"tts/vowel": (False, [220.0]), "music/chord": (True, [196.0, 246.94, 293.66])}


def quality(run: str, step: int) -> float:
    """0 (untrained noise) … 1 (clean) for ``run`` at ``step``."""
    ceiling, tau = DEMO_RUNS[run]
    return float(ceiling * (1.0 - np.exp(-step / tau)))


def synthesize(
    run: str, group: str, step: int, seconds: float = 2.0, sample_rate: int = SAMPLE_RATE
) -> npt.NDArray[np.float32]:
    """The demo clip of ``run`` for ``group`` at ``step``: float32 mono at -12 dBFS-ish peaks.

    Examples:
        >>> x = synthesize("baseline", "tts/vowel", 0)
        >>> x.dtype, x.shape
        (dtype('float32'), (44100,))
    """
    rng = np.random.default_rng(zlib.crc32(f"{run}|{group}|{step}".encode()))
    q = quality(run, step)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    chord, fundamentals = _SOURCES[group]
    signal = np.zeros_like(t)
    for f0 in fundamentals:
        vibrato = 1.0 + 0.006 * np.sin(2 * np.pi * 5.5 * t) * (not chord)
        jitter = 1.0 + (1.0 - q) * 0.02 * np.cumsum(rng.normal(0, 1, t.size)) / np.sqrt(t.size)
        phase = 2 * np.pi * np.cumsum(f0 * vibrato * jitter) / sample_rate
        for h in range(1, 13):
            # formant-ish spectral envelope: vowel /a/ peaks near 700 Hz and 1200 Hz
            freq = f0 * h
            envelope = np.exp(-(((freq - 700) / 350) ** 2)) + 0.6 * np.exp(
                -(((freq - 1200) / 300) ** 2)
            )
            amp = (0.25 + envelope) / h
            inharmonic = 1.0 + (1.0 - q) * 0.015 * rng.normal()
            signal += amp * np.sin(h * inharmonic * phase + rng.uniform(0, 2 * np.pi))
        buzz = (1.0 - q) * 0.35 * np.sign(np.sin(2 * np.pi * (f0 * 3.17) * t))
        signal += buzz
    attack = np.minimum(1.0, t / 0.05) * np.minimum(1.0, (t[-1] - t) / 0.15)
    signal *= attack / max(1e-9, float(np.max(np.abs(signal))))
    noise = rng.normal(0, 1, t.size)
    noise = np.convolve(noise, np.ones(3) / 3, mode="same")  # slightly colored hiss
    out = 0.25 * signal + (1.0 - q) * 0.08 * noise
    return out.astype(np.float32)


def demo_panel(steps: tuple[int, ...] = DEMO_STEPS) -> AudioPanel:
    """A panel with 3 runs × 2 groups × 5 steps of synthetic audio.

    Examples:
        >>> panel = demo_panel(steps=(0, 1000))
        >>> panel.groups
        ['tts/vowel', 'music/chord']
    """
    panel = AudioPanel()
    for step in steps:
        for run in DEMO_RUNS:
            panel.log(
                {
                    group: Audio(
                        synthesize(run, group, step),
                        sample_rate=SAMPLE_RATE,
                        caption=caption,
                    )
                    for group, caption in DEMO_GROUPS.items()
                },
                step=step,
                run=run,
            )
    return panel
