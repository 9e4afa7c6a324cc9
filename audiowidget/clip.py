"""Audio clips: any input turned into validated PCM with its true sample rate.

Entry points:

- :class:`Audio` takes a path, the bytes of an audio file, a numpy array, a
  torch-like tensor or a nested list, checks it, and keeps the samples in
  their original dtype. Its call shape matches ``wandb.Audio(data_or_path,
  sample_rate, caption)`` and ``pluto.Audio(data, rate, caption)``.
- :meth:`Audio.encode` returns an :class:`EncodedAudio`: lossless FLAC for
  PCM sources, the original bytes for FLAC, MP3 and OGG files.
- :meth:`Audio.to_numpy` returns float32 samples in full-scale units.
- :class:`AudioWarning` is raised as a warning when encoding clips samples
  beyond full scale; :class:`AudioFileError` when a file cannot be read.

Levels are never changed silently: no normalization, no resampling. Values
beyond full scale are kept for the statistics and only clipped in the
encoded file, with a warning.
"""

from __future__ import annotations

import hashlib
import io
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf

from .analysis import check_values

__all__ = ["Audio", "AudioFileError", "AudioWarning", "EncodedAudio"]

MAX_CHANNELS: Final = 8
# The range of rates browsers play (Web Audio's): below 3 kHz a clip could not be played
# or compared (loudness needs more still: it is None below 3364 Hz).
MIN_SAMPLE_RATE: Final = 3_000
MAX_SAMPLE_RATE: Final = 768_000

# libFLAC refuses higher rates; such clips are stored as WAV instead.
_FLAC_MAX_SAMPLE_RATE: Final = 655_350
# Frames processed at a time while scanning or encoding, to bound memory.
_CHUNK_FRAMES: Final = 1 << 16

_ARRAY_DTYPES: Final = ("float16", "float32", "float64", "int8", "int16", "int32", "uint8")
_INT_FULL_SCALE: Final = {"int8": 128.0, "int16": 32768.0, "int32": 2.0**31}
_UINT8_ZERO: Final = 128
# The positive extreme of integer sources, in to_numpy() units (the negative one is -1.0).
_INT_POSITIVE_FULL_SCALE: Final = {
    "int8": 127 / 128,
    "uint8": 127 / 128,
    "int16": 32767 / 32768,
    "int24": (2**23 - 1) / 2**23,
    "int32": (2**31 - 1) / 2**31,
}

# File subtype -> (dtype soundfile decodes it into, source_dtype label).
# Anything not listed (compressed or companded audio) decodes to float32.
_SUBTYPE_DTYPES: Final = {
    "PCM_S8": ("int16", "int8"),
    "PCM_U8": ("int16", "uint8"),
    "PCM_16": ("int16", "int16"),
    "PCM_24": ("int32", "int24"),
    "PCM_32": ("int32", "int32"),
    "FLOAT": ("float32", "float32"),
    "DOUBLE": ("float64", "float64"),
}
# Formats whose bytes are kept as they are: re-encoding lossy audio only loses more.
_KEPT_FORMATS: Final = ("FLAC", "MP3", "OGG")
_FLAC_BITS: Final = {"PCM_S8": 8, "PCM_16": 16, "PCM_24": 24}
# sources stored bit-exactly at 16 bits
_INT16_EXACT: Final = ("int8", "uint8", "int16")
_OGG_CODECS: Final = {"VORBIS": "Vorbis", "OPUS": "Opus", "FLAC": "FLAC", "SPEEX": "Speex"}

_ACCEPTED: Final = (
    "a path (str or pathlib.Path) to a WAV/FLAC/OGG/MP3 file, the bytes of such a file, "
    "a numpy array, a torch-like tensor, or a nested list of floats"
)

Samples = npt.NDArray[Any]


class AudioWarning(UserWarning):
    """Warnings audiowidget raises about a clip (e.g. clipping on encode).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = Audio(np.array([0.5, 1.5]), 8000).encode()
    >>> caught[0].category.__name__, str(caught[0].message)[:33]
    ('AudioWarning', '1 sample exceeds full scale (true')
    """


class AudioFileError(ValueError):
    """A path or bytes input that cannot be read as audio.

    The message names the file and the reason soundfile gave.

    Examples
    --------
    >>> try:
    ...     Audio("no-such-file.wav")
    ... except AudioFileError as err:
    ...     print(str(err).split(":")[0])
    no audio file at 'no-such-file.wav'
    """


