"""Tests for audiowidget.clip: every input kind, layout, encoding path and error."""

from __future__ import annotations

import dataclasses
import io
import warnings

import numpy as np
import pytest
import soundfile as sf

from audiowidget.clip import Audio, AudioFileError, AudioWarning, EncodedAudio

RATE = 16000
FRAMES = 1600


def _stereo_tone(frames: int = FRAMES, rate: int = RATE) -> np.ndarray:
    t = np.arange(frames) / rate
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 660 * t)], 1)


def _decode(encoded: EncodedAudio, dtype: str):
    info = sf.info(io.BytesIO(encoded.data))
    data, _ = sf.read(io.BytesIO(encoded.data), dtype=dtype, always_2d=True)
    return data, info


def _encode_quietly(clip: Audio) -> EncodedAudio:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return clip.encode()


class FakeTensor:
    """Mimics a torch tensor: only reachable through .detach().cpu().numpy()."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.calls: list[str] = []

    def detach(self) -> FakeTensor:
        self.calls.append("detach")
        return self

    def cpu(self) -> FakeTensor:
        self.calls.append("cpu")
        return self

    def numpy(self) -> np.ndarray:
        self.calls.append("numpy")
        return self._array


class BFloat16Tensor(FakeTensor):
    def numpy(self) -> np.ndarray:
        raise TypeError("Got unsupported ScalarType BFloat16")


class ArrayLike:
    """Only implements the numpy array protocol (like a JAX array)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self._array if dtype is None else self._array.astype(dtype)


# -- files -------------------------------------------------------------------------

# (name, format, subtype, rate, source_dtype, encoding, mime, bytes kept, lossless)
FILE_KINDS = [
    ("pcm16.wav", "WAV", "PCM_16", RATE, "int16", "FLAC 16-bit", "audio/flac", False, True),
    ("pcm24.wav", "WAV", "PCM_24", RATE, "int24", "FLAC 24-bit", "audio/flac", False, True),
    ("pcmu8.wav", "WAV", "PCM_U8", RATE, "uint8", "FLAC 16-bit", "audio/flac", False, True),
    ("float.wav", "WAV", "FLOAT", RATE, "float32", "FLAC 16-bit", "audio/flac", False, False),
    ("pcm16.flac", "FLAC", "PCM_16", RATE, "int16", "FLAC 16-bit", "audio/flac", True, True),
    ("pcm24.flac", "FLAC", "PCM_24", RATE, "int24", "FLAC 24-bit", "audio/flac", True, True),
    ("vorbis.ogg", "OGG", "VORBIS", RATE, "float32", "OGG Vorbis", "audio/ogg", True, False),
    ("opus.ogg", "OGG", "OPUS", 48000, "float32", "OGG Opus", "audio/ogg", True, False),
    ("mpeg.mp3", "MP3", "MPEG_LAYER_III", RATE, "float32", "MP3", "audio/mpeg", True, False),
]
FILE_IDS = [kind[0] for kind in FILE_KINDS]


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    paths = {}
    for name, fmt, subtype, rate, *_ in FILE_KINDS:
        paths[name] = folder / name
        sf.write(paths[name], _stereo_tone(rate=rate), rate, format=fmt, subtype=subtype)
    return paths


def _as_source(path, how: str):
    return {
        "str": str(path),
        "path": path,
        "bytes": path.read_bytes(),
        "bytearray": bytearray(path.read_bytes()),
        "memoryview": memoryview(path.read_bytes()),
    }[how]


