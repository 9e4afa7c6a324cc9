"""Importers: fill a panel from audio folders, TensorBoard logs and W&B run directories.

Entry points, each reading everything first and then logging one ``log()``
call per run and step with all of that step's groups:

- :func:`from_files` reads a folder tree whose paths name the run, step and
  group, such as ``samples/{run}/step_{step}/{group}.wav``.
- :func:`from_tensorboard` reads the audio summaries of TensorBoard event
  files (needs the ``tensorboard`` package: ``pip install tensorboard``).
- :func:`from_wandb` reads the audio of local Weights & Biases run
  directories, offline or synced, with steps and captions from the run's
  history. It does not need the ``wandb`` package.

Each takes a panel class (a new panel is made with the given options) or an
existing panel to add to, and returns the panel. The readers below them,
:func:`read_files`, :func:`read_tensorboard` and :func:`read_wandb`, return
:class:`ImportedClip` records without touching a widget, to filter before
:func:`log_clips`.

Audio bytes are passed to :class:`~audiowidget.Audio` as they are: WAV is
re-encoded losslessly to FLAC, FLAC/MP3/OGG are kept; nothing is decoded,
resampled or normalized here.
"""

from __future__ import annotations

import json
import os
import re
import string
import struct
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .clip import Audio, AudioWarning

if TYPE_CHECKING:
    from .widget import AudioPanel

__all__ = [
    "ImportedClip",
    "from_files",
    "from_tensorboard",
    "from_wandb",
    "log_clips",
    "read_files",
    "read_tensorboard",
    "read_wandb",
]

PanelT = TypeVar("PanelT", bound="AudioPanel")
PathLike = str | os.PathLike[str]

#: Unmatched or missing files named in a warning before the rest are only counted.
MAX_LISTED: Final = 20


@dataclass(frozen=True)
class ImportedClip:
    """One clip found by a reader, addressed like :meth:`AudioPanel.log` addresses it.

    Attributes:
        run: run name.
        group: group key.
        step: training step (>= 0 for the panel to accept it).
        index: position in the list logged for (run, group, step).
        audio: the clip, from the original file or bytes.
        source: where it was read from (a path, or an event file with its tag and step).

    Examples:
        >>> import numpy as np, audiowidget as aw
        >>> clip = ImportedClip("baseline", "tts/hello", 100, 0,
        ...                     aw.Audio(np.zeros(800), 8000), "made here")
        >>> clip
        ImportedClip(run='baseline', group='tts/hello', step=100, index=0, source='made here')
    """

    run: str
    group: str
    step: int
    index: int
    audio: Audio
    source: str

    def __repr__(self) -> str:
        return (
            f"ImportedClip(run={self.run!r}, group={self.group!r}, step={self.step}, "
            f"index={self.index}, source={self.source!r})"
        )


def log_clips(panel: AudioPanel, clips: Iterable[ImportedClip]) -> None:
    """Log ``clips`` into ``panel``: one ``log()`` call per run and step, with all its groups.

    Runs and groups are logged in the order they first appear in ``clips``,
    each run's steps in increasing order, each list in ``index`` order. A
    clip at an address the panel already holds replaces it, as ``log()`` does.

    Examples:
        >>> import numpy as np, audiowidget as aw
        >>> tone = aw.Audio(0.1 * np.sin(np.arange(800)), 8000)
        >>> clips = [ImportedClip("b", "g", 5, 0, tone, "x"),
        ...          ImportedClip("a", "g", 0, 0, tone, "y")]
        >>> panel = aw.AudioPanel()
        >>> log_clips(panel, clips)
        >>> panel.runs, panel.steps("g")
        (['b', 'a'], [0, 5])
    """
    calls: dict[str, dict[int, dict[str, dict[int, Audio]]]] = {}
    for clip in clips:
        groups = calls.setdefault(clip.run, {}).setdefault(clip.step, {})
        groups.setdefault(clip.group, {})[clip.index] = clip.audio
    for run, steps in calls.items():
        for step in sorted(steps):
            data = {
                group: [audio for _, audio in sorted(by_index.items())]
                for group, by_index in steps[step].items()
            }
            panel.log(data, step=step, run=run)


def _fill(
    panel: PanelT | type[PanelT], clips: list[ImportedClip], panel_kwargs: dict[str, Any]
) -> PanelT:
    """Log ``clips`` into ``panel``, or into a new ``panel(**panel_kwargs)`` if it is a class."""
    if isinstance(panel, type):
        created: PanelT = panel(**panel_kwargs)
        try:
            log_clips(created, clips)
        except BaseException:
            created.close()
            raise
        return created
    if panel_kwargs:
        raise TypeError(
            f"panel options {sorted(panel_kwargs)} only apply to a new panel; pass the "
            "panel class (e.g. aw.AudioPanel) to make one, or drop them to add to this panel"
        )
    log_clips(panel, clips)
    return panel


