"""Self-contained HTML reports: one file that plays from ``file://`` with no network.

Entry points:

- :func:`save_html`: one :class:`~audiowidget.AudioPanel` as an HTML page
  (``panel.save_html(path)`` calls it).
- :func:`notebook_html`: a notebook with saved widget state as one HTML page:
  nbconvert's ``HTMLExporter`` renders markdown, text, images and HTML; our
  own loader renders the panels. ``python -m audiowidget report`` uses it.
- :func:`report_overhead`: the bytes of a written report beside the audio it
  embeds.

How a report works. Every panel model (with its pages and clips) is stored
once in a JSON script tag, binary values as base64 with their paths. The page
inlines ``static/loader.js`` (built from ``js/src/loader``, about 7 KB): a
minimal widget manager that builds models from that state on first use,
decodes the buffers into ``DataView`` objects at their paths and hands them to
the panel's own bundle (its ``_esm`` and ``_css``, stored once per distinct
bundle and imported from a Blob URL). ``set`` fires change events at once, so
several views of one panel stay on the same step; ``save_changes`` and
``send`` have no kernel to talk to. No CDN is contacted and no Jupyter widget
manager (3.6 MB) is needed for our panels. The buffers of the clips a panel
does not open on go in tags after the loader, which renders as soon as it is
parsed: a big report shows its panels while the rest is still read.

Other libraries' widgets (an ``ipywidgets.IntSlider``, a bqplot figure) need
Jupyter's widget renderer, @jupyter-widgets/html-manager, which no Python
package ships. :func:`notebook_html` looks for it at run time (the npm
packages ``@jupyter-widgets/html-manager`` and ``requirejs`` under a
``node_modules`` folder: the ``widget_assets`` argument, the
``AUDIOWIDGET_WIDGET_ASSETS`` environment variable or ``./node_modules``) and
for the AMD module of every other widget library in Jupyter's
``nbextensions`` folders (anywidget ships its own). When found, they are
inlined and those widgets render as in an nbconvert export; when not, each
such widget shows a note naming what it needs, and a warning tells how to get
it (``foreign="embed"`` makes that an error instead). A panel shown inside such
a widget (a ``VBox``) is then shown on its own below the note.

Left out on purpose: MathJax and mermaid, which nbconvert loads from CDNs
(math and diagrams in markdown show as their source text).

Size: audio travels as base64, which costs a third of its bytes on top of the
audio itself. No single HTML file can avoid that (a ``data:`` URL is base64
too); :func:`report_overhead` shows it apart from everything else.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ReportError",
    "WidgetRenderer",
    "describe_overhead",
    "execute_notebook",
    "notebook_html",
    "report_overhead",
    "save_html",
]

STATIC = Path(__file__).parent / "static"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
#: Script types read by static/loader.js.
PANELS_TYPE = "application/vnd.audiowidget.state+json"
#: Buffers of clips not shown at first, after the loader: ``{model_id: [{path, data}]}``.
LATE_TYPE = "application/vnd.audiowidget.buffers+json"
_LATE_MODELS_PER_TAG = 64
#: After each LATE_TYPE tag: tells the loader that the tag before it is whole (so it can be read
#: while the browser still reads the rest of the page).
_LATE_READ = '<script>document.dispatchEvent(new Event("audiowidget:buffers"))</script>'
AMD_TYPE = "application/vnd.audiowidget.amd+json"
#: Widget modules html-manager defines itself; every other module needs its AMD file.
RENDERER_MODULES = frozenset(
    {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
)
ASSETS_ENV = "AUDIOWIDGET_WIDGET_ASSETS"
_PREFIX = "IPY_MODEL_"
_BUNDLE_TRAITS = ("_esm", "_css")

Foreign = Literal["auto", "embed", "note"]
SavedModel = dict[str, Any]
"""One model as a notebook saves it: model_name, model_module, state, buffers (base64)."""


class ReportError(RuntimeError):
    """A report cannot be made as asked; the message names what is missing and the fix."""


# -- widget state ---------------------------------------------------------------------------


def _references(value: Any) -> Iterator[str]:
    """Model ids a JSON-like value refers to: ``"IPY_MODEL_<id>"`` strings and view outputs."""
    if isinstance(value, str):
        if value.startswith(_PREFIX):
            yield value[len(_PREFIX) :]
    elif isinstance(value, Mapping):
        view = value.get(VIEW_MIME)
        if isinstance(view, Mapping) and isinstance(view.get("model_id"), str):
            yield view["model_id"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _references(item)


def _components(state: Mapping[str, SavedModel]) -> dict[str, frozenset[str]]:
    """Each model id → the ids connected to it by references either way."""
    parent = {model_id: model_id for model_id in state}

    def root(model_id: str) -> str:
        while parent[model_id] != model_id:
            parent[model_id] = parent[parent[model_id]]
            model_id = parent[model_id]
        return model_id

    for model_id, entry in state.items():
        for ref in _references(entry.get("state", {})):
            if ref in parent:
                parent[root(ref)] = root(model_id)
    groups: dict[str, set[str]] = {}
    for model_id in state:
        groups.setdefault(root(model_id), set()).add(model_id)
    frozen = {key: frozenset(ids) for key, ids in groups.items()}
    return {model_id: frozen[root(model_id)] for model_id in state}


def _is_panel(entry: SavedModel) -> bool:
    state = entry.get("state", {})
    return entry.get("model_module") == "anywidget" and str(
        state.get("_anywidget_id", "")
    ).startswith("audiowidget.")


def _is_ours(ids: Iterable[str], state: Mapping[str, SavedModel]) -> bool:
    """A component our loader renders: panels and the plain base models they list."""
    entries = [state[i] for i in ids]
    return any(_is_panel(e) for e in entries) and all(
        _is_panel(e) or e.get("model_module") == "@jupyter-widgets/base" for e in entries
    )


def _bundle_source(esm: str) -> str:
    """The ESM text: a URL (anywidget's development mode) means the installed bundle."""
    if re.match(r"^(https?|file):", esm.strip()):
        return _static("index.js")
    return esm


def _static(name: str) -> str:
    path = STATIC / name
    if not path.is_file():
        raise ReportError(
            f"audiowidget/static/{name} is missing: the front end is not built. Run "
            "`npm run build` in js/ (or reinstall audiowidget: the wheel contains it)."
        )
    return path.read_text(encoding="utf-8")


def _panels_payload(state: Mapping[str, SavedModel], ids: Iterable[str]) -> dict[str, Any]:
    """What static/loader.js reads: ``{models, panels, bundles}``, each bundle stored once."""
    models: dict[str, Any] = {}
    panels: dict[str, str] = {}
    bundles: dict[str, dict[str, str]] = {}
    for model_id in sorted(ids):
        entry = state[model_id]
        model_state = dict(entry.get("state", {}))
        if _is_panel(entry):
            esm = _bundle_source(str(model_state.pop("_esm", "") or ""))
            css = str(model_state.pop("_css", "") or "")
            key = hashlib.sha256(f"{esm}\0{css}".encode()).hexdigest()[:16]
            bundles.setdefault(key, {"esm": esm, "css": css})
            panels[model_id] = key
        models[model_id] = {
            "state": model_state,
            "buffers": [
                {"path": list(b["path"]), "data": b["data"]} for b in entry.get("buffers", [])
            ],
        }
    return {"models": models, "panels": panels, "bundles": bundles}


def _late_chunks(payload: dict[str, Any], late: Iterable[str]) -> list[dict[str, Any]]:
    """Move the buffers of the models ``late`` out of ``payload`` into chunks for LATE_TYPE tags.

    Each such model keeps ``late``: the names of the traits whose buffers come later,
    so the loader can tell "still loading" from "not in this report".
    """
    chunks: list[dict[str, Any]] = []
    for model_id in sorted(late):
        model = payload["models"].get(model_id)
        if not model or not model["buffers"]:
            continue
        model["late"] = sorted({str(b["path"][0]) for b in model["buffers"]})
        if not chunks or len(chunks[-1]) >= _LATE_MODELS_PER_TAG:
            chunks.append({})
        chunks[-1][model_id] = model["buffers"]
        model["buffers"] = []
    return chunks


def _first_view_clips(state: Mapping[str, SavedModel], panel_id: str) -> tuple[set[str], set[str]]:
    """``(shown, every)``: ids of the clips a saved panel opens on, and of all its clips.

    Shown are each group's clips at the step its slider starts on (as
    ``AudioPanel.group_steps``) and the reference run's clip beside them: its
    nearest at or before that step, else its first.
    """
    from .widget import shown_steps

    panel = state[panel_id].get("state", {})
    clips: dict[str, tuple[str, int, str]] = {}  # id: (group, step, run)
    for page_id in _references(panel.get("_pages", [])):
        for clip_id in _references(state.get(page_id, {}).get("state", {}).get("clips", [])):
            clip = state.get(clip_id, {}).get("state", {})
            clips[clip_id] = (
                str(clip.get("group")),
                int(clip.get("step", 0)),
                str(clip.get("run")),
            )
    steps: dict[str, set[int]] = {}
    reference = panel.get("_reference") or ""
    own: dict[str, set[int]] = {}  # the reference run's steps per group
    for group, step, run in clips.values():
        steps.setdefault(group, set()).add(step)
        if reference and run == reference:
            own.setdefault(group, set()).add(step)
    shown = shown_steps(
        {g: sorted(s) for g, s in steps.items()},
        panel.get("_linked_step"),
        panel.get("_pinned_steps") or {},
        panel.get("_unlinked") or [],
    )
    beside = {g: max((s for s in own[g] if s <= shown[g]), default=min(own[g])) for g in own}
    first = {
        clip_id
        for clip_id, (group, step, run) in clips.items()
        if step == shown[group] or (run == reference and step == beside.get(group))
    }
    return first, set(clips)


def _panel_state(panel: Any) -> dict[str, SavedModel]:
    """The saved state of ``panel`` and every widget it reaches, as a notebook stores it."""
    import ipywidgets
    from ipywidgets.embed import dependency_state

    if not isinstance(panel, ipywidgets.Widget):
        raise TypeError(f"save_html takes an audiowidget.AudioPanel, got {type(panel).__name__}")
    if panel.comm is None:
        raise ReportError(
            "the panel is closed (panel.close() drops its clips): save it before closing it"
        )
    lock = getattr(panel, "_lock", None)
    if lock is not None:  # logging from another thread waits until the snapshot is taken
        with lock:
            state: dict[str, SavedModel] = dependency_state(panel, drop_defaults=False)
    else:
        state = dependency_state(panel, drop_defaults=False)
    if not _is_panel(state[panel.model_id]):
        raise TypeError(f"save_html takes an audiowidget.AudioPanel, got {type(panel).__name__}")
    missing = {r for e in state.values() for r in _references(e["state"])} - set(state)
    if missing:
        raise ReportError(f"the panel refers to widgets that are closed: {sorted(missing)}")
    return state


# -- HTML pieces -------------------------------------------------------------------------------


def _json_for_script(value: Any) -> str:
    """JSON that cannot end its script tag: ``<``, ``>`` and ``&`` as \\u escapes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script(kind: str, value: Any) -> str:
    return f'<script type="{kind}">{_json_for_script(value)}</script>'


def _loader_script() -> str:
    source = _static("loader.js")
    if re.search(r"</script|<!--", source, re.IGNORECASE):
        raise ReportError("static/loader.js contains '</script' or '<!--' and cannot be inlined")
    return f"<script>{source}</script>"


REPORT_CSS = """
.aw-widget-note, .aw-report-error {
  border: 1px solid var(--jp-border-color1, #bdbdbd); border-left-width: 4px;
  border-radius: 4px; padding: 8px 12px; margin: 4px 0;
  font: 13px/1.45 var(--jp-ui-font-family, system-ui, sans-serif);
  color: var(--jp-content-font-color1, inherit);
  background: var(--jp-layout-color2, transparent);
}
.aw-widget-note code { font-family: var(--jp-code-font-family, monospace); }
.aw-widget-note pre { margin: 6px 0 0; white-space: pre-wrap; }
.aw-report-error { border-left-color: var(--jp-error-color1, #d32f2f); }
"""


def _footer(
    panels: Mapping[str, Any] | None,
    foreign_state: Mapping[str, SavedModel] | None = None,
    amd: Mapping[str, Any] | None = None,
    late: Iterable[Mapping[str, Any]] = (),
) -> str:
    """Everything a report adds at the end of its body: state, renderer, loader, late buffers.

    The loader runs as soon as it is parsed, so the panels show their first
    clips while the browser still reads the ``late`` buffers of the others.
    """
    parts = [f"<style>{REPORT_CSS}</style>"]
    if panels is not None and panels["models"]:
        parts.append(_script(PANELS_TYPE, panels))
    if foreign_state:
        standard = {"version_major": 2, "version_minor": 0, "state": dict(foreign_state)}
        parts.append(_script(STATE_MIME, standard))
    if amd is not None:
        parts.append(_script(AMD_TYPE, amd))
    parts.append(_loader_script())  # 7 KB; also marks the page ready for scripts and tests
    for chunk in late:
        parts.extend((_script(LATE_TYPE, chunk), _LATE_READ))
    return "\n".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="audiowidget {version}">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
:root {{ color-scheme: light dark; }}
body {{ margin: 0; background: Canvas; color: CanvasText;
        font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }}
main {{ max-width: 1400px; margin: 0 auto; padding: 16px 24px 32px; }}
h1 {{ font-size: 1.4em; font-weight: 600; margin: 0.4em 0 0.8em; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<div class="aw-report-output">{view}</div>
</main>
{footer}
</body>
</html>
"""


def _version() -> str:
    from . import __version__

    return __version__


def _embed_for_file(panel: Any, state: dict[str, SavedModel], embed: str | int | None) -> None:
    """Give the clips in ``state`` their audio as ``embed`` says (the panel's budget if None);
    warn when some clips are left out of the file."""
    import base64
    import warnings

    from .clip import AudioWarning
    from .widget import _check_embed

    clips = [(k, m) for k, m in panel._store if m.model_id in state]
    if embed is None:  # the panel's budget, as it already applied it
        keep = {id(m) for _, m in clips if m._is_embedded}
    else:
        keep = panel._embedded_ids(clips, _check_embed(embed))
    for _, model in clips:
        entry = state[model.model_id]
        wanted = id(model) in keep
        if wanted == bool(entry["state"].get("embedded")):
            continue
        buffers = [b for b in entry.get("buffers", []) if list(b["path"]) != ["audio"]]
        data = base64.b64encode(model.data if wanted else b"").decode("ascii")
        entry["buffers"] = [*buffers, {"path": ["audio"], "data": data, "encoding": "base64"}]
        entry["state"] = {**entry["state"], "embedded": wanted, "audio": None}
    left_out = len(clips) - len(keep)
    if left_out:
        budget = embed if embed is not None else panel.embed
        warnings.warn(
            f"{left_out} of {len(clips)} clips are in the report without their audio "
            f"(embed={budget!r}); their cards say so. Pass embed='all' to save_html to "
            "include every clip's audio",
            AudioWarning,
            stacklevel=3,
        )


def save_html(
    panel: Any,
    path: str | os.PathLike[str],
    title: str | None = None,
    embed: str | int | None = None,
) -> Path:
    """Write ``panel`` as one self-contained HTML file that plays with no kernel and no network.

    The page holds every logged clip (audio and analysis), the panel's bundle
    and a 7 KB loader; open it from disk or send it around. Step sliders,
    players, Analyze and downloads work as in the notebook.

    Args:
        panel: an :class:`audiowidget.AudioPanel`.
        path: the ``.html`` file to write (its folder must exist).
        title: the page title and heading (default "audiowidget report").
        embed: which clips carry their audio in this file: ``"all"``,
            ``"latest"`` or a number of bytes, as in ``AudioPanel(embed=...)``;
            None (the default) follows the panel's own budget. Clips left
            out say so on their cards, and an ``AudioWarning`` counts them.

    Returns:
        The path written. :func:`report_overhead` gives its size beside its audio.

    Examples:
        >>> import numpy as np, audiowidget as aw, tempfile, pathlib
        >>> from audiowidget.standalone import save_html, report_overhead
        >>> panel = aw.AudioPanel()
        >>> panel.log({"g": aw.Audio(np.zeros(8000) + 0.1, 8000)}, step=0, run="<b>r</b>")
        >>> out = save_html(panel, pathlib.Path(tempfile.mkdtemp()) / "panel.html", title="Demo")
        >>> report_overhead(out)["clips"]
        1
    """
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__} {title!r:.60}")
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(f"{out} is a folder: give save_html the path of an .html file")
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"there is no folder {out.parent} to write {out.name} into: create it first"
        )
    state = _panel_state(panel)
    _embed_for_file(panel, state, embed)
    first, clips = _first_view_clips(state, panel.model_id)
    payload = _panels_payload(state, state)
    # the clips shown first come with the state; the others' buffers after the loader
    late = _late_chunks(payload, clips - first)
    heading = html.escape(title if title is not None else "audiowidget report")
    view = _script(VIEW_MIME, {"version_major": 2, "version_minor": 0, "model_id": panel.model_id})
    page = _PAGE.format(
        version=html.escape(_version()),
        title=heading,
        view=view,
        footer=_footer(payload, late=late),
    )
    out.write_text(page, encoding="utf-8")
    return out


# -- other libraries' widgets -----------------------------------------------------------------


@dataclass(frozen=True)
class WidgetRenderer:
    """Jupyter's widget renderer for other libraries' widgets, as found on this machine.

    ``require_js`` is the npm package ``requirejs``'s ``require.js``;
    ``embed_amd`` is ``@jupyter-widgets/html-manager``'s ``dist/embed-amd.js``.

    Examples:
        >>> import tempfile
        >>> try:
        ...     WidgetRenderer.find(tempfile.mkdtemp())
        ... except ReportError as e:
        ...     print(str(e).splitlines()[0])
        other widgets in this notebook need Jupyter's widget renderer, which was not found:
    """

    require_js: Path
    embed_amd: Path

    REQUIRE_JS = Path("requirejs", "require.js")
    EMBED_AMD = Path("@jupyter-widgets", "html-manager", "dist", "embed-amd.js")

    def script(self, warnings: list[str] | None = None) -> str:
        """``embed_amd``'s text, with the woff2 icon fonts beside it inlined as ``data:`` URLs.

        Its stylesheets load the fonts from files beside the script
        (``n.p + "<hash>.woff2"``), which a one-file report does not have.
        woff2 is the first format in those ``@font-face`` rules that browsers
        take, so the others stay file names that they never request. Each font
        is inlined once, in a table the references read from. A build whose
        fonts this cannot find adds a line to ``warnings``.
        """
        fonts: dict[str, str] = {}

        def inline(match: re.Match[str]) -> str:
            name = match.group(1)
            font = self.embed_amd.parent / name
            if not font.is_file():
                return match.group(0)
            if name not in fonts:
                data = base64.b64encode(font.read_bytes()).decode("ascii")
                fonts[name] = f"data:font/woff2;base64,{data}"
            return f"self.__audiowidget_fonts[{json.dumps(name)}]"

        text = self.embed_amd.read_text(encoding="utf-8")
        text = re.sub(r'\b[A-Za-z_$][\w$]*\.p\+"([\w.-]+\.woff2)"', inline, text)
        beside = sorted(p.name for p in self.embed_amd.parent.glob("*.woff2"))
        if warnings is not None and beside and not fonts:
            warnings.append(
                f"the widget renderer's icon fonts ({', '.join(beside)}) were not found in "
                f"{self.embed_amd.name}, so they are not in the report: icons in other "
                "widgets may show blank"
            )
        return f"self.__audiowidget_fonts = {json.dumps(fonts)};\n{text}" if fonts else text

    @classmethod
    def find(cls, hint: str | os.PathLike[str] | None = None) -> WidgetRenderer:
        """Find the renderer's files, or raise :class:`ReportError` naming what is missing.

        Looks in ``hint`` (a ``node_modules`` folder or its parent), then
        ``$AUDIOWIDGET_WIDGET_ASSETS``, then ``./node_modules``.
        """
        places = [Path(p) for p in (hint, os.environ.get(ASSETS_ENV)) if p]
        places.append(Path.cwd() / "node_modules")
        tried = []
        for place in places:
            for root in (place, place / "node_modules"):
                found = cls(root / cls.REQUIRE_JS, root / cls.EMBED_AMD)
                if found.require_js.is_file() and found.embed_amd.is_file():
                    return found
            tried.append(str(place))
        raise ReportError(
            "other widgets in this notebook need Jupyter's widget renderer, which was not found:\n"
            f"  missing: {cls.EMBED_AMD.as_posix()} (npm package @jupyter-widgets/html-manager)"
            f" and {cls.REQUIRE_JS.as_posix()} (npm package requirejs)\n"
            f"  looked in: {', '.join(tried)}\n"
            "  get them with: npm install @jupyter-widgets/html-manager requirejs\n"
            "  then pass --widget-assets path/to/node_modules (or set "
            f"{ASSETS_ENV})"
        )


def _nbextension_dirs() -> list[Path]:
    try:
        from jupyter_core.paths import jupyter_path

        dirs = [Path(p) for p in jupyter_path("nbextensions")]
    except ImportError:  # jupyter_core comes with nbconvert; without it, the environment's own
        dirs = []
    return [*dirs, Path(sys.prefix, "share", "jupyter", "nbextensions")]


def _amd_module(module: str) -> Path | None:
    """A widget library's AMD module (``nbextensions/<module>/index.js``), if installed."""
    for folder in _nbextension_dirs():
        candidate = folder / module / "index.js"
        if candidate.is_file():
            return candidate
    return None


def _widget_name(entry: SavedModel) -> str:
    name = str(entry.get("model_name", "widget"))
    return name[: -len("Model")] if name.endswith("Model") and len(name) > 5 else name


def _note(entry: SavedModel, needs: str, plain: str | None, holds_panels: bool) -> str:
    """The text/html shown instead of a widget the report cannot render."""
    module = html.escape(str(entry.get("model_module", "")))
    text = f"<pre>{html.escape(plain)}</pre>" if plain else ""
    after = (
        "The audiowidget panels it holds are shown below."
        if holds_panels
        else "The audiowidget panels of this report work without it."
    )
    return (
        '<div class="aw-widget-note" role="note"><strong>This widget needs '
        f"{html.escape(needs)}</strong>, which this report does not include: "
        f"<code>{html.escape(_widget_name(entry))}</code> from <code>{module}</code>. "
        f"{after}{text}</div>"
    )


def _reachable(state: Mapping[str, SavedModel], start: str) -> list[str]:
    """``start`` and every model it refers to, directly or not, in depth-first order."""
    seen: dict[str, None] = {}
    pending = [start]
    while pending:
        model_id = pending.pop()
        if model_id in seen or model_id not in state:
            continue
        seen[model_id] = None
        refs = list(_references(state[model_id].get("state", {})))
        pending.extend(reversed(refs))
    return list(seen)


def _find_renderer(
    needed: bool, foreign: Foreign, hint: str | os.PathLike[str] | None, warnings: list[str]
) -> WidgetRenderer | None:
    if not needed or foreign == "note":
        return None
    try:
        return WidgetRenderer.find(hint)
    except ReportError as e:
        if foreign == "embed":
            raise
        warnings.append(f"{e}\n  until then, those widgets show a note in the report")
        return None


def _embeddable(
    components: Iterable[frozenset[str]],
    state: Mapping[str, SavedModel],
    renderer: WidgetRenderer | None,
    warnings: list[str],
) -> tuple[set[str], dict[str, Path], dict[frozenset[str], str]]:
    """Models html-manager renders, the AMD modules it needs, and what the rest needs."""
    embedded: set[str] = set()
    modules: dict[str, Path] = {}
    needs: dict[frozenset[str], str] = {}
    for component in components:
        if renderer is None:
            needs[component] = "Jupyter's widget renderer (@jupyter-widgets/html-manager)"
            continue
        wanted = {str(state[i].get("model_module")) for i in component} - RENDERER_MODULES
        found = {m: _amd_module(m) for m in sorted(wanted)}
        lacking = sorted(m for m, p in found.items() if p is None)
        if lacking:
            needs[component] = f"the front-end module {', '.join(lacking)}"
            warnings.append(
                f"widgets from {', '.join(lacking)} are left out: their AMD module "
                "(nbextensions/<module>/index.js) is not installed in this environment; "
                "install the widget library's Python package here and run again"
            )
            continue
        embedded |= component
        modules.update({m: p for m, p in found.items() if p is not None})
    return embedded, modules, needs


def _replace_with_note(
    output: dict[str, Any], entry: SavedModel, needs: str, panels: list[str]
) -> None:
    """Show a note instead of the widget, then the audiowidget panels it holds (if any)."""
    plain = output["data"].get("text/plain")
    plain_text = "".join(plain) if isinstance(plain, list) else plain
    views = "".join(
        _script(VIEW_MIME, {"version_major": 2, "version_minor": 0, "model_id": p}) for p in panels
    )
    output["data"] = {"text/html": _note(entry, needs, plain_text, bool(panels)) + views}
    if plain_text is not None:
        output["data"]["text/plain"] = plain_text


# -- notebooks ----------------------------------------------------------------------------------


_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}<link rel="icon" href="data:,">{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block body_footer %}
</main>
{{ resources.audiowidget_slot }}
</body>
{% endblock body_footer %}
{% block footer %}
</html>
{% endblock footer %}
"""


def _views(nb: Any) -> Iterator[dict[str, Any]]:
    """Every output of the notebook that displays a widget."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if isinstance(data.get(VIEW_MIME), Mapping):
                yield output


def notebook_html(
    nb: Any,
    *,
    title: str | None = None,
    theme: str = "light",
    foreign: Foreign = "auto",
    widget_assets: str | os.PathLike[str] | None = None,
) -> tuple[str, list[str]]:
    """A notebook (with saved widget state) as one self-contained HTML page.

    Args:
        nb: an ``nbformat`` notebook node (not modified).
        title: the page title (default: the notebook's ``metadata.title`` or "Notebook").
        theme: nbconvert's ``light`` or ``dark``.
        foreign: what to do with other libraries' widgets: ``"auto"`` inlines
            Jupyter's widget renderer if it is found (see :class:`WidgetRenderer`)
            and otherwise shows a note in their place; ``"embed"`` requires the
            renderer (:class:`ReportError` otherwise); ``"note"`` never inlines it.
        widget_assets: a ``node_modules`` folder holding the renderer's npm packages.

    Returns:
        The HTML and the warnings to show the user (widgets left out and why).

    Examples:
        >>> import nbformat
        >>> from audiowidget.standalone import notebook_html
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
        >>> page, warnings = notebook_html(nb, title="Empty")
        >>> 'id="Hello"' in page, "<script src=" in page, warnings
        (True, False, [])
    """
    try:
        from nbconvert import HTMLExporter
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ReportError(
            "notebook reports need nbconvert: pip install nbconvert (and nbclient for --execute)"
        ) from e
    if foreign not in ("auto", "embed", "note"):
        raise ValueError(f"foreign must be 'auto', 'embed' or 'note', got {foreign!r}")

    nb = copy.deepcopy(nb)
    widgets = nb.get("metadata", {}).get("widgets", {})
    state: dict[str, SavedModel] = dict(widgets.get(STATE_MIME, {}).get("state", {}))
    components = _components(state)
    warnings: list[str] = []

    outputs = [o for o in _views(nb) if o["data"][VIEW_MIME].get("model_id") in state]
    if not state and any(True for _ in _views(nb)):
        warnings.append(
            "the notebook has no saved widget state: widgets show as their static fallback "
            "(audiowidget panels as summaries without audio); run it with --execute"
        )
    shown = {components[o["data"][VIEW_MIME]["model_id"]] for o in outputs}
    others = [c for c in shown if not _is_ours(c, state)]
    renderer = _find_renderer(bool(others), foreign, widget_assets, warnings)
    embedded, modules, needs = _embeddable(others, state, renderer, warnings)

    panel_ids: set[str] = set()
    for component in shown:
        if _is_ours(component, state):
            panel_ids |= component
    left_out = []
    for output in outputs:
        model_id = output["data"][VIEW_MIME]["model_id"]
        component = components[model_id]
        if component not in needs:
            continue
        if _is_panel(state[model_id]):  # a panel also shown inside another widget: ours anyway
            panel_ids.update(_reachable(state, model_id))
            continue
        inner = [i for i in _reachable(state, model_id) if _is_panel(state[i])]
        for panel_id in inner:
            panel_ids.update(_reachable(state, panel_id))
        _replace_with_note(output, state[model_id], needs[component], inner)
        left_out.append(_widget_name(state[model_id]))
    if foreign == "note" and left_out:
        warnings.append(f"other libraries' widgets are shown as notes: {', '.join(left_out)}")

    amd = None
    if renderer is not None and embedded:
        amd = {
            "require": renderer.require_js.read_text(encoding="utf-8"),
            "modules": {m: p.read_text(encoding="utf-8") for m, p in modules.items()},
            "renderer": renderer.script(warnings),
        }
    payload = _panels_payload(state, panel_ids)
    late: set[str] = set()
    for panel_id in panel_ids:
        if _is_panel(state[panel_id]):
            first, clips = _first_view_clips(state, panel_id)
            late |= clips - first
    # each panel's first clips come with the state; the others' buffers after the loader
    footer = _footer(
        payload, {i: state[i] for i in sorted(embedded)}, amd, _late_chunks(payload, late)
    )

    # nbconvert emits a widget's view only if its id is in the notebook's widget state; the
    # state itself is written by the footer, so nbconvert gets ids only (and a smaller copy).
    kept = panel_ids | embedded
    if widgets:
        stub = {"version_major": 2, "version_minor": 0, "state": {i: {} for i in kept}}
        nb.metadata["widgets"] = {STATE_MIME: stub}
    name = title or nb.get("metadata", {}).get("title") or "Notebook"
    slot = f"<!--audiowidget-{secrets.token_hex(8)}-->"
    exporter = HTMLExporter(template_name="lab", theme=theme)  # type: ignore[no-untyped-call]
    exporter.raw_template = _TEMPLATE
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": name}, "audiowidget_slot": slot}
    )
    if body.count(slot) != 1:
        raise ReportError("nbconvert's template did not keep the report's script slot")
    return body.replace(slot, footer), warnings


