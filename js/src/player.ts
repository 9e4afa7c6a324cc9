/**
 * Player controls for one audio element: play/pause, seek, skip ±5 s, volume,
 * mute, download. `mirror` adds another play button (the Analyze dialog's)
 * that acts on and follows the same element. Play and
 * download first ask `need`, so that audio not yet in the page is fetched first.
 */
import { h, listen } from "./dom";
import { showSeek } from "./format";
import { type IconName, setIcon } from "./icons";
import { clamp } from "./plot";

const SKIP_SECONDS = 5;

export interface PlayerOptions {
  audio: HTMLAudioElement;
  /** Duration from the clip's metadata, used until the element knows its own. */
  duration: number;
  downloadName: string;
  /** Whether the audio is there; if not, the owner fetches it and calls `then` once it is. */
  need: (then: () => void) => boolean;
  signal: AbortSignal;
  /** Called with the playhead on every frame while playing and after every seek. */
  onTime: (seconds: number, duration: number) => void;
}

export function button(className: string, label: string, name: IconName): HTMLButtonElement {
  const b = h("button", `aw-btn ${className}`, null, { type: "button", "aria-label": label, title: label });
  setIcon(b, name);
  return b;
}

/** Give an icon button another label (its accessible name and tooltip) and icon. */
export function relabel(b: HTMLElement, label: string, name: IconName): void {
  b.setAttribute("aria-label", label);
  b.title = label;
  setIcon(b, name);
}

/** Show a play button as Play or, while `playing`, Pause (touched only when that changes). */
export function showPlaying(b: HTMLElement, playing: boolean): void {
  const label = playing ? "Pause" : "Play";
  if (b.getAttribute("aria-label") !== label) relabel(b, label, playing ? "pause" : "play");
}

export function range(className: string, label: string, max: number, step: string): HTMLInputElement {
  return h("input", className, null, { type: "range", "aria-label": label, min: "0", max: String(max), step, value: "0" });
}

export class PlayerControls {
  readonly element: HTMLDivElement;
  private readonly audio: HTMLAudioElement;
  /** The card's play button first, then mirrors. */
  private readonly playButtons: HTMLButtonElement[];
  private readonly time: HTMLSpanElement;
  private readonly muteButton: HTMLButtonElement;
  private readonly seek: HTMLInputElement;
  private readonly volume: HTMLInputElement;
  private fallbackDuration: number;
  private readonly onTime: PlayerOptions["onTime"];
  private readonly need: PlayerOptions["need"];
  private readonly download: HTMLAnchorElement;
  private readonly skips: HTMLButtonElement[];
  /** False when the audio cannot be had (a report that left it out, with no kernel). */
  private available = true;
  private frame = 0;

  constructor(options: PlayerOptions) {
    const { audio, signal } = options;
    this.audio = audio;
    this.fallbackDuration = options.duration;
    this.onTime = options.onTime;
    this.need = options.need;

    const play = button("aw-play", "Play", "play");
    this.playButtons = [play];
    const back = button("aw-skip-back", "Skip back 5 seconds", "back");
    const forward = button("aw-skip-forward", "Skip forward 5 seconds", "forward");
    this.skips = [back, forward];
    this.seek = range("aw-seek", "Seek", options.duration, "0.01");
    const time = h("span", "aw-time");
    this.time = time;
    this.muteButton = button("aw-mute", "Mute", "volume");
    this.volume = range("aw-volume", "Volume", 1, "0.05");
    this.volume.value = String(audio.volume);
    const download = h("a", "aw-btn aw-download", null, {
      href: "#",
      download: options.downloadName,
      "aria-label": "Download",
      title: `Download ${options.downloadName}`,
    });
    setIcon(download, "download");
    this.download = download;

    const transport = h("div", "aw-row aw-transport");
    transport.append(play, back, forward, this.seek);
    const extra = h("div", "aw-row aw-extra");
    extra.append(time, this.muteButton, this.volume, download);
    this.element = h("div", "aw-controls");
    this.element.append(transport, extra);

    listen(
      download,
      "click",
      (event) => {
        if (!this.available || !this.need(() => download.click())) event.preventDefault();
      },
      signal,
    );
    listen(play, "click", () => this.toggle(), signal);
    listen(back, "click", () => this.seekTo(audio.currentTime - SKIP_SECONDS), signal);
    listen(forward, "click", () => this.seekTo(audio.currentTime + SKIP_SECONDS), signal);
    listen(this.seek, "input", () => this.seekTo(Number(this.seek.value)), signal);
    listen(
      this.muteButton,
      "click",
      () => {
        audio.muted = !audio.muted;
      },
      signal,
    );
    listen(
      this.volume,
      "input",
      () => {
        audio.volume = Number(this.volume.value);
        if (audio.volume > 0 && audio.muted) audio.muted = false;
      },
      signal,
    );
    listen(
      audio,
      "play",
      () => {
        this.syncPlaying();
        this.startLoop();
      },
      signal,
    );
    const stopped = (): void => {
      this.syncPlaying();
      this.stopLoop();
      this.update();
    };
    listen(audio, "pause", stopped, signal);
    listen(audio, "ended", stopped, signal);
    listen(audio, "volumechange", () => this.syncVolume(), signal);
    for (const type of ["timeupdate", "seeked", "durationchange", "loadedmetadata"] as const) {
      listen(audio, type, () => this.update(), signal);
    }
    this.syncPlaying();
    this.syncVolume();
    this.update();
  }

