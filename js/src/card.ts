/**
 * One clip's card: run name in the run color, caption, step, duration, encoding, waveform, player, Analyze;
 * the reference badge, the selected and (in Compare mode) audible marks, and the loudness-matching gain.
 *
 * A clip the embed budget left out plays once its audio is fetched (see source.ts): the card says
 * so while loading (`aria-busy`), says why when it fails (with Retry), and uses the clip's own
 * bytes only: everything is keyed by its clip model, so a reply for another step never lands here.
 */
import { AnalyzeDialog } from "./analyze";
import { h, listen, setRunVar } from "./dom";
import { downloadName, formatDuration, formatSampleRate } from "./format";
import { icon } from "./icons";
import { dbToGain, ElementGain, formatDb, type MatchGain } from "./loudness";
import { arraysReady, type ClipEntry, forgetArrays, ListenerSet, peaksOf, pendingIn } from "./models";
import { PlayerControls } from "./player";
import { bytesOf, CLOSED, LOADING, NO_KERNEL, PAGE_LOADING } from "./source";
import type { ViewContext } from "./view";
import { Waveform } from "./waveform";

/** Clips of at most this many frames (under 0.4 s at 48 kHz) are preloaded whole, see `attach`. */
const SHORT_CLIP_FRAMES = 16384;

const span = (className: string, text: string): HTMLSpanElement => h("span", className, text);

function channelLabel(channels: number): string {
  if (channels === 1) return "mono";
  if (channels === 2) return "stereo";
  return channels > 0 ? `${channels} ch` : "";
}

/** A card's volume and mute, which follow its run from step to step. */
export interface Levels {
  volume: number;
  muted: boolean;
}

export class Card {
  /** The card's element: a new one for every clip shown (its content is kept when the card is reused). */
  element: HTMLDivElement;
  private readonly audio: HTMLAudioElement;
  /** The Blob URL of the clip's bytes, once they are here. */
  private url = "";
  /** The bytes behind `url`, kept while the card shows them (the page's cache may drop its copy). */
  private held: Uint8Array | null = null;
  /** The fetch this card waits for, and what to do when it lands (play, download). */
  private loading: Promise<Uint8Array> | null = null;
  private after: (() => void) | null = null;
  private readonly status: HTMLDivElement;
  private readonly statusText: HTMLSpanElement;
  private readonly retry: HTMLButtonElement;
  private readonly remote: HTMLSpanElement;
  private readonly listeners = new ListenerSet();
  private readonly controller = new AbortController();
  private readonly swatch: HTMLSpanElement;
  private readonly runName: HTMLSpanElement;
  private readonly stepLabel: HTMLSpanElement;
  private readonly info: HTMLDivElement;
  private caption: HTMLDivElement | null = null;
  private readonly waveform: Waveform;
  private readonly player: PlayerControls;
  private readonly analyzeButton: HTMLButtonElement;
  private dialog: AnalyzeDialog | null = null;
  /** Opening the Analyze dialog once the analysis arrays are inflated. */
  private inflating = false;
  /** The Analyze tab last shown, selected again when it reopens. */
  private tab = 0;
  private color = "";
  private readonly gainLabel: HTMLSpanElement;
  private readonly elementGain: ElementGain;
  /** The loudness-matching gain (linear), or null while matching is off. */
  private matchGain: number | null = null;
  /** Set in Compare mode: the waveform seeks the group's transport (seconds) instead of this card's player. */
  seekOverride: ((seconds: number) => void) | null = null;
  /** In Compare mode, the transport's position last shown (null outside Compare mode). */
  private compareTime: number | null = null;

