/**
 * Canvas helpers shared by the Analyze plots: sizing for the device pixel
 * ratio, theme colors read from the --aw-* variables, axes (log frequency,
 * dB, time) and the spectrogram colormap.
 */
import { h } from "./dom";
import { formatTime } from "./format";
import type { ResizeHub } from "./view";

export interface Canvas2D {
  ctx: CanvasRenderingContext2D;
  /** CSS pixels; the context is scaled so drawing uses them too. */
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Colors {
  fg: string;
  muted: string;
  grid: string;
}

/** Size the backing store to the element's CSS size and clear it; null while not laid out. */
function prepare(canvas: HTMLCanvasElement): Canvas2D | null {
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const ctx = canvas.getContext("2d");
  if (!ctx || width === 0 || height === 0) return null;
  const dpr = window.devicePixelRatio || 1;
  const pixelsWide = Math.round(width * dpr);
  const pixelsHigh = Math.round(height * dpr);
  if (canvas.width !== pixelsWide) canvas.width = pixelsWide;
  if (canvas.height !== pixelsHigh) canvas.height = pixelsHigh;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = `10px ${getComputedStyle(canvas).fontFamily}`;
  ctx.lineWidth = 1;
  return { ctx, width, height };
}

function themeColors(el: Element): Colors {
  const style = getComputedStyle(el);
  const read = (name: string): string => style.getPropertyValue(name).trim() || style.color;
  return { fg: read("--aw-fg"), muted: read("--aw-fg-muted"), grid: read("--aw-border") };
}

/**
 * A canvas plot inside fixed margins that redraws when resized (including
 * when its tab is shown). Subclasses draw; `dispose` stops observing.
 */
export abstract class PlotView {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  protected plot: Rect = { x: 0, y: 0, w: 0, h: 0 };

  constructor(
    className: string,
    label: string,
    /** left, top, right, bottom (CSS px) */
    private readonly margin: [number, number, number, number],
    private readonly resize: ResizeHub,
  ) {
    this.element = h("div", `aw-plot ${className}`);
    this.canvas = h("canvas", "aw-plot-canvas", null, { role: "img", "aria-label": label });
    this.element.append(this.canvas);
    resize.observe(this.canvas, () => this.draw());
  }

  abstract draw(): void;

  dispose(): void {
    this.resize.unobserve(this.canvas);
  }