  /** Seconds of the clip: the element's own duration once known, else the metadata's. */
  duration(): number {
    const d = this.audio.duration;
    return Number.isFinite(d) && d > 0 ? d : this.fallbackDuration;
  }

  /** Another play/pause button and time readout for this element, removed when `signal` aborts. */
  mirror(signal: AbortSignal): HTMLButtonElement {
    const play = button("aw-play", "Play", "play");
    listen(play, "click", () => this.toggle(), signal);
    this.playButtons.push(play);
    play.disabled = !this.available;
    signal.addEventListener("abort", () => {
      this.playButtons.splice(this.playButtons.indexOf(play), 1);
    });
    this.syncPlaying();
    return play;
  }


  seekTo(seconds: number): void {
    const t = clamp(Number.isFinite(seconds) ? seconds : 0, 0, this.duration());
    this.audio.currentTime = t;
    this.update(t);
  }

  /** Another clip (its metadata duration and download name), its audio not there yet. */
  setClip(duration: number, downloadName: string): void {
    this.fallbackDuration = duration;
    const download = this.download;
    download.href = "#";
    download.download = downloadName;
    download.title = `Download ${downloadName}`;
    this.update(0);
  }

  /**
   * Whether the audio can be had at all. Without it (a report that left the clip's audio
   * out, with no kernel to ask) play, skip, seek and download are disabled, not dead.
   */
  setAvailable(on: boolean): void {
    if (on === this.available) return;
    this.available = on;
    for (const b of [...this.playButtons, ...this.skips]) b.disabled = !on;
    this.seek.disabled = !on;
    if (on) this.download.removeAttribute("aria-disabled");
    else this.download.setAttribute("aria-disabled", "true");
  }

  /** The Blob URL of the audio, once it is there: what Download saves. */
  setSource(url: string): void {
    this.download.href = url;
  }

  toggle(): void {
    if (this.audio.paused || this.audio.ended) {
      if (!this.need(() => this.toggle())) return;
      this.audio.play().catch((err: unknown) => {
        // AbortError: another card started and paused this one before it began.
        if (!(err instanceof DOMException && err.name === "AbortError")) {
          console.warn("audiowidget: playback failed:", err);
        }
      });
    } else {
      this.audio.pause();
    }
  }

  dispose(): void {
    this.stopLoop();
  }

  /** Report the playhead (to `onTime` and every readout) now. */
  update(at?: number): void {
    const duration = this.duration();
    const t = at ?? this.audio.currentTime;
    const text = showSeek(this.seek, t, duration);
    this.time.textContent = text;
    this.onTime(t, duration);
  }

  private syncPlaying(): void {
    const playing = !this.audio.paused && !this.audio.ended;
    for (const b of this.playButtons) showPlaying(b, playing);
  }

  private syncVolume(): void {
    const { muted, volume } = this.audio;
    relabel(this.muteButton, muted ? "Unmute" : "Mute", muted || volume === 0 ? "muted" : "volume");
    this.volume.value = String(volume);
  }

  private startLoop(): void {
    if (this.frame) return;
    const tick = (): void => {
      this.update();
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  private stopLoop(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }
}
