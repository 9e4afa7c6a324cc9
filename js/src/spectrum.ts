/**
 * The Spectrum tab: the spectrum frame at the player's position on a
 * log-frequency axis (-120…0 dB), over the clip's average spectrum.
 * The shown frame index is exposed as `data-frame` on the canvas.
 */
import { type SpectrumData, decibels, frameAt } from "./analysis";
import { PlotView, clamp, dbGrid, frequencyTicks, hzLabel, labelsX } from "./plot";
import type { ResizeHub } from "./view";

export class SpectrumView extends PlotView {
  private frame = -1;

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
    if (average) {
      ctx.beginPath();
      for (let b = 0; b < bins; b++) ctx.lineTo(xAt(b), yAt(average[b] as number));
      ctx.strokeStyle = colors.muted;
      ctx.globalAlpha = 0.6;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    const base = this.frame * bins;
    ctx.beginPath();
    for (let b = 0; b < bins; b++) ctx.lineTo(xAt(b), yAt(decibels(this.data, frames[base + b] as number)));
    ctx.lineWidth = 1.5;
    const line = this.color || colors.fg;
    ctx.strokeStyle = ctx.fillStyle = line;
    ctx.stroke();
    ctx.lineTo(xAt(bins - 1), y + height);
    ctx.lineTo(xAt(0), y + height);
    ctx.globalAlpha = 0.16;
    ctx.fill();
    ctx.restore();

    // Legend, top right: a line sample then its name, for each line.
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    let lx = x + w - 6;
    for (const [name, stroke] of [["average", colors.muted], ["at playhead", line]]) {
      ctx.fillStyle = colors.muted;
      ctx.fillText(name, lx, y + 8);
      lx -= ctx.measureText(name).width + 4;
      ctx.fillStyle = stroke;
      ctx.fillRect(lx - 14, y + 7, 14, 2);
      lx -= 26;
    }
  }
}