def _failed_cell(nb: Any) -> str:
    """``cell N`` (its place in the notebook, from 1) of the cell that failed, else ``a cell``.

    nbclient records an error output on the cell that raised or timed out.
    """
    for n, cell in enumerate(nb.cells, 1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return f"cell {n}"
    return "a cell"


def execute_notebook(nb: Any, cwd: str | os.PathLike[str], timeout: int | None = 600) -> Any:
    """Run every cell in a fresh kernel (nbclient); the widget state is saved into ``nb``.

    Examples:
        >>> import nbformat, tempfile
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        >>> execute_notebook(nb, tempfile.mkdtemp()).cells[0].outputs[0]["data"]["text/plain"]
        '2'
    """
    try:
        from nbclient import NotebookClient
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ReportError("--execute needs nbclient: pip install nbclient ipykernel") from e
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name") or "python3"
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    # The kernel's own log (its start-up notices, and the socket errors of a kernel stopped
    # mid-cell) would bury the one line that says what went wrong: it is kept aside and shown
    # only when the kernel dies, where it may say why.
    with tempfile.TemporaryFile() as kernel_log:
        try:
            client.execute(stderr=kernel_log)
        except NoSuchKernel as e:
            raise ReportError(
                f"the notebook asks for the kernel {kernel!r}, which is not installed here; "
                "install it, or change the notebook's kernel (Kernel > Change Kernel) and save it"
            ) from e
        except CellTimeoutError as e:
            raise ReportError(
                f"{_failed_cell(nb)} ran longer than {timeout} s, so no report was written; "
                "raise --timeout or shorten the cell"
            ) from e
        except CellExecutionError as e:
            first = (str(e.evalue).strip().splitlines() or [""])[0]
            raised = f"{e.ename}: {first}" if first else e.ename
            raise ReportError(
                f"{_failed_cell(nb)} raised {raised}; no report was written "
                "(run the notebook in Jupyter to see the traceback)"
            ) from e
        except DeadKernelError as e:
            kernel_log.seek(0)
            lines = kernel_log.read().decode(errors="replace").strip().splitlines()
            tail = [line for line in lines if not line.startswith("[IPKernelApp] WARNING")][-5:]
            why = ("; its last words:\n" + "\n".join(tail)) if tail else ""
            raise ReportError(f"the kernel died while running the notebook: {e}{why}") from e
    return nb


# -- size ----------------------------------------------------------------------------------------


_STATE_SCRIPT = re.compile(
    r'<script type="(?:application/vnd\.audiowidget\.state\+json|'
    r'application/vnd\.jupyter\.widget-state\+json)">(.*?)</script>',
    re.DOTALL,
)
_LATE_SCRIPT = re.compile(
    r'<script type="application/vnd\.audiowidget\.buffers\+json">(.*?)</script>',
    re.DOTALL,
)


def _base64_size(data: str) -> int:
    return len(data) * 3 // 4 - (2 if data.endswith("==") else 1 if data.endswith("=") else 0)


def report_overhead(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Bytes of a report beside the raw encoded audio it embeds.

    Audio is every binary value at path ``audio`` of the saved widget models
    (the clip files exactly as played). Returns ``html_bytes``,
    ``audio_bytes``, ``clips`` (those with their audio in the file),
    ``clips_without_audio`` (left out by the embed budget),
    ``overhead_bytes`` (HTML minus audio),
    ``ratio`` (HTML / audio; ``None`` without audio), ``base64_bytes`` (what
    base64 adds to the audio: a third of it, unavoidable in one HTML file) and
    ``other_bytes`` (everything else: analysis arrays, bundle, notebook).

    Examples:
        >>> import numpy as np, audiowidget as aw, tempfile, pathlib
        >>> from audiowidget.standalone import save_html, report_overhead
        >>> panel = aw.AudioPanel()
        >>> panel.log({"g": aw.Audio(np.zeros(8000) + 0.1, 8000)}, step=0, run="r")
        >>> numbers = report_overhead(save_html(panel, pathlib.Path(tempfile.mkdtemp()) / "p.html"))
        >>> numbers["html_bytes"] == numbers["audio_bytes"] + numbers["overhead_bytes"]
        True
    """
    text = Path(path).read_text(encoding="utf-8")
    html_bytes = len(text.encode("utf-8"))
    audio = encoded = clips = left_out = 0
    buffer_lists: list[list[dict[str, Any]]] = []
    for match in _STATE_SCRIPT.finditer(text):
        payload = json.loads(match.group(1))
        models = payload.get("models") or payload.get("state") or {}
        buffer_lists.extend(model.get("buffers") or [] for model in models.values())
    for match in _LATE_SCRIPT.finditer(text):  # buffers of clips not shown at first
        buffer_lists.extend(json.loads(match.group(1)).values())
    for buffers in buffer_lists:
        for buffer in buffers:
            if list(buffer.get("path", [])) == ["audio"]:
                if not buffer["data"]:  # a clip whose audio the embed budget left out
                    left_out += 1
                    continue
                clips += 1
                encoded += len(buffer["data"])
                audio += _base64_size(buffer["data"])
    return {
        "html_bytes": html_bytes,
        "audio_bytes": audio,
        "clips": clips,
        "clips_without_audio": left_out,
        "overhead_bytes": html_bytes - audio,
        "ratio": html_bytes / audio if audio else None,
        "base64_bytes": encoded - audio,
        "other_bytes": html_bytes - encoded,
    }


def describe_overhead(path: str | os.PathLike[str], numbers: Mapping[str, Any]) -> str:
    """One line for people: ``wrote OUT.html: 12.3 MB, 9.1 MB of audio in 16 clips, ...``.

    Examples:
        >>> describe_overhead("r.html", {"html_bytes": 1_350_000, "audio_bytes": 1_000_000,
        ...     "clips": 4, "ratio": 1.35, "base64_bytes": 333_334, "other_bytes": 16_666})
        'wrote r.html: 1.4 MB, 1.0 MB of audio in 4 clips, overhead 1.35x (base64 +0.3 MB, unavoidable in one HTML file; everything else +0.02 MB)'
    """  # noqa: E501

    def mb(n: int) -> str:
        return f"{n / 1e6:.1f} MB" if n >= 100_000 or n == 0 else f"{n / 1e6:.2f} MB"

    left_out = numbers.get("clips_without_audio", 0)
    noun = "clip" if left_out == 1 else "clips"
    without = f"; {left_out} {noun} without their audio (embed budget)" if left_out else ""
    if not numbers["audio_bytes"]:
        return f"wrote {path}: {mb(numbers['html_bytes'])}, no audio{without}"
    return (
        f"wrote {path}: {mb(numbers['html_bytes'])}, {mb(numbers['audio_bytes'])} of audio in "
        f"{numbers['clips']} clips, overhead {numbers['ratio']:.2f}x (base64 "
        f"+{mb(numbers['base64_bytes'])}, unavoidable in one HTML file; everything else "
        f"+{mb(numbers['other_bytes'])}){without}"
    )
