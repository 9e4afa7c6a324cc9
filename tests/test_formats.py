"""audio_format: lossless by default, lossy only when asked, never resampled."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

import audiowidget as aw


def tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "mime", "encoding"),
    [("flac", "audio/flac", "FLAC 16-bit"), ("wav", "audio/wav", "WAV 16-bit"),
     ("mp3", "audio/mpeg", "MP3"), ("opus", "audio/ogg", "OGG Opus")],
)  # fmt: skip
def test_panel_embeds_the_requested_format(fmt, mime, encoding):
    x = tone(48000)
    panel = aw.AudioPanel(audio_format=fmt)
    panel.log({"g": aw.Audio(x, 48000)}, step=0, run="r")
    (model,) = [m for page in panel._pages for m in page.clips]
    assert (model.meta["mime"], model.meta["encoding"]) == (mime, encoding)
    decoded, rate = sf.read(io.BytesIO(model.audio), dtype="float32")
    assert rate == 48000
    assert abs(len(decoded) - len(x)) < 0.1 * len(x)  # lossy codecs pad a little
    # levels are kept: within 1 dB of the source RMS
    rms = 20 * np.log10(np.sqrt(np.mean(decoded**2)))
    assert rms == pytest.approx(20 * np.log10(0.3 / np.sqrt(2)), abs=1.0)
    # statistics always come from the original samples
    assert panel.stats("r", "g", 0)["peak_dbfs"] == pytest.approx(20 * np.log10(0.3), abs=0.01)
    # and name the format the clip is stored in, as the card does
    assert panel.stats("r", "g", 0)["encoding"] == encoding
    assert model.meta["stats"]["encoding"] == encoding


def test_lossy_formats_are_much_smaller():
    x = tone(48000, 4.0) + np.random.default_rng(0).normal(0, 0.01, 48000 * 4).astype(np.float32)
    clip = aw.Audio(x, 48000)
    flac, opus = len(clip.encode("flac").data), len(clip.encode("opus").data)
    assert opus < 0.2 * flac


def test_opus_refuses_rates_it_cannot_store():
    panel = aw.AudioPanel(audio_format="opus")
    with pytest.raises(
        ValueError,
        match=r"^run 'r', group 'g', step 0: opus cannot store 22050 Hz audio.*never resamples",
    ):
        panel.log({"g": aw.Audio(tone(22050), 22050)}, step=0, run="r")
    assert panel.runs == []  # nothing half-logged


def test_mp3_refuses_more_than_two_channels_and_names_the_clip():
    panel = aw.AudioPanel(audio_format="mp3")
    three = aw.Audio(np.zeros((3, 4800), dtype=np.float32), 48000)
    with pytest.raises(
        ValueError, match=r"^run 'r', group 'g', step 2, clip 1: mp3 stores mono or stereo only"
    ):
        panel.log({"g": [aw.Audio(tone(48000), 48000), three]}, step=2, run="r")
    assert panel.runs == []


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="audio_format must be 'flac', 'wav', 'mp3' or 'opus'"):
        aw.AudioPanel(audio_format="aac")
    with pytest.raises(ValueError, match="audio_format must be"):
        aw.Audio(tone(8000), 8000).encode("ogg")


def test_a_file_is_decoded_once_for_a_lossy_format(calls):
    # a long file converted to Opus: decoding it again for every chunk made the time grow
    # with the square of its length
    buffer = io.BytesIO()
    x = tone(48000, 8.0)  # 384,000 frames: several chunks
    sf.write(buffer, x, 48000, format="FLAC")
    clip = aw.Audio(buffer.getvalue())
    decoded_source = clip.to_numpy()
    decodes = calls(aw.Audio, "to_numpy")
    encoded = clip.encode("opus")
    assert len(decodes) == 1
    decoded, rate = sf.read(io.BytesIO(encoded.data), dtype="float32")
    assert rate == 48000
    assert abs(len(decoded) - len(x)) < 0.01 * len(x)
    # the same samples as an array encode to the same audio (the Ogg stream's serial differs)
    same = aw.Audio(decoded_source, 48000).encode("opus")
    np.testing.assert_array_equal(decoded, sf.read(io.BytesIO(same.data), dtype="float32")[0])


@pytest.mark.parametrize(
    ("subtype", "encoding"), [("PCM_16", "WAV 16-bit"), ("PCM_24", "WAV 24-bit")]
)
def test_a_flac_file_as_wav_keeps_its_bit_depth_and_samples(subtype, encoding):
    buffer = io.BytesIO()
    sf.write(buffer, tone(16000), 16000, format="FLAC", subtype=subtype)
    clip = aw.Audio(buffer.getvalue())
    wav = clip.encode("wav")
    assert wav.encoding == encoding  # a 16-bit FLAC was stored as 24-bit WAV, 1.5x the size
    kind = "int16" if subtype == "PCM_16" else "int32"
    original, _ = sf.read(io.BytesIO(buffer.getvalue()), dtype=kind)
    stored, _ = sf.read(io.BytesIO(wav.data), dtype=kind)
    np.testing.assert_array_equal(stored, original)
