"""The wheel carries the built front end; versions agree across Python and npm."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

import audiowidget as aw

ROOT = Path(__file__).parent.parent


def test_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    package = json.loads((ROOT / "js" / "package.json").read_text())
    assert project["version"] == package["version"]
    assert aw.__version__ == project["version"]


def test_installed_package_has_the_bundle():
    static = Path(aw.__file__).parent / "static"
    js, css = (static / "index.js").read_text(), (static / "index.css").read_text()
    assert "render" in js
    assert ".aw-panel" in css
    # the bundle is stored in every widget's saved state: keep it small
    assert len(js.encode()) + len(css.encode()) < 72_000


def test_wheel_from_a_clean_tree_contains_the_bundle(tmp_path):
    """`pip wheel` on the tracked files alone (no node_modules, no bundle) runs npm ci + esbuild."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    tree = tmp_path / "tree"
    for name in files:
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    assert not (tree / "audiowidget" / "static").exists()
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(tree)],
        check=True,
        env=env,
        timeout=900,
    )
    (wheel,) = out.glob("audiowidget-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bundle = archive.read("audiowidget/static/index.js")
    assert "audiowidget/static/index.css" in names
    assert b"render" in bundle
    assert not [n for n in names if "node_modules" in n or n.startswith(("js/", "tests/"))]
