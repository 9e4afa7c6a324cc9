"""Build hook for hatch-jupyter-builder: ``npm ci`` then ``npm run build`` in ``js/``.

hatch-jupyter-builder's own ``npm_builder`` runs ``npm install``, which may
rewrite ``package-lock.json``; a clean build must install exactly the locked
versions, so this runs ``npm ci`` instead. Skipped when the bundle is newer
than every source file (set ``AUDIOWIDGET_FORCE_JS=1`` to rebuild anyway).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE = HERE.parent / "audiowidget" / "static" / "index.js"
SOURCES = [HERE / "src", HERE / "package.json", HERE / "package-lock.json", HERE / "build.mjs"]


def _newest_source_mtime() -> float:
    newest = 0.0
    for source in SOURCES:
        paths = source.rglob("*") if source.is_dir() else [source]
        for path in paths:
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def build(target_name: str, version: str, **_: object) -> None:
    """Entry point called by hatch-jupyter-builder for the wheel, sdist and editable targets."""
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        return
    forced = os.environ.get("AUDIOWIDGET_FORCE_JS") == "1"
    if not forced and BUNDLE.exists() and BUNDLE.stat().st_mtime >= _newest_source_mtime():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm was not found: building audiowidget from source needs Node.js and npm "
            "(or install a released wheel, which contains the built front end)."
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    subprocess.run([npm, "run", "build"], cwd=HERE, check=True)