@pytest.mark.parametrize("how", ["str", "path", "bytes", "bytearray", "memoryview"])
@pytest.mark.parametrize(
    ("name", "fmt", "subtype", "rate", "source_dtype", "encoding", "mime", "kept", "lossless"),
    FILE_KINDS,
    ids=FILE_IDS,
)
def test_file_inputs(
    audio_files, how, name, fmt, subtype, rate, source_dtype, encoding, mime, kept, lossless
):
    path = audio_files[name]
    clip = Audio(_as_source(path, how), caption="file")

    assert clip.sample_rate == rate
    assert clip.channels == 2
    assert clip.source_dtype == source_dtype
    assert clip.caption == "file"
    expected, _ = sf.read(path, dtype="float32", always_2d=True)
    assert clip.frames == len(expected)
    assert clip.duration == pytest.approx(len(expected) / rate)
    samples = clip.to_numpy()
    assert samples.dtype == np.float32
    assert samples.shape == (clip.frames, 2)
    np.testing.assert_allclose(samples, expected, atol=1e-7)
    assert clip.peak == pytest.approx(float(np.abs(expected).max()), abs=1e-6)

    encoded = _encode_quietly(clip)
    assert encoded.encoding == encoding
    assert encoded.mime == mime
    assert encoded.ext == {"audio/flac": "flac", "audio/ogg": "ogg", "audio/mpeg": "mp3"}[mime]
    if kept:
        assert encoded.data == path.read_bytes()
    else:
        assert encoded.data[:4] == b"fLaC"
    if lossless:
        dtype = "int32" if encoded.bit_depth == 24 else "int16"
        decoded, info = _decode(encoded, dtype)
        original, _ = sf.read(path, dtype=dtype, always_2d=True)
        np.testing.assert_array_equal(decoded, original)
        assert info.subtype == f"PCM_{encoded.bit_depth}"
    else:
        assert encoded.bit_depth in (16, None)


@pytest.mark.parametrize("name", ["pcm16.wav", "pcm16.flac", "mpeg.mp3"])
def test_file_same_rate_is_accepted(audio_files, name):
    assert Audio(audio_files[name], sample_rate=RATE).sample_rate == RATE
    assert Audio(audio_files[name], rate=float(RATE)).sample_rate == RATE


@pytest.mark.parametrize("name", ["pcm16.wav", "pcm16.flac", "mpeg.mp3"])
@pytest.mark.parametrize("how", ["path", "bytes"])
def test_file_with_different_rate_is_an_error(audio_files, name, how):
    with pytest.raises(ValueError, match=r"16000 Hz but sample_rate=8000.*never resamples"):
        Audio(_as_source(audio_files[name], how), sample_rate=8000)


def test_wav_float_file_beyond_full_scale_warns_on_encode(tmp_path):
    path = tmp_path / "loud.wav"
    sf.write(path, np.array([0.0, 1.25, -0.5]), RATE, subtype="FLOAT")
    clip = Audio(path)
    assert clip.peak == pytest.approx(1.25)
    with pytest.warns(AudioWarning, match="1 sample exceeds full scale"):
        clip.encode()


def test_file_peak_uses_integer_full_scale(tmp_path):
    path = tmp_path / "peak.flac"
    sf.write(path, np.array([0, 8192, -16384], dtype=np.int16), RATE, subtype="PCM_16")
    assert Audio(path).peak == 0.5


# -- file errors -------------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(AudioFileError, match=r"no audio file at .*nope\.wav.*does not exist"):
        Audio(missing)
    with pytest.raises(ValueError, match=r"nope\.wav"):  # AudioFileError is a ValueError
        Audio(str(missing))


def test_unreadable_file(tmp_path):
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"this is not audio" * 20)
    with pytest.raises(AudioFileError, match=r"garbage\.wav.*Format not recognised"):
        Audio(path)


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(AudioFileError, match="directory"):
        Audio(tmp_path)


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF....garbage", np.zeros(64, np.int16).tobytes()],
    ids=["empty", "riff", "raw"],
)
def test_undecodable_bytes(data):
    with pytest.raises(AudioFileError, match=r"the given bytes.*pass raw samples as a numpy array"):
        Audio(data)


def test_file_with_no_frames(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros((0, 1), np.int16), RATE)
    with pytest.raises(ValueError, match=r"empty\.wav' holds no audio \(0 frames\)"):
        Audio(path)


