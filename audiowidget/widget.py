"""Widget models and transport: :class:`AudioPanel` and the per-clip models.

Transport (see the README's "How data reaches the browser"):

- every logged clip is one :class:`ClipModel`, a plain ``ipywidgets.Widget``
  whose ``audio`` trait carries the encoded file as binary and whose
  ``arrays`` trait carries small analysis arrays as ``{dtype, shape, data}``
  with ``data`` binary;
- clips are listed on :class:`ClipPage` models of at most ``PAGE_SIZE``
  references each, and the panel lists the pages. Logging one clip sends that
  clip plus one page of references, so the 300th log costs what the 1st did;
- the panel's own state is the index: run names and colors, group order,
  page references and the steps the user pinned per group.
"""

from __future__ import annotations

import math
import os
import threading
import zlib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets
import numpy as np
import traitlets

from . import importers
from .analysis import CARD_PEAK_BUCKETS, SPECTRUM_DB_RANGE, analyze_clip, coarsen_peaks
from .clip import Audio
from .export import ClipSummary, fallback_html
from .store import ClipStore, Key

if TYPE_CHECKING:
    from .trends import TrendsFigure

__all__ = ["PAGE_SIZE", "AudioPanel", "ClipModel", "ClipPage"]

_STATIC = Path(__file__).parent / "static"

#: Clip references per :class:`ClipPage`.
PAGE_SIZE = 32
#: Default embed budget: encoded audio embedded in the notebook before older steps are left out.
DEFAULT_EMBED_BYTES = 64_000_000
#: Largest buffer in one reply to an audio request: messages stay well under 10 MiB, and each
#: arrives within the view's 15 s timeout down to about 70 kB/s.
REPLY_CHUNK_BYTES = 1024 * 1024
# zlib's fastest level: most of what level 6 saves on spectrum frames at about a third of its time
_DEFLATE_LEVEL = 1


def _array_payload(array: np.ndarray, codec: str | None = None) -> dict[str, Any]:
    """An array as ``{dtype, shape, data[, codec]}``, decoded by js/src/codecs.ts.

    ``data`` holds the little-endian bytes, or with ``codec`` those bytes
    compressed without loss: ``"deflate"`` is zlib's format (RFC 1950), which
    the browser inflates natively; ``"delta-deflate"`` first replaces each value
    along the last axis by its difference from the one before (modulo the
    integer type's range; the first is kept), which turns the smooth rows of
    spectrum frames into small numbers that deflate well. A compressed form no
    smaller than the raw bytes is not used.
    """
    contiguous = np.ascontiguousarray(array)
    little = contiguous.astype(contiguous.dtype.newbyteorder("<"), copy=False)
    payload: dict[str, Any] = {
        "dtype": str(little.dtype.name),
        "shape": list(little.shape),
        "data": little.tobytes(),
    }
    if codec is not None:
        if codec == "delta-deflate":
            if little.dtype.kind not in "iu":
                raise ValueError(f"delta coding needs an integer array, got {little.dtype}")
            # integer subtraction wraps around, which the decoder's running sum undoes
            little = np.diff(little, axis=-1, prepend=np.zeros_like(little[..., :1]))
        elif codec != "deflate":
            raise ValueError(f"unknown codec {codec!r}; expected 'deflate' or 'delta-deflate'")
        packed = zlib.compress(little.tobytes(), _DEFLATE_LEVEL)
        if len(packed) < len(payload["data"]):
            payload.update(data=packed, codec=codec)
    return payload


def _json_number(value: Any) -> Any:
    """JSON has no infinities: the level of silence (-inf dB) travels as the string ``"-inf"``,
    so that it stays apart from undefined values (``None``, JSON null)."""
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "-inf" if value == -math.inf else None
    return value


def _decode_array(payload: dict[str, Any]) -> np.ndarray:
    """The array of :func:`_array_payload`'s ``payload`` (any codec)."""
    dtype = np.dtype(payload["dtype"]).newbyteorder("<")
    codec = payload.get("codec")
    data = zlib.decompress(payload["data"]) if codec else payload["data"]
    array: np.ndarray = np.frombuffer(data, dtype=dtype).reshape(payload["shape"])
    if codec == "delta-deflate":
        array = np.cumsum(array, axis=-1, dtype=dtype)
    return array