@dataclass(frozen=True)
class EncodedAudio:
    """An encoded clip, ready to embed in a page or download.

    Attributes
    ----------
    data:
        The file bytes as embedded / downloaded.
    mime:
        ``"audio/flac"``, ``"audio/mpeg"``, ``"audio/ogg"`` or ``"audio/wav"``.
    ext:
        File extension without the dot: ``"flac"``, ``"mp3"``, ``"ogg"``, ``"wav"``.
    encoding:
        Label shown on the card, e.g. ``"FLAC 16-bit"``, ``"MP3"``, ``"OGG Opus"``.
    bit_depth:
        Bits per sample of lossless encodings; ``None`` for lossy ones.

    Examples
    --------
    >>> import numpy as np
    >>> enc = Audio(np.zeros(100, dtype=np.int16), 8000).encode()
    >>> enc.mime, enc.ext, enc.encoding, enc.bit_depth
    ('audio/flac', 'flac', 'FLAC 16-bit', 16)
    """

    data: bytes
    mime: str
    ext: str
    encoding: str
    bit_depth: int | None

    def __repr__(self) -> str:
        return (
            f"EncodedAudio({self.encoding}, {len(self.data)} bytes, "
            f"mime={self.mime!r}, ext={self.ext!r}, bit_depth={self.bit_depth!r})"
        )


