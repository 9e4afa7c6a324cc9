"""audiowidget: compare audio across ML runs and training steps in Jupyter.

Entry points:

- :class:`Audio`: one clip from a path, file bytes, numpy array, torch-like
  tensor or nested list, validated and losslessly encoded (FLAC).
- :class:`AudioPanel`: log clips per run, group and step (like ``wandb.log``)
  and show players with run colors, step sliders and an Analyze view.
- :func:`analyze`: statistics, waveform peaks and spectrum frames of a clip,
  computed in numpy (see :mod:`audiowidget.analysis` for the definitions).

Examples:
    >>> import numpy as np, audiowidget as aw
    >>> panel = aw.AudioPanel()
    >>> x = 0.1 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    >>> panel.log({"tts/hello": aw.Audio(x, sample_rate=16000)}, step=0, run="baseline")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .analysis import Analysis, analyze
from .clip import Audio, AudioWarning, EncodedAudio
from .widget import AudioPanel

try:
    __version__ = version("audiowidget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Analysis",
    "Audio",
    "AudioPanel",
    "AudioWarning",
    "EncodedAudio",
    "__version__",
    "analyze",
]