class ClipModel(ipywidgets.Widget):  # type: ignore[misc]
    """One logged clip in the browser: address, metadata, encoded audio, analysis arrays."""

    run = traitlets.Unicode().tag(sync=True)
    """Type: str. The run that logged the clip."""
    group = traitlets.Unicode().tag(sync=True)
    """Type: str. The group key the clip was logged under."""
    step = traitlets.Int().tag(sync=True)
    """Type: int. The step the clip was logged at."""
    index = traitlets.Int().tag(sync=True)
    """Type: int. Position in the list logged for (run, group, step)."""
    meta = traitlets.Dict().tag(sync=True)
    """Type: dict. caption, sample_rate, channels, frames, duration, encoding, mime, ext."""
    audio = traitlets.Bytes().tag(sync=True)
    """Type: bytes. The encoded file (FLAC by default) exactly as played and downloaded;
    empty when the panel's embed budget leaves this clip out (see ``embedded``)."""
    embedded = traitlets.Bool(True).tag(sync=True)
    """Type: bool. Whether ``audio`` holds the file; if not, the view asks the kernel for it."""
    arrays = traitlets.Dict().tag(sync=True)
    """Type: dict[str, {dtype, shape, data[, codec]}]. ``peaks`` (card) and ``waveform``:
    int16 (channels, buckets, 2); ``spectrum_frames``: uint8 (frames, bins);
    ``spectrum_frequencies`` and ``average_spectrum`` (dB): float32 (bins,). ``waveform``
    and ``spectrum_frames`` travel compressed without loss (see ``_array_payload``)."""

    stats: dict[str, Any]
    """The clip's statistics as :func:`audiowidget.analyze` gives them (not synced)."""

    @classmethod
    def from_audio(
        cls, key: Key, clip: Audio, audio_format: str = "flac", *, embedded: bool = True
    ) -> ClipModel:
        """Encode and analyze ``clip`` (the only place a clip is read).

        With ``embedded=False`` the audio stays in Python (``data``) and is not
        synced, not even once as the model opens.
        """
        encoded = clip.encode(audio_format)
        analysis = analyze_clip(clip, encoded.encoding)  # statistics name the format stored
        stats = analysis.scalars()
        meta = {
            "caption": clip.caption,
            "sample_rate": clip.sample_rate,
            "channels": clip.channels,
            "frames": clip.frames,
            "duration": clip.duration,
            "encoding": encoded.encoding,
            "mime": encoded.mime,
            "ext": encoded.ext,
            "bytes": len(encoded.data),
            "stats": {name: _json_number(value) for name, value in stats.items()},
            "spectrum_fps": analysis.spectrum_fps,
            "spectrum_db_range": list(SPECTRUM_DB_RANGE),
        }
        model = cls(
            run=key.run,
            group=key.group,
            step=key.step,
            index=key.index,
            meta=meta,
            audio=encoded.data if embedded else b"",
            embedded=embedded,
            arrays={
                "peaks": _array_payload(coarsen_peaks(analysis.peaks, CARD_PEAK_BUCKETS)),
                "waveform": _array_payload(analysis.peaks, "deflate"),
                "spectrum_frames": _array_payload(analysis.spectrum_frames, "delta-deflate"),
                "spectrum_frequencies": _array_payload(analysis.spectrum_frequencies),
                "average_spectrum": _array_payload(analysis.average_spectrum),
            },
        )
        model.stats = stats
        model.data = encoded.data
        model._is_embedded = embedded
        return model

    data: bytes
    """The encoded file, always kept in Python (served on request when not embedded)."""
    _is_embedded: bool  # ``embedded`` as a plain attribute

    def set_embedded(self, embedded: bool) -> None:
        """Put the audio into the synced state, or take it out (metadata and analysis stay)."""
        if embedded != self._is_embedded:  # a plain read: the budget asks every clip on each log
            self._is_embedded = embedded
            with self.hold_sync():
                self.audio = self.data if embedded else b""
                self.embedded = embedded

    def __repr__(self) -> str:
        duration = self.meta.get("duration", 0.0)
        return (
            f"ClipModel(run={self.run!r}, group={self.group!r}, step={self.step}, "
            f"index={self.index}, {duration:.2f} s, {len(self.audio)} bytes)"
        )


class ClipPage(ipywidgets.Widget):  # type: ignore[misc]
    """A page of at most :data:`PAGE_SIZE` clip references."""

    clips = traitlets.List(traitlets.Instance(ClipModel)).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    """Type: list[ClipModel]. Clips in logging order (a replaced clip keeps its slot)."""


def nearest_step(steps: list[int], wanted: int) -> int:
    """The logged step nearest ``wanted``, the lower one on a tie (``steps`` sorted, non-empty).

    Examples:
        >>> nearest_step([0, 10, 20], 15), nearest_step([0, 10, 20], 16), nearest_step([5], 0)
        (10, 20, 5)
    """
    return min(steps, key=lambda s: (abs(s - wanted), s))