def test_file_with_too_many_channels(tmp_path):
    path = tmp_path / "many.wav"
    sf.write(path, np.zeros((10, 9), np.int16), RATE)
    with pytest.raises(ValueError, match="9 channels; channels must be <= 8"):
        Audio(path)


# -- arrays: dtypes and scaling ----------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected", "peak"),
    [
        (np.array([0, 16384, -32768, 32767], np.int16), [0, 0.5, -1, 32767 / 32768], 1.0),
        (np.array([0, 64, -128, 127], np.int8), [0, 0.5, -1, 127 / 128], 1.0),
        (np.array([0, 2**30, -(2**30), 2**29], np.int32), [0, 0.5, -0.5, 0.25], 0.5),
        (np.array([128, 192, 0, 255], np.uint8), [0, 0.5, -1, 127 / 128], 1.0),
        (np.array([128, 160, 96], np.uint8), [0, 0.25, -0.25], 0.25),
        (np.array([0, 0.5, -1.5, 2.0], np.float16), [0, 0.5, -1.5, 2.0], 2.0),
        (np.array([0, 0.5, -1.5, 0.25], np.float32), [0, 0.5, -1.5, 0.25], 1.5),
        (np.array([0, 0.1, -3.0, 0.2], np.float64), [0, 0.1, -3.0, 0.2], 3.0),
    ],
    ids=lambda v: str(v.dtype) if isinstance(v, np.ndarray) else None,
)
def test_array_dtypes_scale_by_full_scale(values, expected, peak):
    clip = Audio(values, RATE)
    assert clip.source_dtype == values.dtype.name
    out = clip.to_numpy()
    assert out.dtype == np.float32
    assert out.shape == (len(values), 1)
    np.testing.assert_allclose(out[:, 0], np.asarray(expected, np.float32), rtol=1e-6)
    assert clip.peak == pytest.approx(peak)


def test_floats_are_not_clipped_or_normalized():
    x = np.array([0.01, -0.02, 0.03], np.float32)
    np.testing.assert_array_equal(Audio(x, RATE).to_numpy()[:, 0], x)


def test_samples_are_copied_and_kept_in_source_dtype():
    x = np.array([1, 2, 3], np.int16)
    clip = Audio(x, RATE)
    x[:] = 0
    np.testing.assert_array_equal(clip.to_numpy()[:, 0] * 32768, [1, 2, 3])
    returned = clip.to_numpy()
    returned[:] = 0
    assert clip.to_numpy()[0, 0] != 0
    assert clip.source_dtype == "int16"


@pytest.mark.parametrize("dtype", [">i2", ">f4"])
def test_big_endian_arrays(dtype):
    x = np.array([0.5, -0.25]) * (32768 if dtype == ">i2" else 1)
    clip = Audio(x.astype(dtype), RATE)
    np.testing.assert_array_equal(clip.to_numpy()[:, 0], [0.5, -0.25])


# -- arrays: layouts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "frames", "channels", "transposed"),
    [
        ((800,), 800, 1, False),
        ((800, 2), 800, 2, False),
        ((2, 800), 800, 2, True),
        ((1, 800), 800, 1, True),
        ((800, 1), 800, 1, False),
        ((8, 800), 800, 8, True),
        ((800, 8), 800, 8, False),
        ((2, 2), 2, 2, False),
        ((3, 2), 3, 2, False),
        ((1, 1), 1, 1, False),
    ],
)
def test_layouts(shape, frames, channels, transposed):
    x = np.random.default_rng(0).uniform(-0.5, 0.5, shape).astype(np.float32)
    clip = Audio(x, RATE)
    assert (clip.frames, clip.channels) == (frames, channels)
    expected = x.T if transposed else x.reshape(frames, channels)
    np.testing.assert_array_equal(clip.to_numpy(), expected)


def test_non_contiguous_view():
    x = np.arange(20, dtype=np.int16).reshape(10, 2)[::2, ::-1]
    np.testing.assert_array_equal(Audio(x, RATE).to_numpy() * 32768, x)


# -- other input kinds -------------------------------------------------------------


