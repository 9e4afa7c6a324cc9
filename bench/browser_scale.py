"""Scale in the browser: first render and a linked step change, in headless Chromium.

The panel of ``bench/scale.py`` (8 runs x 4 groups x 100 steps of 2 s speech-like
clips at 48 kHz) with ``embed="latest"``, written with ``panel.save_html`` and
opened from ``file://``. Prints the time from navigation to the first frame
painted with the 32 cards of the newest step (target < 1 s), the time until the
whole page is read (every clip playable), and the median time from a key press
on a linked Step slider until all 4 groups show the new step, measured once the
page is read (target < 16 ms). ``--quick`` logs 10 steps.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from browser_support import CHROMIUM_ARGS, chromium_path
from speech import speech_like

import audiowidget as aw

RATE, RUNS, GROUPS = 48000, 8, 4

# In the page from its first byte: the first animation frame after the cards are in the
# document is the first frame that shows them.
FIRST_RENDER = """
window.__awFirstRender = null;
const cards = new MutationObserver(() => {
  if (document.querySelectorAll('.aw-card').length < %d) return;
  cards.disconnect();
  requestAnimationFrame(() => { window.__awFirstRender = performance.now(); });
});
cards.observe(document, {subtree: true, childList: true});
"""

MEASURE_STEP_CHANGE = """async () => {
  const slider = document.querySelector('.aw-group input[aria-label="Step"]');
  const before = document.querySelector('.aw-card').dataset.step;
  slider.focus();
  const t0 = performance.now();
  slider.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
  slider.value = String(Number(slider.value) - 1);
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  slider.dispatchEvent(new Event('change', {bubbles: true}));
  const groups = [...document.querySelectorAll('.aw-group')];
  const done = () => groups.every(g => {
    const cards = g.querySelectorAll('.aw-card');
    return cards.length && [...cards].every(c => c.dataset.step !== before);
  });
  while (!done()) await new Promise(r => setTimeout(r, 0));
  return performance.now() - t0;
}"""


def main() -> None:
    steps = 10 if "--quick" in sys.argv else 100
    bases = [speech_like(2.0, RATE, seed=i) for i in range(32)]
    panel = aw.AudioPanel(embed="latest")
    for step in range(steps):
        for run in range(RUNS):
            clips = {
                f"group-{g}": aw.Audio(bases[(step + run + g) % 32], RATE) for g in range(GROUPS)
            }
            panel.log(clips, step=step, run=f"run-{run}")
    out = Path(tempfile.mkdtemp()) / "scale.html"
    panel.save_html(out)
    size = out.stat().st_size
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(FIRST_RENDER % (RUNS * GROUPS))
        page.goto(out.as_uri(), wait_until="commit")
        page.wait_for_function("() => window.__awFirstRender !== null", polling=10, timeout=300_000)
        first = page.evaluate("() => window.__awFirstRender") / 1000
        page.wait_for_function(
            "() => document.documentElement.dataset.audiowidget === 'ready'", timeout=300_000
        )
        read = page.evaluate("() => performance.now()") / 1000
        changes = [page.evaluate(MEASURE_STEP_CHANGE) for _ in range(min(20, steps - 1))]
        browser.close()
    print(f"page: {size / 1e6:.1f} MB for {RUNS * GROUPS * steps} clips (embed='latest')")
    print(
        f"first render: {first:.2f} s after navigation start (target < 1 s); "
        f"whole page read: {read:.2f} s"
    )
    print(
        f"linked step change across {GROUPS} groups: median {statistics.median(changes):.1f} ms, "
        f"max {max(changes):.1f} ms (target median < 16 ms)"
    )


if __name__ == "__main__":
    main()
