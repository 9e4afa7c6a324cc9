"""Live logging in a real JupyterLab: from ``log()`` in a training thread to the card on screen.

A notebook shows a panel and, as the baseline, a plain ``ipywidgets.Label``. After
the cell has finished, a thread logs a 2 s speech-like 48 kHz clip for each of 20
steps (its caption carries the time of the ``log()`` call: encoding and analysis
are part of what is measured), and half a second later sets the label to the time
of that assignment. Headless Chromium records when each new step's card and each
new label text first show. Prints the median and largest delay of each, and the
ratio of the medians (target: the card on screen within 1 s of ``log()``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from browser_support import CHROMIUM_ARGS, chromium_path
from lab_support import jupyterlab, run_notebook, write_notebook

STEPS = 20

CELL = """
import sys, threading, time
sys.path.insert(0, %r)
import ipywidgets as widgets
import audiowidget as aw
from speech import speech_like
rate = 48000
clips = [speech_like(2.0, rate, seed=i) for i in range(4)]
panel = aw.AudioPanel()
panel.log({"live": aw.Audio(clips[0], rate)}, step=0, run="train")
baseline = widgets.Label("start")
baseline.add_class("bench-baseline")

def training_loop():
    time.sleep(3)
    for step in range(1, %d + 1):
        logged = time.time()
        panel.log({"live": aw.Audio(clips[step %% 4], rate, caption=f"{logged:.3f}")},
                  step=step, run="train")
        time.sleep(0.5)
        baseline.value = f"{time.time():.3f}"
        time.sleep(0.5)

display(baseline)
threading.Thread(target=training_loop, daemon=True).start()
panel
"""

WATCH = """() => {
  window.__cards = []; window.__labels = [];
  const seenSteps = new Set(['0']);
  let lastLabel = 'start';
  const watch = () => {
    const now = Date.now() / 1000;
    for (const card of document.querySelectorAll('.aw-card')) {
      if (!seenSteps.has(card.dataset.step)) {
        seenSteps.add(card.dataset.step);
        window.__cards.push(now - parseFloat(card.querySelector('.aw-caption').textContent));
      }
    }
    const label = document.querySelector('.bench-baseline');
    const text = label ? label.textContent.trim() : lastLabel;
    if (text !== lastLabel) {
      lastLabel = text;
      window.__labels.push(now - parseFloat(text));
    }
    requestAnimationFrame(watch);
  };
  watch();
}"""


def main() -> None:
    home = Path(tempfile.mkdtemp())
    root = home / "root"
    root.mkdir()
    write_notebook(root, "live", CELL % (str(Path(__file__).parent), STEPS))
    with jupyterlab(root, home) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        run_notebook(page, lab, "live")
        page.wait_for_function("() => document.querySelector('.bench-baseline')")
        page.wait_for_function("() => document.querySelector('.aw-card')")
        page.evaluate(WATCH)
        page.wait_for_function(
            f"() => window.__cards.length >= {STEPS} && window.__labels.length >= {STEPS}",
            timeout=(STEPS * 2 + 60) * 1000,
        )
        cards = page.evaluate("() => window.__cards")
        labels = page.evaluate("() => window.__labels")
        browser.close()
    ours, bare = statistics.median(cards), statistics.median(labels)
    print(f"{STEPS} steps logged from a thread while no cell runs (2 s clips at 48 kHz)")
    print(
        f"log() to card on screen: median {ours * 1000:.0f} ms, max {max(cards) * 1000:.0f} ms "
        "(target < 1 s)"
    )
    print(
        f"baseline, an ipywidgets Label set from the same thread: median {bare * 1000:.0f} ms, "
        f"max {max(labels) * 1000:.0f} ms; the card takes {ours / bare:.1f}x as long"
    )


if __name__ == "__main__":
    main()
