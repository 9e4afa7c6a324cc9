"""Execute notebooks with nbclient and export them with nbconvert for offline viewing.

nbconvert's HTML loads require.js, the widget renderer (html-manager) and
anywidget's AMD module from CDNs. The exports made here point at local copies
instead (``tests/report_assets`` holds the npm packages; anywidget's AMD module
ships with the Python package), so the report opens with no network at all.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ASSETS = Path(__file__).parent / "report_assets" / "node_modules"
REQUIRE_JS = ASSETS / "requirejs" / "require.js"
EMBED_AMD = ASSETS / "@jupyter-widgets" / "html-manager" / "dist" / "embed-amd.js"
ANYWIDGET_AMD = Path(sys.prefix) / "share" / "jupyter" / "nbextensions" / "anywidget" / "index.js"


def notebook(*cells: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run every cell in a real kernel; nbclient saves the widget state into the notebook."""
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def export_offline(
    nb: nbformat.NotebookNode, out_dir: Path, name: str = "report.html", theme: str = "light"
) -> Path:
    """Write ``name`` into ``out_dir`` with require.js, html-manager and anywidget.js beside it."""
    for source in (REQUIRE_JS, EMBED_AMD, ANYWIDGET_AMD):
        if not source.exists():
            raise FileNotFoundError(
                f"{source} is missing: run `make test` (it installs the report assets)"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REQUIRE_JS, out_dir / "require.js")
    shutil.copy(EMBED_AMD, out_dir / "embed-amd.js")
    # html-manager asks for its icon fonts under this path, relative to the page
    fonts = out_dir / "@jupyter-widgets" / "html-manager" / "dist"
    fonts.mkdir(parents=True, exist_ok=True)
    for font in EMBED_AMD.parent.iterdir():
        if font.suffix in {".woff2", ".woff", ".ttf", ".eot", ".svg"}:
            shutil.copy(font, fonts / font.name)
    shutil.copy(ANYWIDGET_AMD, out_dir / "anywidget.js")
    exporter = HTMLExporter(
        require_js_url="require.js", widget_renderer_url="embed-amd.js", theme=theme
    )
    body, _ = exporter.from_notebook_node(nb)
    path = out_dir / name
    path.write_text(body, encoding="utf-8")
    return path
