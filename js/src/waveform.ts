/** The card's mini waveform: min/max peaks on a canvas, a played-progress overlay, click to seek. */
import type { DecodedArray } from "./codecs";
import { h, listen } from "./dom";
import { clamp } from "./plot";
import type { ResizeHub } from "./view";

export const FULL_SCALE = 32767;

/**
 * Channel `channel` of `(channels, buckets, 2)` min/max `peaks` across `width`
 * columns: `column(x, lo, hi)` for each column that holds a bucket. Each column
 * reaches to the one before, so that a short clip (a sample or two per bucket)
 * draws as a line through its samples rather than as dots.
 */
export function envelope(
  peaks: DecodedArray,
  channel: number,
  width: number,
  column: (x: number, lo: number, hi: number) => void,
): void {
  const buckets = peaks.shape[1] ?? 0;
  const data = peaks.data;
  let before: [number, number] | null = null;
  for (let x = 0; x < width; x++) {
    const b0 = Math.floor((x * buckets) / width);
    const b1 = Math.max(b0 + 1, Math.floor(((x + 1) * buckets) / width));
    let lo = FULL_SCALE;
    let hi = -FULL_SCALE;
    for (let b = b0; b < b1 && b < buckets; b++) {
      const i = (channel * buckets + b) * 2;
      lo = Math.min(lo, data[i] as number);
      hi = Math.max(hi, data[i + 1] as number);
    }
    if (hi < lo) continue;
    const [prevLo, prevHi] = before ?? [lo, hi];
    before = [lo, hi];
    column(x, Math.min(lo, prevHi), Math.max(hi, prevLo));
  }
}

export class Waveform {
  readonly element: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly played: HTMLDivElement;
  private color: string;
  private context: CanvasRenderingContext2D | null = null;
  /** The canvas's CSS size, measured when the ResizeObserver reports it (never read after a DOM write). */
  private cssWidth = 0;
  private cssHeight = 0;

  constructor(
    private peaks: DecodedArray | null,
    color: string,
    private readonly resize: ResizeHub,
    signal: AbortSignal,
    onSeek: (fraction: number) => void,
  ) {
    this.color = color;
    this.element = h("div", "aw-wave", null, { title: "Click to seek" });
    this.canvas = h("canvas", "aw-wave-canvas", null, { "aria-hidden": "true" });
    this.played = h("div", "aw-wave-played");
    this.element.append(this.canvas, this.played);
    listen(
      this.element,
      "click",
      (event) => {
        const rect = this.element.getBoundingClientRect();
        if (rect.width > 0) onSeek(clamp((event.clientX - rect.left) / rect.width, 0, 1));
      },
      signal,
    );
    resize.observe(this.canvas, () => {
      this.cssWidth = this.canvas.clientWidth;
      this.cssHeight = this.canvas.clientHeight;
      this.draw();
    });
  }

  /** Show another clip's peaks (drawn at the size last measured). */
  setPeaks(peaks: DecodedArray | null): void {
    this.peaks = peaks;
    this.setProgress(0);
    this.draw();
  }

  setColor(color: string): void {
    this.color = color;
    this.draw();
  }

  /** Fraction of the clip already played (0..1). */
  setProgress(fraction: number): void {
    const f = Number.isFinite(fraction) ? clamp(fraction, 0, 1) : 0;
    this.played.style.width = `${(f * 100).toFixed(3)}%`;
  }

  draw(): void {
    const canvas = this.canvas;
    const ctx = (this.context ??= canvas.getContext("2d"));
    const { cssWidth, cssHeight } = this;
    if (!ctx || cssWidth === 0 || cssHeight === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(cssWidth * dpr);
    const height = Math.round(cssHeight * dpr);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    ctx.clearRect(0, 0, width, height);
    if (!this.peaks) return;
    const peaks = this.peaks;
    const [channels = 0, buckets = 0] = peaks.shape;
    if (channels === 0 || buckets === 0) return;
    ctx.fillStyle = this.color || getComputedStyle(canvas).color;
    const lane = height / channels;
    ctx.beginPath();
    for (let c = 0; c < channels; c++) {
      const mid = lane * (c + 0.5);
      const half = Math.max(1, lane / 2 - dpr);
      envelope(peaks, c, width, (x, lo, hi) => {
        const top = mid - (hi / FULL_SCALE) * half;
        const bottom = mid - (lo / FULL_SCALE) * half;
        ctx.rect(x, top, 1, Math.max(dpr, bottom - top));
      });
    }
    ctx.fill();
  }

  dispose(): void {
    this.resize.unobserve(this.canvas);
  }
}
