/**
 * Run overlays of the Analyze view ("All runs"): for the card's group and
 * step, every run's clip in its run color. The Spectrum tab draws each run's
 * average spectrum over the card's frame, the Waveform tab each run's fine
 * envelope (semi-transparent, one lane per channel, on one time axis), the
 * Spectrogram tab one labelled spectrogram per run on the one fixed scale with
 * a single colorbar. Run names are text in legends and captions, never markup.
 */
import { type ClipAnalysis, analysisOf } from "./analysis";
import { h, listen } from "./dom";
import type { ClipEntry } from "./models";
import { PlotView, clamp } from "./plot";
import { ColorbarView, SpectrogramView } from "./spectrogram";
import type { SpectrumView } from "./spectrum";
import type { ResizeHub, ViewContext } from "./view";
import { envelope, FULL_SCALE } from "./waveform";

/** Opacity of an envelope's body; its outline is opaque. */
const FILL_ALPHA = 0.3;

/** One run's clip at the step shown, in its run color. */
export interface RunClip {
  run: string;
  color: string;
  entry: ClipEntry;
}

/**
 * Every run's clip at `own`'s group and step, in run order: `own` for its
 * run, else the clip with `own`'s index, else the run's first clip.
 */
export function runClips(ctx: ViewContext, own: ClipEntry): RunClip[] {
  const best = new Map<string, ClipEntry>([[own.run, own]]);
  for (const entry of ctx.clips().clipsAt(own.group, own.step)) {
    const seen = best.get(entry.run);
    if (!seen || (seen.index !== own.index && (entry.index === own.index || entry.index < seen.index))) best.set(entry.run, entry);
  }
  const { runs } = ctx;
  return [...best.values()]
    .sort((a, b) => runs.compare(a.run, b.run))
    .map((entry) => ({ run: entry.run, color: runs.color(entry.run), entry }));
}

/** Changes when a run's clip or color does. */
export function runsKey(runs: RunClip[]): string {
  return JSON.stringify(runs.map((r) => [r.entry.id, r.color]));
}

/** The runs' names, each in its color after a swatch of it. */
function legend(runs: { run: string; color: string }[], title: string): HTMLDivElement {
  const box = h("div", "aw-legend");
  const list = h("ul", "", null, { "aria-label": title });
  for (const { run, color } of runs) {
    const item = h("li", "", run);
    item.style.color = color;
    list.append(item);
  }
  box.append(title, list);
  return box;
}

type Analyzed = RunClip & ClipAnalysis;

/** Every run's fine waveform envelope, drawn over one time axis (the longest clip's). */
class RunWaveforms extends PlotView {
  private readonly played = h("div", "aw-wave-played");
  private readonly longest: number;
  private readonly lanes: number;

  constructor(
    private readonly runs: Analyzed[],
    resize: ResizeHub,
    signal: AbortSignal,
    onSeek: (seconds: number) => void,
  ) {
    super("aw-wave-runs", "Waveform of every run", [0, 0, 0, 0], resize);
    this.longest = Math.max(0, ...runs.map((r) => r.entry.meta.duration));
    this.lanes = Math.max(1, ...runs.map((r) => r.waveform?.shape[0] ?? 1));
    this.element.style.setProperty("--aw-lanes", String(Math.min(4, this.lanes)));
    this.element.title = "Click to seek";
    this.element.append(this.played);
    listen(
      this.canvas,
      "click",
      (event) => {
        const rect = this.canvas.getBoundingClientRect();
        if (rect.width > 0) onSeek(clamp((event.clientX - rect.left) / rect.width, 0, 1) * this.longest);
      },
      signal,
    );
  }

  setTime(seconds: number): void {
    const fraction = this.longest > 0 ? clamp(seconds / this.longest, 0, 1) : 0;
    this.played.style.width = `${(fraction * 100).toFixed(3)}%`;
  }

