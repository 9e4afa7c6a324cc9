/**
 * The Analyze view's data: analysis arrays and statistics that numpy computed
 * for a clip (the front end only draws them). Arrays are decoded once per
 * clip model; anything missing or malformed reads as null.
 */
import type { DecodedArray } from "./codecs";
import { arrayOf, type ClipEntry, peaksOf } from "./models";
import { clamp } from "./plot";

/** Spectrum frames on a log-frequency axis, quantized to uint8 over `dbRange`. */
export interface SpectrumData {
  /** `count × bins` values; dB = lo + value * (hi - lo) / 255. */
  frames: Uint8Array;
  count: number;
  bins: number;
  /** Bin centres in Hz, increasing. */
  frequencies: Float32Array;
  /** Mean power over frames per bin, in dB (null if absent). */
  average: Float32Array | null;
  fps: number;
  dbRange: [number, number];
}

export interface ClipAnalysis {
  /** Fine `(channels, buckets, 2)` min/max waveform, else the card's coarse peaks. */
  waveform: DecodedArray | null;
  spectrum: SpectrumData | null;
}

function vector(entry: ClipEntry, name: string, length: number): Float32Array | null {
  const array = arrayOf(entry.model, name, (s) => s.length === 1 && s[0] === length, `(${length},)`);
  return array && array.data instanceof Float32Array ? array.data : null;
}

export function analysisOf(entry: ClipEntry): ClipAnalysis {
  const waveform = peaksOf(entry.model, "waveform") ?? peaksOf(entry.model);
  const fps = entry.meta.spectrum_fps;
  const frames = arrayOf(entry.model, "spectrum_frames", (s) => s.length === 2 && s[0] > 0 && s[1] > 1, "(frames, bins)");
  let spectrum: SpectrumData | null = null;
  if (frames && frames.data instanceof Uint8Array && fps > 0) {
    const [count = 0, bins = 0] = frames.shape;
    const frequencies = vector(entry, "spectrum_frequencies", bins);
    if (frequencies) {
      spectrum = {
        frames: frames.data,
        count,
        bins,
        frequencies,
        average: vector(entry, "average_spectrum", bins),
        fps,
        dbRange: entry.meta.spectrum_db_range,
      };
    }
  }
  return { waveform, spectrum };
}

/** The frame shown at `seconds`: round(seconds * fps), clamped to the frames there are. */
export function frameAt(spectrum: SpectrumData, seconds: number): number {
  const i = Math.round((Number.isFinite(seconds) ? seconds : 0) * spectrum.fps);
  return clamp(i, 0, spectrum.count - 1);
}

/** dB of a quantized value. */
export function decibels(spectrum: SpectrumData, value: number): number {
  const [lo, hi] = spectrum.dbRange;
  return lo + (value * (hi - lo)) / 255;
}