def test_torch_like_tensor():
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 500)).astype(np.float32)
    tensor = FakeTensor(x)
    clip = Audio(tensor, RATE)
    assert tensor.calls == ["detach", "cpu", "numpy"]
    assert (clip.frames, clip.channels, clip.source_dtype) == (500, 2, "float32")
    np.testing.assert_array_equal(clip.to_numpy(), x.T)


def test_torch_like_tensor_of_shape_1_n_is_mono():
    clip = Audio(FakeTensor(np.zeros((1, 300), np.float32)), RATE)
    assert (clip.frames, clip.channels) == (300, 1)


def test_tensor_that_cannot_become_numpy():
    with pytest.raises(TypeError, match=r"BFloat16Tensor.*BFloat16.*tensor\.float\(\)"):
        Audio(BFloat16Tensor(np.zeros(3)), RATE)


def test_array_protocol_object():
    x = np.array([100, -200, 300], np.int16)
    clip = Audio(ArrayLike(x), RATE)
    assert clip.source_dtype == "int16"
    np.testing.assert_array_equal(clip.to_numpy()[:, 0] * 32768, x)


@pytest.mark.parametrize(
    ("data", "frames", "channels"),
    [
        ([0.0, 0.5, -0.5], 3, 1),
        ((0.0, 0.5, -0.5), 3, 1),
        ([[0.0, 0.1, 0.2, 0.3], [0.0, -0.1, -0.2, -0.3]], 4, 2),
        ([[0.0, 0.0], [0.1, -0.1], [0.2, -0.2]], 3, 2),
        ([0, 1, 0, -1], 4, 1),
    ],
)
def test_nested_lists_are_float64(data, frames, channels):
    clip = Audio(data, RATE)
    assert clip.source_dtype == "float64"
    assert (clip.frames, clip.channels) == (frames, channels)
    assert clip.peak == pytest.approx(float(np.abs(np.asarray(data, float)).max()))


# -- sample rates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sample_rate": 22050},
        {"sample_rate": 22050.0},
        {"sample_rate": np.int64(22050)},
        {"sample_rate": np.float32(22050)},
        {"rate": 22050},
        {"rate": 22050, "sample_rate": 22050},
        {"rate": 22050.0, "sample_rate": 22050},
    ],
)
def test_sample_rate_forms(kwargs):
    clip = Audio(np.zeros(10), **kwargs)
    assert clip.sample_rate == 22050
    assert type(clip.sample_rate) is int


def test_pluto_call_shape():
    clip = Audio(np.zeros(10), 8000, "caption")
    assert (clip.sample_rate, clip.caption) == (8000, "caption")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, r"sample rate is required.*pass sample_rate=\.\.\."),
        ({"sample_rate": 0}, ValueError, r"sample_rate=0 is out of range.*768000"),
        ({"sample_rate": 2999}, ValueError, r"sample_rate=2999 is out of range.*3000 and 768000"),
        ({"sample_rate": -8000}, ValueError, r"sample_rate=-8000 is out of range"),
        ({"sample_rate": 768001}, ValueError, r"sample_rate=768001 is out of range"),
        ({"rate": 10**6}, ValueError, r"rate=1000000 is out of range"),
        ({"sample_rate": 22050.5}, ValueError, r"whole number of Hz.*22050\.5"),
        ({"sample_rate": float("nan")}, ValueError, r"whole number of Hz"),
        ({"sample_rate": "22050"}, TypeError, r"sample_rate must be a whole number.*str"),
        ({"sample_rate": True}, TypeError, r"sample_rate must be a whole number.*bool"),
        ({"sample_rate": 8000, "rate": 16000}, ValueError, r"8000 and rate=16000 disagree"),
    ],
)
def test_sample_rate_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Audio(np.zeros(10), **kwargs)


def test_a_file_at_a_rate_browsers_cannot_play_is_refused(tmp_path):
    path = tmp_path / "low.wav"
    sf.write(path, np.zeros((100, 1), np.int16), 2000)
    with pytest.raises(ValueError, match=r"low\.wav' at 2000 Hz is out of range.*3000 and 768000"):
        Audio(path)