  draw(): void {
    const c = this.begin();
    if (!c) return;
    const { ctx, width, height } = c;
    const lane = height / this.lanes;
    // Bodies first, then every run's edges (a pixel each) over them, so that no run hides another.
    for (const outline of [false, true]) {
      ctx.globalAlpha = outline ? 1 : FILL_ALPHA;
      for (const { waveform, color, entry } of this.runs) {
        if (!waveform) continue;
        const channels = waveform.shape[0] ?? 0;
        const span = Math.ceil(this.longest > 0 ? (width * entry.meta.duration) / this.longest : width);
        ctx.fillStyle = color || c.colors.fg;
        for (let ch = 0; ch < Math.min(channels, this.lanes); ch++) {
          const mid = lane * (ch + 0.5);
          const half = Math.max(1, lane / 2 - 1);
          envelope(waveform, ch, span, (x, lo, hi) => {
            const top = Math.round(mid - (hi / FULL_SCALE) * half);
            const bottom = Math.max(top + 1, Math.round(mid - (lo / FULL_SCALE) * half));
            if (outline) {
              ctx.fillRect(x, top, 1, 1);
              ctx.fillRect(x, bottom - 1, 1, 1);
            } else ctx.fillRect(x, top, 1, bottom - top);
          });
        }
      }
    }
    ctx.globalAlpha = 1;
  }
}

/**
 * The overlays of every run at one step, added to the dialog's tab panels
 * (Spectrum, Waveform, Spectrogram) over the card's own views, which it hides
 * and shows again on `dispose`.
 */
export class RunOverlay {
  private readonly controller = new AbortController();
  private readonly hidden: HTMLElement[] = [];
  private readonly added: HTMLElement[] = [];
  private readonly plots: PlotView[] = [];
  private readonly waveforms: RunWaveforms | null = null;
  private readonly spectrograms: [SpectrogramView, number][] = [];

  constructor(
    readonly key: string,
    runs: RunClip[],
    [spectrumPanel, wavePanel, spectrogramPanel]: HTMLElement[],
    private readonly spectrum: SpectrumView | null,
    resize: ResizeHub,
    seek: (seconds: number) => void,
  ) {
    const signal = this.controller.signal;
    const analyzed: Analyzed[] = runs.map((r) => ({ ...r, ...analysisOf(r.entry) }));
    const averages = analyzed.flatMap(({ run, color, spectrum: s }) =>
      s?.average ? [{ run, color, average: s.average, frequencies: s.frequencies }] : [],
    );
    if (spectrum && spectrumPanel && averages.length) {
      spectrum.setRuns(averages);
      this.add(spectrumPanel, false, legend(averages, "Average spectrum"));
    }
    const waved = analyzed.filter((r) => r.waveform);
    if (wavePanel && waved.length) {
      this.waveforms = new RunWaveforms(waved, resize, signal, seek);
      this.plots.push(this.waveforms);
      this.add(wavePanel, true, legend(waved, "Waveform"), this.waveforms.element);
    }
    const grid = h("div", "aw-run-grid");
    for (const { run, color, entry, spectrum: data } of analyzed) {
      if (!data) continue;
      const { duration, sample_rate } = entry.meta;
      const figure = h("figure", "aw-run-plot");
      const caption = h("figcaption", "", run);
      caption.style.color = color;
      const label = `Spectrogram of ${run}`;
      const view = new SpectrogramView(data, duration, sample_rate / 2, resize, signal, (f) => seek(f * duration), label, false);
      figure.append(caption, view.element);
      grid.append(figure);
      this.plots.push(view);
      this.spectrograms.push([view, duration]);
    }
    if (spectrogramPanel && this.spectrograms.length) {
      const colorbar = new ColorbarView(resize);
      this.plots.push(colorbar);
      this.add(spectrogramPanel, true, grid, colorbar.element);
    }
  }

  /** The card's playhead. */
  setTime(seconds: number): void {
    this.waveforms?.setTime(seconds);
    for (const [view, duration] of this.spectrograms) view.setProgress(duration > 0 ? seconds / duration : 0);
  }

  dispose(): void {
    this.controller.abort();
    for (const plot of this.plots) plot.dispose();
    this.spectrum?.setRuns(null);
    for (const e of this.added) e.remove();
    for (const e of this.hidden) e.hidden = false;
  }

  /** Put `elements` first in `panel`, over (`cover`) or before what it shows. */
  private add(panel: HTMLElement, cover: boolean, ...elements: HTMLElement[]): void {
    if (cover) {
      for (const child of panel.children) {
        if (child instanceof HTMLElement && !child.hidden) {
          child.hidden = true;
          this.hidden.push(child);
        }
      }
    }
    panel.prepend(...elements);
    this.added.push(...elements);
  }
}
