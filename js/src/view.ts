/**
 * Per-view services shared by the groups and cards of one rendered panel:
 * run order and colors, "one player plays at a time", one ResizeObserver,
 * one lazily created AudioContext and the writer of UI state to traits.
 * Everything here is created in `render` and released by its cleanup.
 */
import type { ClipIndex, PanelModel, RunInfo } from "./models";
import type { AudioFetcher } from "./source";

/** Run order (logging order) and colors from `_runs`. */
export class RunTable {
  private runs = new Map<string, { order: number; color: string }>();

  update(runs: RunInfo[]): void {
    this.runs = new Map(runs.map((r, order) => [r.name, { order, color: r.color }]));
  }

  order(run: string): number {
    return this.runs.get(run)?.order ?? Number.MAX_SAFE_INTEGER;
  }

  color(run: string): string {
    return this.runs.get(run)?.color ?? "";
  }

  /** Compares two runs for sorting: by `order`, then by name. */
  compare(a: string, b: string): number {
    return this.order(a) - this.order(b) || (a < b ? -1 : a > b ? 1 : 0);
  }
}

/** Anything that plays: an audio element or a group's compare transport. */
export interface Pausable {
  readonly paused: boolean;
  pause(): void;
}

/** Starting one player pauses every other one of the same view. */
export class PlaybackCoordinator {
  private readonly players = new Set<Pausable>();

  add(player: Pausable): void {
    this.players.add(player);
  }

  delete(player: Pausable): void {
    this.players.delete(player);
  }

  /** Call when `player` starts playing. */
  started(player: Pausable): void {
    for (const other of this.players) if (other !== player && !other.paused) other.pause();
  }

  pauseAll(): void {
    for (const player of this.players) player.pause();
  }
}

/** One ResizeObserver for every canvas of a view. */
export class ResizeHub {
  private readonly callbacks = new Map<Element, () => void>();
  private readonly observer: ResizeObserver | null =
    typeof ResizeObserver === "undefined"
      ? null
      : new ResizeObserver((records) => {
          for (const record of records) this.callbacks.get(record.target)?.();
        });

  observe(element: Element, callback: () => void): void {
    this.callbacks.set(element, callback);
    this.observer?.observe(element);
  }

  unobserve(element: Element): void {
    this.callbacks.delete(element);
    this.observer?.unobserve(element);
  }

  dispose(): void {
    this.callbacks.clear();
    this.observer?.disconnect();
  }
}

/** The view's one AudioContext, created on first use (compare playback, loudness matching), closed with the view. */
export class AudioHub {
  private context: AudioContext | null = null;

  get(): AudioContext {
    this.context ??= new AudioContext();
    this.resume();
    return this.context;
  }

  /** Browsers start a context made without a user gesture suspended: resume it on every play. */
  resume(): void {
    if (this.context?.state === "suspended") this.context.resume().catch(() => undefined);
  }

  dispose(): void {
    this.context?.close().catch(() => undefined);
    this.context = null;
  }
}

/** Trait writes are debounced to the kernel while dragging; flushed on release. */
const SAVE_DELAY_MS = 150;

/**
 * Writes UI state to the panel's traits. The value is set at once (every view
 * of the panel follows at once); `save_changes` is debounced when asked, and
 * a write that changes nothing is skipped.
 */
export class TraitWriter {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;

  constructor(private readonly model: PanelModel) {}

  write(name: string, value: unknown, debounce = false): void {
    if (JSON.stringify(this.model.get(name) ?? null) !== JSON.stringify(value)) {
      this.model.set(name, value);
      this.dirty = true;
    }
    if (!debounce) this.flush();
    else if (this.dirty) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.dirty) return;
    this.dirty = false;
    this.model.save_changes();
  }
}

/** Tells its listeners that something changed (they read what they need themselves). */
export class Signal {
  private readonly listeners = new Set<() => void>();

  /** Call `fn` on every `emit` until the function returned is called. */
  on(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

export interface ViewContext {
  model: PanelModel;
  runs: RunTable;
  playback: PlaybackCoordinator;
  resize: ResizeHub;
  audio: AudioHub;
  writer: TraitWriter;
  /** Fetches the audio of clips the embed budget left out of the state. */
  fetcher: AudioFetcher;
  /** The view's clip index (every run's clips by group and step). */
  clips: () => ClipIndex;
  /** Fires after the clip index or the run table (names, colors, order) changed. */
  changed: Signal;
}

/** Seconds a gain change takes: short enough to switch within a few audio blocks, long enough not to click. */
const RAMP_SECONDS = 0.005;

/** Move `param` to `value` by a linear ramp starting now. */
export function ramp(param: AudioParam, value: number, context: BaseAudioContext): void {
  const now = context.currentTime;
  param.cancelScheduledValues(now);
  param.setValueAtTime(param.value, now);
  param.linearRampToValueAtTime(value, now + RAMP_SECONDS);
}