  constructor(
    public entry: ClipEntry,
    private readonly ctx: ViewContext,
  ) {
    const { run, group, step, index, meta } = entry;
    const signal = this.controller.signal;
    const color = ctx.runs.color(run);

    const el = h("div", "aw-card", null, { role: "group" });
    this.element = el;
    this.label(entry);

    const head = h("div", "aw-card-head");
    this.swatch = h("span", "aw-swatch", null, { "aria-hidden": "true" });
    this.runName = h("span", "aw-run-name", run, { title: run });
    this.analyzeButton = h("button", "aw-btn aw-analyze", null, { type: "button" });
    this.analyzeButton.append(icon("analyze"), "Analyze");
    listen(this.analyzeButton, "click", () => this.openAnalyze(), signal);
    const badge = span("aw-badge", "reference");
    this.stepLabel = span("aw-card-step", `step ${step}`);
    head.append(this.swatch, this.runName, badge, this.stepLabel, this.analyzeButton);
    el.append(head);

    const info = h("div", "aw-meta");
    this.info = info;
    this.gainLabel = span("aw-gain", "");
    this.gainLabel.hidden = true;
    this.remote = span("aw-remote", "not embedded");
    this.remote.title = "Beyond the embed budget: fetched from the kernel";
    el.append(info);
    this.describe(meta);

    this.status = h("div", "aw-status", null, { role: "status" });
    this.statusText = span("", "");
    this.retry = h("button", "aw-btn aw-retry", "Retry", { type: "button" });
    listen(this.retry, "click", () => void this.bytes().catch(() => undefined), signal);
    this.status.append(this.statusText, this.retry);

    this.audio = h("audio", "");
    ctx.playback.add(this.audio);
    listen(
      this.audio,
      "play",
      () => {
        ctx.playback.started(this.audio);
        if (this.matchGain !== null) this.elementGain.set(this.matchGain, true);
        ctx.audio.resume();
      },
      signal,
    );
    listen(
      this.audio,
      "error",
      () => {
        // the browser could not decode or play what it was given: say so on the card
        const err = this.audio.error;
        if (this.url && err) this.setStatus("unplayable", `Cannot play this clip (${err.message || err.code})`);
      },
      signal,
    );
    this.elementGain = new ElementGain(this.audio, ctx.audio);
    this.expose();

    this.waveform = new Waveform(peaksOf(entry.model), color, ctx.resize, signal, (fraction) =>
      this.seekTo(fraction * (this.seekOverride ? meta.duration : this.player.duration())),
    );
    this.player = new PlayerControls({
      audio: this.audio,
      duration: meta.duration,
      downloadName: downloadName(run, group, step, index, meta.ext),
      need: (then) => {
        if (this.url) return true;
        this.after = then;
        this.bytes().catch(() => undefined);
        return false;
      },
      signal,
      onTime: (t, duration) => {
        this.waveform.setProgress(duration > 0 ? t / duration : 0);
        this.dialog?.setTime(t, duration);
      },
    });
    el.append(this.status, this.waveform.element, this.player.element, this.audio);
    this.setRunColor(color);
    this.listen();
  }

  /** For tests and debugging: the gain loudness matching applies to this card's audio (null: none yet). */
  private expose(): void {
    Object.assign(this.element, { awPlaybackGain: () => this.elementGain.value() });
  }

  /** The card's data attributes and accessible name for `entry`. */
  private label(entry: ClipEntry): void {
    const { run, group, step, index } = entry;
    const d = this.element.dataset;
    d.run = run;
    d.group = group;
    d.step = String(step);
    d.index = String(index);
    this.element.setAttribute("aria-label", `${run}, step ${step}${index > 0 ? `, clip ${index}` : ""}`);
  }

  /** Caption and the metadata line (duration, encoding, rate, channels) of a clip. */
  private describe(meta: ClipEntry["meta"]): void {
    this.caption?.remove();
    this.caption = meta.caption ? h("div", "aw-caption", meta.caption, { title: meta.caption }) : null;
    if (this.caption) this.info.before(this.caption);
    const parts = [span("aw-duration", formatDuration(meta.duration))];
    if (meta.encoding) parts.push(span("aw-encoding", meta.encoding));
    const rate = formatSampleRate(meta.sample_rate);
    if (rate) parts.push(span("aw-rate", rate));
    const channels = channelLabel(meta.channels);
    if (channels) parts.push(span("aw-channels", channels));
    this.info.replaceChildren(...parts, this.gainLabel, this.remote);
  }

  /** Follow the clip model's `embedded` and `audio`, and use its bytes if they are in the page. */
  private listen(): void {
    const model = this.entry.model;
    const sync = (): void => this.sync();
    this.listeners.on(model, "change:embedded", sync);
    this.listeners.on(model, "change:audio", sync);
    this.listeners.on(model, "change:arrays", () => {
      forgetArrays(model); // a saved report's page brought them after the first clips
      this.waveform.setPeaks(peaksOf(model));
      if (this.dialog) {
        this.dialog.close(); // opened while they were on their way: open again, same tab
        this.openAnalyze();
      }
    });
    this.sync();
    // A saved report still reading its page: this clip's audio is further down.
    if (!this.url && pendingIn(model, "audio")) this.bytes().catch(() => undefined);
    // In a saved report no kernel can send what was not embedded: say so at once.
    else if (!this.url && !this.ctx.fetcher.live(model)) this.fail(new Error(NO_KERNEL));
  }

