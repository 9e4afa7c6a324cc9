"""Regenerate the README screenshots from the demo notebook, rendered offline in Chromium.

Usage: ``python tests/make_screenshot.py`` (``make screenshot``). Executes
``notebooks/demo.ipynb``, exports it with local widget assets and photographs
the first panel in JupyterLab's light and dark themes, and its Analyze view.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))

from analyze_screenshot import analyze_screenshot
from browser_support import CHROMIUM_ARGS, block_non_local, chromium_path, serve_directory
from notebook_support import execute, export_offline

ROOT = Path(__file__).parent.parent
IMAGES = ROOT / "notebooks" / "images"


def main() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "demo.ipynb", as_version=4)
    execute(nb, ROOT / "notebooks")
    with tempfile.TemporaryDirectory() as tmp:
        export_offline(nb, Path(tmp), "light.html", theme="light")
        export_offline(nb, Path(tmp), "dark.html", theme="dark")
        with serve_directory(Path(tmp)) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for name, width, theme in (("panel", 1100, "light"), ("panel-dark", 1100, "dark")):
                page = browser.new_page(viewport={"width": width, "height": 900})
                block_non_local(page, [])
                page.goto(f"{base}{theme}.html")
                panel = page.locator(".aw-panel").first
                panel.locator(".aw-card").first.wait_for(timeout=30_000)
                page.wait_for_timeout(500)
                panel.screenshot(path=str(IMAGES / f"{name}.png"))
                print(f"wrote {IMAGES / f'{name}.png'}")
                if theme == "light":
                    analyze_screenshot(page, IMAGES / "analyze.png", play_seconds=1.0)
                    print(f"wrote {IMAGES / 'analyze.png'}")
            browser.close()


if __name__ == "__main__":
    main()
