/**
 * Compare mode: one transport per group plays every card's clip at once on
 * the view's AudioContext, each through its own GainNode, and only the
 * selected card is heard. Selecting another card ramps the gains (a few ms):
 * playback neither restarts nor skips. Seeking restarts every source at the
 * new offset together. Clips of different lengths: the transport runs for the
 * longest; shorter ones simply end.
 */
import { h, listen } from "./dom";
import { showSeek } from "./format";
import type { ClipEntry } from "./models";
import { button, showPlaying } from "./player";
import { clamp } from "./plot";
import { type AudioHub, type Pausable, type PlaybackCoordinator, ramp } from "./view";

/** Sources start this far ahead so that all of them start on the same sample. */
const START_LEAD = 0.02;

const decoded = new WeakMap<object, { rate: number; buffer: Promise<AudioBuffer> }>();

/**
 * The clip decoded once per clip model at the playing context's rate (the
 * browser's own resampler). An offline context decodes it, so that the buffer
 * outlives the view that asked first; an AudioBuffer plays in any context.
 * The bytes come from the card (fetched first if the clip was not embedded).
 */
function decode(rate: number, voice: Voice): Promise<AudioBuffer> {
  const model = voice.entry.model;
  let cached = decoded.get(model);
  if (cached?.rate !== rate) {
    // decodeAudioData detaches what it is given: hand it a copy.
    const buffer = voice.bytes().then((b) => new OfflineAudioContext(1, 1, rate).decodeAudioData(b.slice().buffer));
    const entry = { rate, buffer };
    entry.buffer.catch(() => decoded.get(model) === entry && decoded.delete(model));
    decoded.set(model, (cached = entry));
  }
  return cached.buffer;
}

/** A clip to play and its gain (0: silent; the selected one 1, or its loudness-matching gain). */
export interface Voice {
  entry: ClipEntry;
  gain: number;
  /** The clip's encoded bytes. */
  bytes: () => Promise<Uint8Array>;
}

interface Sounding {
  key: string;
  source: AudioBufferSourceNode;
  node: GainNode;
}

/** `run`, or `run#index` for a run's second clip and after. */
const voiceKey = (e: ClipEntry): string => (e.index ? `${e.run}#${e.index}` : e.run);

export class CompareTransport implements Pausable {
  readonly element: HTMLDivElement;
  private readonly play: HTMLButtonElement;
  private readonly seek: HTMLInputElement;
  private readonly time: HTMLSpanElement;
  private readonly controller = new AbortController();
  private voices: Voice[] = [];
  private sounding = new Map<string, Sounding>();
  private context: AudioContext | null = null;
  private length = 0;
  /** Position when the sources started (or of the pause), and the context time they started at. */
  private offset = 0;
  private startedAt = 0;
  private running = false;
  private token = 0;
  private frame = 0;

  constructor(
    private readonly hub: AudioHub,
    private readonly playback: PlaybackCoordinator,
    private readonly onTime: (seconds: number) => void,
  ) {
    const signal = this.controller.signal;
    this.element = h("div", "aw-row aw-compare", null, { role: "group", "aria-label": "Compare", "data-position": "0" });
    this.play = button("aw-play", "Play", "play");
    this.seek = h("input", "aw-seek", null, { type: "range", "aria-label": "Seek", min: "0", max: "0", step: "0.01" });
    this.time = h("span", "aw-time");
    this.element.append(this.play, this.seek, this.time);
    listen(this.play, "click", () => this.toggle(), signal);
    listen(this.seek, "input", () => this.seekTo(Number(this.seek.value)), signal);
    playback.add(this);
    // For tests and debugging: the gain of every sounding clip, by run.
    Object.assign(this.element, { awCompareGains: () => this.gains() });
    this.render();
  }

  get paused(): boolean {
    return !this.running;
  }

  /** The clips (in grid order) and their gains; a new set of clips keeps playing from the same position. */
  setVoices(voices: Voice[]): void {
    const ids = (list: Voice[]): string =>
      list
        .map((v) => v.entry.id)
        .sort()
        .join("\n");
    const changed = ids(voices) !== ids(this.voices);
    this.voices = voices;
    this.length = Math.max(0, ...voices.map((v) => v.entry.meta.duration));
    if (changed && this.running) this.seekTo(this.position());
    else if (this.context) {
      for (const v of voices) {
        const s = this.sounding.get(v.entry.id);
        if (s) ramp(s.node.gain, v.gain, this.context);
      }
    }
    this.render();
  }

  toggle(): void {
    if (this.running) this.pause();
    else void this.start();
  }

  pause(): void {
    if (!this.running) return;
    this.offset = this.position();
    this.halt();
    this.render();
  }

  seekTo(seconds: number): void {
    const playing = this.running;
    this.halt();
    this.offset = clamp(Number.isFinite(seconds) ? seconds : 0, 0, this.length);
    if (playing) void this.start();
    else this.render();
  }

  /** The playhead in seconds. */
  position(): number {
    const context = this.context;
    if (!this.running || !context || this.sounding.size === 0) return this.offset;
    return Math.min(this.length, this.offset + Math.max(0, context.currentTime - this.startedAt));
  }

  dispose(): void {
    this.halt();
    this.playback.delete(this);
    this.controller.abort();
    this.element.remove();
  }

  private async start(): Promise<void> {
    const token = ++this.token;
    this.running = true;
    this.playback.started(this);
    this.render();
    const context = this.hub.get();
    this.context = context;
    const voices = this.voices;
    const buffers = await Promise.all(
      voices.map((v) =>
        decode(context.sampleRate, v).catch((err: unknown) => {
          console.warn("audiowidget: cannot decode", v.entry.run, err);
          return null;
        }),
      ),
    );
    if (token !== this.token) return;
    if (this.offset >= this.length - 1e-3) this.offset = 0;
    const when = context.currentTime + START_LEAD;
    voices.forEach((v, i) => {
      const buffer = buffers[i];
      if (!buffer) return;
      const source = context.createBufferSource();
      source.buffer = buffer;
      const node = context.createGain();
      node.gain.value = v.gain;
      source.connect(node).connect(context.destination);
      source.start(when, Math.min(this.offset, buffer.duration));
      this.sounding.set(v.entry.id, { key: voiceKey(v.entry), source, node });
    });
    this.startedAt = when;
    if (this.sounding.size) this.tick();
    else this.pause();
  }

  /** Stop every source (they cannot restart) and the frame loop. */
  private halt(): void {
    this.token++;
    this.running = false;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    for (const { source, node } of this.sounding.values()) {
      source.stop();
      source.disconnect();
      node.disconnect();
    }
    this.sounding.clear();
  }

  private readonly tick = (): void => {
    this.frame = 0;
    if (!this.running) return;
    const t = this.position();
    if (t >= this.length) {
      this.halt();
      this.offset = this.length;
    } else {
      this.frame = requestAnimationFrame(this.tick);
    }
    this.render(t);
  };

  private render(t = this.position()): void {
    showPlaying(this.play, this.running);
    this.element.dataset.position = t.toFixed(3);
    this.time.textContent = showSeek(this.seek, t, this.length);
    this.onTime(t);
  }

  private gains(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.sounding.values()) out[s.key] = s.node.gain.value;
    return out;
  }
}