  /**
   * Whether this card can show another clip exactly as a new card would: nothing
   * plays, loads, has focus or was changed by the user (Analyze, gain graph). Volume and
   * mute follow the run: the group sets them on every card it shows.
   */
  reusable(): boolean {
    const a = this.audio;
    return (
      !this.dialog &&
      !this.inflating &&
      !this.loading &&
      !this.after &&
      this.tab === 0 &&
      a.paused &&
      a.currentTime === 0 &&
      this.elementGain.value() === null &&
      !this.element.contains(document.activeElement)
    );
  }

  /** The listening level the user set (volume, mute): kept for the run's card at the next step. */
  levels(): Levels {
    return { volume: this.audio.volume, muted: this.audio.muted };
  }

  setLevels(levels: Levels): void {
    if (this.audio.volume !== levels.volume) this.audio.volume = levels.volume;
    if (this.audio.muted !== levels.muted) this.audio.muted = levels.muted;
  }

  /** Show another clip in this card (see `reusable`): what a new card for `entry` would show. */
  show(entry: ClipEntry): void {
    if (entry === this.entry) return;
    this.listeners.off();
    this.dropAudio(bytesOf(entry.model) !== null);
    this.player.setAvailable(true); // until the new clip's audio turns out not to be had
    this.entry = entry;
    this.seekOverride = null;
    this.label(entry);
    const { run, group, step, index, meta } = entry;
    this.runName.textContent = run;
    this.runName.title = run;
    this.stepLabel.textContent = `step ${step}`;
    this.describe(meta);
    this.waveform.setPeaks(peaksOf(entry.model));
    this.player.setClip(meta.duration, downloadName(run, group, step, index, meta.ext));
    this.setRunColor(this.ctx.runs.color(run));
    this.listen();
  }

  /**
   * Forget the current clip's audio: no source, no Blob URL, playhead at the start.
   * `replaced`: a new source is set right after, which resets the element by itself.
   */
  private dropAudio(replaced = false): void {
    this.loading = null;
    this.after = null;
    if (!replaced && (this.url || this.audio.hasAttribute("src"))) {
      this.audio.pause();
      this.audio.removeAttribute("src");
      this.audio.load();
    }
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
    this.held = null;
  }

  /**
   * The clip's bytes: in the page already, or fetched (once per clip model,
   * whatever the views) while the card shows that it loads, then why it failed.
   */
  bytes(): Promise<Uint8Array> {
    const { id, model } = this.entry;
    const have = this.held ?? bytesOf(model);
    if (have) {
      this.attach(have);
      return Promise.resolve(have);
    }
    if (!this.loading) {
      const job = this.ctx.fetcher.bytes(id, model);
      this.loading = job;
      this.setStatus("loading", pendingIn(model, "audio") ? PAGE_LOADING : LOADING);
      job.then(
        (bytes) => this.loading === job && this.attach(bytes),
        (err: unknown) => this.loading === job && this.fail(err),
      );
    }
    return this.loading;
  }

  /** Use the clip's bytes when they are in the page: at first, or once `embedded` becomes true. */
  private sync(): void {
    this.remote.hidden = this.entry.model.get("embedded") !== false;
    const have = bytesOf(this.entry.model);
    if (have) this.attach(have);
    else if (!this.url && !this.loading) this.setStatus("remote", null);
  }

