"""A real :class:`audiowidget.AudioPanel` as JSON the bundle harness can load.

:func:`panel_state` walks the panel's widget references (its pages, every clip
model, its layout) and serializes each widget the way ipywidgets sends it:
``get_state()``, then ``_remove_buffers`` to split binary values out. Buffers
travel as base64 with their paths; ``Harness.loadState`` in
``tests/bundle_page/harness.js`` puts them back as ``DataView`` objects at
those paths, so the built bundle renders exactly what Python made.

Usage::

    state = panel_state(panel)
    page.evaluate("s => harness.loadState(s)", state)
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from typing import Any

import ipywidgets
from ipywidgets.widgets.widget import _remove_buffers

__all__ = ["panel_state", "widget_state"]

_PREFIX = "IPY_MODEL_"

#: The bundle itself: the harness loads the built files, so leave them out.
_BUNDLE_TRAITS = ("_esm", "_css")


def widget_state(widget: ipywidgets.Widget, drop: Iterable[str] = ()) -> dict[str, Any]:
    """``{"state": ..., "buffers": [{"path": [...], "data": base64}]}`` for one widget."""
    dropped = set(drop)
    state = {k: v for k, v in widget.get_state().items() if k not in dropped}
    state, paths, buffers = _remove_buffers(state)
    return {
        "state": state,
        "buffers": [
            {"path": list(path), "data": base64.b64encode(bytes(buffer)).decode("ascii")}
            for path, buffer in zip(paths, buffers, strict=True)
        ],
    }


def _references(value: Any) -> Iterator[str]:
    """Model ids of every ``"IPY_MODEL_<id>"`` string inside a JSON-like value."""
    if isinstance(value, str):
        if value.startswith(_PREFIX):
            yield value[len(_PREFIX) :]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _references(item)


def panel_state(panel: ipywidgets.Widget, drop: Iterable[str] = _BUNDLE_TRAITS) -> dict[str, Any]:
    """``{"panel": id, "models": {id: widget_state}}`` for ``panel`` and every widget it reaches.

    ``drop`` names traits left out of the panel's own state (by default the
    bundle source, which the harness page loads from the built files).
    """
    instances: dict[str, ipywidgets.Widget] = ipywidgets.widgets.widget._instances
    models: dict[str, Any] = {}
    pending = [panel.model_id]
    while pending:
        model_id = pending.pop()
        if model_id in models:
            continue
        widget = instances.get(model_id)
        if widget is None:
            raise KeyError(f"widget {model_id} is referenced but not open (was it closed?)")
        entry = widget_state(widget, drop if widget is panel else ())
        models[model_id] = entry
        pending.extend(_references(entry["state"]))
    return {"panel": panel.model_id, "models": models}