def test_values_beyond_float32_are_refused_with_what_to_do():
    x = np.zeros(100)
    x[3] = -1e39
    with pytest.raises(ValueError, match=r"reaches 1e\+39, beyond the float32 range.*scale it"):
        Audio(x, 8000)


def test_highest_sample_rate_is_accepted_and_encoded_as_wav():
    x = np.array([0, 1000, -1000, 32767], np.int16)
    clip = Audio(x, 768000)
    encoded = _encode_quietly(clip)
    assert (encoded.mime, encoded.ext, encoded.encoding) == ("audio/wav", "wav", "WAV 16-bit")
    decoded, info = _decode(encoded, "int16")
    assert info.samplerate == 768000
    np.testing.assert_array_equal(decoded[:, 0], x)


# -- array and argument errors -----------------------------------------------------


def _with_non_finite():
    x = np.zeros(100)
    x[[3, 7]] = np.nan
    x[9] = -np.inf
    return x


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (np.zeros(0), {}, ValueError, r"empty \(shape \(0,\)\)"),
        (np.zeros((2, 0)), {}, ValueError, r"empty \(shape \(2, 0\)\)"),
        ([], {}, ValueError, "empty"),
        (_with_non_finite(), {}, ValueError, r"2 NaN and 1 Inf values.*nan_to_num"),
        (np.full(4, np.inf, np.float32), {}, ValueError, r"0 NaN and 4 Inf"),
        (np.zeros((1, 1, 100)), {}, ValueError, r"got shape \(1, 1, 100\).*squeeze"),
        (np.zeros((100, 9)), {}, ValueError, r"shape \(100, 9\).*channels must be <= 8"),
        (np.zeros((10, 100)), {}, ValueError, r"shape \(10, 100\).*channels must be <= 8"),
        (np.zeros(10, np.complex64), {}, TypeError, r"dtype complex64.*float32"),
        (np.zeros(10, bool), {}, TypeError, r"dtype bool.*float32"),
        (np.zeros(10, object), {}, TypeError, r"dtype object.*float32"),
        (np.array(["a", "b"]), {}, TypeError, r"dtype <U1.*float32"),
        (np.zeros(10, np.int64), {}, TypeError, r"dtype int64.*float32"),
        (np.zeros(10, np.uint16), {}, TypeError, r"dtype uint16"),
        ([True, False], {}, TypeError, r"dtype bool"),
        (["a", "b"], {}, TypeError, r"dtype <U1"),
        ([[0.0, 0.1], [0.2]], {}, ValueError, r"ragged"),
        (np.float32(0.5), {}, ValueError, r"single number"),
        ({"samples": [0.0]}, {}, TypeError, r"cannot make audio from dict.*numpy array"),
        (None, {}, TypeError, r"cannot make audio from NoneType.*path"),
        (3.0, {}, TypeError, r"cannot make audio from float"),
        (np.zeros(10), {"caption": 5}, TypeError, r"caption must be a str or None, got int"),
        (np.zeros(10), {"caption": b"x"}, TypeError, r"caption must be a str.*bytes"),
        (np.zeros(10), {"bit_depth": 8}, ValueError, r"bit_depth must be 16 or 24, got 8"),
        (np.zeros(10), {"bit_depth": 32}, ValueError, r"bit_depth must be 16 or 24, got 32"),
    ],
    ids=lambda v: None,
)
def test_input_errors(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        Audio(data, RATE, **kwargs)


# -- encoding: bit-exact paths -----------------------------------------------------


def _random_ints(dtype, n=4000, seed=2):
    info = np.iinfo(dtype)
    x = np.random.default_rng(seed).integers(info.min, info.max, n, endpoint=True, dtype=dtype)
    x[:2] = [info.min, info.max]
    return x


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (_random_ints(np.int16), _random_ints(np.int16)),
        (_random_ints(np.int8), _random_ints(np.int8).astype(np.int16) * 256),
        (_random_ints(np.uint8), (_random_ints(np.uint8).astype(np.int16) - 128) * 256),
        (_random_ints(np.int16).reshape(2, -1), _random_ints(np.int16).reshape(2, -1).T),
    ],
    ids=["int16", "int8", "uint8", "int16-channels-first"],
)
def test_small_ints_encode_bit_exact(x, expected):
    encoded = _encode_quietly(Audio(x, RATE, bit_depth=24))  # bit_depth only affects floats
    assert (encoded.encoding, encoded.bit_depth, encoded.mime) == ("FLAC 16-bit", 16, "audio/flac")
    decoded, info = _decode(encoded, "int16")
    assert (info.format, info.subtype, info.samplerate) == ("FLAC", "PCM_16", RATE)
    np.testing.assert_array_equal(decoded, expected.reshape(len(decoded), -1))


