"""A screenshot of the Analyze view, for the README and the browser tests.

:func:`analyze_screenshot` takes a Playwright page that shows a panel (the
bundle harness, or a notebook exported to HTML), opens Analyze on the first
card, plays ~0.7 s so the spectrum shows a frame from inside the clip, pauses
and photographs the dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["analyze_screenshot"]


def analyze_screenshot(page: Any, out_path: str | Path, *, play_seconds: float = 0.7) -> Path:
    """Open Analyze on the first card, play ``play_seconds``, pause, screenshot the dialog."""
    from playwright.sync_api import expect

    card = page.locator(".aw-card").first
    card.wait_for(timeout=30_000)
    card.get_by_role("button", name="Analyze").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Play").click()
    expect(dialog.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_timeout(play_seconds * 1000)
    dialog.get_by_role("button", name="Pause").click()
    expect(dialog.get_by_role("button", name="Play")).to_be_visible()
    page.wait_for_timeout(100)  # let the last frame and playhead settle
    out = Path(out_path)
    dialog.screenshot(path=str(out))
    return out
