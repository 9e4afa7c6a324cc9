"""A speech-like test signal shared by the benchmarks (no downloads)."""

from __future__ import annotations

import numpy as np


def speech_like(seconds: float, rate: int = 48000, seed: int = 0) -> np.ndarray:
    """Voiced syllables with a moving pitch and formants, pauses, and a -55 dBFS noise floor.

    Its white noise floor and broadband fricatives make it harder to compress
    than clean recorded speech: FLAC takes 0.60 of its 16-bit WAV, where eight
    recorded utterances at 48 kHz (the voice prompts that ship with ALSA) take
    0.32-0.41. Ratios against the audio's own size (FLAC or notebook bytes
    against WAV) therefore come out high on it, and ratios against the FLAC
    bytes (analysis arrays against the audio) low; ``bench/recorded.py``
    measures both on real files.
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