def test_int32_multiples_of_256_encode_bit_exact_at_24_bit():
    x = _random_ints(np.int32) // 256 * 256
    encoded = _encode_quietly(Audio(x, RATE, bit_depth=24))
    assert (encoded.encoding, encoded.bit_depth) == ("FLAC 24-bit", 24)
    decoded, info = _decode(encoded, "int32")
    assert info.subtype == "PCM_24"
    np.testing.assert_array_equal(decoded[:, 0], x)


def test_int32_rounds_to_nearest_24_bit_value():
    x = np.array([0, 127, 128, 300, -129, -300, 2**31 - 1, -(2**31)], np.int32)
    decoded, _ = _decode(_encode_quietly(Audio(x, RATE, bit_depth=24)), "int32")
    expected = np.array([0, 0, 256, 256, -256, -256, (2**23 - 1) * 256, -(2**31)])
    np.testing.assert_array_equal(decoded[:, 0], expected)


def test_float_at_24_bit_is_rounded_without_dither():
    x = np.random.default_rng(3).uniform(-0.9, 0.9, 3000)
    decoded, info = _decode(_encode_quietly(Audio(x, RATE, bit_depth=24)), "int32")
    assert info.subtype == "PCM_24"
    np.testing.assert_array_equal(decoded[:, 0] >> 8, np.rint(x * 2**23))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floats_on_the_16_bit_grid_encode_bit_exact(dtype):
    ints = _random_ints(np.int16)
    encoded = _encode_quietly(Audio((ints / 32768).astype(dtype), RATE))
    assert encoded.encoding == "FLAC 16-bit"
    np.testing.assert_array_equal(_decode(encoded, "int16")[0][:, 0], ints)


def test_int32_on_the_16_bit_grid_encodes_bit_exact():
    ints = _random_ints(np.int16)
    encoded = _encode_quietly(Audio(ints.astype(np.int32) << 16, RATE))
    np.testing.assert_array_equal(_decode(encoded, "int16")[0][:, 0], ints)


# -- encoding: dither --------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "lsb"),
    [
        (np.random.default_rng(4).uniform(-0.5, 0.5, 20000), None),
        (np.random.default_rng(5).uniform(-0.5, 0.5, 20000).astype(np.float32), None),
        (np.random.default_rng(6).integers(-(2**30), 2**30, 20000, dtype=np.int32), 2.0**-16),
    ],
    ids=["float64", "float32", "int32"],
)
def test_float_and_int32_sources_get_tpdf_dither(x, lsb):
    encoded = _encode_quietly(Audio(x, RATE))
    assert (encoded.encoding, encoded.bit_depth) == ("FLAC 16-bit", 16)
    decoded = _decode(encoded, "int16")[0][:, 0].astype(np.float64)
    exact = x.astype(np.float64) * (lsb or 32768.0)
    error = decoded - exact
    assert abs(error.mean()) < 0.02
    assert np.abs(error).max() <= 1.5 < 2
    assert 0.2 < error.var() < 0.3  # TPDF (1/6) plus rounding (1/12) = 1/4 LSB²
    assert np.mean(decoded != np.rint(exact)) > 0.3  # differs from plain rounding


