"""Regenerate the README screenshots from the demo notebook, rendered offline in Chromium.

Usage: ``python tests/make_screenshot.py`` (``make screenshot``). Executes
``notebooks/demo.ipynb``, exports it with local widget assets and photographs
the first panel in JupyterLab's light and dark themes, and its Analyze view.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))

from analyze_screenshot import analyze_screenshot
from browser_support import CHROMIUM_ARGS, block_non_local, chromium_path, serve_directory
from notebook_support import execute, export_offline

ROOT = Path(__file__).parent.parent
IMAGES = ROOT / "notebooks" / "images"


def comparison_screenshots(page: Any, panel: Any) -> None:
    """Linked sliders, an unlinked group, and A/B Compare mode, as a sequence of pictures."""
    vowel, chord = panel.locator(".aw-group").nth(0), panel.locator(".aw-group").nth(1)
    slider = vowel.get_by_role("slider", name="Step")
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")  # 1000 -> 250: the linked chord group follows
    page.wait_for_timeout(300)
    panel.screenshot(path=str(IMAGES / "linked-1.png"))
    chord.get_by_role("button", name="Link steps").click()  # unlock the chord group
    chord_slider = chord.get_by_role("slider", name="Step")
    chord_slider.focus()
    chord_slider.press("End")
    page.wait_for_timeout(300)
    panel.screenshot(path=str(IMAGES / "linked-2.png"))
    chord.get_by_role("button", name="Link steps").click()
    vowel.get_by_role("button", name="Compare").click()
    transport = vowel.locator(".aw-compare")
    transport.get_by_role("button", name="Play").click()
    page.wait_for_timeout(600)
    vowel.locator(".aw-card").nth(0).click(position={"x": 200, "y": 30})
    page.wait_for_timeout(400)
    vowel.screenshot(path=str(IMAGES / "compare-1.png"))
    vowel.locator(".aw-card").nth(2).click(position={"x": 200, "y": 30})
    page.wait_for_timeout(400)
    vowel.screenshot(path=str(IMAGES / "compare-2.png"))
    transport.get_by_role("button", name="Pause").click()
    vowel.get_by_role("button", name="Compare").click()
    slider.focus()
    slider.press("End")
    print(f"wrote {IMAGES}/linked-1.png, linked-2.png, compare-1.png, compare-2.png")


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
                    comparison_screenshots(page, panel)
                    analyze_screenshot(page, IMAGES / "analyze.png", play_seconds=1.0)
                    print(f"wrote {IMAGES / 'analyze.png'}")
            browser.close()


if __name__ == "__main__":
    main()