def _natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key that orders ``run2`` before ``run10``."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", text)))


def _listing(paths: list[str]) -> str:
    shown = ", ".join(repr(p) for p in paths[:MAX_LISTED])
    more = len(paths) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _audio_from_bytes(data: bytes, where: str) -> Audio:
    """An :class:`Audio` of the bytes of a file, naming ``where`` in any error."""
    try:
        return Audio(data)
    except ValueError as exc:  # AudioFileError is a ValueError
        raise type(exc)(f"{where}: {exc}") from exc


# -- folders --------------------------------------------------------------------------

_FIELDS: Final = ("run", "step", "group", "index")
_FIELD_REGEX: Final = {
    "run": r"[^/]+",
    "group": r"[^/]+",
    "step": r"\d+",
    "index": r"\d+",
}
_PATH_REGEX: Final = r"[^/]+(?:/[^/]+)*"
_EXAMPLE_VALUES: Final = {"run": "baseline", "step": "100", "group": "hello", "index": "0"}


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    fields: tuple[str, ...]
    prefix: str  # leading literal directories, walked instead of the whole root
    example: str


def _compile_pattern(pattern: str) -> _Pattern:
    """Turn ``samples/{run}/step_{step}/{group}.wav`` into an anchored regex."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise TypeError(
            f"pattern must be a non-empty str such as 'samples/{{run}}/step_{{step}}/{{group}}.wav'"
            f", got {pattern!r}"
        )
    posix = pattern.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:/", posix):
        raise ValueError(
            f"pattern {pattern!r} is absolute; make it relative and pass the folder as root=..."
        )
    posix = re.sub(r"^(\./)+", "", posix)
    try:
        parts = list(string.Formatter().parse(posix))
    except ValueError as exc:
        raise ValueError(
            f"cannot read pattern {pattern!r}: {exc}; write literal braces as {{{{ and }}}}"
        ) from exc
    if ".." in posix.split("/"):
        raise ValueError(
            f"pattern {pattern!r} goes up with '..'; pass the common folder as root=... instead"
        )
    regex, example, head = "", "", ""
    fields: list[str] = []
    for literal, field, spec, conversion in parts:
        if not fields:
            head += literal  # the literal text before the first placeholder
        regex += re.escape(literal)
        example += literal
        if field is None:
            continue
        if field not in _FIELDS:
            raise ValueError(
                f"pattern {pattern!r} has the placeholder {{{field}}}; the placeholders are "
                "{run}, {step}, {group} and {index}"
            )
        if field in fields:
            raise ValueError(f"pattern {pattern!r} has {{{field}}} more than once")
        if conversion or spec not in ("", "path") or (spec and field not in ("run", "group")):
            raise ValueError(
                f"pattern {pattern!r}: {{{field}}} takes no format; only {{run:path}} and "
                "{group:path} (several path segments) are allowed"
            )
        fields.append(field)
        regex += f"(?P<{field}>{_PATH_REGEX if spec else _FIELD_REGEX[field]})"
        example += _EXAMPLE_VALUES[field]
    if "group" not in fields:
        raise ValueError(
            f"pattern {pattern!r} has no {{group}}; every clip needs a group key, e.g. "
            "'samples/{run}/step_{step}/{group}.wav'"
        )
    prefix = head.rsplit("/", 1)[0] if "/" in head else ""
    return _Pattern(re.compile(regex), tuple(fields), prefix, example)


def _walk_files(base: Path) -> Iterator[Path]:
    """Files under ``base`` in sorted order, skipping hidden entries; follows links, once."""
    seen: set[Path] = set()
    stack = [base]
    while stack:
        directory = stack.pop()
        real = directory.resolve()
        if real in seen:
            continue
        seen.add(real)
        entries = sorted(
            (e for e in directory.iterdir() if not e.name.startswith(".")),
            key=lambda e: e.name,
            reverse=True,
        )
        for entry in entries:
            if entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                yield entry


def read_files(pattern: str, root: PathLike = ".") -> list[ImportedClip]:
    """Find the audio files under ``root`` whose path matches ``pattern``.

    The pattern is a path relative to ``root`` with placeholders:

    - ``{run}``: the run name (default ``"default"`` when absent);
    - ``{step}``: the step, digits read as an int (default 0 when absent);
    - ``{group}``: the group key (required);
    - ``{index}``: optional, digits: files that differ only in it form a list,
      in index order.

    ``{run}`` and ``{group}`` match one path segment (no ``/``); write
    ``{group:path}`` or ``{run:path}`` to match several, so that
    ``samples/{run}/{step}/{group:path}.wav`` reads ``samples/a/5/tts/hello.wav``
    as group ``tts/hello``. Everything else in the pattern is literal text
    (``{{`` and ``}}`` for braces). Files and folders whose name starts with
    ``.`` are skipped; links are followed.

    Only the folder named by the pattern's leading literal part is walked.
    Files there that do not match are named in one
    :class:`~audiowidget.AudioWarning`.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: nothing matches (the message says how many files were
            looked at and gives a path that would match), a bad pattern, or
            two files that give the same run, group, step and index.
        AudioFileError: a matching file cannot be read as audio.

    Examples:
        >>> import pathlib, tempfile, numpy as np, soundfile as sf
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for run in ("baseline", "bigger"):
        ...     for step in (0, 100):
        ...         path = root / "samples" / run / f"step_{step}" / "hello.wav"
        ...         path.parent.mkdir(parents=True)
        ...         sf.write(path, 0.1 * np.sin(np.arange(1600)), 16000)
        >>> clips = read_files("samples/{run}/step_{step}/{group}.wav", root=root)
        >>> [(c.run, c.group, c.step) for c in clips]  # doctest: +NORMALIZE_WHITESPACE
        [('baseline', 'hello', 0), ('baseline', 'hello', 100),
         ('bigger', 'hello', 0), ('bigger', 'hello', 100)]
    """
    compiled = _compile_pattern(pattern)
    root_path = Path(root)
    if not root_path.is_dir():
        raise FileNotFoundError(f"root {str(root_path)!r} is not a folder (pattern {pattern!r})")
    base = root_path / compiled.prefix
    files = sorted(_walk_files(base), key=lambda p: p.as_posix()) if base.is_dir() else []

    found: dict[tuple[str, int, str, int], Path] = {}
    unmatched: list[str] = []
    for path in files:
        match = compiled.regex.fullmatch(path.relative_to(root_path).as_posix())
        if match is None:
            unmatched.append(path.relative_to(root_path).as_posix())
            continue
        values = match.groupdict()
        key = (
            values.get("run") or "default",
            int(values.get("step") or 0),
            values["group"],
            int(values.get("index") or 0),
        )
        if key in found:
            run, step, group, index = key
            raise ValueError(
                f"{str(found[key])!r} and {str(path)!r} both give run={run!r}, group={group!r}, "
                f"step={step}, index={index}; rename one, or add {{index}} to the pattern"
            )
        found[key] = path

    if not found:
        looked = (
            f"looked at {len(files)} files under {str(base)!r}"
            + (f", e.g. {_listing(unmatched[:3])}" if unmatched else "")
            if base.is_dir()
            else f"the folder {str(base)!r} does not exist"
        )
        raise ValueError(
            f"no file matches the pattern {pattern!r} under root {str(root_path)!r} ({looked}). "
            f"A path that would match: {compiled.example!r}"
        )
    if unmatched:
        warnings.warn(
            f"{len(unmatched)} files under {str(base)!r} do not match the pattern {pattern!r} "
            f"and were skipped: {_listing(unmatched)}",
            AudioWarning,
            stacklevel=2,
        )

    order = sorted(found, key=lambda k: (_natural_key(k[0]), k[1], _natural_key(k[2]), k[3]))
    clips = []
    for run, step, group, index in order:
        path = found[(run, step, group, index)]
        clips.append(ImportedClip(run, group, step, index, Audio(path), str(path)))
    return clips


def from_files(
    panel: PanelT | type[PanelT], pattern: str, root: PathLike = ".", **panel_kwargs: Any
) -> PanelT:
    """Log the audio files under ``root`` whose path matches ``pattern`` into a panel.

    See :func:`read_files` for the placeholders (``{run}``, ``{step}``,
    ``{group}``, ``{index}``; ``{group}`` matches one path segment, and
    ``{group:path}`` several). Runs are logged in natural name order
    (``run2`` before ``run10``), each run's steps in increasing order, one
    ``log()`` call per run and step.

    Args:
        panel: a panel class (a new panel is made with ``panel_kwargs``) or
            a panel to add to.
        pattern: a path relative to ``root`` with placeholders.
        root: the folder the pattern starts from.
        panel_kwargs: options for a new panel, such as ``embed="all"``.

    Returns:
        The panel.

    Examples:
        >>> import pathlib, tempfile, numpy as np, soundfile as sf, audiowidget as aw
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for run in ("baseline", "bigger-model"):
        ...     for step in (0, 100):
        ...         for i in (0, 1):
        ...             path = root / run / f"step_{step}" / f"hello_{i}.wav"
        ...             path.parent.mkdir(parents=True, exist_ok=True)
        ...             sf.write(path, 0.1 * np.sin(np.arange(1600)), 16000)
        >>> panel = from_files(aw.AudioPanel, "{run}/step_{step}/{group}_{index}.wav", root=root)
        >>> panel.runs, panel.groups, panel.steps("hello")
        (['baseline', 'bigger-model'], ['hello'], [0, 100])
    """
    return _fill(panel, read_files(pattern, root), panel_kwargs)


# -- TensorBoard ----------------------------------------------------------------------


def _import_tensorboard() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        from tensorboard.backend.event_processing import (
            io_wrapper,
            plugin_event_accumulator,
        )
        from tensorboard.util import tensor_util
    except ImportError as exc:
        raise ImportError(
            "reading TensorBoard logs needs the tensorboard package (TensorFlow is not "
            "needed): pip install tensorboard"
        ) from exc
    return plugin_event_accumulator, tensor_util, io_wrapper


def _tensorboard_runs(root: Path, io_wrapper: ModuleType) -> dict[str, Path]:
    """Every folder holding event files is a run, named by its path below ``root``."""
    folders = {
        p.parent for p in root.rglob("*") if p.is_file() and io_wrapper.IsSummaryEventsFile(str(p))
    }
    runs: dict[str, Path] = {}
    for folder in sorted(folders, key=lambda p: _natural_key(p.relative_to(root).as_posix())):
        runs[folder.relative_to(root).as_posix()] = folder
    if "." in runs:
        own = root.resolve().name or "."
        runs = {(own if name == "." and own not in runs else name): p for name, p in runs.items()}
    return runs


def read_tensorboard(logdir: PathLike) -> list[ImportedClip]:
    """Read the audio summaries of the TensorBoard event files under ``logdir``.

    Every folder under ``logdir`` holding event files (``*tfevents*``) is a
    run named by its path below ``logdir`` (``baseline``, ``sweep/lr-3``), as
    TensorBoard names runs; event files directly in ``logdir`` form a run
    named after ``logdir`` itself. Every audio tag is a group; a summary
    holding several clips gives a list. Both the audio summaries of
    ``tensorboardX`` / ``torch.utils.tensorboard`` / TF1 and those of TF2's
    ``tf.summary.audio`` are read, with TensorBoard's own reader (all
    steps, none sampled away; steps orphaned by a restart are dropped, as
    TensorBoard does). The encoded bytes go to :class:`~audiowidget.Audio`
    unchanged (TensorBoard stores WAV, which becomes lossless FLAC).

    Needs the ``tensorboard`` package, not TensorFlow:
    ``pip install tensorboard``.

    Raises:
        ImportError: ``tensorboard`` is not installed.
        FileNotFoundError: ``logdir`` is not a folder.
        ValueError: no event files, or no audio in them (the message lists
            the tags found).

    Examples:
        >>> import tempfile, numpy as np
        >>> from tensorboardX import SummaryWriter
        >>> logdir = tempfile.mkdtemp()
        >>> with SummaryWriter(f"{logdir}/baseline") as writer:
        ...     for step in (0, 100):
        ...         writer.add_audio("tts/hello", 0.1 * np.sin(np.arange(1600)), step,
        ...                          sample_rate=16000)
        >>> [(c.run, c.group, c.step, c.audio.sample_rate) for c in read_tensorboard(logdir)]
        [('baseline', 'tts/hello', 0, 16000), ('baseline', 'tts/hello', 100, 16000)]
    """
    accumulators, tensor_util, io_wrapper = _import_tensorboard()
    root = Path(logdir)
    if not root.is_dir():
        raise FileNotFoundError(f"TensorBoard logdir {str(root)!r} is not a folder")
    runs = _tensorboard_runs(root, io_wrapper)
    if not runs:
        raise ValueError(
            f"no TensorBoard event files (events.out.tfevents.*) under {str(root)!r}; pass the "
            "folder given to SummaryWriter(log_dir=...) or the folder holding such folders"
        )

    clips: list[ImportedClip] = []
    other_tags: set[str] = set()
    for run, folder in runs.items():
        accumulator = accumulators.EventAccumulator(
            str(folder),
            size_guidance={accumulators.TENSORS: 0},  # 0: keep every step
            tensor_size_guidance={"audio": 0},
        )
        accumulator.Reload()
        audio_tags = (
            accumulator.PluginTagToContent("audio")
            if "audio" in accumulator.ActivePlugins()
            else {}
        )
        other_tags.update(set(accumulator.Tags()[accumulators.TENSORS]) - set(audio_tags))
        for tag in sorted(audio_tags, key=_natural_key):
            by_step = {event.step: event for event in accumulator.Tensors(tag)}
            for step in sorted(by_step):
                values = tensor_util.make_ndarray(by_step[step].tensor_proto)
                for index, encoded in enumerate(_tensorboard_clips(values)):
                    where = f"{str(folder)!r}, tag {tag!r}, step {step}"
                    audio = _audio_from_bytes(encoded, where)
                    clips.append(ImportedClip(run, tag, step, index, audio, where))
    if not clips:
        tags = ", ".join(repr(t) for t in sorted(other_tags)[:MAX_LISTED]) or "none"
        raise ValueError(
            f"the event files under {str(root)!r} hold no audio summaries (runs "
            f"{sorted(runs)}; other tags: {tags}); log audio with "
            "writer.add_audio(tag, samples, step, sample_rate=...)"
        )
    return clips


def _tensorboard_clips(values: Any) -> list[bytes]:
    """The encoded clips of one audio summary: shape (k,), (k, 2) with labels, or ()."""
    if values.ndim == 0:
        return [bytes(values.item())]
    if values.ndim == 2:
        values = values[:, 0]
    return [bytes(v) for v in values.reshape(-1)]


def from_tensorboard(panel: PanelT | type[PanelT], logdir: PathLike, **panel_kwargs: Any) -> PanelT:
    """Log the audio summaries of the TensorBoard event files under ``logdir`` into a panel.

    Runs are the folders holding event files (files directly in ``logdir``
    form a run named after it), groups are the tags; see
    :func:`read_tensorboard`. Needs the ``tensorboard`` package (not
    TensorFlow): ``pip install tensorboard``.

    Args:
        panel: a panel class (a new panel is made with ``panel_kwargs``) or
            a panel to add to.
        logdir: the folder given to ``SummaryWriter``, or one holding several.
        panel_kwargs: options for a new panel, such as ``embed="all"``.

    Returns:
        The panel.

    Examples:
        >>> import tempfile, numpy as np, audiowidget as aw
        >>> from tensorboardX import SummaryWriter
        >>> logdir = tempfile.mkdtemp()
        >>> for run, rate in (("baseline", 16000), ("bigger-model", 22050)):
        ...     with SummaryWriter(f"{logdir}/{run}") as writer:
        ...         for step in (0, 100):
        ...             tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 10) / rate)
        ...             writer.add_audio("tts/hello", tone, step, sample_rate=rate)
        >>> panel = from_tensorboard(aw.AudioPanel, logdir)
        >>> panel.runs, panel.groups, panel.steps("tts/hello")
        (['baseline', 'bigger-model'], ['tts/hello'], [0, 100])
    """
    return _fill(panel, read_tensorboard(logdir), panel_kwargs)


# -- Weights & Biases -----------------------------------------------------------------

_RUN_DIR: Final = re.compile(r"^(?:offline-)?run-(?:(?P<time>\d{8}_\d{6})-)?(?P<id>.+)$")
# wandb names media files {key}_{step}_{hash}.{ext}; the step is wandb's step counter
# when the value was serialized, which can lag the step given to log().
_MEDIA_NAME: Final = re.compile(r"^(?P<key>.+)_(?P<step>\d+)_(?P<hash>[0-9a-f]{8,})\.\w+$")
_AUDIO_TYPES: Final = ("audio-file", "audio")


class _LogError(ValueError):
    """A W&B transaction log that cannot be read (further)."""


@dataclass
class _WandbRun:
    folder: Path
    run_id: str
    name: str
    rows: list[tuple[int, dict[str, Any]]]  # (step, history row), in logging order
    history: str  # where the rows came from, for messages
    started: float = 0.0  # start time in the run record, seconds since the epoch


def _wandb_run_dirs(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"no W&B run directory at {str(path)!r}: the path does not exist")
    if (path / "wandb").is_dir():  # the folder given to wandb.init(dir=...)
        folder = path / "wandb"
    elif _is_wandb_run(path):
        return [path]
    else:
        folder = path
    runs = sorted(
        (
            d
            for d in folder.iterdir()
            if d.is_dir() and not d.is_symlink() and _RUN_DIR.match(d.name) and _is_wandb_run(d)
        ),
        key=lambda d: d.name,
    )
    if not runs:
        raise ValueError(
            f"no W&B run under {str(path)!r}: pass a run directory (wandb/run-*/ or "
            "wandb/offline-run-*/, holding files/ and run-<id>.wandb), the wandb directory "
            "holding them, or the folder given to wandb.init(dir=...)"
        )
    return runs


def _is_wandb_run(path: Path) -> bool:
    return path.is_dir() and ((path / "files").is_dir() or any(path.glob("*.wandb")))


# The transaction log (run-<id>.wandb) is a LevelDB-style log of protobuf Records:
# a 7-byte header (":W&B", magic 0xBEE1, version), then 32 KiB blocks of fragments,
# each with a 7-byte header (CRC-32 of type + data, length, type). Field numbers
# are those of wandb's wandb_internal.proto, which protobuf keeps stable.
_LOG_IDENT: Final = b":W&B"
_LOG_MAGIC: Final = 0xBEE1
_LOG_BLOCK: Final = 32768
_FRAGMENT_HEADER: Final = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_RECORD_HISTORY, _RECORD_RUN = 2, 17
_HISTORY_ITEM, _HISTORY_STEP = 1, 2
_ITEM_KEY, _ITEM_NESTED_KEY, _ITEM_INTEGER, _ITEM_VALUE_JSON = 1, 2, 5, 16
_RUN_ID, _RUN_DISPLAY_NAME, _RUN_START_TIME = 1, 8, 17


def _log_records(path: Path) -> Iterator[bytes]:
    """The records of a W&B transaction log; stops quietly at a record cut off at the end."""
    with path.open("rb") as f:
        header = f.read(_FRAGMENT_HEADER)
        if len(header) < _FRAGMENT_HEADER or header[:4] != _LOG_IDENT:
            raise _LogError(f"{str(path)!r} is not a W&B transaction log (it starts {header!r})")
        if struct.unpack("<H", header[4:6])[0] != _LOG_MAGIC:
            raise _LogError(f"{str(path)!r} has an unknown W&B log magic number")
        offset, pending = _FRAGMENT_HEADER, bytearray()
        while True:
            left = _LOG_BLOCK - offset % _LOG_BLOCK
            if left < _FRAGMENT_HEADER:  # block trailer, zero padding
                f.read(left)
                offset += left
                continue
            head = f.read(_FRAGMENT_HEADER)
            if len(head) < _FRAGMENT_HEADER:
                return
            checksum, length, kind = struct.unpack("<IHB", head)
            if kind == 0 and length == 0:
                return  # preallocated, never written
            data = f.read(length)
            if len(data) < length:
                return
            if zlib.crc32(data, zlib.crc32(bytes([kind]))) != checksum:
                raise _LogError(f"{str(path)!r} is damaged at byte {offset} (checksum mismatch)")
            offset += _FRAGMENT_HEADER + length
            if kind == _FULL:
                yield data
            elif kind == _FIRST:
                pending = bytearray(data)
            elif kind in (_MIDDLE, _LAST) and pending:
                pending += data
                if kind == _LAST:
                    yield bytes(pending)
                    pending = bytearray()
            else:
                raise _LogError(f"{str(path)!r} is damaged at byte {offset} (fragment type {kind})")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(buf) and shift < 64:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise _LogError("malformed protobuf varint")


def _proto_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of a protobuf message: ints for varints, else bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise _LogError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise _LogError("truncated protobuf message")
        yield number, value


def _text(value: int | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _set_nested(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        child = tree.get(key)
        if not isinstance(child, dict):
            child = tree[key] = {}
        tree = child
    tree[keys[-1]] = value


def _history_row(record: bytes, fallback_step: int) -> tuple[int, dict[str, Any]]:
    """One HistoryRecord as (step, nested dict); items are flat (key) or nested (nested_key)."""
    row: dict[str, Any] = {}
    step: int | None = None
    for number, value in _proto_fields(record):
        if number == _HISTORY_STEP and isinstance(value, bytes):
            for field, num in _proto_fields(value):
                if field == 1 and isinstance(num, int):
                    step = num
        elif number == _HISTORY_ITEM and isinstance(value, bytes):
            key, item = "", None
            nested: list[str] = []
            for field, part in _proto_fields(value):
                if field == _ITEM_KEY:
                    key = _text(part)
                elif field == _ITEM_NESTED_KEY:
                    nested.append(_text(part))
                elif field == _ITEM_VALUE_JSON and isinstance(part, bytes):
                    item = json.loads(part)
                elif field == _ITEM_INTEGER and isinstance(part, int):
                    item = (part >> 1) ^ -(part & 1)  # zigzag sint64
            keys = nested or ([key] if key else [])
            if keys:
                _set_nested(row, keys, item)
    logged = row.get("_step")
    if isinstance(logged, int) and not isinstance(logged, bool):
        step = logged
    return (fallback_step if step is None else step), row


def _read_transaction_log(path: Path, run: _WandbRun) -> str | None:
    """Fill ``run`` with the history rows, id and name of a transaction log; any error."""
    try:
        for record in _log_records(path):
            for number, value in _proto_fields(record):
                if number == _RECORD_HISTORY and isinstance(value, bytes):
                    run.rows.append(_history_row(value, len(run.rows)))
                elif number == _RECORD_RUN and isinstance(value, bytes):
                    for field, part in _proto_fields(value):
                        if field == _RUN_ID and part:
                            run.run_id = _text(part)
                        elif field == _RUN_DISPLAY_NAME and part:
                            run.name = _text(part)
                        elif field == _RUN_START_TIME and isinstance(part, bytes):
                            time = dict(_proto_fields(part))
                            seconds, nanos = time.get(1, 0), time.get(2, 0)
                            if isinstance(seconds, int) and isinstance(nanos, int):
                                run.started = seconds + nanos / 1e9
    except (_LogError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return str(exc)
    return None


def _read_history_jsonl(path: Path, run: _WandbRun) -> str | None:
    """Fill ``run`` with the rows of ``wandb-history.jsonl``; any error."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                return f"{str(path)!r} line {number}: {exc}"
            step = row.get("_step") if isinstance(row, dict) else None
            if isinstance(row, dict):
                run.rows.append((step if isinstance(step, int) else len(run.rows), row))
    return None