def test_dither_is_reproducible_and_depends_on_the_data():
    x = np.random.default_rng(7).uniform(-0.5, 0.5, 5000)
    first = Audio(x, RATE).encode().data
    assert Audio(x.copy(), RATE).encode().data == first
    assert Audio(x * 0.5, RATE).encode().data != first


def test_silence_stays_silent():
    decoded, _ = _decode(_encode_quietly(Audio(np.zeros(1000, np.float32), RATE)), "int16")
    assert not decoded.any()


# -- encoding: clipping ------------------------------------------------------------


@pytest.mark.parametrize("bit_depth", [16, 24])
def test_clipping_warns_exactly_once_with_count_and_peak(bit_depth):
    x = np.concatenate([np.linspace(-0.5, 0.5, 1000), [1.5, -2.0, 1.0001]])
    clip = Audio(x, RATE, caption="loud", bit_depth=bit_depth)
    assert clip.peak == 2.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encoded = clip.encode()
        assert clip.encode() is encoded  # cached: no second encode, no second warning
    assert [w.category for w in caught] == [AudioWarning]
    message = str(caught[0].message)
    assert "3 samples exceed full scale" in message
    assert "+6.0 dBFS, 2.000" in message
    assert "'loud'" in message
    assert "clipped in the encoded FLAC" in message
    np.testing.assert_array_equal(clip.to_numpy()[-3:, 0], np.float32([1.5, -2.0, 1.0001]))
    decoded, _ = _decode(encoded, "float64")
    assert decoded.max() < 1.0
    assert decoded.min() == -1.0
    assert decoded[-3:, 0] == pytest.approx([1, -1, 1], abs=2e-4)


def test_full_scale_values_do_not_warn():
    x = np.array([1.0, -1.0, 0.5], np.float32)
    _encode_quietly(Audio(x, RATE))
    _encode_quietly(Audio(np.array([-(2**31), 2**31 - 1], np.int32), RATE))


# -- metadata ----------------------------------------------------------------------


def test_properties():
    clip = Audio(np.zeros((2, 44100), np.int16), 22050, "two seconds")
    assert (clip.sample_rate, clip.channels, clip.frames) == (22050, 2, 44100)
    assert clip.duration == 2.0
    assert clip.caption == "two seconds"
    assert clip.peak == 0.0


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (
            np.zeros(44100, np.int16),
            {"sample_rate": 22050, "caption": "hello"},
            "Audio(2.00 s, 22050 Hz, mono, int16, caption='hello')",
        ),
        (np.zeros((2, 8000)), {"rate": 16000}, "Audio(0.50 s, 16000 Hz, stereo, float64)"),
        (
            np.zeros((4, 100), np.float32),
            {"sample_rate": 8000},
            "Audio(0.01 s, 8000 Hz, 4 channels, float32)",
        ),
    ],
)
def test_repr(data, kwargs, expected):
    assert repr(Audio(data, **kwargs)) == expected


def test_repr_never_prints_data():
    assert len(repr(Audio(np.full(10**5, 0.123456), RATE))) < 60


def test_encoded_audio_is_frozen():
    encoded = _encode_quietly(Audio(np.zeros(10, np.int16), RATE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        encoded.data = b""  # type: ignore[misc]
    assert "bytes" in repr(encoded)
    assert "\\x" not in repr(encoded)


def test_classmethods_like_wandb():
    clips = [
        Audio(np.zeros(8000), 8000, "first"),
        Audio(np.zeros(8000), 16000),
        Audio(np.zeros(4410), 44100, "third"),
    ]
    assert Audio.durations(clips) == [1.0, 0.5, 0.1]
    assert Audio.sample_rates(clips) == [8000, 16000, 44100]
    assert Audio.captions(clips) == ["first", "", "third"]
    assert Audio.captions(clips[1:2]) is False
    assert Audio.captions([]) is False
    assert Audio.durations([]) == []
