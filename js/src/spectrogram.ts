/**
 * The Spectrogram tab: spectrum frames as an image (time across, log
 * frequency up, low frequencies at the bottom) on one fixed scale, -120…0 dB
 * through the magma colormap, with a colorbar, a playhead and click to seek.
 * Side by side spectrograms leave out their own colorbar and share one
 * `ColorbarView` (the scale is the same for every clip).
 */
import type { SpectrumData } from "./analysis";
import { h, listen } from "./dom";
import { PlotView, clamp, colormap, frequencyTicks, hzLabel, labelsX, magma, signed, timeAxis } from "./plot";
import type { ResizeHub } from "./view";

/** The color scale, the same for every clip so that clips compare. */
const SCALE_LO = -120;
const SCALE_HI = 0;
const BAR_GAP = 8;
const BAR_WIDTH = 10;
/** Widest image kept in memory: longer clips show the max over neighbouring frames. */
const MAX_COLUMNS = 4096;
const SCALE_LABEL = "\u2212120 to 0 dB";

/** A colorbar label: `−20`, and `0 dB` at the top of the scale. */
const scaleLabel = (db: number): string => signed(db) + (db === SCALE_HI ? " dB" : "");

export class SpectrogramView extends PlotView {
  private readonly playhead = h("div", "aw-playhead");
  private image: HTMLCanvasElement | null = null;
  private fraction = 0;

  constructor(
    private readonly data: SpectrumData,
    private readonly duration: number,
    private readonly nyquist: number,
    resize: ResizeHub,
    signal: AbortSignal,
    onSeek: (fraction: number) => void,
    label = "Spectrogram",
    private readonly colorbar = true,
  ) {
    super("aw-spectrogram", `${label}, ${SCALE_LABEL}`, [40, 8, colorbar ? 56 : 8, 20], resize);
    this.element.title = "Click to seek";
    this.element.append(this.playhead);
    listen(
      this.canvas,
      "click",
      (event) => {
        const { x, w } = this.plot;
        if (w > 0) onSeek(clamp((event.clientX - this.canvas.getBoundingClientRect().left - x) / w, 0, 1));
      },
      signal,
    );
  }

  /** Fraction of the clip played (0..1). */
  setProgress(fraction: number): void {
    this.fraction = clamp(fraction || 0, 0, 1);
    const { x, y, w, h: height } = this.plot;
    const style = this.playhead.style;
    style.left = `${(x + this.fraction * w).toFixed(1)}px`;
    style.top = `${y}px`;
    style.height = `${height}px`;
  }

  draw(): void {
    const c = this.begin();
    if (!c) return;
    const { ctx, colors } = c;
    const { x, y, w, h: height } = this.plot;
    const { count, bins, fps, frequencies } = this.data;
    this.setProgress(this.fraction);

    // Frame i is centred at i / fps: columns sit on the same time axis as the playhead.
    const duration = this.duration > 0 ? this.duration : Math.max(1, count - 1) / fps;
    const px = w / duration;
    this.image ??= this.render();
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, height);
    ctx.clip();
    ctx.imageSmoothingEnabled = count < w;
    ctx.drawImage(this.image, x - (0.5 / fps) * px, y, (count / fps) * px, height);
    // The clip may end up to half a frame after the last frame's column (a clip shorter
    // than a frame, by most of the plot): that column reaches the end.
    const end = (count - 0.5) / fps;
    if (duration > end) {
      const { width: iw, height: ih } = this.image;
      ctx.drawImage(this.image, iw - 1, 0, 1, ih, x + end * px, y, (duration - end) * px, height);
    }
    ctx.restore();
    timeAxis(ctx, this.plot, duration, colors);

    // Frequency labels: bin b covers rows [b, b + 1) counted from the bottom.
    ctx.fillStyle = colors.muted;
    ctx.strokeStyle = colors.grid;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    let last = Infinity;
    ctx.beginPath();
    for (const { hz, bin } of frequencyTicks(frequencies, this.nyquist)) {
      const ty = Math.round(y + height - ((bin + 0.5) / bins) * height) + 0.5;
      if (ty < y - 1 || ty > y + height + 1) continue;
      ctx.moveTo(x - 3, ty);
      ctx.lineTo(x, ty);
      if (last - ty < 12) continue;
      ctx.fillText(hzLabel(hz) + (last === Infinity ? " Hz" : ""), x - 5, Math.min(ty, y + height - 5));
      last = ty;
    }
    ctx.stroke();
    if (!this.colorbar) return;

    // Colorbar: the whole scale, labelled every 20 dB.
    const bx = x + w + BAR_GAP;
    ctx.fillStyle = magma(ctx, 0, y + height, 0, y);
    ctx.fillRect(bx, y, BAR_WIDTH, height);
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "left";
    for (let db = SCALE_HI; db >= SCALE_LO; db -= 20) {
      const ty = clamp(y + ((SCALE_HI - db) / (SCALE_HI - SCALE_LO)) * height, y + 5, y + height - 5);
      ctx.fillText(scaleLabel(db), bx + BAR_WIDTH + 3, ty);
    }
  }

  dispose(): void {
    super.dispose();
    this.image = null;
  }

  /** One pixel per frame and bin (top row = highest bin), colored once per clip. */
  private render(): HTMLCanvasElement {
    const { frames, count, bins, dbRange } = this.data;
    const columns = Math.min(count, MAX_COLUMNS);
    const lut = colormap();
    // quantized value -> colormap entry on the fixed scale
    const entry = new Uint8Array(256);
    for (let v = 0; v < 256; v++) {
      const db = dbRange[0] + (v * (dbRange[1] - dbRange[0])) / 255;
      entry[v] = Math.round(clamp((db - SCALE_LO) / (SCALE_HI - SCALE_LO), 0, 1) * 255);
    }
    const image = h("canvas", "");
    image.width = columns;
    image.height = bins;
    const ctx = image.getContext("2d");
    if (!ctx) return image;
    const pixels = ctx.createImageData(columns, bins);
    const out = pixels.data;
    for (let c = 0; c < columns; c++) {
      const f0 = Math.floor((c * count) / columns);
      const f1 = Math.max(f0 + 1, Math.floor(((c + 1) * count) / columns));
      for (let b = 0; b < bins; b++) {
        let v = 0;
        for (let f = f0; f < f1; f++) v = Math.max(v, frames[f * bins + b] as number);
        const p = ((bins - 1 - b) * columns + c) * 4;
        const k = (entry[v] as number) * 4;
        out.set(lut.subarray(k, k + 4), p);
      }
    }
    ctx.putImageData(pixels, 0, 0);
    return image;
  }
}

/** The spectrograms' color scale on its own, across: -120…0 dB labelled every 20 dB. */
export class ColorbarView extends PlotView {
  constructor(resize: ResizeHub) {
    super("aw-colorbar", `Color scale, ${SCALE_LABEL}`, [40, 4, 8, 0], resize);
  }

  draw(): void {
    const c = this.begin();
    if (!c) return;
    const { ctx, colors } = c;
    const { x, y, w } = this.plot;
    const height = BAR_WIDTH;
    ctx.fillStyle = magma(ctx, x, 0, x + w, 0);
    ctx.fillRect(x, y, w, height);
    ctx.fillStyle = colors.muted;
    const labels = [];
    for (let db = SCALE_LO; db <= SCALE_HI; db += 20) {
      labels.push({ x: x + ((db - SCALE_LO) / (SCALE_HI - SCALE_LO)) * w, text: scaleLabel(db) });
    }
    labelsX(ctx, labels, y + height + 2, 0, c.width);
  }
}