  private attach(bytes: Uint8Array): void {
    this.loading = null;
    this.player.setAvailable(true);
    if (!this.url) {
      this.held = bytes;
      // A seek made before is kept: the element starts at its default playback start position.
      this.url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: this.entry.meta.mime }));
      // Chromium fails to play a FLAC file of a single frame (up to 4096 samples) that it
      // preloaded as metadata only ("demuxer seek failed"): short clips load whole.
      this.audio.preload = this.entry.meta.frames <= SHORT_CLIP_FRAMES ? "auto" : "metadata";
      this.audio.src = this.url;
      this.player.setSource(this.url);
    }
    if (!this.audio.error) this.setStatus("ready", null); // "unplayable" stays
    const after = this.after;
    this.after = null;
    after?.();
  }

  private fail(err: unknown): void {
    this.loading = null;
    this.after = null;
    if (err === CLOSED) this.setStatus("remote", null);
    else this.setStatus("failed", err instanceof Error ? err.message : String(err));
    // with no kernel to ask, nothing can bring the audio: the controls are disabled
    if (!this.ctx.fetcher.live(this.entry.model)) this.player.setAvailable(false);
  }

  /**
   * `data-audio`: remote (not fetched yet), loading, failed, ready or unplayable (the browser
   * could not play what it got); the status line says the rest.
   */
  private setStatus(state: string, text: string | null): void {
    const el = this.element;
    el.dataset.audio = state;
    el.ariaBusy = state === "loading" ? "true" : null;
    this.status.hidden = text === null;
    this.statusText.textContent = text;
    this.retry.hidden = state !== "failed" || !this.ctx.fetcher.live(this.entry.model);
  }

  setRunColor(color: string): void {
    this.color = color;
    this.dialog?.setColor(color);
    this.swatch.style.background = color;
    this.runName.style.color = color;
    setRunVar(this.element, color);
    this.waveform.setColor(color);
  }

  /** Mark the card as the reference run's (shown first in every group). */
  setReference(on: boolean): void {
    this.flag("reference", on);
  }

  /** The selected card: the one Space plays and, in Compare mode, the one heard. */
  setSelected(on: boolean): void {
    this.flag("selected", on);
    if (on) this.element.setAttribute("aria-current", "true");
    else this.element.removeAttribute("aria-current");
  }

  /** In Compare mode, whether this card's clip is the one heard; null outside Compare mode. */
  setAudible(audible: boolean | null): void {
    if (audible === null) delete this.element.dataset.audible;
    else this.element.dataset.audible = String(audible);
  }

  /** The loudness-matching gain: undefined while matching is off, null when the clip has no loudness. */
  setMatch(gain: MatchGain | null | undefined): void {
    const label = this.gainLabel;
    label.hidden = gain === undefined;
    label.replaceChildren();
    delete label.dataset.gainDb;
    if (gain === null) {
      label.textContent = "unchanged";
      label.title = "No loudness (shorter than 400 ms, sample rate below 3364 Hz, or silent): plays unchanged";
    } else if (gain) {
      label.dataset.gainDb = String(gain.db);
      label.append(formatDb(gain.db));
      if (gain.limited) label.append(" ", span("aw-limited", "limited"));
      const limit = gain.limited ? ", limited to keep the peak at or below 0 dBFS" : "";
      label.title = `${formatDb(gain.wanted)} to the median ${gain.target.toFixed(1)} LUFS${limit}`;
    }
    this.matchGain = gain === undefined ? null : gain ? dbToGain(gain.db) : 1;
    this.elementGain.set(this.matchGain ?? 1, this.matchGain !== null && !this.audio.paused);
  }

  /** Play or pause this card's player. */
  toggle(): void {
    this.player.toggle();
  }

  /** Pause, and drop a play asked for while the audio loads. */
  pause(): void {
    this.after = null;
    this.audio.pause();
  }

  /** Seek this card's player, or in Compare mode the group's transport (the waveform and the dialog both do). */
  private seekTo(seconds: number): void {
    if (this.seekOverride) this.seekOverride(seconds);
    else this.player.seekTo(seconds);
  }

  /** Show a playhead that is not this card's own (the Compare transport's), or, with null, its own again. */
  showTime(seconds: number | null): void {
    const duration = this.entry.meta.duration;
    this.compareTime = seconds;
    if (seconds === null) this.player.update();
    else {
      // the Analyze dialog follows the transport too
      this.waveform.setProgress(duration > 0 ? seconds / duration : 0);
      this.dialog?.setTime(seconds, duration);
    }
  }

  private flag(name: string, on: boolean): void {
    if (on) this.element.dataset[name] = "true";
    else delete this.element.dataset[name];
  }

  /** Open the Analyze dialog over this card, driven by this card's player. */
  openAnalyze(): void {
    if (this.dialog || this.inflating) return;
    // The analysis arrays travel compressed: the browser inflates them first (once per
    // clip). Meanwhile the card is not reused for another clip (see `reusable`).
    this.inflating = true;
    void arraysReady(this.entry.model).then(() => {
      this.inflating = false;
      if (this.controller.signal.aborted) return;
      const seek = (t: number): void => this.seekTo(t);
      this.dialog = new AnalyzeDialog(this.entry, this.color, this.player, seek, this.ctx, this.tab, (tab) => {
        this.tab = tab;
        this.dialog = null;
        this.analyzeButton.focus();
      });
      this.element.append(this.dialog.element);
      this.dialog.open();
      if (this.compareTime === null) this.player.update();
      else this.showTime(this.compareTime);
    });
  }

  dispose(): void {
    this.dialog?.dispose();
    this.dialog = null;
    this.loading = null;
    this.after = null;
    this.listeners.off();
    this.controller.abort();
    this.player.dispose();
    this.waveform.dispose();
    this.audio.pause();
    this.elementGain.dispose();
    this.ctx.playback.delete(this.audio);
    this.dropAudio();
    this.element.remove();
  }
}
