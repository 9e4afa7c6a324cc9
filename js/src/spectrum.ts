/**
 * The Spectrum tab: the spectrum frame at the player's position on a
 * log-frequency axis (-120…0 dB), over the clip's average spectrum, or over
 * the average spectrum of every run (`setRuns`), each in its run color.
 * The shown frame index is exposed as `data-frame` on the canvas.
 */
import { type SpectrumData, decibels, frameAt } from "./analysis";
import { PlotView, binPosition, clamp, dbGrid, frequencyTicks, hzLabel, labelsX } from "./plot";
import type { ResizeHub } from "./view";

/** One run's average spectrum (dB per bin at `frequencies` Hz) and its color. */
export interface RunAverage {
  average: Float32Array;
  frequencies: Float32Array;
  color: string;
}

export class SpectrumView extends PlotView {
  private frame = -1;
  /** Run averages with each bin's position on this clip's bin axis (null: the clip's own average). */
  private runs: { db: Float32Array; at: Float32Array; color: string }[] | null = null;

  constructor(
    private readonly data: SpectrumData,
    private readonly nyquist: number,
    private color: string,
    resize: ResizeHub,
  ) {
    super("aw-spectrum", "Spectrum at the playhead and average spectrum, in dB over log frequency", [44, 10, 12, 20], resize);
    this.setTime(0);
  }

  /** Show the frame at `seconds`; redraws only when the frame changes. */
  setTime(seconds: number): void {
    const frame = frameAt(this.data, seconds);
    if (frame === this.frame) return;
    this.frame = frame;
    this.canvas.dataset.frame = String(frame);
    this.draw();
  }

  setColor(color: string): void {
    this.color = color;
    this.draw();
  }

  /** Draw these runs' averages instead of the clip's own (null: back to the clip's own). */
  setRuns(runs: RunAverage[] | null): void {
    const own = this.data.frequencies;
    this.runs =
      runs?.map(({ average, frequencies, color }) => ({
        db: average,
        at: Float32Array.from(frequencies, (hz, i) => (frequencies === own ? i : binPosition(own, hz))),
        color,
      })) ?? null;
    this.draw();
  }

  draw(): void {
    const c = this.begin();
    if (!c) return;
    const { ctx, colors } = c;
    const { x, y, w, h: height } = this.plot;
    const { bins, dbRange, frequencies, average, frames } = this.data;
    const [lo, hi] = dbRange;
    const xAt = (bin: number): number => x + ((bin + 0.5) / bins) * w;
    const yAt = (db: number): number => y + ((hi - clamp(db, lo, hi)) / (hi - lo)) * height;

    dbGrid(ctx, this.plot, dbRange, colors);
    const ticks = frequencyTicks(frequencies, this.nyquist);
    ctx.strokeStyle = colors.grid;
    ctx.beginPath();
    for (const { bin } of ticks) {
      const tx = Math.round(xAt(bin)) + 0.5;
      ctx.moveTo(tx, y);
      ctx.lineTo(tx, y + height);
    }
    ctx.stroke();
    ctx.fillStyle = colors.muted;
    const last = ticks.length - 1;
    const labels = ticks.map(({ hz, bin }, i) => ({ x: xAt(bin), text: hzLabel(hz) + (i === last ? " Hz" : "") }));
    labelsX(ctx, labels, y + height + 4, 0, c.width);

    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, height);
    ctx.clip();
    ctx.lineJoin = "round";
    /** A path through `db` per bin, at bin positions `at` (default: this clip's bins). */
    const curve = (db: Float32Array, at?: Float32Array): void => {
      ctx.beginPath();
      for (let b = 0; b < db.length; b++) ctx.lineTo(xAt(at ? (at[b] as number) : b), yAt(db[b] as number));
    };
    if (average && !this.runs) {
      curve(average);
      ctx.strokeStyle = colors.muted;
      ctx.globalAlpha = 0.6;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    const base = this.frame * bins;
    const frame = Float32Array.from({ length: bins }, (_, b) => decibels(this.data, frames[base + b] as number));
    const line = this.color || colors.fg;
    ctx.strokeStyle = ctx.fillStyle = line;
    // The frame's area under the runs' averages, its line over them.
    curve(frame);
    ctx.lineTo(xAt(bins - 1), y + height);
    ctx.lineTo(xAt(0), y + height);
    ctx.globalAlpha = 0.16;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    for (const { db, at, color } of this.runs ?? []) {
      curve(db, at);
      ctx.strokeStyle = color || colors.fg;
      ctx.stroke();
    }
    curve(frame);
    ctx.strokeStyle = line;
    ctx.stroke();
    ctx.restore();

    // Legend, top right: a line sample then its name, for each line (the runs' names are beside the plot).
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    let lx = x + w - 6;
    for (const [name, stroke] of this.runs ? [["at playhead", line]] : [["average", colors.muted], ["at playhead", line]]) {
      ctx.fillStyle = colors.muted;
      ctx.fillText(name, lx, y + 8);
      lx -= ctx.measureText(name).width + 4;
      ctx.fillStyle = stroke;
      ctx.fillRect(lx - 14, y + 7, 14, 2);
      lx -= 26;
    }
  }
}
