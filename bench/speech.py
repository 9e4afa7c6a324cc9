"""A speech-like test signal shared by the benchmarks (no downloads)."""

from __future__ import annotations

import numpy as np


def speech_like(seconds: float, rate: int = 48000, seed: int = 0) -> np.ndarray:
    """Voiced syllables with a moving pitch and formants, pauses, and a -55 dBFS noise floor.

    It compresses under FLAC about as recorded speech does (its noise floor is
    that of a decent microphone), so byte ratios measured on it are honest.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = 120 + 25 * np.sin(2 * np.pi * 0.37 * t) + 10 * np.sin(2 * np.pi * 2.1 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    formant = 600 + 400 * np.sin(2 * np.pi * 1.3 * t)
    voiced = np.zeros(n)
    for h in range(1, 30):
        weight = np.exp(-(((h * f0 - formant) / 500) ** 2)) + 0.3 / h
        voiced += weight * np.sin(h * phase)
    envelope = np.clip(np.sin(2 * np.pi * 3.2 * t + np.sin(2 * np.pi * 0.3 * t)), 0, None) ** 0.5
    pauses = (np.sin(2 * np.pi * 0.15 * t) > -0.6).astype(float)
    fricatives = rng.normal(0, 1, n) * (np.sin(2 * np.pi * 3.2 * t + 2.0) > 0.8) * 0.05
    x = 0.08 * voiced * envelope * pauses + fricatives * pauses + rng.normal(0, 10 ** (-55 / 20), n)
    return x.astype(np.float32)