def _read_wandb_run(folder: Path) -> _WandbRun:
    """A run's id, name and history: from its transaction log, else wandb-history.jsonl."""
    match = _RUN_DIR.match(folder.name)
    run = _WandbRun(folder, match["id"] if match else folder.name, "", [], "")
    jsonl = folder / "files" / "wandb-history.jsonl"
    sources = [*sorted(folder.glob("*.wandb"))[-1:], *([jsonl] if jsonl.is_file() else [])]
    for source in sources:
        read = _read_transaction_log if source.suffix == ".wandb" else _read_history_jsonl
        error = read(source, run)
        if error is not None:
            warnings.warn(
                f"W&B run {str(folder)!r}: {error}; the {len(run.rows)} history rows before "
                "it are imported, later ones are not",
                AudioWarning,
                stacklevel=4,
            )
        if run.rows or error is None:
            run.history = str(source)
            break
    run.name = run.name or run.run_id
    return run


def _run_order(run: _WandbRun) -> tuple[str, float, str]:
    """Runs in the order they started: the folder's time to the second, then the record's."""
    match = _RUN_DIR.match(run.folder.name)
    folder_time = (match["time"] or "") if match else ""
    return (folder_time, run.started, run.folder.name)


def _audio_values(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, value) of every audio value in a history row; nested keys are joined by dots."""
    for key, value in tree.items():
        if not isinstance(value, dict):
            continue
        name = f"{prefix}.{key}" if prefix else key
        kind = value.get("_type")
        if kind in _AUDIO_TYPES:
            yield name, value
        elif kind is None:
            yield from _audio_values(value, name)


def _history_clips(run: _WandbRun, missing: list[str], named: set[Path]) -> list[ImportedClip]:
    """The clips the history rows name; adds absent files to ``missing``, all to ``named``."""
    files = run.folder / "files"
    clips = []
    for step, row in run.rows:
        for group, value in _audio_values(row):
            listed = value.get("audio") if value.get("_type") == "audio" else [value]
            captions = value.get("captions")
            for index, item in enumerate(listed if isinstance(listed, list) else []):
                if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                    continue
                caption = item.get("caption")
                if not isinstance(caption, str) and isinstance(captions, list):
                    caption = captions[index] if index < len(captions) else None
                path = files / item["path"]
                named.add(path)
                if not path.is_file():
                    missing.append(str(path))
                    continue
                audio = Audio(path, caption=caption if isinstance(caption, str) else None)
                clips.append(ImportedClip(run.name, group, step, index, audio, str(path)))
    return clips


def _media_files(run: _WandbRun) -> list[Path]:
    media = run.folder / "files" / "media" / "audio"
    return sorted(_walk_files(media), key=lambda p: p.as_posix()) if media.is_dir() else []


def _media_name_clips(
    run: _WandbRun, paths: list[Path], unmatched: list[str]
) -> list[ImportedClip]:
    """Clips from the media file names alone, for a run with no history to read."""
    media = run.folder / "files" / "media" / "audio"
    clips, counts = [], dict[tuple[str, int], int]()
    for path in paths:
        match = _MEDIA_NAME.match(path.relative_to(media).as_posix())
        if match is None:
            unmatched.append(str(path))
            continue
        key = (match["key"], int(match["step"]))
        index = counts[key] = counts.get(key, -1) + 1
        clips.append(ImportedClip(run.name, key[0], key[1], index, Audio(path), str(path)))
    return clips


def read_wandb(run_dir: PathLike) -> list[ImportedClip]:
    """Read the audio of local W&B runs, offline (``offline-run-*``) or synced (``run-*``).

    ``run_dir`` is one run directory, a ``wandb`` directory holding several
    (each is a run), or the folder given to ``wandb.init(dir=...)``, which
    holds ``wandb/``. A run is named by its display name (``wandb.init(name=...)``)
    or else its id; runs of the same name and different ids get the id in
    parentheses, and the directories of a resumed run (same id) form one run.

    Keys are groups, steps and captions come from the run's history: the
    transaction log ``run-<id>.wandb`` (read here, without the ``wandb``
    package), or ``files/wandb-history.jsonl`` in runs that have no log.
    The audio files are those under ``files/media/audio/`` that the history
    names; a list of clips logged under one key becomes a list. Keys of
    nested dicts are joined with dots. If a run has no history rows at all,
    its media file names ``{key}_{step}_{hash}.wav`` are read instead, with
    an :class:`~audiowidget.AudioWarning`: wandb names files with its step
    counter at the time, which can differ from the step given to ``log()``,
    and captions are unknown. Media files that the history does not name
    (a run still being written) and files it names that are missing are
    skipped, each kind listed in one warning. Audio inside W&B tables is not
    read.

    Raises:
        FileNotFoundError: ``run_dir`` does not exist.
        ValueError: no W&B run there, or no audio in its runs.

    Examples:
        >>> import tempfile, numpy as np, wandb
        >>> folder = tempfile.mkdtemp()
        >>> run = wandb.init(mode="offline", dir=folder, project="demo", name="baseline",
        ...                  settings=wandb.Settings(silent=True, console="off"))
        >>> for step in (0, 100):
        ...     tone = 0.1 * np.sin(np.arange(1600) * (1 + step / 100))
        ...     run.log({"tts/hello": wandb.Audio(tone, sample_rate=16000, caption=f"step {step}")},
        ...             step=step)
        >>> run.finish()
        >>> wandb.teardown()  # wait until wandb has written everything to disk
        >>> [(c.run, c.group, c.step, c.audio.caption) for c in read_wandb(folder)]
        [('baseline', 'tts/hello', 0, 'step 0'), ('baseline', 'tts/hello', 100, 'step 100')]
    """
    path = Path(run_dir)
    runs = sorted(
        (_read_wandb_run(folder) for folder in _wandb_run_dirs(path)),
        key=_run_order,
    )
    ids_by_name: dict[str, set[str]] = {}
    for run in runs:
        ids_by_name.setdefault(run.name, set()).add(run.run_id)
    for run in runs:
        if len(ids_by_name[run.name]) > 1:
            run.name = f"{run.name} ({run.run_id})"

    clips: list[ImportedClip] = []
    missing: list[str] = []
    unnamed: list[str] = []
    unmatched: list[str] = []
    no_history: list[str] = []
    for run in runs:
        media = _media_files(run)
        if run.rows:
            named: set[Path] = set()
            found = _history_clips(run, missing, named)
            unnamed += [str(p) for p in media if p not in named]
        elif media:
            no_history.append(str(run.folder))
            found = _media_name_clips(run, media, unmatched)
        else:
            found = []
        clips += sorted(found, key=lambda c: (c.step, _natural_key(c.group), c.index))
    if no_history:
        warnings.warn(
            f"no history rows (in run-<id>.wandb or files/wandb-history.jsonl) in "
            f"{_listing(no_history)}: groups and steps come from the media file names "
            "{key}_{step}_{hash}.ext, whose step can lag the step given to log(), and captions "
            "are unknown" + (f"; file names not read: {_listing(unmatched)}" if unmatched else ""),
            AudioWarning,
            stacklevel=2,
        )
    if unnamed:
        warnings.warn(
            f"{len(unnamed)} audio files are not named in their run's history (is the run still "
            f"being written?) and were skipped: {_listing(unnamed)}",
            AudioWarning,
            stacklevel=2,
        )
    if missing:
        warnings.warn(
            f"{len(missing)} audio files named in the W&B history are missing and were "
            f"skipped: {_listing(missing)}",
            AudioWarning,
            stacklevel=2,
        )
    if not clips:
        rows = sum(len(run.rows) for run in runs)
        raise ValueError(
            f"no audio in the W&B runs under {str(path)!r} (runs {[r.name for r in runs]}, "
            f"{rows} history rows); log audio with "
            'wandb.log({"tts/hello": wandb.Audio(x, sample_rate=22050)}, step=step)'
        )
    return clips


def from_wandb(panel: PanelT | type[PanelT], run_dir: PathLike, **panel_kwargs: Any) -> PanelT:
    """Log the audio of local W&B runs (offline or synced) into a panel.

    ``run_dir`` is a run directory (``wandb/offline-run-*`` or
    ``wandb/run-*``), a ``wandb`` directory holding several runs, or the
    folder given to ``wandb.init(dir=...)``. Groups are the logged keys;
    steps and captions come from the run's history; see :func:`read_wandb`.
    The ``wandb`` package is not needed to read.

    Args:
        panel: a panel class (a new panel is made with ``panel_kwargs``) or
            a panel to add to.
        run_dir: a run directory, or a folder holding several.
        panel_kwargs: options for a new panel, such as ``embed="all"``.

    Returns:
        The panel.

    Examples:
        >>> import tempfile, numpy as np, wandb, audiowidget as aw
        >>> folder = tempfile.mkdtemp()
        >>> for name in ("baseline", "bigger-model"):
        ...     run = wandb.init(mode="offline", dir=folder, project="demo", name=name,
        ...                      settings=wandb.Settings(silent=True, console="off"))
        ...     for step in (0, 100):
        ...         tone = 0.1 * np.sin(np.arange(1600) * (1 + step / 100))
        ...         run.log({"tts/hello": wandb.Audio(tone, sample_rate=16000)}, step=step)
        ...     run.finish()
        >>> wandb.teardown()  # wait until wandb has written everything to disk
        >>> panel = from_wandb(aw.AudioPanel, folder)
        >>> panel.runs, panel.groups, panel.steps("tts/hello")
        (['baseline', 'bigger-model'], ['tts/hello'], [0, 100])
    """
    return _fill(panel, read_wandb(run_dir), panel_kwargs)
