"""Tests for audiowidget.importers: folders, TensorBoard event files and W&B run directories.

TensorBoard and W&B data are written during the tests by the real writers
(tensorboardX, tensorboard's own event writer, wandb in offline mode).
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf

import audiowidget as aw
from audiowidget import importers
from audiowidget.clip import AudioFileError

# -- helpers ----------------------------------------------------------------------------


def _tone(freq: float, rate: int, seconds: float = 0.05, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.3 * np.sin(2 * np.pi * freq * t)
    if channels == 1:
        return mono
    return np.stack([mono * (1 - 0.3 * c) for c in range(channels)], axis=1)


def _write(path: Path, rate: int = 8000, freq: float = 440.0, fmt: str = "WAV") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, _tone(freq, rate), rate, format=fmt)
    return path


def _decoded(clip: aw.Audio) -> np.ndarray:
    """The samples of the bytes the panel would embed, decoded again."""
    data, _ = sf.read(io.BytesIO(clip.encode().data), dtype="float64", always_2d=True)
    return data


class RecordingPanel:
    """Stands in for AudioPanel: records every log() call."""

    made: ClassVar[list[RecordingPanel]] = []

    def __init__(self, fail: bool = False, **options) -> None:
        self.options, self.calls, self.closed, self.fail = options, [], False, fail
        RecordingPanel.made.append(self)

    def log(self, data, step=None, run="default") -> None:
        if self.fail:
            raise RuntimeError("log failed")
        self.calls.append((run, step, {g: [a.caption for a in clips] for g, clips in data.items()}))

    def close(self) -> None:
        self.closed = True


# -- folders ----------------------------------------------------------------------------


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """samples/{run}/step_{step}/{group}.wav for 2 runs, 3 steps (2, 10, 100), 2 groups."""
    for run, rate in (("run10", 16000), ("run2", 8000)):
        for step in ("2", "010", "100"):
            for group in ("hello", "long"):
                _write(tmp_path / "samples" / run / f"step_{step}" / f"{group}.wav", rate)
    return tmp_path


def test_from_files_reads_runs_steps_groups(samples: Path) -> None:
    panel = importers.from_files(
        aw.AudioPanel, "samples/{run}/step_{step}/{group}.wav", root=samples
    )
    assert panel.runs == ["run2", "run10"]  # natural order
    assert panel.groups == ["hello", "long"]
    assert panel.steps("hello") == [2, 10, 100]  # "010" is step 10
    assert panel.stats("run2", "long", 10)["sample_rate"] == 8000
    assert panel.stats("run10", "hello", 100)["sample_rate"] == 16000


def test_from_files_logs_each_run_and_step_once_with_all_groups(samples: Path) -> None:
    panel = importers.from_files(
        RecordingPanel, "samples/{run}/step_{step}/{group}.wav", root=samples, embed="all"
    )
    assert panel.options == {"embed": "all"}
    assert [(run, step, sorted(groups)) for run, step, groups in panel.calls] == [
        (run, step, ["hello", "long"]) for run in ("run2", "run10") for step in (2, 10, 100)
    ]


def test_from_files_index_makes_lists_in_index_order(tmp_path: Path) -> None:
    for index, freq in ((10, 300.0), (2, 200.0), (0, 100.0)):
        _write(tmp_path / "a" / "5" / f"hello_{index}.wav", freq=freq)
    clips = importers.read_files("{run}/{step}/{group}_{index}.wav", root=tmp_path)
    assert [(c.run, c.group, c.step, c.index) for c in clips] == [
        ("a", "hello", 5, 0),
        ("a", "hello", 5, 2),
        ("a", "hello", 5, 10),
    ]
    panel = importers.from_files(aw.AudioPanel, "{run}/{step}/{group}_{index}.wav", root=tmp_path)
    # the list is logged in index order: positions 0, 1, 2
    assert [panel.stats("a", "hello", 5, i)["duration"] > 0 for i in range(3)] == [True] * 3


def test_from_files_fills_an_existing_panel(samples: Path) -> None:
    panel = aw.AudioPanel()
    panel.log({"other": aw.Audio(_tone(440, 8000), 8000)}, step=0, run="mine")
    same = importers.from_files(panel, "samples/{run}/step_{step}/{group}.wav", root=samples)
    assert same is panel
    assert panel.runs == ["mine", "run2", "run10"]
    with pytest.raises(TypeError, match=r"only apply to a new panel"):
        importers.from_files(panel, "samples/{run}/step_{step}/{group}.wav", samples, embed="all")


def test_from_files_closes_the_new_panel_when_logging_fails(samples: Path) -> None:
    RecordingPanel.made.clear()
    with pytest.raises(RuntimeError, match="log failed"):
        importers.from_files(
            RecordingPanel, "samples/{run}/step_{step}/{group}.wav", samples, fail=True
        )
    assert [p.closed for p in RecordingPanel.made] == [True]


def test_from_files_lists_unmatched_files_in_one_warning(samples: Path) -> None:
    for i in range(25):
        _write(samples / "samples" / "run2" / "extra" / f"clip{i:02d}.wav")
    (samples / "samples" / ".DS_Store").write_bytes(b"hidden")
    with pytest.warns(aw.AudioWarning) as caught:
        clips = importers.read_files("samples/{run}/step_{step}/{group}.wav", root=samples)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("25 files under")
    assert "'samples/run2/extra/clip00.wav'" in message
    assert "'samples/run2/extra/clip19.wav' and 5 more" in message
    assert "clip20" not in message
    assert ".DS_Store" not in message
    assert len(clips) == 12


def test_from_files_nothing_matches_says_pattern_root_count_and_example(samples: Path) -> None:
    pattern = "samples/{run}/checkpoint-{step}/{group}.flac"
    with pytest.raises(ValueError, match=r"no file matches the pattern") as info:
        importers.read_files(pattern, root=samples)
    message = str(info.value)
    assert repr(pattern) in message
    assert repr(str(samples)) in message
    assert "looked at 12 files" in message
    assert "'samples/baseline/checkpoint-100/hello.flac'" in message


def test_from_files_missing_prefix_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"the folder '.*nowhere' does not exist"):
        importers.read_files("nowhere/{run}/{group}.wav", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"is not a folder"):
        importers.read_files("{run}/{group}.wav", root=tmp_path / "missing")


def test_from_files_escapes_literal_parts(tmp_path: Path) -> None:
    _write(tmp_path / "exp (v2)+" / "a" / "[3]g.wav")
    _write(tmp_path / "exp (v2)+" / "a" / "3g.wav")  # no literal brackets
    _write(tmp_path / "exp (v2)+" / "b" / "[4]gXwav")  # would match an unescaped "."
    _write(tmp_path / "exp (v2)" / "c" / "[5]g.wav")  # would match an unescaped "+"
    with pytest.warns(aw.AudioWarning, match=r"2 files") as caught:
        clips = importers.read_files("exp (v2)+/{run}/[{step}]{group}.wav", root=tmp_path)
    assert "'exp (v2)+/a/3g.wav'" in str(caught[0].message)
    assert "'exp (v2)+/b/[4]gXwav'" in str(caught[0].message)
    assert [(c.run, c.step, c.group) for c in clips] == [("a", 3, "g")]


def test_from_files_literal_braces_and_defaults(tmp_path: Path) -> None:
    _write(tmp_path / "{x}" / "hello.wav")
    (clip,) = importers.read_files("{{x}}/{group}.wav", root=tmp_path)
    assert (clip.run, clip.group, clip.step, clip.index) == ("default", "hello", 0, 0)


def test_group_is_one_segment_unless_path(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "5" / "tts" / "hello.wav")
    with pytest.raises(ValueError, match=r"looked at 1 files"):
        importers.read_files("{run}/{step}/{group}.wav", root=tmp_path)
    (clip,) = importers.read_files("{run}/{step}/{group:path}.wav", root=tmp_path)
    assert (clip.run, clip.step, clip.group) == ("a", 5, "tts/hello")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{run}/{stage}/{group}.wav", r"placeholder \{stage\}"),
        ("{run}/{group}/{group}.wav", r"\{group\} more than once"),
        ("{run}/{step}.wav", r"has no \{group\}"),
        ("{run}/{step:04d}/{group}.wav", r"takes no format"),
        ("{run!r}/{group}.wav", r"takes no format"),
        ("/data/{run}/{group}.wav", r"is absolute"),
        ("{run}/{group.wav", r"cannot read pattern"),
        ("../{run}/{group}.wav", r"goes up with '\.\.'"),
    ],
)
def test_bad_patterns(tmp_path: Path, pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        importers.read_files(pattern, root=tmp_path)


def test_two_files_for_one_address_are_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "5" / "g.wav")
    _write(tmp_path / "a" / "05" / "g.wav")
    with pytest.raises(ValueError, match=r"both give run='a', group='g', step=5, index=0"):
        importers.read_files("{run}/{step}/{group}.wav", root=tmp_path)


def test_flac_files_keep_their_bytes_and_bad_files_are_named(tmp_path: Path) -> None:
    flac = _write(tmp_path / "a" / "0" / "g.flac", fmt="FLAC")
    (clip,) = importers.read_files("{run}/{step}/{group}.flac", root=tmp_path)
    assert clip.audio.encode().data == flac.read_bytes()
    (tmp_path / "a" / "1").mkdir()
    (tmp_path / "a" / "1" / "g.flac").write_bytes(b"not audio")
    with pytest.raises(AudioFileError, match=r"g\.flac"):
        importers.read_files("{run}/{step}/{group}.flac", root=tmp_path)


def test_importers_does_not_import_the_widget_module_at_import_time() -> None:
    tree = ast.parse(Path(importers.__file__).read_text(encoding="utf-8"))
    top_level = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ]
    assert "widget" not in top_level


def test_tensorboard_and_wandb_are_not_imported_with_the_module() -> None:
    import subprocess

    code = (
        "import sys, audiowidget.importers; "
        "print(sorted(m for m in ('tensorboard', 'tensorboardX', 'wandb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- TensorBoard -------------------------------------------------------------------------

TB_RUNS = {"baseline": 16000, "bigger-model": 22050}
TB_STEPS = (0, 10, 20, 30)


def _tb_signal(run: str, tag: str, step: int) -> np.ndarray:
    rate = TB_RUNS[run]
    channels = 2 if tag == "tts/stereo" else 1
    return _tone(200 + step * 10 + len(run), rate, seconds=0.1, channels=channels)


@pytest.fixture
def tb_logdir(tmp_path: Path) -> Path:
    import tensorboard  # noqa: F401 - the reader needs it installed
    from tensorboardX import SummaryWriter

    for run in TB_RUNS:
        with SummaryWriter(str(tmp_path / "logs" / run)) as writer:
            for step in TB_STEPS:
                for tag in ("tts/hello", "tts/stereo"):
                    writer.add_audio(
                        tag, _tb_signal(run, tag, step), step, sample_rate=TB_RUNS[run]
                    )
                writer.add_scalar("loss", 1.0 / (step + 1), step)
    return tmp_path / "logs"


def test_from_tensorboard_runs_groups_steps(tb_logdir: Path) -> None:
    panel = importers.from_tensorboard(aw.AudioPanel, tb_logdir)
    assert panel.runs == ["baseline", "bigger-model"]
    assert panel.groups == ["tts/hello", "tts/stereo"]
    assert panel.steps("tts/hello") == list(TB_STEPS)
    assert panel.steps("tts/stereo") == list(TB_STEPS)
    for run, rate in TB_RUNS.items():
        stats = panel.stats(run, "tts/stereo", 20)
        assert (stats["sample_rate"], stats["channels"]) == (rate, 2)


def test_from_tensorboard_logs_each_run_and_step_once(tb_logdir: Path) -> None:
    panel = importers.from_tensorboard(RecordingPanel, tb_logdir)
    assert [(run, step, sorted(groups)) for run, step, groups in panel.calls] == [
        (run, step, ["tts/hello", "tts/stereo"]) for run in TB_RUNS for step in TB_STEPS
    ]


def test_from_tensorboard_keeps_the_samples(tb_logdir: Path) -> None:
    clips = importers.read_tensorboard(tb_logdir)
    assert len(clips) == len(TB_RUNS) * 2 * len(TB_STEPS)
    for clip in clips:
        written = _tb_signal(clip.run, clip.group, clip.step).reshape(len(_decoded(clip.audio)), -1)
        assert clip.audio.sample_rate == TB_RUNS[clip.run]
        assert clip.audio.encode().encoding == "FLAC 16-bit"  # TensorBoard's 16-bit WAV, lossless
        np.testing.assert_allclose(_decoded(clip.audio), written, rtol=0, atol=1 / 32768)
        np.testing.assert_array_equal(_decoded(clip.audio), clip.audio.to_numpy())


def test_tensorboard_event_files_in_logdir_form_a_run_named_after_it(tmp_path: Path) -> None:
    import tensorboard  # noqa: F401 - the reader needs it installed
    from tensorboardX import SummaryWriter

    logdir = tmp_path / "my-experiment"
    with SummaryWriter(str(logdir)) as writer:
        writer.add_audio("a", _tone(440, 8000), 3, sample_rate=8000)
    with SummaryWriter(str(logdir / "sweep" / "lr-3")) as writer:
        writer.add_audio("a", _tone(440, 8000), 4, sample_rate=8000)
    clips = importers.read_tensorboard(logdir)
    assert [(c.run, c.group, c.step) for c in clips] == [
        ("my-experiment", "a", 3),
        ("sweep/lr-3", "a", 4),
    ]


def test_tensorboard_tensor_summaries_with_several_clips_become_lists(tmp_path: Path) -> None:
    """The layout of TF2's tf.summary.audio: a [k, 2] string tensor of (WAV, label)."""
    import tensorboard  # noqa: F401 - the reader needs it installed
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.audio import metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    writer = EventFileWriter(str(tmp_path / "tf2"))
    for step in (1, 2):
        wavs = []
        for k in range(3):
            buffer = io.BytesIO()
            sf.write(buffer, _tone(300 + 100 * k + step, 24000), 24000, format="WAV")
            wavs.append([buffer.getvalue(), f"label {k}".encode()])
        summary = summary_pb2.Summary()
        summary.value.add(
            tag="batch",
            metadata=metadata.create_summary_metadata("batch", "", metadata.Encoding.Value("WAV")),
            tensor=tensor_util.make_tensor_proto(np.array(wavs, dtype=object)),
        )
        writer.add_event(event_pb2.Event(wall_time=1.0, step=step, summary=summary))
    writer.close()
    clips = importers.read_tensorboard(tmp_path)
    assert [(c.run, c.step, c.index) for c in clips] == [
        ("tf2", step, k) for step in (1, 2) for k in range(3)
    ]
    expected = _tone(300 + 100 * 2 + 2, 24000)
    np.testing.assert_allclose(_decoded(clips[-1].audio)[:, 0], expected, atol=1 / 32768)