def shown_steps(
    steps: Mapping[str, list[int]],
    linked_step: int | None,
    pinned: Mapping[str, int | None],
    unlinked: Collection[str],
) -> dict[str, int]:
    """The step each group's slider shows, from the panel's slider traits.

    ``steps`` are each group's logged steps, sorted. Linked groups show
    ``linked_step`` (``None``: the newest linked step), unlinked ones their pin
    (else their newest), each at its nearest logged step as the sliders do.

    Examples:
        >>> shown_steps({"a": [0, 10, 20], "b": [5]}, None, {}, [])
        {'a': 20, 'b': 5}
        >>> shown_steps({"a": [0, 10, 20], "b": [0, 5]}, 10, {"b": 0}, ["b"])
        {'a': 10, 'b': 0}
    """
    newest = [s[-1] for g, s in steps.items() if g not in unlinked]
    linked = linked_step if linked_step is not None else max(newest, default=None)
    shown = {}
    for group, logged in steps.items():
        wanted = pinned.get(group) if group in unlinked else linked
        shown[group] = nearest_step(logged, logged[-1] if wanted is None else int(wanted))
    return shown


def _check_embed(embed: object) -> str | int:
    if embed in ("all", "latest"):
        return str(embed)
    if isinstance(embed, (int, np.integer)) and not isinstance(embed, bool) and embed >= 0:
        return int(embed)
    if isinstance(embed, (float, np.floating)) and embed >= 0 and float(embed).is_integer():
        return int(embed)  # 64e6
    raise ValueError(
        f"embed must be 'all', 'latest' or a whole number of bytes >= 0 (e.g. 64_000_000 or "
        f"64e6), got {embed!r}"
    )


