/**
 * Loudness matching (playback only): every clip is played at the median
 * integrated loudness of its group's clips at the current step, with the
 * gain limited so that no sample exceeds full scale. Clips without a
 * loudness (shorter than 400 ms, or silent) play unchanged. Downloads keep
 * the logged bytes: the gain is applied by Web Audio, never to the file.
 */
import type { ClipEntry } from "./models";
import { type AudioHub, ramp } from "./view";

export interface MatchGain {
  /** The gain applied, in dB. */
  db: number;
  /** The gain loudness alone asks for (larger than `db` when limited). */
  wanted: number;
  /** Whether the peak limited the gain. */
  limited: boolean;
  /** The loudness every clip is brought to (LUFS). */
  target: number;
}

function stat(entry: ClipEntry, name: string): number | null {
  const v = entry.meta.stats?.[name];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/**
 * The gain of each clip of `shown` (null: no loudness, plays unchanged); the
 * target is the median loudness of `atStep`, the group's clips at the current step.
 */
export function matchGains(atStep: ClipEntry[], shown: ClipEntry[]): Map<string, MatchGain | null> {
  const target = median(atStep.map((e) => stat(e, "loudness_lufs")).filter((v): v is number => v !== null));
  const out = new Map<string, MatchGain | null>();
  for (const entry of shown) {
    const loudness = stat(entry, "loudness_lufs");
    if (target === null || loudness === null) {
      out.set(entry.id, null);
      continue;
    }
    const peak = stat(entry, "peak_dbfs");
    const wanted = target - loudness;
    const limited = peak !== null && peak + wanted > 0;
    out.set(entry.id, { db: limited ? -peak : wanted, wanted, limited, target });
  }
  return out;
}

export const dbToGain = (db: number): number => 10 ** (db / 20);

/** `+3.2 dB`, `−1.5 dB` (a true minus sign, as the Statistics tab writes it). */
export function formatDb(db: number): string {
  const text = Math.abs(db).toFixed(1);
  return `${db < 0 && Number(text) !== 0 ? "\u2212" : "+"}${text} dB`;
}

/** An audio element played through a GainNode: `<audio>` → MediaElementAudioSourceNode → GainNode → output. */
export class ElementGain {
  private source: MediaElementAudioSourceNode | null = null;
  private node: GainNode | null = null;

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly hub: AudioHub,
  ) {}

  /** Set the gain; the graph is built only when `create` (matching is on and the clip plays). */
  set(gain: number, create: boolean): void {
    if (this.node) {
      ramp(this.node.gain, gain, this.node.context);
      return;
    }
    if (!create) return;
    const context = this.hub.get();
    this.source = context.createMediaElementSource(this.audio);
    this.node = context.createGain();
    this.node.gain.value = gain;
    this.source.connect(this.node).connect(context.destination);
  }

  /** The GainNode's current value, or null before the graph exists. */
  value(): number | null {
    return this.node ? this.node.gain.value : null;
  }

  dispose(): void {
    this.source?.disconnect();
    this.node?.disconnect();
    this.source = null;
    this.node = null;
  }
}
