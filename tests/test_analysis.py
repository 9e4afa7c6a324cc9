"""Analysis against closed-form signals, and loudness against pyloudnorm."""

from __future__ import annotations

import dataclasses
import io
import math
import warnings

import numpy as np
import pytest
import soundfile as sf

import audiowidget as aw
from audiowidget import analysis
from audiowidget.analysis import (
    SPECTRUM_BINS,
    _gated_loudness,
    fft_length,
    integrated_loudness,
    k_weighting,
    spectrum_frames,
)

FIELDS = [
    "peak_dbfs",
    "peak_dbfs_per_channel",
    "rms_dbfs",
    "crest_factor_db",
    "dynamic_range_db",
    "loudness_lufs",
    "dc_offset",
    "clipped_samples",
    "silence_ratio",
    "duration",
    "sample_rate",
    "channels",
    "encoding",
    "peaks",
    "spectrum_frames",
    "spectrum_frequencies",
    "spectrum_fps",
    "average_spectrum",
]


def sine(freq: float, seconds: float, rate: int, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def test_field_names_are_exactly_the_documented_ones():
    assert [f.name for f in dataclasses.fields(aw.Analysis)] == FIELDS
    assert dataclasses.is_dataclass(aw.Analysis)
    a = aw.analyze(sine(440, 0.5, 16000, 0.5), 16000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.peak_dbfs = 0.0  # type: ignore[misc]


def test_sine_at_minus_6_dbfs():
    amp = 10 ** (-6 / 20)
    a = aw.analyze(sine(997, 2.0, 48000, amp), 48000)
    assert a.peak_dbfs == pytest.approx(-6.0, abs=0.01)
    assert a.rms_dbfs == pytest.approx(-6.0 - 3.0103, abs=0.01)
    assert a.crest_factor_db == pytest.approx(3.0103, abs=0.01)
    assert a.peak_dbfs_per_channel == (pytest.approx(-6.0, abs=0.01),)
    assert a.clipped_samples == 0
    assert a.silence_ratio == 0.0
    assert a.dc_offset == pytest.approx(0.0, abs=1e-4)
    assert a.dynamic_range_db == pytest.approx(0.0, abs=0.05)  # 50 ms windows cut periods
    assert (a.duration, a.sample_rate, a.channels) == (2.0, 48000, 1)


def test_full_scale_sine_rms_reads_minus_3_01():
    assert aw.analyze(sine(1000, 1.0, 48000), 48000).rms_dbfs == pytest.approx(-3.01, abs=0.01)


def test_silence():
    a = aw.analyze(np.zeros(16000, dtype=np.float32), 16000)
    assert a.peak_dbfs == -math.inf
    assert a.rms_dbfs == -math.inf
    assert a.crest_factor_db is None  # undefined, as everywhere: None
    assert a.loudness_lufs == -math.inf
    assert a.dynamic_range_db is None
    assert a.silence_ratio == 1.0
    assert a.clipped_samples == 0
    assert int(a.spectrum_frames.max()) == 0


def test_clipped_float_square_keeps_its_true_level():
    square = 1.5 * np.sign(sine(100, 1.0, 8000) + 1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # analysis encodes nothing, so nothing is clipped
        a = aw.analyze(square, 8000)
    assert a.peak_dbfs == pytest.approx(20 * math.log10(1.5), abs=0.01)
    assert a.rms_dbfs == pytest.approx(20 * math.log10(1.5), abs=0.01)
    assert a.crest_factor_db == pytest.approx(0.0, abs=0.01)
    assert a.clipped_samples == square.size


def test_the_encoding_analyze_names_is_what_log_stores(tmp_path):
    """aw.analyze names the FLAC that logging would store, without encoding it."""
    x = 0.5 * sine(300, 0.5, 8000)
    sf.write(tmp_path / "a.wav", x, 8000, subtype="PCM_24")
    sf.write(tmp_path / "b.flac", x, 8000, subtype="PCM_16")
    sf.write(tmp_path / "c.wav", x, 8000, subtype="FLOAT")
    makers = [
        lambda: aw.Audio((x * 32767).astype(np.int16), 8000),
        lambda: aw.Audio(x.astype(np.float32), 8000),
        lambda: aw.Audio(np.round(x * 32767) / 32768, 8000),  # on the 16-bit grid
        lambda: aw.Audio(x, 8000, bit_depth=24),
        lambda: aw.Audio((x * 2**30).astype(np.int32), 8000),
        lambda: aw.Audio(x, 700_000),  # beyond FLAC's rates: WAV
        lambda: aw.Audio(tmp_path / "a.wav"),
        lambda: aw.Audio(tmp_path / "b.flac"),
        lambda: aw.Audio(tmp_path / "c.wav"),
    ]
    for make in makers:
        assert aw.analyze(make()).encoding == make().encode().encoding


def test_int16_square_at_the_type_extremes_counts_as_clipped():
    square = np.where(sine(50, 0.5, 8000) >= 0, 32767, -32768).astype(np.int16)
    a = aw.analyze(aw.Audio(square, 8000))
    assert a.clipped_samples == square.size
    assert a.encoding == "FLAC 16-bit"


@pytest.mark.parametrize(
    ("dtype", "subtype", "extremes", "near"),
    [
        (np.int8, None, [-128, 127], [-127, 126]),
        (np.uint8, None, [0, 255], [1, 254]),
        (np.int16, None, [-32768, 32767], [-32767, 32766]),
        (np.int32, None, [-(2**31), 2**31 - 1], [-(2**31) + 1, 2**31 - 64]),  # float32: 1.0
        (np.int32, "PCM_24", [-(2**23), 2**23 - 1], [-(2**23) + 1, 2**23 - 2]),
        (np.int16, "PCM_U8", [-128, 127], [-127, 126]),
    ],
)
def test_only_the_types_extremes_count_as_clipped(tmp_path, dtype, subtype, extremes, near):
    silence = [128] if dtype == np.uint8 else [0]
    x = np.array(extremes * 5 + near * 7 + silence * 100)
    if subtype is None:
        clip = aw.Audio(x.astype(dtype), 8000)
    else:  # a file: 24-bit and 8-bit samples are decoded shifted up into int32 and int16
        bits = 24 if subtype == "PCM_24" else 8
        sf.write(tmp_path / "c.wav", (x * 2 ** (32 - bits)).astype(np.int32), 8000, subtype=subtype)
        clip = aw.Audio(tmp_path / "c.wav")
        assert clip.source_dtype == ("int24" if bits == 24 else "uint8")
    assert aw.analyze(clip).clipped_samples == 10


def test_a_file_at_full_scale_is_decoded_once_for_its_analysis(calls):
    buffer = io.BytesIO()
    x = np.array([32767, -32768] + [0] * 48000, dtype=np.int16)
    sf.write(buffer, x, 48000, format="FLAC")
    clip = aw.Audio(buffer.getvalue())
    reads = calls(aw.Audio, "_pcm")
    assert aw.analyze(clip).clipped_samples == 2
    assert len(reads) == 1  # once for the samples and the clipped count together


def test_floats_count_as_clipped_at_full_scale_in_their_own_precision():
    x = np.array([1.0, -1.0, 1.5, 1 - 1e-9, -(1 - 1e-9), 0.5] + [0.0] * 100)  # float64
    assert aw.analyze(x, 8000).clipped_samples == 3  # float32 rounds 1 - 1e-9 to 1.0


def test_dc_offset():
    a = aw.analyze(np.full(8000, 0.25), 8000)
    assert a.dc_offset == pytest.approx(0.25)
    assert a.peak_dbfs == pytest.approx(20 * math.log10(0.25))
    assert a.rms_dbfs == pytest.approx(20 * math.log10(0.25))


def test_silence_ratio_and_dynamic_range_from_50_ms_windows():
    rate = 8000
    loud, quiet = sine(400, 1.0, rate, 0.5), sine(400, 1.0, rate, 0.05)  # 20 dB apart
    a = aw.analyze(np.concatenate([loud, quiet, np.zeros(2 * rate)]), rate)
    assert a.silence_ratio == pytest.approx(0.5)
    assert a.dynamic_range_db == pytest.approx(20.0, abs=0.01)
    few = aw.analyze(np.concatenate([sine(400, 0.05, rate, 0.5), np.zeros(rate)]), rate)
    assert few.dynamic_range_db is None  # one window above -70 dBFS


def test_stereo_peaks_per_channel_and_mean_power_spectrum():
    left = sine(43 * 48000 / 2048, 1.0, 48000, 1.0)  # on an FFT bin centre: no scalloping
    stereo = np.stack([left, 0.5 * left], axis=1)
    a = aw.analyze(stereo, 48000)
    assert a.peak_dbfs_per_channel == (
        pytest.approx(0.0, abs=0.01),
        pytest.approx(-6.02, abs=0.01),
    )
    assert a.channels == 2
    assert a.peaks.shape == (2, 1600, 2)
    # mean power over channels: (1 + 0.25) / 2 -> -2.04 dB at the tone
    top = -120 + int(a.spectrum_frames[15].max()) * 120 / 255
    assert top == pytest.approx(10 * math.log10(0.625), abs=0.3)


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000])
def test_a_1_khz_tone_peaks_in_the_bin_containing_1_khz(rate):
    frames, freqs, fps, average = spectrum_frames(sine(1000, 1.0, rate)[:, None], rate)
    edges = np.geomspace(20, rate / 2, SPECTRUM_BINS + 1)
    loudest = int(np.argmax(average))
    assert edges[loudest] <= 1000 < edges[loudest + 1]
    assert freqs[loudest] == pytest.approx(math.sqrt(edges[loudest] * edges[loudest + 1]), rel=1e-5)
    assert (
        int(frames[len(frames) // 2].max()) >= 252
    )  # a full-scale sine reads 0 dB (±1.5 dB scalloping)
    assert fps == pytest.approx(30, abs=0.1)
    assert frames.shape == (1 + rate // round(rate / 30), SPECTRUM_BINS)
    assert frames.dtype == np.uint8


def test_spectrum_scale_is_fixed_across_clips():
    quiet = spectrum_frames(sine(1000, 1.0, 48000, 0.01)[:, None], 48000)[0]
    loud = spectrum_frames(sine(1000, 1.0, 48000, 1.0)[:, None], 48000)[0]
    step_db = (int(loud[15].max()) - int(quiet[15].max())) * 120 / 255
    assert step_db == pytest.approx(40.0, abs=0.5)


def test_fft_length_is_the_power_of_two_nearest_46_ms():
    assert [fft_length(r) for r in (8000, 16000, 22050, 44100, 48000, 96000)] == [
        256,
        512,
        1024,
        2048,
        2048,
        4096,
    ]


def test_k_weighting_at_48_khz_is_the_published_filter():
    (shelf_b, shelf_a), (hp_b, hp_a) = k_weighting(48000)
    assert shelf_b == pytest.approx([1.53512485958697, -2.69169618940638, 1.19839281085285])
    assert shelf_a == pytest.approx([1.0, -1.69065929318241, 0.73248077421585])
    assert hp_b == pytest.approx([1.0, -2.0, 1.0])
    assert hp_a == pytest.approx([1.0, -1.99004745483398, 0.99007225036621])


def test_loudness_is_none_below_400_ms():
    assert integrated_loudness(sine(1000, 0.399, 48000), 48000) is None
    assert aw.analyze(sine(1000, 0.3, 48000, 0.5), 48000).loudness_lufs is None


def _signals():
    rng = np.random.default_rng(7)
    for rate in (16000, 22050, 44100, 48000):
        for channels in (1, 2):
            for seconds in (0.5, 7.0):
                n = int(rate * seconds)
                t = np.arange(n) / rate
                voiced = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 15))
                syllables = (np.sin(2 * np.pi * 3 * t) > -0.3).astype(float)
                noise = rng.normal(0, 1, (n, channels))
                x = 0.15 * (voiced * syllables)[:, None] + 0.02 * noise
                if channels == 2:
                    x[:, 1] *= 0.5
                yield pytest.param(x, rate, id=f"{rate}Hz-{channels}ch-{seconds}s")


@pytest.mark.parametrize(("x", "rate"), list(_signals()))
def test_loudness_agrees_with_pyloudnorm(x, rate):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    ours = aw.analyze(x, rate).loudness_lufs
    theirs = pyloudnorm.Meter(rate).integrated_loudness(x)
    assert ours == pytest.approx(theirs, abs=0.1)


def _programme(seconds: float, rate: int, channels: int, seed: int) -> np.ndarray:
    """Distinct speech-like content on every channel, at different levels."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    tone = np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    return np.stack(
        [0.1 / (ch + 1) * tone + 0.02 * rng.normal(0, 1, n) for ch in range(channels)], axis=1
    )


def test_five_channels_weigh_their_surrounds_as_pyloudnorm_does():
    pyloudnorm = pytest.importorskip("pyloudnorm")
    x = _programme(3.0, 48000, 5, seed=11)  # L R C Ls Rs
    theirs = pyloudnorm.Meter(48000).integrated_loudness(x)
    assert aw.analyze(x, 48000).loudness_lufs == pytest.approx(theirs, abs=0.1)


def test_the_lfe_channel_of_5_1_is_left_out_of_loudness():
    """5.1 in WAV and FLAC order (L R C LFE Ls Rs): the LFE channel does not count,
    the surrounds weigh 1.41, as for 5.0 (L R C Ls Rs) and as pyloudnorm gives it."""
    pyloudnorm = pytest.importorskip("pyloudnorm")
    five = _programme(3.0, 48000, 5, seed=12)
    rumble = 0.9 * np.sin(2 * np.pi * 60 * np.arange(len(five)) / 48000)
    six = np.concatenate([five[:, :3], rumble[:, None], five[:, 3:]], axis=1)
    assert integrated_loudness(six, 48000) == pytest.approx(
        integrated_loudness(five, 48000), abs=1e-9
    )
    theirs = pyloudnorm.Meter(48000).integrated_loudness(five)
    assert aw.analyze(six, 48000).loudness_lufs == pytest.approx(theirs, abs=0.1)
    lfe_only = np.zeros_like(six)
    lfe_only[:, 3] = rumble
    assert integrated_loudness(lfe_only, 48000) == -math.inf  # nothing the meter counts


def test_channel_weights_by_layout():
    def energy_weight(channels: int, ch: int) -> float:
        """The weight loudness gives channel ``ch``, read back off the meter."""
        x = _programme(2.0, 48000, 1, seed=13)[:, 0]
        alone = np.zeros((len(x), channels))
        alone[:, ch] = x
        reference = integrated_loudness(x, 48000)
        return 10 ** ((integrated_loudness(alone, 48000) - reference) / 10)

    expected = {
        2: [1, 1],
        4: [1, 1, 1.41, 1.41],
        6: [1, 1, 1, 0, 1.41, 1.41],
        7: [1] * 7,
        8: [1, 1, 1, 0, 1, 1, 1.41, 1.41],
    }
    for channels, weights in expected.items():
        assert analysis.channel_weights(channels).tolist() == weights
        for ch in (2, 3, channels - 1):
            if ch < channels and weights[ch]:
                assert energy_weight(channels, ch) == pytest.approx(weights[ch], rel=1e-6)


def test_panel_stats_are_the_scalar_fields():
    panel = aw.AudioPanel()
    clip = aw.Audio(np.stack([sine(300, 1.0, 22050, 0.3)] * 2, axis=1), 22050)
    panel.log({"g": clip}, step=3, run="r")
    stats = panel.stats("r", "g", 3)
    expected = aw.analyze(clip)
    scalar_fields = [
        f
        for f in FIELDS
        if f
        not in {
            "peaks",
            "spectrum_frames",
            "spectrum_frequencies",
            "average_spectrum",
        }
    ]
    assert list(stats) == scalar_fields  # every field that is not an array, spectrum_fps too
    for name in scalar_fields:
        value = getattr(expected, name)
        assert stats[name] == (list(value) if isinstance(value, tuple) else value)
    with pytest.raises(KeyError, match="nothing logged for run='r', group='g', step=4"):
        panel.stats("r", "g", 4)


def test_a_clip_far_beyond_full_scale_reads_its_true_levels():
    # an exploding model: float32 sums of squares would overflow (rms inf, loudness -inf)
    x = (0.1 * np.random.default_rng(3).standard_normal((96000, 2))).astype(np.float32)
    x[:, 1] += 0.01
    base = aw.analyze(x, 48000)
    for k in (55, 100):
        huge = aw.analyze(np.ldexp(x, k), 48000)
        shift = k * 20 * math.log10(2)
        assert huge.peak_dbfs == pytest.approx(base.peak_dbfs + shift, abs=1e-9)
        assert huge.rms_dbfs == pytest.approx(base.rms_dbfs + shift, abs=1e-9)
        assert huge.loudness_lufs == pytest.approx(base.loudness_lufs + shift, abs=1e-9)
        assert huge.crest_factor_db == pytest.approx(base.crest_factor_db, abs=1e-9)
        assert huge.dynamic_range_db == pytest.approx(base.dynamic_range_db, abs=1e-9)
        assert huge.dc_offset == pytest.approx(math.ldexp(base.dc_offset, k), rel=1e-12)
        assert huge.silence_ratio == base.silence_ratio
        assert huge.clipped_samples == x.size
        np.testing.assert_allclose(huge.average_spectrum, base.average_spectrum + shift, atol=1e-3)
        assert (huge.spectrum_frames == 255).all()  # hundreds of dB above the top of the scale


@pytest.mark.parametrize("bad", [math.nan, math.inf, 1e39])
def test_analysis_functions_refuse_nan_inf_and_values_beyond_float32(bad):
    x = np.zeros(48000)
    x[10] = bad
    message = "NaN or Inf" if bad != 1e39 else "beyond the float32 range"
    for fn in (
        lambda: integrated_loudness(x, 48000),
        lambda: spectrum_frames(x[:, None], 48000),
        lambda: analysis.waveform_peaks(x, 100),
    ):
        with pytest.raises(ValueError, match=message):
            fn()
    with pytest.raises(ValueError, match=r"NaN|Inf|beyond the float32 range"):
        aw.analyze(x, 48000)


def test_analysis_functions_read_arrays_as_audio_does():
    t = np.arange(16000) / 16000
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    i16 = np.round(x * 32767).astype(np.int16)
    stereo = np.stack([x, x])  # channels first, as Audio takes it
    for samples in (i16, stereo, x.tolist()):
        expected = aw.analyze(samples, 16000)  # as the Audio of the same array
        assert integrated_loudness(samples, 16000) == pytest.approx(
            expected.loudness_lufs, abs=1e-9
        )
        mono = aw.analyze(x, 16000).loudness_lufs  # stereo: two channels of it, +3.01 LU
        assert expected.loudness_lufs == pytest.approx(
            mono + (10 * math.log10(2) if samples is stereo else 0), abs=0.01
        )
        frames = spectrum_frames(samples, 16000)[0]
        np.testing.assert_array_equal(frames, expected.spectrum_frames)
        peaks = analysis.waveform_peaks(samples, 100)
        assert peaks.shape == ((2 if samples is stereo else 1), 100, 2)
        assert abs(int(peaks[0, :, 1].max()) - 16384) <= 2  # half of full scale: not 32767
    # empty input, bad rates and bad counts are refused with what to pass
    for fn, error, message in [
        (lambda: integrated_loudness([], 16000), ValueError, "audio is empty"),
        (lambda: spectrum_frames(np.zeros(0), 16000), ValueError, "audio is empty"),
        (lambda: analysis.waveform_peaks([], 10), ValueError, "audio is empty"),
        (lambda: spectrum_frames(x, 0), ValueError, "sample_rate=0 is out of range"),
        (lambda: integrated_loudness(x, "16000"), TypeError, "whole number of Hz"),
        (lambda: analysis.waveform_peaks(x, 0), ValueError, "buckets must be a whole number"),
        (lambda: spectrum_frames(x, 16000, bins=2.5), ValueError, "bins must be a whole number"),
        (lambda: aw.analyze(aw.Audio(x, 16000), "16000"), TypeError, "whole number of Hz"),
        (lambda: aw.analyze(aw.Audio(x, 16000), True), TypeError, "whole number of Hz"),
    ]:
        with pytest.raises(error, match=message):
            fn()


def test_loudness_is_none_where_k_weighting_is_undefined():
    # the K-weighting's shelf sits at 1682 Hz: below 3364 Hz it lies above Nyquist
    noise = np.random.default_rng(4).normal(0, 0.1, 30000).astype(np.float32)
    for rate in (3000, 3300):
        assert aw.analyze(noise, rate).loudness_lufs is None
        assert integrated_loudness(noise, rate) is None
    loudness = aw.analyze(noise, 3400).loudness_lufs
    assert loudness is not None
    assert math.isfinite(loudness)


def test_analyze_checks_its_input():
    with pytest.raises(ValueError, match="sample rate"):
        aw.analyze(np.zeros(10))
    clip = aw.Audio(np.zeros(100) + 0.1, 8000)
    with pytest.raises(ValueError, match="differs from the clip's 8000 Hz"):
        aw.analyze(clip, 16000)


@pytest.mark.parametrize(("x", "rate"), list(_signals()))
def test_loudness_gating_equals_pyloudnorm_given_its_filters(x, rate):
    """With the same K-weighted samples, our blocks and gates give pyloudnorm's number.

    What is left between the two (up to 0.04 LU) is the filter: pyloudnorm designs
    its own high-pass with a numerator of 0.995, where BS.1770 publishes 1.0.
    """
    pyloudnorm = pytest.importorskip("pyloudnorm")
    signal = pytest.importorskip("scipy.signal")
    meter = pyloudnorm.Meter(rate)
    samples = x[:, None] if x.ndim == 1 else x
    weighted = samples.astype(np.float64)
    for stage in meter._filters.values():
        weighted = signal.lfilter(stage.b, stage.a, weighted, axis=0)
    ours = _gated_loudness(weighted, rate)
    assert ours == pytest.approx(meter.integrated_loudness(x), abs=1e-3)


def test_numpy_fft_gives_the_same_analysis_as_scipy(monkeypatch):
    """Without SciPy the analysis falls back to numpy.fft: same numbers, to float32 rounding."""
    pytest.importorskip("scipy.fft")
    rng = np.random.default_rng(7)
    x = (0.1 * rng.standard_normal((44100 * 3, 2))).astype(np.float32)
    x[:, 0] += sine(200, 3.0, 44100, 0.5).astype(np.float32)
    with_scipy = aw.analyze(x, 44100)
    assert analysis._fft().__name__ == "scipy.fft"
    monkeypatch.setattr(analysis, "_FFT", np.fft)
    with_numpy = aw.analyze(x, 44100)
    assert with_scipy.loudness_lufs == pytest.approx(with_numpy.loudness_lufs, abs=1e-4)
    assert (
        np.abs(
            with_scipy.spectrum_frames.astype(int) - with_numpy.spectrum_frames.astype(int)
        ).max()
        <= 1
    )
    np.testing.assert_allclose(with_scipy.average_spectrum, with_numpy.average_spectrum, atol=1e-3)


@pytest.mark.parametrize(
    ("rate", "frames"),
    [(48000, 48000 * 7 + 1234), (16000, 16000 * 2), (44100, 19000), (8000, 3999)],
)
def test_loudness_from_segment_energies_equals_loudness_from_samples(rate, frames):
    """The fast path sums squares per 100 ms segment block by block; it must equal the plain one."""
    rng = np.random.default_rng(frames)
    x = (rng.standard_normal((frames, 2)) * np.linspace(0.01, 0.5, frames)[:, None]).astype(
        np.float32
    )
    plain = analysis._gated_loudness(analysis._k_weighted(x, rate), rate)
    assert integrated_loudness(x, rate) == pytest.approx(plain, abs=1e-4)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000, 192000, 768000])
@pytest.mark.parametrize("frames", [1, 31, 257, 262144 + 300])
def test_k_weighting_by_blocks_equals_the_recursive_filter(rate, frames):
    """Rows of samples are filtered by matrix products; the result is the IIR filter's.

    Checked against SciPy's recursive ``lfilter`` in float64, with a DC offset that the
    high-pass must take away, at lengths below one row, across rows and across chunks.
    The block method stays within 2e-5 of full scale up to 96 kHz (1e-4 up to 768 kHz,
    where the poles sit closer to 1), where the same filter run recursively in float32
    is off by up to 5e-4 at 96 kHz.
    """
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(frames + rate)
    x = (0.3 * rng.standard_normal((frames, 2))).astype(np.float32)
    x[:, 0] += 0.2
    ref = x.astype(np.float64)
    for b, a in k_weighting(rate):
        ref = signal.lfilter(b, a, ref, axis=0)
    ours = analysis._k_weighted(x, rate)
    assert ours.shape == x.shape
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 if rate <= 96000 else 1e-4)


def _same_analysis(a: aw.Analysis, b: aw.Analysis) -> None:
    for name in FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right, err_msg=name)
        else:
            assert left == right, name


def test_analysis_does_not_depend_on_how_work_is_split(monkeypatch):
    """Spans of frames and chunks of samples meet without seams: one worker gives the same."""
    rng = np.random.default_rng(11)
    rate = 44100
    x = (0.1 * rng.standard_normal((rate * 30 + 123, 2))).astype(np.float32)
    x[:, 1] += sine(997, 30 + 123 / rate, rate, 0.2).astype(np.float32)
    split = aw.analyze(x, rate)
    monkeypatch.setattr(analysis, "_WORKERS", 1)
    _same_analysis(split, aw.analyze(x, rate))


@pytest.mark.parametrize(
    ("frames", "channels", "rate", "block"),
    [
        (48000 * 7 + 13, 2, 48000, 1 << 17),  # buckets straddle blocks of 27 windows
        (300_001, 3, 44100, 1 << 12),  # blocks of one window, shorter than a bucket
        (2399, 1, 48000, 1 << 17),  # shorter than one window
        (700, 2, 8000, 1 << 17),  # fewer frames than buckets
    ],
)
def test_sample_statistics_read_block_by_block_equal_their_definitions(
    monkeypatch, frames, channels, rate, block
):
    """Bucket extremes, window energies and sums taken a block at a time, merged at the end,
    equal the same quantities taken over the whole clip at once."""
    monkeypatch.setattr(analysis, "_LEVELS_BLOCK", block)
    rng = np.random.default_rng(frames)
    x = (0.3 * rng.standard_normal((frames, channels)) + 0.01).astype(np.float32)
    lows, highs, energy, sums, window = analysis._passes(x, rate)
    n = min(analysis.WAVEFORM_BUCKETS, frames)
    starts = np.arange(n) * frames // n
    np.testing.assert_array_equal(lows, np.minimum.reduceat(x, starts, axis=0))
    np.testing.assert_array_equal(highs, np.maximum.reduceat(x, starts, axis=0))
    assert window == max(1, min(frames, round(0.05 * rate)))
    shaped = x[: len(energy) * window].astype(np.float64).reshape(len(energy), -1)
    assert len(energy) == frames // window
    np.testing.assert_allclose(energy, (shaped**2).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(sums, shaped.sum(axis=1), rtol=1e-4, atol=1e-4)
    stats = analysis._levels(x, rate)
    assert stats["dc_offset"] == pytest.approx(float(x.mean(dtype=np.float64)), abs=1e-7)
    rms = 10 * math.log10(float(np.mean(x.astype(np.float64) ** 2)))
    assert stats["rms_dbfs"] == pytest.approx(rms, abs=1e-4)


def test_clips_analyzed_from_several_threads_at_once_get_their_own_results():
    """Callers share the worker threads and the per-rate matrices, never each other's numbers."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(12)
    clips = [
        ((level * rng.standard_normal((rate * 12, 1))).astype(np.float32), rate)
        for level, rate in [(0.05, 48000), (0.15, 48000), (0.1, 16000), (0.12, 44100)]
    ]
    alone = [aw.analyze(x, rate) for x, rate in clips]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda clip: aw.analyze(*clip), clips * 4))
    for i, result in enumerate(together):
        _same_analysis(alone[i % len(clips)], result)


def test_a_process_forked_after_an_analysis_can_analyze_too():
    """A forked child inherits the worker pool but not its threads; it must not wait on them."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    rng = np.random.default_rng(13)
    x = (0.1 * rng.standard_normal(48000 * 20)).astype(np.float32)
    expected = aw.analyze(x, 48000).loudness_lufs  # the parent's pool is running now
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(aw.analyze(x, 48000).loudness_lufs))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child did not finish its analysis within 60 s")
    assert results.get(timeout=5) == expected


def test_loudness_at_a_rate_without_whole_100ms_segments():
    pyloudnorm = pytest.importorskip("pyloudnorm")
    x = sine(1000, 3.0, 11025, 0.5) * np.linspace(0.2, 1.0, 3 * 11025)
    theirs = pyloudnorm.Meter(11025).integrated_loudness(x)
    assert integrated_loudness(x, 11025) == pytest.approx(theirs, abs=0.1)
