/** One clip's card: run name in the run color, caption, step, duration, encoding, waveform, player. */
import { asDataView } from "./codecs";
import { downloadName, formatDuration, formatSampleRate } from "./format";
import { type ClipEntry, peaksOf } from "./models";
import { PlayerControls } from "./player";
import type { ViewContext } from "./view";
import { Waveform } from "./waveform";

function span(className: string, text: string): HTMLSpanElement {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = text;
  return s;
}

function channelLabel(channels: number): string {
  if (channels === 1) return "mono";
  if (channels === 2) return "stereo";
  return channels > 0 ? `${channels} ch` : "";
}

export class Card {
  readonly element: HTMLDivElement;
  private readonly audio: HTMLAudioElement;
  private readonly url: string;
  private readonly controller = new AbortController();
  private readonly swatch: HTMLSpanElement;
  private readonly runName: HTMLSpanElement;
  private readonly waveform: Waveform;
  private readonly player: PlayerControls;

  constructor(
    readonly entry: ClipEntry,
    private readonly ctx: ViewContext,
  ) {
    const { run, group, step, index, meta } = entry;
    const signal = this.controller.signal;
    const color = ctx.runs.color(run);

    const el = document.createElement("div");
    el.className = "aw-card";
    el.dataset.run = run;
    el.dataset.group = group;
    el.dataset.step = String(step);
    el.dataset.index = String(index);
    el.setAttribute("role", "group");
    el.setAttribute("aria-label", `${run}, step ${step}${index > 0 ? `, clip ${index}` : ""}`);
    this.element = el;

    const head = document.createElement("div");
    head.className = "aw-card-head";
    this.swatch = span("aw-swatch", "");
    this.swatch.setAttribute("aria-hidden", "true");
    this.runName = span("aw-run-name", run);
    this.runName.title = run;
    head.append(this.swatch, this.runName, span("aw-card-step", `step ${step}`));
    el.append(head);

    if (meta.caption) {
      const caption = document.createElement("div");
      caption.className = "aw-caption";
      caption.textContent = meta.caption;
      caption.title = meta.caption;
      el.append(caption);
    }

    const info = document.createElement("div");
    info.className = "aw-meta";
    info.append(span("aw-duration", formatDuration(meta.duration)));
    if (meta.encoding) info.append(span("aw-encoding", meta.encoding));
    const rate = formatSampleRate(meta.sample_rate);
    if (rate) info.append(span("aw-rate", rate));
    const channels = channelLabel(meta.channels);
    if (channels) info.append(span("aw-channels", channels));
    el.append(info);

    const bytes = asDataView(entry.model.get("audio")) ?? new DataView(new ArrayBuffer(0));
    this.url = URL.createObjectURL(new Blob([bytes as DataView<ArrayBuffer>], { type: meta.mime }));
    this.audio = document.createElement("audio");
    this.audio.preload = "metadata";
    this.audio.src = this.url;
    ctx.playback.add(this.audio);
    this.audio.addEventListener("play", () => ctx.playback.started(this.audio), { signal });

    this.waveform = new Waveform(peaksOf(entry.model), color, ctx.resize, signal, (fraction) =>
      this.player.seekTo(fraction * this.player.duration()),
    );
    this.player = new PlayerControls({
      audio: this.audio,
      duration: meta.duration,
      downloadUrl: this.url,
      downloadName: downloadName(run, group, step, index, meta.ext),
      signal,
      onTime: (t, duration) => this.waveform.setProgress(duration > 0 ? t / duration : 0),
    });
    el.append(this.waveform.element, this.player.element, this.audio);
    this.setRunColor(color);
  }

  setRunColor(color: string): void {
    this.swatch.style.background = color;
    this.runName.style.color = color;
    this.element.style.setProperty("--aw-run", color || "var(--aw-fg-muted)");
    this.waveform.setColor(color);
  }

  dispose(): void {
    this.controller.abort();
    this.player.dispose();
    this.waveform.dispose();
    this.audio.pause();
    this.ctx.playback.delete(this.audio);
    this.audio.removeAttribute("src");
    this.audio.load();
    URL.revokeObjectURL(this.url);
    this.element.remove();
  }
}