class Audio:
    """One audio clip: validated PCM samples, their sample rate and a caption.

    Parameters
    ----------
    data_or_path:
        One of

        - a path (``str`` or ``pathlib.Path``) to a file soundfile reads
          (WAV, FLAC, OGG Vorbis/Opus, MP3, ...);
        - the ``bytes`` (or ``bytearray`` / ``memoryview``) of such a file;
        - a numpy array of float16/32/64 (full scale is ±1.0), int8, int16,
          int32 (full scale is the integer range) or uint8 (8-bit unsigned
          PCM, 128 is zero);
        - a torch-like tensor (anything with ``.detach().cpu().numpy()``) or
          any object with ``__array__``;
        - a nested list of numbers, read as float64 samples in [-1, 1].
    sample_rate:
        Samples per second, required for arrays. Files bring their own rate;
        passing a different one is an error (clips are never resampled).
    caption:
        Text shown with the clip.
    rate:
        Alias of ``sample_rate`` (the name Pluto uses).
    bit_depth:
        16 (default) or 24: the FLAC bit depth for float and int32 sources.
        Sources of 16 bits or fewer are stored at 16 bits bit-exactly, 24-bit
        files at 24 bits, and FLAC/MP3/OGG files keep their bytes.

    Array layout: a 1-D array is mono. A 2-D array is ``(frames, channels)``,
    except when its first dimension is at most 8 and smaller than the second:
    then it is ``(channels, frames)``, the layout of torch and librosa. So a
    ``(1, N)`` tensor and an ``(N, 1)`` array are both mono, and ``(2, N)`` is
    stereo. At most 8 channels.

    Samples are kept in their original dtype (one read-only copy, so later
    changes to your buffer do not change the clip). Levels are never altered:
    float values beyond ±1.0 stay in :meth:`to_numpy` and :attr:`peak`, and
    are clipped only in :meth:`encode`, with an :class:`AudioWarning`.

    Raises
    ------
    ValueError
        Empty audio, NaN or Inf samples, more than 2 dimensions, more than 8
        channels, a missing or out-of-range sample rate, or a file rate that
        differs from ``sample_rate``.
    AudioFileError
        A path or bytes that cannot be read as audio (a ``ValueError``).
    TypeError
        An unsupported input type or dtype, or a caption that is not a str.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(22050) / 22050
    >>> clip = Audio(0.5 * np.sin(2 * np.pi * 440 * t), 22050, caption="A4")
    >>> clip
    Audio(1.00 s, 22050 Hz, mono, float64, caption='A4')
    >>> Audio(np.zeros((2, 800), dtype=np.int16), rate=8000).channels
    2
    """

    _sample_rate: int
    _frames: int
    _channels: int
    _source_dtype: str
    _peak: float

    def __init__(
        self,
        data_or_path: Any,
        sample_rate: int | None = None,
        caption: str | None = None,
        *,
        rate: int | None = None,
        bit_depth: int = 16,
    ) -> None:
        if caption is not None and not isinstance(caption, str):
            raise TypeError(
                f"caption must be a str or None, got {type(caption).__name__} {caption!r:.60}"
            )
        if bit_depth not in (16, 24) or isinstance(bit_depth, bool):
            raise ValueError(f"bit_depth must be 16 or 24, got {bit_depth!r}")
        requested_rate = _resolve_rate(sample_rate, rate)

        self._caption: str | None = caption
        self._bit_depth: int = int(bit_depth)
        self._samples: Samples | None = None  # (frames, channels), source dtype
        self._file_bytes: bytes | None = None  # kept FLAC/MP3/OGG bytes
        self._file_format: str = ""
        self._file_subtype: str = ""
        self._read_dtype: str = ""  # dtype the kept bytes decode into
        self._encoded: dict[str, EncodedAudio] = {}

        if isinstance(data_or_path, (str, os.PathLike)):
            path = Path(data_or_path)
            self._load_file(path, repr(str(path)), requested_rate)
        elif isinstance(data_or_path, (bytes, bytearray, memoryview)):
            self._load_file(bytes(data_or_path), "the given bytes", requested_rate)
        else:
            self._load_array(_as_array(data_or_path), requested_rate)

    # -- construction ----------------------------------------------------------

    def _load_array(self, array: Samples, rate: int | None) -> None:
        if rate is None:
            raise ValueError(
                "a sample rate is required for array data: pass sample_rate=... "
                "(e.g. Audio(x, sample_rate=22050))"
            )
        samples = np.array(_frames_channels(array), order="C", copy=True)
        samples.setflags(write=False)
        self._set_pcm(samples, rate, samples.dtype.name)

    def _load_file(self, source: Path | bytes, label: str, rate: int | None) -> None:
        if isinstance(source, Path):
            if not source.exists():
                raise AudioFileError(
                    f"no audio file at {label}: the path does not exist. "
                    "Check the path, or pass the samples as an array with sample_rate=..."
                )
            if source.is_dir():
                raise AudioFileError(f"cannot read audio from {label}: it is a directory")
        try:
            with _open(source) as f:
                _check_file(f, label, rate)
                if f.format in _KEPT_FORMATS:
                    self._keep_file(f, source, label)
                else:
                    self._decode_file(f, label)
        except sf.SoundFileError as exc:
            raise AudioFileError(_file_error(label, exc)) from exc

    def _decode_file(self, f: sf.SoundFile, label: str) -> None:
        """Keep the decoded samples of a WAV-like file (re-encoded to FLAC later)."""
        read_dtype, source_dtype = _SUBTYPE_DTYPES.get(f.subtype, ("float32", "float32"))
        samples = np.ascontiguousarray(f.read(dtype=read_dtype, always_2d=True))
        if samples.size == 0:
            raise ValueError(f"{label} holds no audio (0 frames)")
        samples.setflags(write=False)
        self._set_pcm(samples, f.samplerate, source_dtype)

    def _keep_file(self, f: sf.SoundFile, source: Path | bytes, label: str) -> None:
        """Keep the bytes of a FLAC/MP3/OGG file; scan its samples once, block by block."""
        read_dtype, source_dtype = _SUBTYPE_DTYPES.get(f.subtype, ("float32", "float32"))
        frames, peak = 0, 0.0
        for block in f.blocks(_CHUNK_FRAMES, dtype=read_dtype, always_2d=True):
            frames += len(block)
            peak = max(peak, _peak(block))
        if frames == 0:
            raise ValueError(f"{label} holds no audio (0 frames)")
        if isinstance(source, Path):
            try:
                source = source.read_bytes()
            except OSError as exc:
                raise AudioFileError(f"cannot read {label}: {exc.strerror}") from exc
        self._file_bytes = source
        self._file_format, self._file_subtype = f.format, f.subtype
        self._read_dtype = read_dtype
        self._sample_rate, self._frames, self._channels = f.samplerate, frames, f.channels
        self._source_dtype, self._peak = source_dtype, peak

    def _set_pcm(self, samples: Samples, rate: int, source_dtype: str) -> None:
        peak = _peak(samples)
        check_values(samples, peak)
        self._samples = samples
        self._sample_rate = rate
        self._frames, self._channels = samples.shape
        self._source_dtype = source_dtype
        self._peak = peak

    def _pcm(self) -> Samples:
        """The samples as ``(frames, channels)`` in their stored dtype."""
        if self._samples is not None:
            return self._samples
        assert self._file_bytes is not None
        decoded, _ = sf.read(io.BytesIO(self._file_bytes), dtype=self._read_dtype, always_2d=True)
        return np.ascontiguousarray(decoded)

    # -- properties ------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        """Samples per second (Hz).

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros(10), 16000).sample_rate
        16000
        """
        return self._sample_rate

    @property
    def channels(self) -> int:
        """Number of channels (1 is mono).

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros((100, 2)), 16000).channels
        2
        """
        return self._channels

    @property
    def frames(self) -> int:
        """Number of frames (samples per channel).

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros((2, 100)), 16000).frames
        100
        """
        return self._frames

    @property
    def duration(self) -> float:
        """Length in seconds.

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros(8000), 16000).duration
        0.5
        """
        return self._frames / self._sample_rate

    @property
    def caption(self) -> str | None:
        """The caption, or ``None``.

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros(10), 16000, "step 100").caption
        'step 100'
        """
        return self._caption

    @property
    def source_dtype(self) -> str:
        """Sample format of the input: ``"int16"``, ``"int24"``, ``"float32"``, ...

        For arrays it is the array's dtype; for files it is mapped from the
        file's subtype (``PCM_16`` is ``"int16"``, ``PCM_24`` is ``"int24"``,
        ``FLOAT`` is ``"float32"``); compressed formats decode to ``"float32"``.

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.zeros(10, dtype=np.int16), 16000).source_dtype
        'int16'
        """
        return self._source_dtype

    @property
    def peak(self) -> float:
        """Largest absolute sample value in full-scale units, from the original samples.

        It can exceed 1.0: such samples are clipped only in :meth:`encode`.

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.array([0.25, -1.5]), 16000).peak
        1.5
        >>> Audio(np.array([-32768, 100], dtype=np.int16), 16000).peak
        1.0
        """
        return self._peak

    # -- data ------------------------------------------------------------------

    def to_numpy(self) -> npt.NDArray[np.float32]:
        """Return a new float32 array of shape ``(frames, channels)``.

        Integers are scaled by their full scale (int16 / 32768, int8 / 128,
        int32 / 2**31, uint8 as (x - 128) / 128). Floats are returned as they
        are: not clipped, not normalized.

        Examples
        --------
        >>> import numpy as np
        >>> Audio(np.array([16384, -32768], dtype=np.int16), 8000).to_numpy().ravel()
        array([ 0.5, -1. ], dtype=float32)
        """
        return _to_float32(self._pcm())

    def encode(self, audio_format: str = "flac") -> EncodedAudio:
        """Encode the clip for the browser; the result is cached per format.

        ``audio_format`` is ``"flac"`` (the default, lossless), ``"wav"``
        (lossless, bigger), or the lossy ``"mp3"`` and ``"opus"`` for compact
        reports, which you ask for explicitly: audiowidget never encodes lossily
        on its own. Opus only takes 8, 12, 16, 24 and 48 kHz and MP3 only the
        MPEG rates; other rates are an error, since clips are never resampled.

        For FLAC:

        - int16, int8 and uint8 sources (and 16-bit files): FLAC 16-bit, bit-exact.
        - float and int32 sources: FLAC 16-bit with TPDF dither (reproducible:
          seeded from the samples), or FLAC 24-bit with ``bit_depth=24``.
          Sources already on the 16-bit grid (such as float32 read from a
          16-bit file) are stored bit-exactly, without dither.
        - 24-bit files: FLAC 24-bit, bit-exact.
        - FLAC, MP3 and OGG files or bytes: the original bytes, unchanged.

        Samples beyond full scale are clipped, with one :class:`AudioWarning`
        saying how many. Rates above 655350 Hz, which FLAC cannot store, are
        encoded as WAV at the same bit depth.

        Examples
        --------
        >>> import numpy as np
        >>> enc = Audio(np.zeros(1000, dtype=np.float32), 8000, bit_depth=24).encode()
        >>> enc.encoding
        'FLAC 24-bit'
        >>> Audio(np.zeros(1000, dtype=np.float32), 8000).encode("wav").mime
        'audio/wav'
        """
        fmt = _check_format(audio_format, self._sample_rate, self._channels)
        if fmt not in self._encoded:
            if fmt in ("mp3", "opus"):
                self._encoded[fmt] = self._encode_lossy(fmt)
            else:
                self._encoded[fmt] = self._encode_pcm("FLAC" if fmt == "flac" else "WAV")
        return self._encoded[fmt]

    def _encode_lossy(self, fmt: str) -> EncodedAudio:
        kept = self._kept_file() if self._file_bytes is not None else None
        wanted = {"mp3": "MP3", "opus": "OGG Opus"}[fmt]
        if kept is not None and kept.encoding == wanted:
            return kept
        # a file is decoded once, not once per chunk; arrays are converted a chunk at a time
        source = self.to_numpy() if self._file_bytes is not None else self._pcm()
        buffer = io.BytesIO()
        container, subtype = ("MP3", "MPEG_LAYER_III") if fmt == "mp3" else ("OGG", "OPUS")
        with sf.SoundFile(
            buffer,
            "w",
            samplerate=self._sample_rate,
            channels=self._channels,
            format=container,
            subtype=subtype,
        ) as out:
            for chunk in _chunks(source):
                out.write(np.clip(_to_float32(chunk), -1.0, 1.0))
        if self._peak > 1.0:
            self._warn_clipped(_count_beyond_full_scale(source), wanted)
        mime, ext = ("audio/mpeg", "mp3") if fmt == "mp3" else ("audio/ogg", "ogg")
        return EncodedAudio(buffer.getvalue(), mime, ext, wanted, None)

    def _encode_pcm(self, container: str) -> EncodedAudio:
        if self._file_bytes is not None:
            kept = self._kept_file()
            if container == "FLAC" or kept.ext == "wav":
                return kept
            # a kept FLAC/MP3/OGG file asked for as WAV: decoded once, stored bit-exactly at
            # the FLAC's depth (8-bit FLAC as 16-bit WAV) or, for lossy files, at 24 bits
            bits = 16 if kept.bit_depth is not None and kept.bit_depth <= 16 else 24
            return Audio(self.to_numpy(), self._sample_rate, bit_depth=bits).encode("wav")
        pcm = self._pcm()
        bits, convert = self._pcm_plan(pcm)
        container = _pcm_container(container, self._sample_rate)
        buffer = io.BytesIO()
        with sf.SoundFile(
            buffer,
            "w",
            samplerate=self._sample_rate,
            channels=self._channels,
            format=container,
            subtype=f"PCM_{bits}",
        ) as out:
            for chunk in _chunks(pcm):
                out.write(convert(chunk))

        if self._peak > 1.0:
            self._warn_clipped(_count_beyond_full_scale(pcm), container)
        ext = container.lower()
        return EncodedAudio(
            data=buffer.getvalue(),
            mime=f"audio/{ext}",
            ext=ext,
            encoding=f"{container} {bits}-bit",
            bit_depth=bits,
        )

    def _analysis_input(self) -> tuple[npt.NDArray[np.float32], int]:
        """The samples as :meth:`to_numpy` gives them, and the clipped samples among them.

        A file is decoded once for both.
        """
        pcm = self._pcm()
        return _to_float32(pcm), self._clipped_samples(pcm)

    def _clipped_samples(self, pcm: Samples | None = None) -> int:
        """Samples at or beyond full scale, counted exactly on the stored samples ``pcm``.

        For integer sources these are the type's two extreme values (-32768 and
        32767 for int16; not -32767), for floats ``|x| >= 1.0`` in their own
        precision (float32 would round ``1 - 1e-9`` up to 1.0).
        """
        top = _INT_POSITIVE_FULL_SCALE.get(self._source_dtype)
        if self._peak < (top or 1.0):
            return 0  # nothing reaches full scale: no pass over the samples
        pcm = self._pcm() if pcm is None else pcm
        if top is None or pcm.dtype.kind == "f":
            return sum(int(np.count_nonzero(np.abs(c) >= 1.0)) for c in _chunks(pcm))
        if pcm.dtype == np.uint8:
            high, low = 2 * _UINT8_ZERO - 1, 0
        else:  # also 8- and 24-bit files, decoded into int16 and int32 (shifted up)
            scale = _INT_FULL_SCALE[pcm.dtype.name]
            high, low = round(top * scale), -round(scale)
        return sum(
            int(np.count_nonzero(c >= high) + np.count_nonzero(c <= low)) for c in _chunks(pcm)
        )

    def _pcm_bits(self) -> int:
        """The bit depth samples are stored at: 24 for 24-bit sources or ``bit_depth=24``."""
        kind = self._source_dtype
        return 24 if kind == "int24" or (kind not in _INT16_EXACT and self._bit_depth == 24) else 16

    def _pcm_plan(self, pcm: Samples) -> tuple[int, Callable[[Samples], Samples]]:
        """The bit depth the samples are stored at, and how chunks are converted to it."""
        bits, kind = self._pcm_bits(), self._source_dtype
        if kind in _INT16_EXACT:
            return bits, _exact_int16
        if kind == "int24":
            return bits, _identity
        if bits == 24:
            return bits, _round_to_int24
        return bits, _round_to_int16 if _on_int16_grid(pcm) else _Dither(pcm)

    def _flac_label(self) -> str:
        """What ``encode("flac")`` stores, such as ``"FLAC 16-bit"``, without encoding."""
        if "flac" in self._encoded:
            return self._encoded["flac"].encoding
        if self._file_bytes is not None:
            return self._kept_file().encoding
        return f"{_pcm_container('FLAC', self._sample_rate)} {self._pcm_bits()}-bit"

    def _kept_file(self) -> EncodedAudio:
        assert self._file_bytes is not None
        data, subtype = self._file_bytes, self._file_subtype
        if self._file_format == "FLAC":
            bits = _FLAC_BITS.get(subtype)
            label = f"FLAC {bits}-bit" if bits else "FLAC"
            return EncodedAudio(data, "audio/flac", "flac", label, bits)
        if self._file_format == "MP3":
            return EncodedAudio(data, "audio/mpeg", "mp3", "MP3", None)
        codec = _OGG_CODECS.get(subtype, subtype.title())
        return EncodedAudio(data, "audio/ogg", "ogg", f"OGG {codec}", None)

    def _warn_clipped(self, count: int, container: str) -> None:
        if count == 0:
            return
        noun, pronoun = (
            ("sample exceeds", "it is") if count == 1 else ("samples exceed", "they are")
        )
        which = f"Clip {self._caption!r}: " if self._caption else ""
        warnings.warn(
            f"{which}{count} {noun} full scale (true peak "
            f"{20 * math.log10(self._peak):+.1f} dBFS, {self._peak:.3f}); "
            f"{pronoun} clipped in the encoded {container}. Statistics use the original "
            "samples. Scale the signal down to avoid this.",
            AudioWarning,
            stacklevel=4,
        )

    # -- wandb-style helpers ---------------------------------------------------

    @classmethod
    def durations(cls, audio_list: Sequence[Audio]) -> list[float]:
        """Durations in seconds of several clips, like ``wandb.Audio.durations``.

        Examples
        --------
        >>> import numpy as np
        >>> Audio.durations([Audio(np.zeros(800), 8000), Audio(np.zeros(400), 8000)])
        [0.1, 0.05]
        """
        return [a.duration for a in audio_list]

    @classmethod
    def sample_rates(cls, audio_list: Sequence[Audio]) -> list[int]:
        """Sample rates of several clips, like ``wandb.Audio.sample_rates``.

        Examples
        --------
        >>> import numpy as np
        >>> Audio.sample_rates([Audio(np.zeros(8), 8000), Audio(np.zeros(8), 44100)])
        [8000, 44100]
        """
        return [a.sample_rate for a in audio_list]

    @classmethod
    def captions(cls, audio_list: Sequence[Audio]) -> list[str] | Literal[False]:
        """Captions of several clips, like ``wandb.Audio.captions``.

        ``False`` when no clip has a caption; otherwise a list with ``""``
        for the clips without one.

        Examples
        --------
        >>> import numpy as np
        >>> Audio.captions([Audio(np.zeros(8), 8000, "a"), Audio(np.zeros(8), 8000)])
        ['a', '']
        >>> Audio.captions([Audio(np.zeros(8), 8000)])
        False
        """
        captions = [a.caption for a in audio_list]
        if all(c is None for c in captions):
            return False
        return ["" if c is None else c for c in captions]

    def __repr__(self) -> str:
        layout = {1: "mono", 2: "stereo"}.get(self._channels, f"{self._channels} channels")
        caption = "" if self._caption is None else f", caption={self._caption!r}"
        return (
            f"Audio({self.duration:.2f} s, {self._sample_rate} Hz, {layout}, "
            f"{self._source_dtype}{caption})"
        )


# -- validation helpers ----------------------------------------------------------


_LOSSY_RATES: Final = {
    "opus": (8000, 12000, 16000, 24000, 48000),
    "mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
}


def _check_format(audio_format: object, sample_rate: int, channels: int = 1) -> str:
    if audio_format not in ("flac", "wav", "mp3", "opus"):
        raise ValueError(
            f"audio_format must be 'flac', 'wav', 'mp3' or 'opus', got {audio_format!r}"
        )
    fmt = str(audio_format)
    rates = _LOSSY_RATES.get(fmt)
    if rates is not None and sample_rate not in rates:
        khz = ", ".join(f"{r / 1000:g}" for r in rates)
        raise ValueError(
            f"{fmt} cannot store {sample_rate} Hz audio (it takes {khz} kHz) and audiowidget "
            "never resamples: resample the clip yourself, or use audio_format='flac'"
        )
    if fmt == "mp3" and channels > 2:
        raise ValueError(
            f"mp3 stores mono or stereo only, and this clip has {channels} channels: "
            "use audio_format='flac' or 'opus', or log the channels as separate clips"
        )
    return fmt


def _check_rate(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a whole number of Hz such as 22050, "
            f"got {type(value).__name__} {value!r:.60}"
        )
    as_float = float(value)
    if not as_float.is_integer():
        raise ValueError(f"{name} must be a whole number of Hz such as 22050, got {value!r}")
    rate = int(as_float)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ValueError(_rate_range_message(f"{name}={value!r}"))
    return rate


def _rate_range_message(what: str) -> str:
    return (
        f"{what} is out of range: it must be between {MIN_SAMPLE_RATE} and "
        f"{MAX_SAMPLE_RATE} Hz, the rates browsers play; audiowidget never resamples"
    )


def _resolve_rate(sample_rate: object, rate: object) -> int | None:
    first = None if sample_rate is None else _check_rate(sample_rate, "sample_rate")
    second = None if rate is None else _check_rate(rate, "rate")
    if first is not None and second is not None and first != second:
        raise ValueError(
            f"sample_rate={sample_rate!r} and rate={rate!r} disagree; "
            "rate is an alias of sample_rate: pass only one"
        )
    return first if first is not None else second


def _as_array(data: Any) -> Samples:
    """Turn array-like input into a numpy array of a supported dtype."""
    if isinstance(data, np.ndarray):
        array = data
    elif callable(getattr(data, "detach", None)):
        try:
            array = np.asarray(data.detach().cpu().numpy())
        except TypeError as exc:
            raise TypeError(
                f"cannot convert {type(data).__name__} to numpy ({exc}); "
                "convert it to float32 first, e.g. tensor.float()"
            ) from exc
    elif hasattr(data, "__array__"):
        array = np.asarray(data)
    elif isinstance(data, (list, tuple)):
        array = _list_to_array(data)
    else:
        raise TypeError(f"cannot make audio from {type(data).__name__}; pass {_ACCEPTED}")
    if array.dtype.name not in _ARRAY_DTYPES:
        raise TypeError(
            f"audio samples of dtype {array.dtype} are not supported; pass float32 samples "
            "in [-1, 1] (e.g. x.astype(np.float32)), or int16 / int32 / int8 / uint8 PCM"
        )
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _list_to_array(data: list[Any] | tuple[Any, ...]) -> Samples:
    try:
        array = np.asarray(data)
    except ValueError as exc:
        raise ValueError(
            "nested list of samples is ragged; every channel needs the same number of "
            "samples (or pass a numpy array)"
        ) from exc
    if array.dtype.kind in "iuf":
        return array.astype(np.float64)
    return array  # rejected by the dtype check, which names the dtype


def _frames_channels(array: Samples) -> Samples:
    """Return a ``(frames, channels)`` view following the layout rule of :class:`Audio`."""
    shape = array.shape
    if array.ndim == 0:
        raise ValueError("audio must be an array of samples, got a single number")
    if array.ndim > 2:
        raise ValueError(
            f"audio must be 1-D (frames,) or 2-D (frames, channels) / (channels, frames), "
            f"got shape {shape}; drop batch dimensions first, e.g. x.squeeze() or x[0]"
        )
    if array.size == 0:
        raise ValueError(f"audio is empty (shape {shape}); pass at least one sample")
    if array.ndim == 1:
        return array[:, np.newaxis]
    if shape[0] <= MAX_CHANNELS and shape[0] < shape[1]:
        array = array.T
    if array.shape[1] > MAX_CHANNELS:
        raise ValueError(
            f"audio of shape {shape} reads as {array.shape[0]} frames of {array.shape[1]} "
            f"channels; channels must be <= {MAX_CHANNELS}. Pass (frames, channels) or "
            "(channels, frames)"
        )
    return array


def _check_file(f: sf.SoundFile, label: str, rate: int | None) -> None:
    if not MIN_SAMPLE_RATE <= f.samplerate <= MAX_SAMPLE_RATE:
        raise ValueError(_rate_range_message(f"{label} at {f.samplerate} Hz"))
    if rate is not None and rate != f.samplerate:
        raise ValueError(
            f"{label} is {f.samplerate} Hz but sample_rate={rate} was given; audiowidget "
            "never resamples. Drop sample_rate, or resample the audio yourself and pass "
            "the array"
        )
    if f.channels > MAX_CHANNELS:
        raise ValueError(
            f"{label} has {f.channels} channels; channels must be <= {MAX_CHANNELS}. "
            "Pick or mix down channels and pass the array"
        )


def _open(source: Path | bytes) -> sf.SoundFile:
    return sf.SoundFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _file_error(label: str, exc: sf.SoundFileError) -> str:
    reason = getattr(exc, "error_string", "") or str(exc)
    hint = (
        "bytes must hold a whole audio file (WAV, FLAC, OGG, MP3); pass raw samples as a "
        "numpy array with sample_rate=..."
        if label == "the given bytes"
        else "pass a file soundfile can read (WAV, FLAC, OGG, MP3)"
    )
    return f"cannot read audio from {label}: {reason.strip().rstrip('.')}. {hint}"


# -- sample arithmetic -------------------------------------------------------------


def _chunks(samples: Samples) -> Iterator[Samples]:
    for start in range(0, len(samples), _CHUNK_FRAMES):
        yield samples[start : start + _CHUNK_FRAMES]


def _peak(samples: Samples) -> float:
    """Max |x| in full-scale units; NaN or Inf when the samples hold any."""
    high, low = samples.max(), samples.min()
    if samples.dtype.kind == "f":
        return float(max(high, -low))
    if samples.dtype == np.uint8:
        return max(int(high) - _UINT8_ZERO, _UINT8_ZERO - int(low)) / _UINT8_ZERO
    return max(int(high), -int(low)) / _INT_FULL_SCALE[samples.dtype.name]


def _to_float32(samples: Samples) -> npt.NDArray[np.float32]:
    if samples.dtype.kind == "f":
        return samples.astype(np.float32)
    out = samples.astype(np.float32)
    if samples.dtype == np.uint8:
        out -= _UINT8_ZERO
        out /= _UINT8_ZERO
    else:
        out *= np.float32(1.0 / _INT_FULL_SCALE[samples.dtype.name])
    return out


def _to_lsb16(chunk: Samples) -> npt.NDArray[np.float64]:
    """Float64 values in 16-bit LSB units (full scale is 32768)."""
    scale = 2.0**-16 if chunk.dtype == np.int32 else 32768.0
    return chunk.astype(np.float64) * scale


def _count_beyond_full_scale(samples: Samples) -> int:
    if samples.dtype.kind != "f":
        return 0  # integers cannot exceed their own full scale
    return sum(int(np.count_nonzero(np.abs(c) > 1.0)) for c in _chunks(samples))


def _pcm_container(container: str, sample_rate: int) -> str:
    """FLAC, or WAV at rates FLAC cannot store."""
    return "WAV" if sample_rate > _FLAC_MAX_SAMPLE_RATE else container


def _on_int16_grid(samples: Samples) -> bool:
    """True when every sample is an exact 16-bit value, so dither would only add noise."""
    for chunk in _chunks(samples):
        if chunk.dtype == np.int32:
            if np.any(chunk & 0xFFFF):
                return False
        else:
            lsb = _to_lsb16(chunk)
            if not np.array_equal(lsb, np.rint(lsb)):
                return False
    return True


def _identity(chunk: Samples) -> Samples:
    return chunk


def _exact_int16(chunk: Samples) -> Samples:
    if chunk.dtype == np.int16:
        return chunk
    wide = chunk.astype(np.int16)
    if chunk.dtype == np.uint8:
        wide -= _UINT8_ZERO
    wide *= 256
    return wide


def _round_to_int16(chunk: Samples) -> Samples:
    lsb = np.rint(_to_lsb16(chunk))
    return np.clip(lsb, -32768, 32767).astype(np.int16)


def _round_to_int24(chunk: Samples) -> Samples:
    """24-bit values, left-aligned in int32 as soundfile expects for PCM_24."""
    if chunk.dtype == np.int32:
        value = (chunk.astype(np.int64) + 128) >> 8
    else:
        value = np.rint(chunk.astype(np.float64) * 2.0**23).astype(np.int64)
    np.clip(value, -(2**23), 2**23 - 1, out=value)
    return (value << 8).astype(np.int32)


class _Dither:
    """Rounds to 16 bits with TPDF dither of ±1 LSB, seeded from the samples."""

    def __init__(self, samples: Samples) -> None:
        digest = hashlib.blake2b(samples.data, digest_size=8).digest()
        self._rng = np.random.default_rng(int.from_bytes(digest, "little"))

    def __call__(self, chunk: Samples) -> Samples:
        lsb = _to_lsb16(chunk)
        lsb += self._rng.random(lsb.shape)
        lsb -= self._rng.random(lsb.shape)
        np.rint(lsb, out=lsb)
        return np.clip(lsb, -32768, 32767).astype(np.int16)