def _check_step(step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
        raise TypeError(f"step must be a non-negative int or None, got {step!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return int(step)


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a string, got {type(name).__name__}: {name!r}")
    if not name.strip():
        raise ValueError(f"{kind} must be a non-empty string, got {name!r}")
    return name


def _check_clips(group: str, value: object) -> list[Audio]:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise ValueError(f"group {group!r}: the list of clips is empty; log at least one Audio")
    for i, item in enumerate(items):
        if not isinstance(item, Audio):
            where = f"group {group!r}" if len(items) == 1 else f"group {group!r}, item {i}"
            raise TypeError(
                f"{where}: expected audiowidget.Audio, got {type(item).__name__}; "
                "wrap it: aw.Audio(data, sample_rate=...)"
            )
    return list(items)


class AudioPanel(anywidget.AnyWidget):
    """Players for runs × groups × steps of audio, with run colors and step sliders.

    Log clips the way you log to an experiment tracker; show the panel as the
    last expression of a cell. Logging while the panel is shown updates it.

    Examples:
        >>> import numpy as np, audiowidget as aw
        >>> panel = aw.AudioPanel()
        >>> t = np.arange(22050) / 22050
        >>> for step in (0, 100):
        ...     for run in ("baseline", "bigger-model"):
        ...         tone = 0.1 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
        ...         panel.log({"tts/hello": aw.Audio(tone, 22050, caption="hi")},
        ...                   step=step, run=run)
        >>> panel.runs, panel.groups, panel.steps("tts/hello")
        (['baseline', 'bigger-model'], ['tts/hello'], [0, 100])
    """

    _esm = _STATIC / "index.js"
    _css = _STATIC / "index.css"

    _runs = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Type: list[{name, color}]. Runs in logging order with their CSS colors."""
    _groups = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Type: list[str]. Group keys in logging order."""
    _pages = traitlets.List(traitlets.Instance(ClipPage)).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    """Type: list[ClipPage]. Pages of clip references; only the last one grows."""
    _pinned_steps = traitlets.Dict().tag(sync=True)
    """Type: dict[str, int]. Steps of unlinked groups the user moved to; absent: follow newest."""
    _linked_step = traitlets.Int(None, allow_none=True).tag(sync=True)
    """Type: int | None. The step of every linked group's slider; None: follow the newest step."""
    _unlinked = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Type: list[str]. Groups whose slider moves on its own (the lock icon is open)."""
    _reference = traitlets.Unicode("").tag(sync=True)
    """Type: str. The reference run shown beside every step, or "" for none."""
    selected_run = traitlets.Unicode("").tag(sync=True)
    """Type: str. The selected run: the one audible in Compare mode, targeted by Space."""
    compare = traitlets.Bool(False).tag(sync=True)
    """Type: bool. Compare mode: all runs of a group play together, only the selected one heard."""
    match_loudness = traitlets.Bool(False).tag(sync=True)
    """Type: bool. Play every clip at the same integrated loudness (playback only)."""

    def __init__(
        self,
        *,
        embed: str | int = DEFAULT_EMBED_BYTES,
        audio_format: str = "flac",
        **kwargs: Any,
    ) -> None:
        """Create an empty panel.

        Args:
            embed: which clips carry their audio in the widget state (and so in
                saved notebooks and reports): a byte count (default 64 MB:
                every clip until the encoded audio passes it, then the clips of
                the oldest steps are left out first), ``"all"``, or
                ``"latest"`` (each group's newest step). The steps the sliders
                show come first in either case, so a report opens on cards
                that play. Clips left out
                keep their metadata and analysis; open views fetch their audio
                from the kernel when needed, and a report says so on the card.
            audio_format: how clips are embedded: ``"flac"`` (default,
                lossless), ``"wav"``, or, for compact reports, the lossy
                ``"mp3"`` and ``"opus"`` (Opus takes 8/12/16/24/48 kHz only;
                clips at other rates are refused, never resampled). Statistics
                always come from the original samples.
        """
        super().__init__(**kwargs)
        self._store: ClipStore[ClipModel] = ClipStore()
        self._slots: dict[int, tuple[ClipPage, int]] = {}  # id(model) -> (page, slot)
        self._lock = threading.RLock()
        self._by_id: dict[str, ClipModel] = {}
        try:
            self._embed: str | int = _check_embed(embed)
            if audio_format not in ("flac", "wav", "mp3", "opus"):
                raise ValueError(
                    f"audio_format must be 'flac', 'wav', 'mp3' or 'opus', got {audio_format!r}"
                )
        except (TypeError, ValueError):
            self.close()
            raise
        self.audio_format = audio_format
        self.on_msg(self._handle_message)

    @property
    def embed(self) -> str | int:
        """Which clips carry their audio: a byte count, ``"all"`` or ``"latest"``.

        Setting it applies the new budget at once to every clip logged so far.

        Examples:
            >>> import audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> panel.embed = "all"
            >>> panel.embed
            'all'
        """
        return self._embed

    @embed.setter
    def embed(self, value: str | int) -> None:
        with self._lock:
            self._embed = _check_embed(value)
            self._apply_embed_budget()

    # -- logging -----------------------------------------------------------------

    def log(
        self,
        data: Mapping[str, Audio | Iterable[Audio]],
        step: int | None = None,
        run: str = "default",
        *,
        reference: bool = False,
    ) -> None:
        """Log clips for one step of one run, like ``wandb.log``.

        Args:
            data: group key → one :class:`Audio` or a list of them.
            step: training step; ``None`` means this run's previous step + 1
                (0 for its first log). Logging the same run, group and step
                again replaces what was there.
            run: run name, shown in the run's color on every card.
            reference: make ``run`` the reference run (see :meth:`set_reference`).

        Everything is checked and encoded before anything is stored, so a bad
        clip leaves what was logged untouched.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> noise = np.random.default_rng(0).normal(0, 0.05, 16000)
            >>> panel.log({"vocoder/a": aw.Audio(noise, sample_rate=16000)}, run="v1")
            >>> panel.log({"vocoder/a": [aw.Audio(noise, 16000)] * 2}, run="v1")
            >>> panel.steps("vocoder/a")
            [0, 1]
        """
        if not isinstance(data, Mapping):
            raise TypeError(
                f"log() takes a dict of group key -> Audio, got {type(data).__name__}; "
                'e.g. panel.log({"tts/hello": aw.Audio(x, 22050)}, step=0, run="baseline")'
            )
        run = _check_name("run", run)
        checked = {_check_name("group key", g): _check_clips(g, v) for g, v in data.items()}
        if not checked:
            raise ValueError("log() got an empty dict: pass at least one group key -> Audio")
        with self._lock:
            resolved = self._store.next_step(run) if step is None else _check_step(step)
            built: dict[str, list[ClipModel]] = {}
            new: list[tuple[Key, ClipModel]] = []
            try:
                for group, clips in checked.items():
                    built[group] = []
                    for i, clip in enumerate(clips):
                        # opened without their audio: the budget decides below whether they get it
                        key = Key(group, resolved, run, i)
                        try:
                            model = ClipModel.from_audio(
                                key, clip, self.audio_format, embedded=False
                            )
                        except ValueError as e:  # name the clip among the many of one log
                            where = f"run {run!r}, group {group!r}, step {resolved}"
                            raise ValueError(
                                f"{where}{f', clip {i}' if len(clips) > 1 else ''}: {e}"
                            ) from e
                        built[group].append(model)
                        new.append((key, model))
            except BaseException:
                # a clip that cannot be encoded: close the models already built for this call
                for _, model in new:
                    model.close()
                raise
            kept = [  # every clip but those this call replaces
                (k, model)
                for k, model in self._store
                if not (k.step == resolved and k.run == run and k.group in built)
            ]
            with self.hold_sync():
                if reference:
                    self._reference = run
                # the budget over the clips as they will be: new clips within it get their audio
                # before any view can see them, the others as soon as they are stored
                keep = self._embedded_ids([*kept, *new])
                for _, model in new:
                    model.set_embedded(id(model) in keep)
                for group, models in built.items():
                    self._store_group(group, resolved, run, models)
                for _, model in kept:
                    model.set_embedded(id(model) in keep)
                self._sync_index()

    def _apply_embed_budget(self, clips: list[tuple[Key, ClipModel]] | None = None) -> None:
        """Embed the newest clips; leave the audio of the oldest steps out beyond the budget.

        ``clips`` are the panel's, when the caller has listed them already.
        """
        clips = list(self._store) if clips is None else clips
        keep = self._embedded_ids(clips)
        for _, model in clips:
            model.set_embedded(id(model) in keep)

    def _embedded_ids(
        self, clips: list[tuple[Key, ClipModel]], embed: str | int | None = None
    ) -> set[int]:
        """Which of ``clips`` (the panel's, with their keys) carry their audio under the budget.

        The clips the sliders show now come first (a report opens on them),
        then the newest steps, group by group. A reference clip counts as young
        as the newest step it is shown beside (the steps up to the reference
        run's next clip), and comes first among the clips of that age.
        """
        reference = self._reference
        embed = self._embed if embed is None else embed
        if embed == "all":
            return {id(m) for _, m in clips}
        shown = self._shown_cells(clips)
        if embed == "latest":
            newest: dict[str, int] = {}
            reference_newest: dict[str, int] = {}
            for k, _ in clips:
                newest[k.group] = max(k.step, newest.get(k.group, k.step))
                if k.run == reference:
                    reference_newest[k.group] = max(k.step, reference_newest.get(k.group, k.step))
            # the reference card beside a group's newest step shows the reference run's newest clip
            return {
                id(m)
                for k, m in clips
                if k.step == newest[k.group]
                or (k.run == reference and k.step == reference_newest[k.group])
                or (k.run != reference, k.group, k.step) in shown
            }
        # the clips of each (reference or not, group, step), in the order of logging
        cells: dict[tuple[bool, str, int], list[ClipModel]] = {}
        for k, m in clips:
            cells.setdefault((k.run != reference, k.group, k.step), []).append(m)
        # each group's steps counted from its newest, so that groups logged on different step
        # scales (epochs, iterations) keep their newest steps alike
        steps: dict[str, set[int]] = {}
        for _, group, step in cells:
            steps.setdefault(group, set()).add(step)
        newest_first = {g: sorted(v, reverse=True) for g, v in steps.items()}
        age = {(g, s): i for g, v in newest_first.items() for i, s in enumerate(v)}
        # a reference clip is shown beside its own step and every later one up to the
        # reference run's next clip: it is as young as the newest of them
        shown_until: dict[tuple[str, int], int] = {}
        for g, v in newest_first.items():
            newest_shown = v[0]
            for i, s in enumerate(v):
                if (False, g, s) in cells:
                    shown_until[g, s] = newest_shown
                    newest_shown = v[min(i + 1, len(v) - 1)]

        def rank(cell: tuple[bool, str, int]) -> tuple[int, bool]:
            other, group, step = cell
            if cell in shown:
                return -1, other
            return age[group, step if other else shown_until[group, step]], other

        keep: set[int] = set()
        used, budget = 0, int(embed)
        for cell in sorted(cells, key=rank):
            for model in cells[cell]:
                used += len(model.data)
                if used > budget:
                    return keep
                keep.add(id(model))
        return keep

    def _shown_cells(self, clips: list[tuple[Key, ClipModel]]) -> set[tuple[bool, str, int]]:
        """The ``(not reference, group, step)`` cells of ``clips`` that the sliders show now.

        Each group shows its slider's step (see :func:`shown_steps`) and, beside
        it, the reference run's clip from its nearest step at or before that
        one, else its first after it (as the view picks it).
        """
        reference = self._reference
        steps: dict[str, set[int]] = {}
        reference_steps: dict[str, set[int]] = {}
        for k, _ in clips:
            steps.setdefault(k.group, set()).add(k.step)
            if k.run == reference:
                reference_steps.setdefault(k.group, set()).add(k.step)
        shown = shown_steps(
            {g: sorted(v) for g, v in steps.items()},
            self._linked_step,
            self._pinned_steps,
            self._unlinked,
        )
        cells = {(True, group, step) for group, step in shown.items()}
        for group, step in shown.items():
            logged = sorted(reference_steps.get(group, ()))
            if logged:
                before = [s for s in logged if s <= step]
                cells.add((False, group, before[-1] if before else logged[0]))
        return cells

    @traitlets.observe("_linked_step", "_pinned_steps", "_unlinked")
    def _on_sliders(self, _: Any) -> None:
        """A slider moved: the clips it shows now come first in the budget (reports open there).

        Nothing changes while every shown clip already has its audio (moving
        among embedded steps, or the second trait of one change): the plan in
        place is still within the budget. Otherwise the shown clips' audio goes
        to the browser (it would be fetched on play anyway) and the oldest leave.
        """
        if getattr(self, "_embed", "all") == "all":  # also: not constructed yet
            return
        with self._lock:
            clips = list(self._store)
            shown = self._shown_cells(clips)
            reference = self._reference
            if all(
                m._is_embedded for k, m in clips if (k.run != reference, k.group, k.step) in shown
            ):
                return
            self._apply_embed_budget(clips)

    def _handle_message(self, _: Any, content: Any, buffers: Any) -> None:
        """Serve ``{"type": "audio_request", "request_id", "clip"}``: the clip's file in chunks."""
        if not isinstance(content, dict) or content.get("type") != "audio_request":
            return
        request_id = content.get("request_id")
        model = self._by_id.get(str(content.get("clip", "")).removeprefix("IPY_MODEL_"))
        if model is None or model.comm is None:
            self.send(
                {
                    "type": "audio_error",
                    "request_id": request_id,
                    "message": "this clip is no longer in the panel (it was replaced or closed)",
                }
            )
            return
        data = model.data
        chunks = max(1, -(-len(data) // REPLY_CHUNK_BYTES))
        for i in range(chunks):
            part = data[i * REPLY_CHUNK_BYTES : (i + 1) * REPLY_CHUNK_BYTES]
            self.send(
                {
                    "type": "audio_reply",
                    "request_id": request_id,
                    "clip": model.model_id,
                    "chunk": i,
                    "chunks": chunks,
                    "bytes": len(data),
                },
                buffers=[part],
            )

    def _store_group(self, group: str, step: int, run: str, models: list[ClipModel]) -> None:
        replaced = dict(self._store.put(group, step, run, models))
        touched: dict[int, ClipPage] = {}
        for model in models:
            old = replaced.pop(Key(group, step, run, model.index), None)
            if old is not None:  # same slot, new clip
                page, slot = self._slots.pop(id(old))
                page.clips = [*page.clips[:slot], model, *page.clips[slot + 1 :]]
                self._slots[id(model)] = (page, slot)
                self._by_id.pop(old.model_id, None)
                old.close()
            else:
                page = self._page_with_room()
                self._slots[id(model)] = (page, len(page.clips))
                page.clips = [*page.clips, model]
            self._by_id[model.model_id] = model
            touched[id(page)] = page
        for old in replaced.values():  # fewer clips than before at this address
            page, _ = self._slots.pop(id(old))
            page.clips = [m for m in page.clips if m is not old]
            for slot, m in enumerate(page.clips):
                self._slots[id(m)] = (page, slot)
            self._by_id.pop(old.model_id, None)
            old.close()

    def _page_with_room(self) -> ClipPage:
        if not self._pages or len(self._pages[-1].clips) >= PAGE_SIZE:
            self._pages = [*self._pages, ClipPage()]
        page: ClipPage = self._pages[-1]
        return page

    def _sync_index(self) -> None:
        runs = [{"name": r, "color": self._store.color(r)} for r in self._store.runs]
        if runs != self._runs:
            self._runs = runs
        if self._store.groups != self._groups:
            self._groups = self._store.groups

    # -- reading -------------------------------------------------------------------

    @property
    def runs(self) -> list[str]:
        """Run names in the order they were first logged."""
        return self._store.runs

    @property
    def groups(self) -> list[str]:
        """Group keys in the order they were first logged."""
        return self._store.groups

    def steps(self, group: str) -> list[int]:
        """Sorted steps logged for ``group``.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> panel.log({"g": aw.Audio(np.zeros(100) + 0.1, 8000)}, step=5)
            >>> panel.steps("g")
            [5]
        """
        return self._store.steps(group)

    # -- steps, linking and the reference run ----------------------------------------

    @property
    def step(self) -> int | None:
        """The step of the linked sliders (``None`` before anything is logged).

        Setting it moves every linked group; a group with no clip at that step
        shows its nearest logged step (the lower one on a tie). Set ``None`` to
        follow the newest step again.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> for s in (0, 10, 20):
            ...     panel.log({"a": aw.Audio(np.zeros(80) + 0.1, 8000)}, step=s)
            >>> panel.log({"b": aw.Audio(np.zeros(80) + 0.1, 8000)}, step=5)
            >>> panel.step = 10
            >>> panel.group_steps
            {'a': 10, 'b': 5}
        """
        with self._lock:
            if self._linked_step is not None:
                return int(self._linked_step)
            linked = [g for g in self._store.groups if g not in self._unlinked]
            newest = [self._store.steps(g)[-1] for g in linked]
            return max(newest) if newest else None

    @step.setter
    def step(self, value: int | None) -> None:
        self._linked_step = None if value is None else _check_step(value)

    @property
    def group_steps(self) -> dict[str, int]:
        """The step each group's slider shows, as the sliders in the browser do."""
        with self._lock:
            steps = {group: self._store.steps(group) for group in self._store.groups}
            return shown_steps(steps, self._linked_step, self._pinned_steps, self._unlinked)

    def link(self, group: str, linked: bool = True) -> None:
        """Link ``group``'s slider to the others (the default) or let it move on its own."""
        with self._lock:
            self._store.steps(group)  # raises with the logged groups if unknown
            others = [g for g in self._unlinked if g != group]
            self._unlinked = others if linked else [*others, group]

    @property
    def reference(self) -> str | None:
        """The reference run, shown first beside every step of every group, or None."""
        return self._reference or None

    def set_reference(self, run: str | None) -> None:
        """Show ``run``'s clips beside every step (None: no reference run).

        For each group the reference card shows the clip from the reference
        run's nearest logged step at or before the current one, or its only
        clip, marked as reference and first in the grid.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> panel.log({"g": aw.Audio(np.zeros(80) + 0.1, 8000)}, step=0, run="ground truth")
            >>> panel.set_reference("ground truth")
            >>> panel.reference
            'ground truth'
        """
        with self._lock:
            if run is not None and run not in self._store.runs:
                raise KeyError(f"no run {run!r} has been logged; logged runs: {self._store.runs}")
            self._reference = run or ""
            self._apply_embed_budget()

    def stats(self, run: str, group: str, step: int, index: int = 0) -> dict[str, Any]:
        """Statistics of one logged clip: the scalar fields of :func:`audiowidget.analyze`.

        Levels of silence are ``-inf``; ``dynamic_range_db`` and
        ``loudness_lufs`` are ``None`` where undefined (see
        :mod:`audiowidget.analysis` for every definition).

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> sine = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(48000) / 48000)
            >>> panel.log({"g": aw.Audio(sine, 48000)}, step=0, run="r")
            >>> round(panel.stats("r", "g", 0)["rms_dbfs"], 2)
            -9.03
        """
        with self._lock:
            model = self._store.get(Key(group, step, run, index))
            if model is None:
                logged = [k.index for k, _ in self._store.at(group, step) if k.run == run]
                raise KeyError(
                    f"nothing logged for run={run!r}, group={group!r}, step={step}, index={index}"
                    + (f"; indices logged there: {logged}" if logged else "")
                    + f"; runs: {self._store.runs}, groups: {self._store.groups}"
                )
            return dict(model.stats)

    def color(self, run: str) -> str:
        """The CSS color of ``run`` (palette order of first logging unless set)."""
        return self._store.color(run)

    def set_color(self, run: str, css_color: str) -> None:
        """Give ``run`` another CSS color; open views update.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> panel.log({"g": aw.Audio(np.zeros(100) + 0.1, 8000)}, run="ref")
            >>> panel.set_color("ref", "#222222")
            >>> panel.color("ref")
            '#222222'
        """
        with self._lock:
            self._store.set_color(run, css_color)
            self._sync_index()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus a light ``text/html`` summary for viewers without widget state."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = {**data, "text/html": self.summary_html()}
        return data, metadata

    # -- importers ---------------------------------------------------------------

    @classmethod
    def from_files(
        cls, pattern: str, root: str | os.PathLike[str] = ".", **panel_kwargs: Any
    ) -> AudioPanel:
        """A new panel of the audio files under ``root`` whose path matches ``pattern``.

        ``pattern`` names the run, step and group with ``{run}``, ``{step}``,
        ``{group}`` and optionally ``{index}``, e.g.
        ``"samples/{run}/step_{step}/{group}.wav"``; ``panel_kwargs`` go to
        the constructor. See :func:`audiowidget.importers.from_files`.
        """
        return importers.from_files(cls, pattern, root, **panel_kwargs)

    @classmethod
    def from_tensorboard(cls, logdir: str | os.PathLike[str], **panel_kwargs: Any) -> AudioPanel:
        """A new panel of the audio summaries in TensorBoard event files under ``logdir``.

        Every folder holding event files is a run, every tag a group. Needs
        ``pip install tensorboard``. See
        :func:`audiowidget.importers.from_tensorboard`.
        """
        return importers.from_tensorboard(cls, logdir, **panel_kwargs)

    @classmethod
    def from_wandb(cls, run_dir: str | os.PathLike[str], **panel_kwargs: Any) -> AudioPanel:
        """A new panel of the audio in local W&B run directories (offline or synced).

        ``run_dir`` is a run directory, a ``wandb`` directory or the folder
        given to ``wandb.init(dir=...)``. See :func:`audiowidget.importers.from_wandb`.
        """
        return importers.from_wandb(cls, run_dir, **panel_kwargs)

    def trends(self, stat: str = "loudness", group: str | None = None) -> TrendsFigure:
        """A live bqplot figure of one statistic over the logged steps, one line per run.

        Lines are in the run colors; undefined values (``None``, the ``-inf``
        of silence) are gaps. A dashed line marks the step the panel shows and
        follows it; clicking a point moves the panel to that step (linked
        groups follow). New logs extend the lines.

        Args:
            stat: a field of :meth:`stats` (``"rms_dbfs"``) or a friendly name:
                ``loudness``, ``rms``, ``peak``, ``crest``, ``dynamic_range``,
                ``silence``, ``dc``, ``clipped``. Unknown names raise
                ``ValueError`` listing them.
            group: one group key, or ``None`` for every group in one figure
                (groups told apart by line style and marker, named in the legend).

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> for step in (0, 10):
            ...     panel.log({"g": aw.Audio(np.full(8000, 0.05 * (step + 1)), 8000)}, step=step)
            >>> fig = panel.trends("peak", "g")
            >>> fig.lines["g", "default"].y.round(1).tolist()
            [-26.0, -5.2]
        """
        from .trends import trends

        return trends(self, stat, group)

    def save_html(
        self, path: str | Path, title: str | None = None, embed: str | int | None = None
    ) -> Path:
        """Write the panel as one HTML file that works offline, opened from ``file://``.

        Players, step sliders and the Analyze view work with no kernel and no
        network. The audio is embedded (base64) as the panel's ``embed``
        budget says, unless ``embed`` ("all", "latest" or a number of bytes)
        is given for this file; an :class:`AudioWarning` says how many clips
        were left out.

        Examples:
            >>> import numpy as np, audiowidget as aw, tempfile, pathlib
            >>> panel = aw.AudioPanel()
            >>> panel.log({"g": aw.Audio(np.zeros(800) + 0.1, 8000)}, step=0, run="r")
            >>> out = panel.save_html(pathlib.Path(tempfile.mkdtemp()) / "panel.html")
            >>> out.stat().st_size > 0
            True
        """
        from .standalone import save_html

        return save_html(self, path, title=title, embed=embed)

    def summary_html(self) -> str:
        """A static HTML summary (at most 20 KB, no audio) of the clips at the current steps.

        Examples:
            >>> import numpy as np, audiowidget as aw
            >>> panel = aw.AudioPanel()
            >>> panel.log({"g": aw.Audio(np.zeros(800) + 0.1, 8000)}, step=0, run="<b>r</b>")
            >>> "&lt;b&gt;r&lt;/b&gt;" in panel.summary_html()
            True
        """
        with self._lock:
            reference = self._reference
            groups = []
            for group, step in self.group_steps.items():
                here = self._store.at(group, step)
                # the reference run first, as the panel shows it: its clip of this step, else
                # of its nearest step before, else of its first
                own = sorted(
                    {k.step for k, _ in self._store if k.run == reference and k.group == group}
                )
                before = [s for s in own if s <= step]
                beside = [] if not own else self._store.at(group, before[-1] if before else own[0])
                rows = [kv for kv in beside if kv[0].run == reference]
                rows += [kv for kv in here if kv[0].run != reference]
                clips = [
                    ClipSummary(
                        group=key.group,
                        step=key.step,
                        run=key.run,
                        index=key.index,
                        color=self._store.color(key.run),
                        caption=model.meta.get("caption"),
                        duration=model.stats["duration"],
                        encoding=model.stats["encoding"],
                        peak_dbfs=model.stats["peak_dbfs"],
                        rms_dbfs=model.stats["rms_dbfs"],
                        loudness_lufs=model.stats["loudness_lufs"],
                        peaks=_decode_array(model.arrays["peaks"]),
                        reference=key.run == reference,
                    )
                    for key, model in rows
                ]
                groups.append((group, step, clips))
            totals = (len(self._store.runs), len(self._store.groups), len(self._store))
        return fallback_html(groups, totals)

    def close(self) -> None:
        """Close the panel and every clip and page model it created."""
        with self._lock:
            for _, model in self._store:
                model.close()
            for page in self._pages:
                page.close()
        super().close()

    def __repr__(self) -> str:
        return (
            f"AudioPanel({len(self._store.runs)} runs, {len(self._store.groups)} groups, "
            f"{len(self._store)} clips)"
        )