def test_tensorboard_without_audio_or_event_files(tmp_path: Path) -> None:
    import tensorboard  # noqa: F401 - the reader needs it installed
    from tensorboardX import SummaryWriter

    with pytest.raises(ValueError, match=r"no TensorBoard event files"):
        importers.read_tensorboard(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"is not a folder"):
        importers.read_tensorboard(tmp_path / "missing")
    with SummaryWriter(str(tmp_path / "run")) as writer:
        writer.add_scalar("loss", 0.5, 0)
    with pytest.raises(ValueError, match=r"hold no audio summaries .*'loss'"):
        importers.read_tensorboard(tmp_path)


def test_tensorboard_missing_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(
        ImportError, match=r"needs the tensorboard package .*: pip install tensorboard"
    ):
        importers.from_tensorboard(aw.AudioPanel, tmp_path)


# -- Weights & Biases ------------------------------------------------------------------

WANDB_RATES = {"tts/hello": 16000, "vocoder/sample": 22050}
WANDB_STEPS = (0, 5, 10)
LONG_CAPTION = "a caption longer than two blocks of the log " * 1700  # ~75 KB


def _wandb_signal(run: str, key: str, step: int) -> np.ndarray:
    return _tone(220 + 7 * step + 3 * len(run) + len(key), WANDB_RATES[key], seconds=0.05)


