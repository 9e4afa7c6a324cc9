"""Pure numpy analysis of clips. Knows nothing of widgets.

Entry points:

- :func:`waveform_peaks`: min/max per bucket per channel, int16-quantized,
  the data behind every drawn waveform (the browser never reads samples).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["CARD_PEAK_BUCKETS", "waveform_peaks"]

#: Buckets of the coarse waveform level drawn on each card (enough for a
#: full-width card without reading samples in the browser).
CARD_PEAK_BUCKETS = 400


def waveform_peaks(samples: npt.ArrayLike, buckets: int) -> npt.NDArray[np.int16]:
    """Min and max of each of ``buckets`` equal slices, per channel, as int16.

    ``samples`` is ``(frames, channels)`` in full-scale units (1.0 = full
    scale). Values beyond full scale are drawn at full scale. Clips shorter
    than ``buckets`` frames get one bucket per frame.

    Returns an array of shape ``(channels, buckets, 2)`` holding ``[min, max]``
    scaled so that 32767 is full scale.

    Examples:
        >>> import numpy as np
        >>> x = np.array([[0.0], [1.0], [-0.5], [0.25]], dtype=np.float32)
        >>> waveform_peaks(x, 2)[0].tolist()
        [[0, 32767], [-16384, 8192]]
    """
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    frames = x.shape[0]
    if frames == 0:
        raise ValueError("cannot compute waveform peaks of an empty clip")
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    n = min(buckets, frames)
    starts = (np.arange(n, dtype=np.int64) * frames) // n
    lows = np.minimum.reduceat(x, starts, axis=0)
    highs = np.maximum.reduceat(x, starts, axis=0)
    pairs = np.stack([lows.T, highs.T], axis=-1).astype(np.float64)
    return np.round(np.clip(pairs, -1.0, 1.0) * 32767).astype(np.int16)
