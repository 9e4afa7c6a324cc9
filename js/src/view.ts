/**
 * Per-view services shared by the groups and cards of one rendered panel:
 * run order and colors, "one clip plays at a time", one ResizeObserver.
 * Everything here is created in `render` and released by its cleanup.
 */
import type { ClipIndex, PanelModel, RunInfo } from "./models";

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
}

/** Starting one audio element pauses every other one of the same view. */
export class PlaybackCoordinator {
  private readonly players = new Set<HTMLMediaElement>();

  add(audio: HTMLMediaElement): void {
    this.players.add(audio);
  }

  delete(audio: HTMLMediaElement): void {
    this.players.delete(audio);
  }

  /** Call when `audio` starts playing. */
  started(audio: HTMLMediaElement): void {
    for (const other of this.players) if (other !== audio && !other.paused) other.pause();
  }

  pauseAll(): void {
    for (const audio of this.players) audio.pause();
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

export interface ViewContext {
  model: PanelModel;
  runs: RunTable;
  playback: PlaybackCoordinator;
  resize: ResizeHub;
  /** The view's clip index (every run's clips by group and step). */
  clips: () => ClipIndex;
}
