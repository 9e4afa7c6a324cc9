"""The byte ratios of ``bench/scale.py`` and ``bench/analysis.py`` on recordings you give it.

The other benchmarks use a synthetic speech-like signal, so that they need no
downloads. How well audio compresses depends on the audio, so this one takes
real files and logs each of them, as it is, as one step of one panel::

    python bench/recorded.py speech/*.wav

It prints FLAC's own ratio to the 16-bit WAV of each file, and over all of
them:

- the notebook bytes of the panel with every clip's audio embedded
  (``embed="all"``) against ``IPython.display.Audio`` of the same clips
  (target <= 0.6x), and the same with ``audio_format="opus"`` (target <= 0.1x);
- the analysis arrays against the FLAC audio of the files joined end to end
  into one clip, as ``bench/analysis.py`` measures them on one long clip
  (target <= 0.20).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from IPython.display import Audio as IPythonAudio

sys.path.insert(0, str(Path(__file__).parent))

from scale import notebook_bytes

import audiowidget as aw


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit("usage: python bench/recorded.py FILE [FILE ...] (speech recordings to measure)")
    clips = [aw.Audio(path) for path in paths]
    ipython = sum(
        len(IPythonAudio(c.to_numpy().T, rate=c.sample_rate)._repr_html_().encode()) for c in clips
    )
    seconds = sum(c.duration for c in clips)
    for audio_format in ("flac", "opus"):
        panel = aw.AudioPanel(embed="all", audio_format=audio_format)
        for step, clip in enumerate(clips):
            panel.log({"speech": clip}, step=step, run="recorded")
        models = [m for page in panel._pages for m in page.clips]
        audio = sum(len(m.data) for m in models)
        analysis = sum(len(a["data"]) for m in models for a in m.arrays.values())
        if audio_format == "flac":
            for path, clip, model in zip(paths, clips, models, strict=True):
                wav16 = clip.frames * clip.channels * 2
                print(
                    f"{path.name}: {clip.duration:.2f} s, {clip.sample_rate} Hz, "
                    f"{clip.channels} ch, FLAC {len(model.data) / wav16:.3f}x its 16-bit WAV"
                )
            print(
                f"{len(clips)} clips, {seconds:.1f} s: FLAC {audio / seconds / 1000:.1f} kB/s, "
                f"analysis arrays {analysis / seconds / 1000:.1f} kB/s"
            )
        target = {"flac": 0.6, "opus": 0.1}[audio_format]
        print(
            f"notebook, embed='all', audio_format={audio_format!r}: "
            f"{notebook_bytes(panel) / ipython:.3f}x IPython.display.Audio (target <= {target}); "
            f"audio alone {4 / 3 * audio / ipython:.3f}x, "
            f"analysis arrays {4 / 3 * analysis / ipython:.3f}x"
        )
        panel.close()
    joined_analysis(clips)


def joined_analysis(clips: list[aw.Audio]) -> None:
    """Analysis bytes against FLAC bytes for all the clips as one long clip."""
    if len({(c.sample_rate, c.channels) for c in clips}) > 1:
        print("the files differ in rate or channels: not joined")
        return
    joined = aw.Audio(np.concatenate([c.to_numpy() for c in clips]), clips[0].sample_rate)
    panel = aw.AudioPanel()
    panel.log({"speech": joined}, step=0, run="recorded")
    model = panel._pages[0].clips[0]
    analysis = sum(len(a["data"]) for a in model.arrays.values())
    print(
        f"joined into one {joined.duration:.1f} s clip: analysis arrays "
        f"{analysis / len(model.data):.3f} of the FLAC audio (target <= 0.20)"
    )
    panel.close()


if __name__ == "__main__":
    main()