@pytest.fixture(scope="module")
def wandb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two offline runs written by the real wandb package, in <tmp>/wandb/offline-run-*."""
    wandb = pytest.importorskip("wandb")
    folder = tmp_path_factory.mktemp("wandb-project")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WANDB_MODE", "offline")
        env.setenv("WANDB_SILENT", "true")
        env.setenv("WANDB_DIR", str(folder))
        for variable in ("CACHE", "CONFIG", "DATA", "ARTIFACT"):
            env.setenv(f"WANDB_{variable}_DIR", str(folder / variable.lower()))
        for name in ("baseline", "bigger-model"):
            run = wandb.init(
                mode="offline",
                dir=folder,
                project="t",
                name=name,
                settings=wandb.Settings(silent=True, console="off"),
            )
            for step in WANDB_STEPS:
                logged = {
                    key: wandb.Audio(
                        _wandb_signal(name, key, step), sample_rate=rate, caption=f"{key} @ {step}"
                    )
                    for key, rate in WANDB_RATES.items()
                }
                logged["loss"] = 1.0 / (step + 1)
                if step == 10:
                    logged["tts/list"] = [
                        wandb.Audio(_tone(300 + k, 8000), sample_rate=8000, caption=f"item {k}")
                        for k in range(2)
                    ]
                if step == 5 and name == "baseline":
                    logged["long"] = wandb.Audio(
                        _tone(500, 8000), sample_rate=8000, caption=LONG_CAPTION
                    )
                run.log(logged, step=step)
            run.finish()
        wandb.teardown()  # run.finish() can return before the log is on disk
    return folder


def _runs(folder: Path) -> list[Path]:
    return sorted((folder / "wandb").glob("offline-run-*"))


def _run_named(folder: Path, name: str) -> Path:
    (found,) = [d for d in _runs(folder) if importers._read_wandb_run(d).name == name]
    return found


def test_from_wandb_groups_steps_captions_rates(wandb_dir: Path) -> None:
    panel = importers.from_wandb(aw.AudioPanel, wandb_dir)
    assert panel.runs == ["baseline", "bigger-model"]
    assert panel.groups == ["tts/hello", "vocoder/sample", "long", "tts/list"]
    for key, rate in WANDB_RATES.items():
        assert panel.steps(key) == list(WANDB_STEPS)
        assert panel.stats("bigger-model", key, 5)["sample_rate"] == rate
    assert panel.steps("tts/list") == [10]
    assert panel.stats("baseline", "tts/list", 10, index=1)["sample_rate"] == 8000


def test_read_wandb_captions_and_samples(wandb_dir: Path) -> None:
    clips = importers.read_wandb(wandb_dir)
    by_address = {(c.run, c.group, c.step, c.index): c for c in clips}
    for run in ("baseline", "bigger-model"):
        for key in WANDB_RATES:
            for step in WANDB_STEPS:
                clip = by_address[(run, key, step, 0)]
                assert clip.audio.caption == f"{key} @ {step}"
                assert clip.audio.sample_rate == WANDB_RATES[key]
                np.testing.assert_allclose(
                    _decoded(clip.audio)[:, 0], _wandb_signal(run, key, step), atol=1 / 32768
                )
        assert [by_address[(run, "tts/list", 10, k)].audio.caption for k in (0, 1)] == [
            "item 0",
            "item 1",
        ]
    assert by_address[("baseline", "long", 5, 0)].audio.caption == LONG_CAPTION


def test_read_wandb_accepts_run_dir_wandb_dir_and_parent(wandb_dir: Path) -> None:
    baseline = _run_named(wandb_dir, "baseline")
    assert {c.run for c in importers.read_wandb(baseline)} == {"baseline"}
    assert {c.run for c in importers.read_wandb(wandb_dir / "wandb")} == {
        "baseline",
        "bigger-model",
    }


def test_wandb_log_reader_agrees_with_wandb_protobuf(wandb_dir: Path) -> None:
    """Our reader of run-<id>.wandb against wandb's own Record parser, on every record."""
    pytest.importorskip("wandb")
    from wandb.proto import wandb_internal_pb2

    for folder in _runs(wandb_dir):
        (log,) = folder.glob("*.wandb")
        ours, theirs = [], []
        for data in importers._log_records(log):
            record = wandb_internal_pb2.Record.FromString(data)
            if record.WhichOneof("record_type") == "history":
                theirs.append(
                    {
                        tuple(item.nested_key) or (item.key,): json.loads(item.value_json)
                        for item in record.history.item
                    }
                )
                _, row = importers._history_row(record.history.SerializeToString(), 0)
                ours.append(row)
        assert len(ours) == len(WANDB_STEPS)
        for row, items in zip(ours, theirs, strict=True):
            for keys, value in items.items():
                node = row
                for key in keys:
                    node = node[key]
                assert node == value