  /** Clear the canvas and lay out `plot`; null while hidden or too small to draw. */
  protected begin(): (Canvas2D & { colors: Colors }) | null {
    const canvas = prepare(this.canvas);
    if (!canvas) return null;
    const [left, top, right, bottom] = this.margin;
    const plot = { x: left, y: top, w: canvas.width - left - right, h: canvas.height - top - bottom };
    if (plot.w < 20 || plot.h < 20) return null;
    this.plot = plot;
    return { ...canvas, colors: themeColors(this.canvas) };
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

// -- axes ------------------------------------------------------------------------------

const FREQUENCY_TICKS = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];

/** `20`, `500`, `1k`, `20k`. */
export function hzLabel(hz: number): string {
  return hz >= 1000 ? `${hz / 1000}k` : String(hz);
}

/** `−12` with a real minus sign. */
export function signed(x: number, digits = 0): string {
  const text = Math.abs(x).toFixed(digits);
  return x < 0 && Number(text) !== 0 ? `\u2212${text}` : text;
}

/**
 * Fractional bin position (0 = first bin centre) of `hz`, interpolating
 * log-frequency between bin centres and extrapolating past the ends.
 */
export function binPosition(frequencies: Float32Array, hz: number): number {
  const n = frequencies.length;
  let i = 0;
  while (i < n - 2 && (frequencies[i + 1] as number) < hz) i++;
  const a = Math.log(frequencies[i] as number);
  const b = Math.log(frequencies[i + 1] as number);
  return i + (b > a ? (Math.log(hz) - a) / (b - a) : 0);
}

/** Frequency ticks from 20 Hz up to `nyquist` with their bin positions. */
export function frequencyTicks(frequencies: Float32Array, nyquist: number): { hz: number; bin: number }[] {
  const top = Math.max(nyquist, frequencies[frequencies.length - 1] as number) * 1.001;
  return FREQUENCY_TICKS.filter((hz) => hz <= top).map((hz) => ({ hz, bin: binPosition(frequencies, hz) }));
}

/** Labels along a line, skipping any that would overlap the previous one or leave [min, max]. */
export function labelsX(ctx: CanvasRenderingContext2D, labels: { x: number; text: string }[], y: number, min: number, max: number): void {
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  let end = -Infinity;
  for (const { x, text } of labels) {
    const half = ctx.measureText(text).width / 2;
    const cx = clamp(x, min + half, max - half);
    if (cx - half < end + 6) continue;
    ctx.fillText(text, cx, y);
    end = cx + half;
  }
}

/** Horizontal dB gridlines every `stepDb`, labelled on the left of `plot`. */
export function dbGrid(ctx: CanvasRenderingContext2D, plot: Rect, range: [number, number], colors: Colors, stepDb = 20): void {
  const [lo, hi] = range;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let db = Math.floor(hi / stepDb) * stepDb; db >= lo; db -= stepDb) {
    const y = Math.round(plot.y + ((hi - db) / (hi - lo)) * plot.h) + 0.5;
    ctx.strokeStyle = colors.grid;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.fillStyle = colors.muted;
    ctx.fillText(db === hi ? `${signed(db)} dB` : signed(db), plot.x - 4, clamp(y, plot.y + 5, plot.y + plot.h - 5));
  }
}

const TIME_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 3600];

/** Time ticks and labels under `plot` for a clip of `duration` seconds. */
export function timeAxis(ctx: CanvasRenderingContext2D, plot: Rect, duration: number, colors: Colors): void {
  if (!(duration > 0)) return;
  const step = TIME_STEPS.find((s) => duration / s <= plot.w / 50) ?? 3600;
  const labels: { x: number; text: string }[] = [];
  ctx.strokeStyle = colors.grid;
  ctx.beginPath();
  for (let i = 0; i * step <= duration + 1e-9; i++) {
    const t = i * step;
    const x = Math.round(plot.x + (t / duration) * plot.w) + 0.5;
    ctx.moveTo(x, plot.y + plot.h);
    ctx.lineTo(x, plot.y + plot.h + 4);
    labels.push({ x, text: t < 60 || step < 1 ? `${Number(t.toFixed(2))} s` : formatTime(t, 0) });
  }
  ctx.stroke();
  ctx.fillStyle = colors.muted;
  labelsX(ctx, labels, plot.y + plot.h + 5, 0, ctx.canvas.clientWidth);
}

// -- colormap ----------------------------------------------------------------------------

/** Magma at 0, 1/8 … 1 (perceptually uniform, dark = quiet). */
const MAGMA = "000004 1c1044 4f127b 812581 b5367a e55064 fb8761 fec287 fcfdbf".split(" ");

/** Magma as a canvas gradient from (x0, y0) at the bottom of the scale to (x1, y1) at the top. */
export function magma(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): CanvasGradient {
  const gradient = ctx.createLinearGradient(x0, y0, x1, y1);
  MAGMA.forEach((hex, i) => gradient.addColorStop(i / (MAGMA.length - 1), `#${hex}`));
  return gradient;
}

let lut: Uint8ClampedArray | null = null;

/** 256 RGBA colors along the magma gradient (built once). */
export function colormap(): Uint8ClampedArray {
  if (!lut) {
    const ctx = h("canvas", "").getContext("2d");
    if (!ctx) return new Uint8ClampedArray(1024);
    ctx.fillStyle = magma(ctx, 0.5, 0, 255.5, 0);
    ctx.fillRect(0, 0, 256, 1);
    lut = ctx.getImageData(0, 0, 256, 1).data;
  }
  return lut;
}
