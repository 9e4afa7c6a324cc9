"""Pure numpy analysis of clips. Knows nothing of widgets.

Entry points:

- :func:`analyze` computes everything below for one clip and returns an
  :class:`Analysis` (afresh on every call: nothing is cached);
- :func:`waveform_peaks`: min/max per bucket per channel, int16-quantized;
- :func:`spectrum_frames`: the log-frequency spectrum, ~30 frames a second;
- :func:`integrated_loudness`: ITU-R BS.1770-4 loudness in LUFS.

Definitions (full scale is 1.0 for floats and the type's full scale for
integers; dB values are 20·log10 of amplitudes):

- **Peak** (dBFS): max |x| over all channels (also per channel), the true
  value even above full scale.
- **RMS** (dBFS): sqrt(mean x²) over all samples; a full-scale sine reads
  -3.01 dBFS.
- **Crest factor** (dB): peak dB - RMS dB.
- **Dynamic range** (dB): 95th minus 10th percentile of the RMS levels of
  50 ms windows, counting only windows above -70 dBFS; ``None`` if fewer than
  two.
- **Integrated loudness** (LUFS): ITU-R BS.1770-4 (K-weighting, 400 ms blocks
  with 75 % overlap, absolute -70 LUFS and relative -10 LU gates); ``None``
  for clips shorter than 400 ms, and below 3364 Hz, where the K-weighting's
  1.68 kHz shelf lies above Nyquist.
- **DC offset**: the mean of all samples, in full-scale units.
- **Clipped samples**: samples at or beyond full scale (for integer sources,
  the type's extreme values).
- **Silence**: the share of 50 ms windows below -60 dBFS RMS.
- **Spectrum frames**: Hann window, FFT length the power of two nearest to
  46 ms, about 30 frames a second (frame *i* centred at *i* / fps), magnitude
  in dB such that a full-scale sine reads 0 dB, on 256 log-spaced bins from
  20 Hz to Nyquist (each bin shows the strongest FFT bin inside it; bins
  narrower than the FFT resolution are interpolated), quantized to uint8 over
  a fixed -120…0 dB range, the same for every clip. Multichannel: mean power
  over channels.
- **Average spectrum**: mean power over all frames per bin, in dB, float32.

Silence has a level of -inf dB: ``peak_dbfs``, ``rms_dbfs`` and
``loudness_lufs`` are then ``-inf``, and the crest factor, undefined, is
``None``. Levels far above full scale are true values too: samples beyond
2**50 are analyzed scaled down by a power of two (exact) and every level is
shifted back. NaN, Inf and values beyond float32 are an error.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

if TYPE_CHECKING:
    from .clip import Audio

__all__ = [
    "CARD_PEAK_BUCKETS",
    "SPECTRUM_BINS",
    "SPECTRUM_DB_RANGE",
    "WAVEFORM_BUCKETS",
    "Analysis",
    "analyze",
    "channel_weights",
    "coarsen_peaks",
    "integrated_loudness",
    "spectrum_frames",
    "waveform_peaks",
]

Float32Array = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]

#: Buckets of the coarse waveform level drawn on each card.
CARD_PEAK_BUCKETS = 400
#: Buckets of the fine waveform level: one per pixel of a 1600 px wide view.
WAVEFORM_BUCKETS = 1600
#: Log-spaced spectrum bins from 20 Hz to Nyquist.
SPECTRUM_BINS = 256
#: The fixed dB range that spectrum frames are quantized over.
SPECTRUM_DB_RANGE = (-120.0, 0.0)
SPECTRUM_FPS = 30.0
_LOWEST_HZ = 20.0
_SHELF_HZ = 1681.974450955533  # centre of the K-weighting's high shelf
_WINDOW_S = 0.050  # statistics windows
_SILENCE_DBFS = -60.0
_GATE_DBFS = -70.0
_FRAMES_PER_CHUNK = 128  # spectrum frames transformed at once (stays in cache)
_LEVELS_BLOCK = 1 << 17  # samples the sample statistics reduce at once (stays in cache)
_TINY = 1e-20
# Peaks beyond 2**50 (an exploding model's output, 300 dB over full scale) are analyzed scaled
# down by a power of two, which is exact, and every level is shifted back: float32 sums of
# squares would overflow from about 2**60 on.
_HUGE = 2.0**50
_DB_PER_EXPONENT = 20 * math.log10(2)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_SERIAL_PRODUCT = 1 << 18  # m * n * k of the largest matrix product BLAS runs unthreaded
# numpy releases the GIL in FFTs and array loops: spans of frames go to every core.
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_POOL: ThreadPoolExecutor | None = None
_POOL_PID = 0  # the process the pool's threads live in (a forked child has none of them)
_FFT: Any = None


def _fft() -> Any:
    """``scipy.fft`` when SciPy is installed, else ``numpy.fft``: the same pocketfft algorithm.

    SciPy's build transforms several rows at once with SIMD, which makes the
    analysis 2-3x faster; the results agree to float32 rounding.
    """
    global _FFT
    if _FFT is None:
        try:
            import scipy.fft as module
        except ImportError:  # SciPy is optional
            module = np.fft
        _FFT = module
    return _FFT


def _start(jobs: list[Callable[[], None]], queue: bool = False) -> Callable[[], None]:
    """Start ``jobs`` on the worker threads; returns a function that waits for them all.

    A single job (unless ``queue``), or any job on a one-core machine, runs at
    once in this thread: handing it over would only add latency (short clips
    are analyzed this way from start to end).
    """
    global _POOL, _POOL_PID
    if _WORKERS == 1 or (len(jobs) == 1 and not queue):
        for job in jobs:
            job()
        return lambda: None
    if _POOL is None or os.getpid() != _POOL_PID:
        # a child forked after the pool started inherits the pool but not its threads:
        # submitting to it would wait forever, so the child starts its own
        _POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="audiowidget-analysis")
        _POOL_PID = os.getpid()
    futures = [_POOL.submit(job) for job in jobs]

    def wait() -> None:
        for future in futures:
            future.result()

    return wait


@dataclass(frozen=True)
class Analysis:
    """Everything audiowidget shows about one clip (see the module docstring for definitions).

    Examples:
        >>> import numpy as np
        >>> t = np.arange(48000) / 48000
        >>> a = analyze(0.5 * np.sin(2 * np.pi * 1000 * t), 48000)
        >>> round(a.peak_dbfs, 2), round(a.rms_dbfs, 2), round(a.crest_factor_db, 2)
        (-6.02, -9.03, 3.01)
    """

    peak_dbfs: float
    peak_dbfs_per_channel: tuple[float, ...]
    rms_dbfs: float
    crest_factor_db: float | None
    dynamic_range_db: float | None
    loudness_lufs: float | None
    dc_offset: float
    clipped_samples: int
    silence_ratio: float
    duration: float
    sample_rate: int
    channels: int
    encoding: str
    peaks: npt.NDArray[np.int16]
    spectrum_frames: npt.NDArray[np.uint8]
    spectrum_frequencies: Float32Array
    spectrum_fps: float
    average_spectrum: Float32Array

    def scalars(self) -> dict[str, Any]:
        """Every field that is not an array (the statistics, and the spectrum's frame rate),
        as plain Python values."""
        arrays = {"peaks", "spectrum_frames", "spectrum_frequencies", "average_spectrum"}
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name not in arrays:
                value = getattr(self, name)
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def __repr__(self) -> str:
        loud = "n/a" if self.loudness_lufs is None else f"{self.loudness_lufs:.1f} LUFS"
        return (
            f"Analysis({self.duration:.2f} s, {self.sample_rate} Hz, peak {self.peak_dbfs:.1f} "
            f"dBFS, RMS {self.rms_dbfs:.1f} dBFS, {loud})"
        )


def _db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _samples(samples: npt.ArrayLike) -> tuple[Float32Array, float]:
    """``samples`` as float32 ``(frames, channels)`` in full-scale units, and max |x|.

    Arrays are read as :class:`audiowidget.Audio` reads them: ``(frames,)``,
    ``(frames, channels)`` or ``(channels, frames)``, integer types scaled by
    their full scale (int16 / 32768, ...). Empty input, NaN, Inf and values
    beyond float32 are an error.
    """
    from .clip import _as_array, _frames_channels, _to_float32  # clip imports this module
    from .clip import _peak as _source_peak

    x = _frames_channels(_as_array(samples))
    peak = _source_peak(x)  # in full-scale units for every type
    if x.dtype.kind == "f":
        check_values(x, peak)
    return np.ascontiguousarray(x if x.dtype == np.float32 else _to_float32(x)), peak


def _rate(sample_rate: object) -> int:
    """``sample_rate`` checked as :class:`audiowidget.Audio` checks it."""
    from .clip import _check_rate

    return _check_rate(sample_rate, "sample_rate")


def check_values(samples: npt.NDArray[Any], peak: float) -> None:
    """Refuse samples holding NaN or Inf, or beyond float32 (``peak``: their max |x|).

    Shared by :class:`audiowidget.Audio` and the analysis functions.
    """
    if not math.isfinite(peak):
        nan = int(np.count_nonzero(np.isnan(samples)))
        inf = int(np.count_nonzero(np.isinf(samples)))
        raise ValueError(
            f"audio contains {nan} NaN and {inf} Inf values (of {samples.size} samples): NaN or "
            "Inf cannot be played or analyzed; fix the model output or replace them, "
            "e.g. np.nan_to_num(x)"
        )
    if peak > _FLOAT32_MAX:
        raise ValueError(
            f"audio reaches {peak:.3g}, beyond the float32 range (3.4e38) it is analyzed in; "
            "scale it down first"
        )


def _scaled(x: Float32Array, peak: float) -> tuple[Float32Array, int]:
    """``x`` scaled down by ``2**exponent`` and the exponent: 0 (``x`` itself) unless huge."""
    if peak <= _HUGE:
        return x, 0
    exponent = math.frexp(peak)[1]
    return np.ldexp(x, -exponent), exponent


def waveform_peaks(samples: npt.ArrayLike, buckets: int) -> npt.NDArray[np.int16]:
    """Min and max of each of ``buckets`` equal slices, per channel, as int16.

    ``samples`` is read as :class:`audiowidget.Audio` reads arrays (floats in
    full-scale units, integer types scaled by their full scale; ``(frames,)``,
    ``(frames, channels)`` or ``(channels, frames)``). Values beyond full
    scale are drawn at full scale. Clips shorter than ``buckets`` frames get
    one bucket per frame.

    Returns an array of shape ``(channels, buckets, 2)`` holding ``[min, max]``
    scaled so that 32767 is full scale.

    Examples:
        >>> import numpy as np
        >>> x = np.array([[0.0], [1.0], [-0.5], [0.25]], dtype=np.float32)
        >>> waveform_peaks(x, 2)[0].tolist()
        [[0, 32767], [-16384, 8192]]
    """
    if isinstance(buckets, bool) or not isinstance(buckets, numbers.Integral) or buckets < 1:
        raise ValueError(f"buckets must be a whole number above 0, got {buckets!r}")
    return _quantize_peaks(*_bucket_extremes(_samples(samples)[0], int(buckets)))


def _bucket_extremes(
    x: npt.NDArray[Any], buckets: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Min and max of ``min(buckets, frames)`` equal slices of ``x`` (frames, channels)."""
    frames = x.shape[0]
    if frames == 0:
        raise ValueError("cannot compute waveform peaks of an empty clip")
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    starts = _bucket_starts(frames, buckets)
    return np.minimum.reduceat(x, starts, axis=0), np.maximum.reduceat(x, starts, axis=0)


def _bucket_starts(length: int, buckets: int) -> npt.NDArray[np.int64]:
    """Where each of ``min(buckets, length)`` equal slices of ``length`` items starts."""
    n = min(buckets, length)
    return (np.arange(n, dtype=np.int64) * length) // n


def _quantize_peaks(lows: npt.NDArray[Any], highs: npt.NDArray[Any]) -> npt.NDArray[np.int16]:
    pairs = np.stack([lows.T, highs.T], axis=-1).astype(np.float64)
    return np.round(np.clip(pairs, -1.0, 1.0) * 32767).astype(np.int16)


def coarsen_peaks(peaks: npt.NDArray[np.int16], buckets: int) -> npt.NDArray[np.int16]:
    """A coarser level of :func:`waveform_peaks` output: min of mins, max of maxes.

    Examples:
        >>> import numpy as np
        >>> fine = waveform_peaks(np.sin(np.linspace(0, 20, 8000))[:, None], 1600)
        >>> coarsen_peaks(fine, 400).shape
        (1, 400, 2)
    """
    starts = _bucket_starts(peaks.shape[1], buckets)
    lows = np.minimum.reduceat(peaks[..., 0], starts, axis=1)
    highs = np.maximum.reduceat(peaks[..., 1], starts, axis=1)
    return np.stack([lows, highs], axis=-1)


def fft_length(sample_rate: int) -> int:
    """The power of two nearest to 46 ms at ``sample_rate``.

    Examples:
        >>> fft_length(48000), fft_length(22050), fft_length(16000)
        (2048, 1024, 512)
    """
    target = 0.046 * sample_rate
    low = 2 ** max(0, math.floor(math.log2(target)))
    return int(low if target - low <= 2 * low - target else 2 * low)


def spectrum_frequencies(sample_rate: int, bins: int = SPECTRUM_BINS) -> Float32Array:
    """Centres (geometric means of the edges) of ``bins`` log-spaced bins from 20 Hz to Nyquist."""
    edges = np.geomspace(_LOWEST_HZ, sample_rate / 2, bins + 1)
    return np.sqrt(edges[:-1] * edges[1:]).astype(np.float32)


class _LogBins:
    """How to map FFT power (rows: FFT bins) onto log bins, fully vectorized.

    A bin as wide as one FFT bin or more shows its strongest FFT bin: the
    maximum over a row range, taken from a sparse table (maxima of 2, 4, 8, …
    rows at each start), so each bin is the larger of two overlapping
    power-of-two ranges. A narrower bin interpolates between the two FFT bins
    around its centre.
    """

    def __init__(self, sample_rate: int, n_fft: int, bins: int) -> None:
        edges = np.geomspace(_LOWEST_HZ, sample_rate / 2, bins + 1)
        resolution = sample_rate / n_fft
        first = np.ceil(edges[:-1] / resolution).astype(np.intp)  # first FFT bin at/above the edge
        last = np.ceil(edges[1:] / resolution).astype(np.intp)  # one past its last FFT bin
        last[-1] = n_fft // 2 + 1  # Nyquist belongs to the top bin
        wide = last > first
        level = np.zeros(bins, dtype=np.intp)
        level[wide] = np.log2(last[wide] - first[wide]).astype(np.intp)
        self.levels = int(level.max())
        # per level: which bins, and the two rows whose ranges of 2**level cover each bin
        self.by_level = [
            [(sel, first[sel], last[sel] - (1 << j))]
            if (sel := np.flatnonzero(wide & (level == j))).size
            else []
            for j in range(self.levels + 1)
        ]
        # the first row each level of the table is needed from
        self.lows = [
            int(min(first[wide & (level >= j)], default=0)) for j in range(self.levels + 1)
        ]
        self.narrow = np.flatnonzero(~wide)
        centre = np.sqrt(edges[:-1] * edges[1:])[self.narrow] / resolution
        self.below = np.minimum(np.floor(centre).astype(np.intp), n_fft // 2 - 1)
        self.above = self.below + 1
        frac = (centre - self.below).astype(np.float32)[:, None]
        self.weights = (1 - frac, frac)

    def apply(self, power: Float32Array, out: Float32Array, scratch: list[Float32Array]) -> None:
        """``out[bin, frame]`` from ``power[fft_bin, frame]``.

        ``scratch`` holds two arrays at least as large as ``power``, reused from
        chunk to chunk (fresh ones would cost a page fault per 4 KB). The levels
        of the table take turns in them: each level's bins are read off it
        before the next level overwrites the one before.
        """
        w_below, w_above = self.weights
        out[self.narrow] = power[self.below] * w_below + power[self.above] * w_above
        level = power  # level[i]: the maximum of rows i .. i + 2**j - 1
        for j, groups in enumerate(self.by_level):
            if j:
                prev, low, step = level, self.lows[j], 1 << (j - 1)
                level = scratch[j % 2][:, : power.shape[1]]
                np.maximum(prev[low:-step], prev[low + step :], out=level[low:-step])
            for sel, a, b in groups:
                out[sel] = np.maximum(level[a], level[b])


@lru_cache(maxsize=16)
def _log_bins(sample_rate: int, n_fft: int, bins: int) -> _LogBins:
    """The binning plan for a rate (kept: it depends on nothing else)."""
    return _LogBins(sample_rate, n_fft, bins)


def spectrum_frames(
    samples: npt.ArrayLike, sample_rate: int, bins: int = SPECTRUM_BINS
) -> tuple[npt.NDArray[np.uint8], Float32Array, float, Float32Array]:
    """Spectrum frames of ``samples`` (read as :func:`waveform_peaks` reads them): see the
    module docstring.

    Returns ``(frames_u8, frequencies_hz, fps, average_spectrum_db)`` where
    ``frames_u8`` is ``(n_frames, bins)`` uint8 over -120…0 dB.

    Examples:
        >>> import numpy as np
        >>> t = np.arange(48000) / 48000
        >>> tone = np.sin(2 * np.pi * 1500 * t)  # full scale, on an FFT bin centre
        >>> frames, freqs, fps, avg = spectrum_frames(tone[:, None], 48000)
        >>> frames.shape, fps
        ((31, 256), 30.0)
        >>> int(frames[15].max())  # a full-scale sine reads 0 dB: the top of the uint8 range
        255
    """
    rate = _rate(sample_rate)
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
        raise ValueError(f"bins must be a whole number above 0, got {bins!r}")
    x, exponent = _scaled(*_samples(samples))
    return _start_spectrum(_lanes(x), rate, int(bins), exponent)()


def _lanes(x: Float32Array) -> list[Float32Array]:
    """Each channel of ``x`` (frames, channels) as a contiguous array (a view for mono)."""
    return [np.ascontiguousarray(x[:, ch]) for ch in range(x.shape[1])]


_Spectrum = tuple[npt.NDArray[np.uint8], Float32Array, float, Float32Array]


def _hop(sample_rate: int) -> int:
    """Samples from one spectrum frame to the next: about 1 / SPECTRUM_FPS seconds."""
    return max(1, round(sample_rate / SPECTRUM_FPS))


def _spans(n_frames: int) -> list[tuple[int, int]]:
    """The spans of spectrum frames the worker threads take: whole chunks, four per worker."""
    chunk = _FRAMES_PER_CHUNK
    per_span = max(chunk, -(-n_frames // (4 * _WORKERS) // chunk) * chunk)
    return [(f0, min(n_frames, f0 + per_span)) for f0 in range(0, n_frames, per_span)]


def _start_spectrum(
    lanes: list[Float32Array], sample_rate: int, bins: int, exponent: int = 0
) -> Callable[[], _Spectrum]:
    """Start :func:`spectrum_frames` on the worker threads; returns a function that waits for it.

    ``lanes`` are the samples times ``2**-exponent`` (see :func:`_scaled`).

    Each worker takes a span of frames and goes through it a chunk at a time
    with buffers of its own: frames are windowed as rows, transformed as
    columns (the FFT writes them out column-wise as it goes), binned, averaged
    and quantized while the chunk is in cache.
    """
    length = lanes[0].shape[0]
    channels = len(lanes)
    n_fft = fft_length(sample_rate)
    hop = _hop(sample_rate)
    n_frames = 1 + length // hop
    half = n_fft // 2
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    # |X| * 2 / sum(w) is 1.0 for a full-scale sine on a bin centre
    window *= np.float32(2.0 / window.sum())
    plan = _log_bins(sample_rate, n_fft, bins)
    lo, hi = SPECTRUM_DB_RANGE
    shift = exponent * _DB_PER_EXPONENT  # dB the scaled-down lanes read below the samples
    scale = np.float32(10 * 255 / (hi - lo))
    offset = np.float32((lo - shift) * 255 / (hi - lo))
    frames_u8 = np.empty((n_frames, bins), dtype=np.uint8)
    fft = _fft()
    chunk = _FRAMES_PER_CHUNK

    def samples_of(lane: Float32Array, c0: int, c1: int) -> Float32Array:
        """What frames c0..c1-1 cover (frame i is centred at i * hop), zeros beyond the clip."""
        lo, hi = c0 * hop - half, (c1 - 1) * hop + half
        if lo >= 0 and hi <= length:
            return lane[lo:hi]
        padded = np.zeros(hi - lo, dtype=np.float32)
        a, b = max(lo, 0), min(hi, length)
        if b > a:
            padded[a - lo : b - lo] = lane[a:b]
        return padded

    def span(f0: int, f1: int, sums: Float64Array) -> None:
        size = min(chunk, f1 - f0)
        windowed = np.empty((size, n_fft), dtype=np.float32)  # a row per frame
        power = np.empty((half + 1, size), dtype=np.float32)  # a column per frame
        part = np.empty_like(power)
        scratch = [np.empty_like(power) for _ in range(2)]
        binned = np.empty((bins, size), dtype=np.float32)
        quantized = np.empty((bins, size), dtype=np.uint8)
        ones = np.ones(size, dtype=np.float32)
        for c0 in range(f0, f1, chunk):
            c1 = min(f1, c0 + chunk)
            m = c1 - c0
            p, q = power[:, :m], part[:, :m]
            for i, lane in enumerate(lanes):
                framed = sliding_window_view(samples_of(lane, c0, c1), n_fft)[::hop]
                rows = windowed[:m]
                # copied, then windowed in place: a third faster than multiplying the strided
                # view straight into the buffer, which numpy does without its vectorized loop
                np.copyto(rows, framed)
                rows *= window
                spectrum = fft.rfft(rows.T, axis=0)  # (half + 1, m)
                # |X|^2: the real and imaginary parts squared in place, then added in pairs
                # (numpy.fft writes its output column-wise: that one is copied first)
                parts = np.ascontiguousarray(spectrum).view(np.float32)
                np.square(parts, out=parts)
                np.add(parts[:, 0::2], parts[:, 1::2], out=q if i else p)
                if i:
                    p += q
            if channels > 1:
                p *= np.float32(1 / channels)
            b = binned[:, :m]
            plan.apply(p, b, scratch)
            sums += b @ ones[:m]  # power summed over the chunk's frames, for the average
            # b + 1e-20 is b above -125 dB (all that the uint8 range shows); it keeps log10
            # finite, and costs a sixth of np.maximum with a scalar
            b += np.float32(_TINY)
            np.log10(b, out=b)
            b *= scale
            b -= offset
            np.clip(b, 0, 255, out=b)
            np.rint(b, out=b)
            q8 = quantized[:, :m]
            np.copyto(q8, b, casting="unsafe")
            frames_u8[c0:c1] = q8.T

    spans = _spans(n_frames)
    totals = [np.zeros(bins) for _ in spans]
    wait = _start(
        [partial(span, f0, f1, total) for (f0, f1), total in zip(spans, totals, strict=True)]
    )

    def finish() -> _Spectrum:
        wait()
        mean = np.sum(totals, axis=0) / n_frames
        average = (10 * np.log10(np.maximum(mean, _TINY)) + shift).astype(np.float32)
        return frames_u8, spectrum_frequencies(sample_rate, bins), sample_rate / hop, average

    return finish


def k_weighting(
    sample_rate: int,
) -> list[tuple[tuple[float, float, float], tuple[float, float, float]]]:
    """The two K-weighting biquads ``[(b, a), (b, a)]`` of ITU-R BS.1770-4 at any rate.

    Derived by the bilinear transform from the analog prototype of the
    standard's 48 kHz coefficients (the design libebur128 uses), so at 48 kHz
    they equal the published ones. The published high-pass has a passband
    gain of +0.043 dB; at other rates its numerator is scaled to keep that
    same gain, so every rate has the 48 kHz response.

    Examples:
        >>> (b, a), _ = k_weighting(48000)
        >>> [round(v, 8) for v in b], [round(v, 8) for v in a]
        ([1.53512486, -2.69169619, 1.19839281], [1.0, -1.69065929, 0.73248077])
    """
    f0, gain_db, q = _SHELF_HZ, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
    )

    def highpass_denominator(rate: int) -> tuple[float, float, float]:
        f0, q = 38.13547087602444, 0.5003270373238773
        k = math.tan(math.pi * f0 / rate)
        a0 = 1 + k / q + k * k
        return (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)

    a, a48 = highpass_denominator(sample_rate), highpass_denominator(48000)
    # gain at Nyquist is 4 / (1 - a1 + a2): keep the 48 kHz value at every rate
    scale = (1 - a[1] + a[2]) / (1 - a48[1] + a48[2])
    highpass = ((scale, -2.0 * scale, scale), a)
    return [shelf, highpass]


def _powers(m: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.float64]:
    """``m**0 … m**(count - 1)``, shape ``(count, d, d)``."""
    out = np.empty((count, *m.shape))
    out[0] = np.eye(m.shape[0])
    for i in range(1, count):
        out[i] = out[i - 1] @ m
    return out


def _runs(
    m: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Matrices for runs of ``k`` steps of ``s[i + 1] = m @ s[i] + e[i]`` (``d`` states).

    Returns ``(lift, spread, m**k)``: a run's inputs ``(k * d,)`` times ``lift``
    ``(k * d, (k + 1) * d)`` give its states ``0 … k`` as if it started from
    zero; its start state times ``spread`` ``(d, k * d)`` gives what that start
    adds to states ``0 … k - 1``. Kept per matrix (read-only): a rate's
    filter always asks for the same ones.
    """
    return _runs_of(np.ascontiguousarray(m, dtype=np.float64).tobytes(), m.shape[0], k)


@lru_cache(maxsize=64)
def _runs_of(
    m_bytes: bytes, d: int, k: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    powers = _powers(np.frombuffer(m_bytes).reshape(d, d), k + 1)
    lift = np.zeros((k, d, k + 1, d))
    for i in range(1, k + 1):
        for t in range(i):
            lift[t, :, i, :] = powers[i - 1 - t].T
    spread = powers[:k].transpose(2, 0, 1).reshape(d, k * d)
    out = (lift.reshape(k * d, (k + 1) * d), np.ascontiguousarray(spread), powers[k].copy())
    for a in out:
        a.flags.writeable = False
    return out


def _recurrence(m: npt.NDArray[np.float64], e: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """States ``r`` with ``r[0] = 0`` and ``r[j + 1] = m @ r[j] + e[j]``, for ``e`` ``(n, d)``.

    Vectorized: runs of 8 inputs are lifted at once by one matrix product, and
    the states at the start of each run follow from the same recurrence one
    level up (8 times shorter), until a single run is left.
    """
    k = 8
    n, d = e.shape
    lift, spread, mk = _runs(m, k)
    runs = -(-n // k)
    if runs * k != n:
        e = np.concatenate([e, np.zeros((runs * k - n, d))])
    z = _product(e.reshape(runs, k * d), lift, np.empty((runs, (k + 1) * d)))
    z = z.reshape(runs, k + 1, d)
    if runs > 1:
        starts = _product(_recurrence(mk, z[:, k]), spread, np.empty((runs, k * d)))
        z[:, :k] += starts.reshape(runs, k, d)
    result: npt.NDArray[np.float64] = z[:, :k].reshape(runs * k, d)[:n]
    return result


class _KWeighting:
    """The K-weighting cascade at one rate, as matrices that filter blocks of samples at once.

    The two biquads form one 4-state linear system (transposed direct form II
    each). A row of ``BLOCK`` samples is filtered exactly by matrix products:
    the response to the row itself (a lower-triangular Toeplitz matrix of the
    impulse response) plus the response to the state the row starts in. Those
    states follow from a recurrence over rows, which :func:`_recurrence` solves
    in float64 without a loop over rows. The result is the recursive IIR
    filter's: within 2e-5 of full scale of SciPy's float64 ``lfilter`` up to
    96 kHz, 1e-4 up to 768 kHz (tested), closer than that filter run in
    float32, at the speed of a matrix product.
    """

    BLOCK = 32  # samples per row of the matrix products
    GROUP = 8  # rows whose states one step of the recurrence covers

    def __init__(self, sample_rate: int) -> None:
        (b1, a1), (b2, a2) = k_weighting(sample_rate)

        def section(
            b: tuple[float, float, float], a: tuple[float, float, float]
        ) -> tuple[Float64Array, Float64Array, Float64Array, float]:
            return (
                np.array([[-a[1], 1.0], [-a[2], 0.0]]),
                np.array([b[1] - a[1] * b[0], b[2] - a[2] * b[0]]),
                np.array([1.0, 0.0]),
                b[0],
            )

        sa, sb, sc, sd = section(b1, a1)  # shelf, whose output feeds
        ha, hb, hc, hd = section(b2, a2)  # the high-pass
        a = np.zeros((4, 4))
        a[:2, :2], a[2:, 2:], a[2:, :2] = sa, ha, np.outer(hb, sc)
        b = np.concatenate([sb, hb * sd])
        c = np.concatenate([hd * sc, hc])
        d = hd * sd
        n, k = self.BLOCK, self.GROUP
        p = _powers(a, n + 1)
        h = np.concatenate([[d], [c @ p[i - 1] @ b for i in range(1, n)]])
        rows, cols = np.indices((n, n))
        toeplitz = np.where(cols >= rows, h[np.abs(cols - rows)], 0)  # a row's own response
        from_state = np.stack([c @ p[i] for i in range(n)], axis=1)  # to the state it starts in
        # a row's output: the row of samples times ``own`` plus the state it starts in times
        # ``from_state`` (two products: joining row and state first would copy every sample)
        self.own = toeplitz.astype(np.float32)  # (n, n)
        self.from_state = from_state.astype(np.float32)  # (4, n)
        # a row of samples times this: its end state, as if it started from zero
        self.to_state = np.stack([p[n - 1 - j] @ b for j in range(n)]).astype(np.float32)
        # over a group of rows, from their end states (each as if started from zero): the
        # group's end state (lift_out), and, with the state the group starts in appended,
        # the state each row starts in (lift_in)
        lift, spread, self.group_step = _runs(p[n], k)
        self.lift_out = lift[:, 4 * k :]
        self.lift_in = np.concatenate([lift[:, : 4 * k], spread])  # (4k + 4, 4k)

    def energies(self, lanes: list[Float32Array], bounds: npt.NDArray[np.intp]) -> Float64Array:
        """Sums of squares of the K-weighted lanes between ``bounds``: ``(len(bounds) - 1, lanes)``.

        Each chunk of output is squared and summed piece by piece (pieces end at
        a bound or at the chunk's end) while it is in cache; pieces of the same
        segment are added up at the end.
        """
        out = np.zeros((len(bounds) - 1, len(lanes)))
        for ch, lane in enumerate(lanes):
            # (chunk start, segment of each piece, sum of each piece): one append per chunk,
            # since chunks finish on several threads in any order
            pieces: list[tuple[int, npt.NDArray[np.intp], Float32Array]] = []

            def take(y: Float32Array, s0: int, s1: int, pieces: list[Any] = pieces) -> None:
                starts = np.concatenate([[s0], bounds[(bounds > s0) & (bounds < s1)]])
                np.square(y, out=y)
                segment = np.searchsorted(bounds, starts, side="right") - 1
                pieces.append((s0, segment, np.add.reduceat(y[: s1 - s0], starts - s0)))

            self._filter(lane, take)
            pieces.sort(key=lambda piece: piece[0])
            segment = np.concatenate([piece[1] for piece in pieces])
            inside = segment < len(out)  # pieces after the last bound are not counted
            weights = np.concatenate([piece[2] for piece in pieces])[inside]
            out[:, ch] = np.bincount(segment[inside], weights=weights, minlength=len(out))
        return out

    def apply(self, lane: Float32Array) -> Float32Array:
        """The K-weighted ``lane``."""
        y = np.empty_like(lane)

        def put(part: Float32Array, s0: int, s1: int) -> None:
            y[s0:s1] = part[: s1 - s0]

        self._filter(lane, put)
        return y

    def _filter(self, lane: Float32Array, take: Callable[[Float32Array, int, int], None]) -> None:
        """Filter ``lane`` chunk by chunk; each chunk's output goes to ``take(y, start, stop)``."""
        n, k = self.BLOCK, self.GROUP
        length = lane.shape[0]
        group = n * k
        chunk = group * 1024  # 1 MB of float32 samples: large products, few Python steps
        n_groups = -(-length // group)
        padded_length = n_groups * group

        def rows_of(s0: int) -> Float32Array:
            s1 = min(s0 + chunk, padded_length)
            if s1 <= length:
                return lane[s0:s1].reshape(-1, n)
            part = np.zeros(s1 - s0, dtype=np.float32)
            part[: length - s0] = lane[s0:length]
            return part.reshape(-1, n)

        chunks = list(range(0, padded_length, chunk))
        per_span = -(-len(chunks) // (2 * _WORKERS))
        spans = [chunks[i : i + per_span] for i in range(0, len(chunks), per_span)]
        ends = np.empty((n_groups * k, 4), dtype=np.float32)
        group_ends = np.empty((n_groups, 4))

        def ends_of(starts: list[int]) -> None:  # each row's end state from zero, and each group's
            wide = np.empty((chunk // group, 4 * k))
            for s0 in starts:
                rows = rows_of(s0)
                r0, g0, g = s0 // n, s0 // group, len(rows) // k
                part = _product(rows, self.to_state, ends[r0 : r0 + len(rows)])
                np.copyto(wide[:g], part.reshape(-1, 4 * k))
                _product(wide[:g], self.lift_out, group_ends[g0 : g0 + g])

        _start([partial(ends_of, span) for span in spans])()
        group_starts = _recurrence(self.group_step, group_ends)  # the state each group starts in

        def output_of(starts: list[int]) -> None:
            given = np.empty((chunk // group, 4 * k + 4))  # row end states, and the group's start
            state = np.empty((chunk // group, 4 * k))  # each row's start state
            starts32 = np.empty((chunk // n, 4), dtype=np.float32)  # each row's start state
            y = np.empty((chunk // n, n), dtype=np.float32)
            y_state = np.empty_like(y)  # the part of each row's output due to its start state
            for s0 in starts:
                rows = rows_of(s0)
                r0, g0, g, r = s0 // n, s0 // group, len(rows) // k, len(rows)
                np.copyto(given[:g, : 4 * k], ends[r0 : r0 + r].reshape(-1, 4 * k))
                given[:g, 4 * k :] = group_starts[g0 : g0 + g]
                _product(given[:g], self.lift_in, state[:g])
                np.copyto(starts32[:r], state[:g].reshape(-1, 4))
                out = _product(rows, self.own, y[:r])
                out += _product(starts32[:r], self.from_state, y_state[:r])
                s1 = min(s0 + chunk, length)
                if s1 > s0:
                    take(out.reshape(-1), s0, s1)

        _start([partial(output_of, span) for span in spans])()


def _product(a: npt.NDArray[Any], b: npt.NDArray[Any], out: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``a @ b`` into ``out``, as a stack of products that BLAS each runs on this thread.

    OpenBLAS spreads a product over its own threads once ``m * n * k``
    exceeds 2**18; from the worker threads that would only add threads
    fighting for the same cores (and spinning while they wait). The rows go
    to numpy as one stack of such products rather than one call each, and
    numpy loops over the stack itself: measured, two workers then run the
    K-weighting's products 1.9x as fast as one, where one call per product
    ran them no faster on two workers than on one.
    """
    rows = a.shape[0]
    step = 1 << max(0, (_SERIAL_PRODUCT // (b.shape[0] * b.shape[1])).bit_length() - 1)
    whole = rows - rows % step if out.flags.c_contiguous and step > 1 else 0
    if whole:
        stack = (whole // step, step)
        np.matmul(a[:whole].reshape(*stack, -1), b, out=out[:whole].reshape(*stack, -1))
    for i in range(whole, rows, step):
        np.matmul(a[i : i + step], b, out=out[i : i + step])
    return out


@lru_cache(maxsize=16)
def _k_filter(sample_rate: int) -> _KWeighting:
    """The K-weighting matrices for a rate (kept: they depend on nothing else)."""
    return _KWeighting(sample_rate)


def integrated_loudness(samples: npt.ArrayLike, sample_rate: int) -> float | None:
    """Integrated loudness in LUFS by ITU-R BS.1770-4; ``None`` below 400 ms.

    Each channel counts with its BS.1770 weight by the layout its count
    implies (see :func:`channel_weights`): surrounds 1.41, the LFE channel
    of 5.1 and 7.1 not at all. Silence gives ``-inf``.

    Examples:
        >>> import numpy as np
        >>> t = np.arange(48000 * 2) / 48000
        >>> round(integrated_loudness(0.5 * np.sin(2 * np.pi * 997 * t), 48000), 2)
        -9.03
    """
    rate = _rate(sample_rate)
    x, peak = _samples(samples)
    if x.shape[0] < 0.4 * rate or not _k_weighting_defined(rate):
        return None
    x, exponent = _scaled(x, peak)
    return _loudness(_lanes(x), rate, exponent)


def _loudness(lanes: list[Float32Array], sample_rate: int, exponent: int = 0) -> float:
    """Integrated loudness of channels given as contiguous lanes, at least 400 ms long.

    ``lanes`` are the samples times ``2**-exponent`` (see :func:`_scaled`).
    """
    frames = lanes[0].shape[0]
    bounds = np.arange(_loudness_blocks(frames, sample_rate) + 4) * sample_rate // 10
    energy = _k_filter(sample_rate).energies(lanes, bounds)
    return _gate(np.ldexp(energy, 2 * exponent), frames, sample_rate)


def _k_weighting_defined(sample_rate: int) -> bool:
    """Whether the K-weighting's shelf (centred at 1682 Hz) lies below Nyquist.

    Below about 3.4 kHz it does not, the bilinear design is unstable, and
    BS.1770 loudness is undefined.
    """
    return sample_rate > 2 * _SHELF_HZ


def _k_weighted(x: Float32Array, sample_rate: int) -> Float32Array:
    """K-weighted ``x`` (frames, channels)."""
    kw = _k_filter(sample_rate)
    return np.stack([kw.apply(lane) for lane in _lanes(x)], axis=1)


def _gated_loudness(y: npt.NDArray[Any], sample_rate: int) -> float:
    """BS.1770-4 blocks and gates over K-weighted ``y`` (frames, channels), at least 400 ms."""
    frames = y.shape[0]
    bounds = np.minimum(
        np.arange(_loudness_blocks(frames, sample_rate) + 4) * sample_rate // 10, frames
    )
    starts = bounds[:-1][bounds[:-1] < frames]
    energy = np.add.reduceat(np.square(y[: bounds[-1]], dtype=np.float64), starts, axis=0)
    return _gate(energy, frames, sample_rate)


def channel_weights(channels: int) -> Float64Array:
    """BS.1770-4 loudness weights of ``channels`` channels in their usual order.

    A clip carries no speaker positions, so the count stands for the layout,
    in the channel order of WAV and FLAC files. Up to six channels this is
    the default channel map of libebur128, the reference meter. Channels 60
    to 120 degrees off centre (the surrounds of 5.1, the sides of 7.1) weigh
    1.41, the low-frequency effects channel (LFE) is left out as the standard
    asks, and every other channel weighs 1.0 (libebur128 leaves channels past
    the sixth out; 7.1's rear pair counts here).

    ========  ==========================  =====================================
    channels  layout                      weights
    ========  ==========================  =====================================
    1-3       mono; L R; L R C            1.0 each
    4         quad: L R Ls Rs             1.0 1.0 1.41 1.41
    5         5.0: L R C Ls Rs            1.0 1.0 1.0 1.41 1.41
    6         5.1: L R C LFE Ls Rs        1.0 1.0 1.0 0 1.41 1.41
    8         7.1: L R C LFE Lb Rb Ls Rs  1.0 1.0 1.0 0 1.0 1.0 1.41 1.41
    other     unknown                     1.0 each
    ========  ==========================  =====================================

    Examples:
        >>> channel_weights(6).tolist()
        [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    """
    weights = np.ones(channels)
    surround = {4: [2, 3], 5: [3, 4], 6: [4, 5], 8: [6, 7]}.get(channels, [])
    weights[surround] = 1.41
    if channels in (6, 8):
        weights[3] = 0.0  # LFE
    return weights


def _loudness_blocks(frames: int, sample_rate: int) -> int:
    # as pyloudnorm: a last block that would end past the clip keeps its missing part silent
    return round((frames / sample_rate - 0.4) / 0.1) + 1


def _gate(energy: npt.NDArray[np.float64], frames: int, sample_rate: int) -> float:
    """Loudness from the K-weighted energy of consecutive 100 ms segments ``(segments, channels)``.

    400 ms blocks every 100 ms are sums of four segments; missing segments are silent.
    """
    n_blocks = _loudness_blocks(frames, sample_rate)
    channels = energy.shape[1]
    segments = np.zeros((n_blocks + 3, channels))
    used = min(len(segments), len(energy))
    segments[:used] = energy[:used]
    z = (segments[:-3] + segments[1:-2] + segments[2:-1] + segments[3:]) / (0.4 * sample_rate)
    power = z @ channel_weights(channels)
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(power)
        gated = levels >= _GATE_DBFS
        if not gated.any():
            return -math.inf
        relative = -0.691 + 10 * math.log10(float(power[gated].mean())) - 10
        kept = gated & (levels > relative)
        return -0.691 + 10 * math.log10(float(power[kept].mean()))


def analyze(data: Any, sample_rate: int | None = None) -> Analysis:
    """Analyze a clip: statistics, waveform peaks and spectrum frames, computed afresh.

    Args:
        data: an :class:`audiowidget.Audio`, or anything ``Audio`` accepts
            (with ``sample_rate`` for arrays).
        sample_rate: the rate of an array input.

    Examples:
        >>> import numpy as np, audiowidget as aw
        >>> t = np.arange(16000) / 16000
        >>> a = aw.analyze(aw.Audio(0.25 * np.sin(2 * np.pi * 440 * t), 16000))
        >>> round(a.peak_dbfs, 2), a.channels, a.encoding
        (-12.04, 1, 'FLAC 16-bit')
    """
    from .clip import Audio  # the clip model validates input; analysis stays array-level

    clip = data if isinstance(data, Audio) else Audio(data, sample_rate)
    if (
        isinstance(data, Audio)
        and sample_rate is not None
        and _rate(sample_rate) != clip.sample_rate
    ):
        raise ValueError(
            f"sample_rate={sample_rate} differs from the clip's {clip.sample_rate} Hz; "
            "an Audio brings its own rate: leave sample_rate out"
        )
    # the label of what log() would store; nothing is encoded (nor warned about) here
    return analyze_clip(clip, clip._flac_label())


def analyze_clip(clip: Audio, encoding: str) -> Analysis:
    """:func:`analyze` of an :class:`audiowidget.Audio` whose encoding label is known."""
    samples, clipped = clip._analysis_input()  # a file is decoded once for both
    return analyze_samples(
        samples, clip.sample_rate, encoding=encoding, peak=clip.peak, clipped=clipped
    )


def analyze_samples(
    x: Float32Array,
    sample_rate: int,
    *,
    encoding: str,
    peak: float | None = None,
    clipped: int | None = None,
) -> Analysis:
    """:func:`analyze` on float32 ``(frames, channels)`` samples in full-scale units.

    ``peak`` is max |x| when the caller knows it already (else it is measured);
    ``clipped`` the clipped samples when the caller counted them on the source
    samples (else those of ``x`` at or beyond 1.0 are counted).

    On a long clip the spectrum's spans of frames go to the worker threads and
    the sample statistics queue behind them (or, with a core to spare, run in
    this thread); this thread then hands out the K-weighting's chunks (solving
    its state recurrence in between) and waits for it all. A short clip is
    analyzed in this thread from start to end.
    """
    from .clip import _peak as _source_peak  # clip imports this module

    x = np.ascontiguousarray(x, dtype=np.float32)
    frames, channels = x.shape
    if frames == 0:
        raise ValueError("cannot analyze an empty clip")
    x, exponent = _scaled(x, _source_peak(x) if peak is None else peak)
    lanes = _lanes(x)
    spectrum = _start_spectrum(lanes, sample_rate, SPECTRUM_BINS, exponent)
    # Where the spectrum went to the workers and they have every core, the sample statistics
    # queue behind it rather than run here beside them: more threads than cores only take
    # turns (6 % slower on two cores). With a core to spare they run here meanwhile.
    levels: dict[str, Any] = {}
    levels_done = _start(
        [lambda: levels.update(_levels(x, sample_rate, exponent, clipped))],
        queue=len(_spans(1 + frames // _hop(sample_rate))) > 1
        and (os.cpu_count() or 1) <= _WORKERS,
    )
    measurable = frames >= 0.4 * sample_rate and _k_weighting_defined(sample_rate)
    loudness = _loudness(lanes, sample_rate, exponent) if measurable else None
    frames_u8, frequencies, fps, average = spectrum()
    levels_done()
    return Analysis(
        **levels,
        loudness_lufs=loudness,
        duration=frames / sample_rate,
        sample_rate=sample_rate,
        channels=channels,
        encoding=encoding,
        spectrum_frames=frames_u8,
        spectrum_frequencies=frequencies,
        spectrum_fps=fps,
        average_spectrum=average,
    )


def _passes(
    x: Float32Array, sample_rate: int
) -> tuple[Float32Array, Float32Array, Float64Array, Float64Array, int]:
    """What :func:`_levels` reads off the samples, in one pass over them.

    Returns the waveform's bucket minima and maxima ``(buckets, channels)``
    (covering every sample), the sums of squares and the sums of the samples
    of every whole 50 ms window (all channels), and the window's length.

    The clip is read a block of whole windows at a time (half a megabyte),
    and each block is reduced every way while it is in cache: four passes
    over a long clip would each come from memory. Buckets that straddle
    blocks get a minimum and maximum per block, merged at the end.
    """
    frames, channels = x.shape
    starts = _bucket_starts(frames, WAVEFORM_BUCKETS)
    window = max(1, min(frames, round(_WINDOW_S * sample_rate)))
    n_windows = frames // window
    energy = np.empty(n_windows)
    sums = np.empty(n_windows)
    block = max(1, _LEVELS_BLOCK // (window * channels)) * window
    piece_starts, piece_lows, piece_highs = [], [], []
    for b0 in range(0, frames, block):
        b1 = min(frames, b0 + block)
        part = x[b0:b1]
        cuts = np.concatenate([[b0], starts[(starts > b0) & (starts < b1)]])
        piece_starts.append(cuts)
        piece_lows.append(np.minimum.reduceat(part, cuts - b0, axis=0))
        piece_highs.append(np.maximum.reduceat(part, cuts - b0, axis=0))
        w0, w1 = b0 // window, min(n_windows, b1 // window)
        if w1 > w0:
            shaped = part[: (w1 - w0) * window].reshape(w1 - w0, window * channels)
            energy[w0:w1] = np.einsum("ij,ij->i", shaped, shaped)
            sums[w0:w1] = np.einsum("ij->i", shaped)
    # every bucket starts a piece; the pieces of a bucket follow one another
    firsts = np.searchsorted(np.concatenate(piece_starts), starts)
    lows = np.minimum.reduceat(np.concatenate(piece_lows), firsts, axis=0)
    highs = np.maximum.reduceat(np.concatenate(piece_highs), firsts, axis=0)
    return lows, highs, energy, sums, window


def _levels(
    x: Float32Array, sample_rate: int, exponent: int = 0, clipped: int | None = None
) -> dict[str, Any]:
    """The statistics read straight off the samples, and the waveform peaks.

    ``x`` is the samples times ``2**-exponent`` (see :func:`_scaled`). ``clipped``
    is the count of clipped samples if known, else those with ``|x| >= 1.0``.
    """
    channels = x.shape[1]
    lows, highs, window_energy, window_sums, window = _passes(x, sample_rate)
    if exponent:
        lows, highs = np.ldexp(lows, exponent), np.ldexp(highs, exponent)
    peak_per_channel = np.maximum(-lows.min(axis=0), highs.max(axis=0)).astype(np.float64)
    peak = float(peak_per_channel.max())
    peak_db = _db(peak)
    n_windows = len(window_energy)
    window_energy = np.ldexp(window_energy, 2 * exponent)
    remainder = x[n_windows * window :]
    remainder_energy = math.ldexp(float(np.square(remainder, dtype=np.float64).sum()), 2 * exponent)
    total_energy = float(window_energy.sum()) + remainder_energy
    total_sum = math.ldexp(float(window_sums.sum()) + float(remainder.sum()), exponent)
    rms_db = _db(math.sqrt(total_energy / x.size))
    with np.errstate(divide="ignore"):
        window_db = 10 * np.log10(window_energy / (window * channels))
    loud = window_db[window_db > _GATE_DBFS]
    limit = np.float32(math.ldexp(1.0, -exponent))  # full scale in the units of x
    return {
        "peak_dbfs": peak_db,
        "peak_dbfs_per_channel": tuple(_db(float(p)) for p in peak_per_channel),
        "rms_dbfs": rms_db,
        "crest_factor_db": peak_db - rms_db if math.isfinite(rms_db) else None,
        "dynamic_range_db": (
            float(np.percentile(loud, 95) - np.percentile(loud, 10)) if loud.size >= 2 else None
        ),
        "dc_offset": total_sum / x.size,
        "clipped_samples": (
            clipped
            if clipped is not None
            else int(np.count_nonzero(np.abs(x) >= limit))
            if peak >= 1.0
            else 0
        ),
        "silence_ratio": float(np.mean(window_db < _SILENCE_DBFS)),
        "peaks": _quantize_peaks(lows, highs),
    }