def _copy_run(wandb_dir: Path, tmp_path: Path, name: str = "baseline") -> Path:
    source = _run_named(wandb_dir, name)
    return Path(shutil.copytree(source, tmp_path / "wandb" / source.name))


def test_wandb_history_jsonl_is_read_when_there_is_no_log(wandb_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(wandb_dir, tmp_path)
    (log,) = run.glob("*.wandb")
    rows = [row for _, row in importers._read_wandb_run(run).rows]
    log.unlink()
    with (run / "files" / "wandb-history.jsonl").open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    clips = importers.read_wandb(run)
    assert {(c.group, c.step, c.audio.caption) for c in clips if c.group == "tts/hello"} == {
        ("tts/hello", step, f"tts/hello @ {step}") for step in WANDB_STEPS
    }


def test_wandb_without_history_falls_back_to_file_names(wandb_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(wandb_dir, tmp_path)
    next(run.glob("*.wandb")).unlink()
    with pytest.warns(aw.AudioWarning, match=r"no history rows .* media file names"):
        clips = importers.read_wandb(run)
    assert {c.group for c in clips} == {"tts/hello", "vocoder/sample", "tts/list", "long"}
    assert all(c.audio.caption is None for c in clips)


def test_wandb_damaged_log_keeps_the_rows_before_the_damage(
    wandb_dir: Path, tmp_path: Path
) -> None:
    run = _copy_run(wandb_dir, tmp_path, "bigger-model")
    log = next(run.glob("*.wandb"))
    data = bytearray(log.read_bytes())
    third_step = data.find(b'"tts/hello @ 10"')  # in the first record of step 10
    assert third_step > 0
    data[third_step + 3] ^= 0xFF
    log.write_bytes(bytes(data))
    with pytest.warns(aw.AudioWarning) as caught:
        clips = importers.read_wandb(run)
    damaged, unnamed = (str(w.message) for w in caught)
    assert re.search(r"damaged at byte \d+ .* later ones are not", damaged)
    assert unnamed.startswith("4 audio files are not named in their run's history")
    assert sorted({c.step for c in clips}) == [0, 5]


def test_wandb_log_cut_off_at_the_end(wandb_dir: Path, tmp_path: Path) -> None:
    """A run still being written: its last record is incomplete, its last files unnamed."""
    run = _copy_run(wandb_dir, tmp_path, "bigger-model")
    log = next(run.glob("*.wandb"))
    data = log.read_bytes()
    assert data.find(b'"tts/hello @ 10"') > 0
    log.write_bytes(data[: data.find(b'"tts/hello @ 10"')])
    with pytest.warns(aw.AudioWarning, match=r"^4 audio files are not named .* still being"):
        clips = importers.read_wandb(run)
    assert sorted({c.step for c in clips}) == [0, 5]


def test_wandb_log_with_no_rows_yet_falls_back_to_file_names(
    wandb_dir: Path, tmp_path: Path
) -> None:
    run = _copy_run(wandb_dir, tmp_path, "bigger-model")
    log = next(run.glob("*.wandb"))
    log.write_bytes(log.read_bytes()[:7])  # the header only
    with pytest.warns(aw.AudioWarning, match=r"no history rows .* media file names"):
        clips = importers.read_wandb(run)
    assert {c.group for c in clips} == {"tts/hello", "vocoder/sample", "tts/list"}


def _wandb_log(records: list[bytes]) -> tuple[bytes, int]:
    """A transaction log as wandb writes it: header, then 32 KiB blocks of CRC'd fragments.

    Also returns the number of block ends too short for a fragment header (zero-filled).
    """
    import struct
    import zlib

    out = bytearray(b":W&B" + struct.pack("<HB", 0xBEE1, 0))
    trailers = 0
    for record in records:
        rest, first = record, True
        while True:
            left = 32768 - len(out) % 32768
            if left < 7:
                out += bytes(left)
                trailers += 1
                continue
            chunk, rest = rest[: left - 7], rest[left - 7 :]
            kind = (1 if first else 4) if not rest else (2 if first else 3)
            crc = zlib.crc32(chunk, zlib.crc32(bytes([kind])))
            out += struct.pack("<IHB", crc, len(chunk), kind) + chunk
            first = False
            if not rest:
                break
    return bytes(out), trailers


def test_wandb_log_with_flat_history_items(wandb_dir: Path, tmp_path: Path) -> None:
    """Older wandb versions log each key as one item holding the whole value as JSON."""
    pytest.importorskip("wandb")
    from wandb.proto import wandb_internal_pb2 as pb

    run = _copy_run(wandb_dir, tmp_path)
    for other in [p for p in run.rglob("*.wav") if not p.name.startswith("hello_")]:
        other.unlink()
    media = sorted(p.relative_to(run / "files").as_posix() for p in run.rglob("hello_*.wav"))

    def log_with_padding(first: int) -> tuple[bytes, int]:
        records = [pb.Record(run=pb.RunRecord(run_id="old1", display_name="older wandb"))]
        for step, path in enumerate(media):
            value = {"_type": "audio-file", "path": path, "caption": f"flat {step}", "size": 1}
            padding = "x" * (first if step == 0 else 20000 * step)
            history = pb.HistoryRecord(
                item=[
                    pb.HistoryItem(key="tts/hello", value_json=json.dumps(value)),
                    pb.HistoryItem(key="_step", value_json=str(7 * step)),
                    pb.HistoryItem(key="padding", value_json=json.dumps(padding)),
                ]
            )
            records.append(pb.Record(history=history))
        return _wandb_log([r.SerializeToString() for r in records])

    # the first record ends 1 to 6 bytes before the end of the first block
    data, trailers = next(
        (data, trailers)
        for data, trailers in map(log_with_padding, range(32300, 32768))
        if trailers
    )
    assert (trailers, len(data) > 2 * 32768) == (1, True)  # records across block ends too
    next(run.glob("*.wandb")).write_bytes(data)
    clips = importers.read_wandb(run)
    assert [(c.run, c.group, c.step, c.audio.caption) for c in clips] == [
        ("older wandb", "tts/hello", 7 * step, f"flat {step}") for step in range(len(media))
    ]


def test_wandb_unreadable_log_falls_back(wandb_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(wandb_dir, tmp_path)
    next(run.glob("*.wandb")).write_bytes(b"something else")
    with pytest.warns(aw.AudioWarning) as caught:
        clips = importers.read_wandb(run)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert "is not a W&B transaction log" in messages[0]
    assert "come from the media file names" in messages[1]
    assert {c.group for c in clips} >= {"tts/hello", "vocoder/sample"}


def test_wandb_missing_media_files_are_listed(wandb_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(wandb_dir, tmp_path, "bigger-model")
    shutil.rmtree(run / "files" / "media" / "audio" / "vocoder")
    with pytest.warns(aw.AudioWarning, match=r"3 audio files named in the W&B history are missing"):
        clips = importers.read_wandb(run)
    assert {c.group for c in clips} == {"tts/hello", "tts/list"}


@pytest.fixture(scope="module")
def wandb_twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two offline runs both named "twin"."""
    wandb = pytest.importorskip("wandb")
    folder = tmp_path_factory.mktemp("wandb-twins")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WANDB_MODE", "offline")
        env.setenv("WANDB_SILENT", "true")
        env.setenv("WANDB_DIR", str(folder))
        for variable in ("CACHE", "CONFIG", "DATA", "ARTIFACT"):
            env.setenv(f"WANDB_{variable}_DIR", str(folder / variable.lower()))
        for freq in (300, 400):
            run = wandb.init(
                mode="offline",
                dir=folder,
                project="t",
                name="twin",
                settings=wandb.Settings(silent=True, console="off"),
            )
            run.log({"a": wandb.Audio(_tone(freq, 8000), sample_rate=8000)}, step=1)
            run.finish()
        wandb.teardown()
    return folder


def test_wandb_runs_of_one_name_get_their_ids(wandb_twins: Path) -> None:
    ids = [folder.name.rsplit("-", 1)[1] for folder in _runs(wandb_twins)]
    clips = importers.read_wandb(wandb_twins)
    assert sorted(c.run for c in clips) == sorted(f"twin ({run_id})" for run_id in ids)


def test_wandb_directories_of_a_resumed_run_form_one_run(wandb_dir: Path, tmp_path: Path) -> None:
    first = _copy_run(wandb_dir, tmp_path)
    shutil.copytree(first, first.parent / first.name.replace("offline-run-2", "offline-run-3"))
    assert len(list((tmp_path / "wandb").iterdir())) == 2
    assert {c.run for c in importers.read_wandb(tmp_path)} == {"baseline"}


def test_wandb_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        importers.read_wandb(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"no W&B run under"):
        importers.read_wandb(tmp_path)
    (tmp_path / "wandb" / "offline-run-20240101_000000-abc" / "files").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no audio in the W&B runs .*\['abc'\], 0 history rows"):
        importers.read_wandb(tmp_path)


# -- the AudioPanel classmethods --------------------------------------------------------


@pytest.mark.parametrize("name", ["from_files", "from_tensorboard", "from_wandb"])
def test_panel_classmethods_match_the_importers(name: str) -> None:
    import inspect

    method = inspect.signature(getattr(aw.AudioPanel, name))
    function = inspect.signature(getattr(importers, name))
    assert list(method.parameters) == list(function.parameters)[1:]
    for param in method.parameters.values():
        assert param.default == function.parameters[param.name].default


def test_panel_from_files_makes_a_panel_with_options(samples: Path) -> None:
    panel = aw.AudioPanel.from_files(
        "samples/{run}/step_{step}/{group}.wav", root=samples, embed="latest"
    )
    assert isinstance(panel, aw.AudioPanel)
    assert panel.embed == "latest"
    assert panel.runs == ["run2", "run10"]
