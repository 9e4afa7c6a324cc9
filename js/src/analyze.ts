/**
 * The Analyze view of one card: a modal dialog with four tabs (Spectrum,
 * Waveform, Spectrogram, Statistics) drawn from what numpy computed, and an
 * "All runs" switch that overlays every run's clip at the card's step
 * (see overlays.ts). The switch is this dialog's own state, off at first.
 *
 * The card's own player is the clock (in Compare mode, the group's transport):
 * the card calls `setTime` from its playhead loop and after every seek. The
 * header's play/pause button mirrors the card's player; its seek slider and
 * time follow `setTime`, and they and click-to-seek seek through the card. The
 * dialog runs no animation frames of its own; `dispose` removes every
 * listener, observer and timer it added.
 */
import "./overlays.css";
import { analysisOf } from "./analysis";
import { h, listen, setRunVar } from "./dom";
import { arraysReady, type ClipEntry, forgetArrays, ListenerSet, pendingIn } from "./models";
import { RunOverlay, runClips, runsKey } from "./overlays";
import { showSeek } from "./format";
import { button, type PlayerControls, range } from "./player";
import { SpectrogramView } from "./spectrogram";
import { SpectrumView } from "./spectrum";
import { statsTable } from "./stats";
import type { ViewContext } from "./view";
import { Waveform } from "./waveform";

const TABS = ["Spectrum", "Waveform", "Spectrogram", "Statistics"];

let dialogs = 0;

const unavailable = (what: string, pending: boolean): HTMLParagraphElement =>
  h(
    "p",
    "aw-unavailable",
    pending
      ? `The ${what} is loading with the page\u2026`
      : `No ${what} for this clip: its analysis data is missing or unreadable.`,
  );

export class AnalyzeDialog {
  readonly element: HTMLDialogElement;
  private readonly controller = new AbortController();
  private readonly tabs: HTMLButtonElement[] = [];
  private readonly panels: HTMLDivElement[] = [];
  private readonly spectrum: SpectrumView | null = null;
  private readonly spectrogram: SpectrogramView | null = null;
  private readonly waveform: Waveform | null = null;
  private readonly allRuns: HTMLButtonElement;
  /** The header's seek slider and time: keyboard seeking inside the modal dialog. */
  private readonly seek: HTMLInputElement;
  private readonly time = h("span", "aw-time");
  private overlay: RunOverlay | null = null;
  /** While "All runs" is on: stops following the view's clips and runs. */
  private unfollow: (() => void) | null = null;
  /** While "All runs" is on: the other runs' clips, for analysis arrays that arrive later. */
  private readonly runListeners = new ListenerSet();
  /** Counts overlay builds: one waiting for arrays to inflate is dropped if another came since. */
  private runsToken = 0;
  /** The runs of the overlay waiting for its arrays to inflate. */
  private building: string | null = null;
  private seconds = 0;
  private selected = 0;
  private disposed = false;

  constructor(
    private readonly entry: ClipEntry,
    color: string,
    player: PlayerControls,
    /** Seek to a time of the clip: the card's player, or in Compare mode the group's transport. */
    private readonly seekTo: (seconds: number) => void,
    private readonly ctx: ViewContext,
    tab: number,
    private readonly onClose: (tab: number) => void,
  ) {
    const { run, group, step, index, meta } = entry;
    const resize = ctx.resize;
    const signal = this.controller.signal;
    const id = `aw-analyze-${++dialogs}`;

    // data-lm-suppress-shortcuts: keys pressed here are the dialog's, not JupyterLab's notebook shortcuts.
    const dialog = h("dialog", "aw-dialog", null, {
      "aria-modal": "true",
      "aria-labelledby": `${id}-title`,
      "data-lm-suppress-shortcuts": "true",
    });
    this.element = dialog;
    const title = h("h2", "aw-dialog-title", null, { id: `${id}-title` });
    title.append(h("span", "aw-dialog-run", run), ` · ${group} · step ${step} · clip ${index}`);
    const close = button("aw-close", "Close", "close");
    const head = h("div", "aw-dialog-head");
    head.append(title, close);
    // The tabs, then the card player's play/pause, seek and time (they wrap below on narrow screens).
    const bar = h("div", "aw-dialog-bar");
    const tablist = h("div", "aw-tabs", null, { role: "tablist", "aria-label": "Analysis" });
    this.allRuns = h("button", "aw-switch", "All runs", { type: "button", role: "switch", "aria-checked": "false" });
    this.seek = range("aw-seek", "Seek", meta.duration, "0.01");
    bar.append(tablist, this.allRuns, player.mirror(signal), this.seek, this.time);
    const body = h("div", "aw-dialog-body");
    TABS.forEach((name, i) => {
      const tabId = `${id}-tab-${i}`;
      const panelId = `${id}-panel-${i}`;
      const t = h("button", "aw-tab", name, { type: "button", role: "tab", id: tabId, "aria-controls": panelId });
      const p = h("div", "aw-tabpanel", null, { role: "tabpanel", id: panelId, "aria-labelledby": tabId });
      listen(t, "click", () => this.select(i), signal);
      this.tabs.push(t);
      this.panels.push(p);
      tablist.append(t);
      body.append(p);
    });
    dialog.append(head, bar, body);

    const [spectrumPanel, wavePanel, spectrogramPanel, statsPanel] = this.panels;
    const data = analysisOf(entry);
    // What the tabs draw, as decoded here (tests compare it with numpy's arrays).
    Object.assign(dialog, { awAnalysis: () => data });
    const pending = pendingIn(entry.model, "arrays"); // a saved report still reading its page
    const nyquist = meta.sample_rate / 2;
    const seek = (fraction: number): void => this.seekTo(fraction * player.duration());
    if (data.spectrum) {
      this.spectrum = new SpectrumView(data.spectrum, nyquist, color, resize);
      this.spectrogram = new SpectrogramView(data.spectrum, meta.duration, nyquist, resize, signal, seek);
      spectrumPanel.append(this.spectrum.element);
      spectrogramPanel.append(this.spectrogram.element);
    } else {
      spectrumPanel.append(unavailable("spectrum", pending));
      spectrogramPanel.append(unavailable("spectrogram", pending));
    }
    if (data.waveform) {
      this.waveform = new Waveform(data.waveform, color, resize, signal, seek);
      const lanes = this.waveform.element;
      lanes.classList.add("aw-wave-large");
      lanes.style.setProperty("--aw-lanes", String(Math.min(4, data.waveform.shape[0] ?? 1)));
      wavePanel.append(lanes);
    } else {
      wavePanel.append(unavailable("waveform", pending));
    }
    statsPanel.append(statsTable(meta));
    this.setColor(color);

    listen(close, "click", () => this.close(), signal);
    listen(this.seek, "input", () => this.seekTo(Number(this.seek.value)), signal);
    listen(this.allRuns, "click", () => this.showRuns(!this.overlay), signal);
    listen(
      tablist,
      "keydown",
      (event) => {
        const n = TABS.length;
        const next = { ArrowRight: this.selected + 1, ArrowLeft: this.selected + n - 1, Home: 0, End: n - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        this.select(next % n);
        this.tabs[this.selected]?.focus();
      },
      signal,
    );
    listen(
      dialog,
      "keydown",
      (event) => {
        if (event.key !== "Escape") return;
        event.preventDefault();
        event.stopPropagation();
        this.close();
      },
      signal,
    );
    // Closed another way (the browser's own close request): release the same way.
    listen(dialog, "close", () => this.close(), signal);
    // A click on the backdrop lands on the dialog box itself, outside its content.
    listen(
      dialog,
      "click",
      (event) => {
        if (event.target === dialog) this.close();
      },
      signal,
    );
    this.select(Math.min(Math.max(0, tab), TABS.length - 1));
  }

  /** Show the dialog (it must be in the document) with focus on the selected tab. */
  open(): void {
    if (!this.element.open) this.element.showModal();
    this.tabs[this.selected]?.focus();
  }

  /** Release everything, then tell the card (which returns focus to its Analyze button). */
  close(): void {
    if (this.disposed) return;
    this.dispose();
    this.onClose(this.selected);
  }

  /** The card's playhead: every animation frame while playing and after every seek. */
  setTime(seconds: number, duration: number): void {
    if (this.disposed) return;
    const fraction = duration > 0 ? seconds / duration : 0;
    this.seconds = seconds;
    this.time.textContent = showSeek(this.seek, seconds, duration);
    this.overlay?.setTime(seconds);
    this.spectrum?.setTime(seconds);
    this.spectrogram?.setProgress(fraction);
    this.waveform?.setProgress(fraction);
  }

  setColor(color: string): void {
    setRunVar(this.element, color);
    this.spectrum?.setColor(color);
    this.waveform?.setColor(color);
    if (this.overlay) this.updateRuns();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.showRuns(false);
    this.controller.abort();
    this.spectrum?.dispose();
    this.spectrogram?.dispose();
    this.waveform?.dispose();
    if (this.element.open) this.element.close();
    this.element.remove();
  }

  /** Turn the "All runs" overlay on or off. */
  private showRuns(on: boolean): void {
    this.allRuns.setAttribute("aria-checked", String(on));
    this.unfollow?.();
    this.unfollow = null;
    this.runListeners.off();
    this.overlay?.dispose();
    this.overlay = null;
    if (!on) return;
    this.unfollow = this.ctx.changed.on(() => this.updateRuns());
    this.updateRuns(true); // also when a build was still waiting as it went off
  }

  /**
   * (Re)build the overlay when a run's clip at this step, or its color, changed
   * (`force`: when a run's analysis arrays arrived, in a report still loading).
   */
  private updateRuns(force = false): void {
    const runs = runClips(this.ctx, this.entry);
    const key = runsKey(runs);
    if (!force && key === (this.building ?? this.overlay?.key)) return;
    this.runListeners.off();
    for (const { entry } of runs) {
      if (entry.model === this.entry.model) continue; // the card opens this dialog again
      this.runListeners.on(entry.model, "change:arrays", () => {
        forgetArrays(entry.model);
        this.updateRuns(true);
      });
    }
    // The runs' arrays travel compressed: inflate them first, then build, unless the runs
    // changed or the overlay went off meanwhile.
    const token = ++this.runsToken;
    this.building = key;
    void Promise.all(runs.map(({ entry }) => arraysReady(entry.model))).then(() => {
      if (token !== this.runsToken || !this.unfollow || this.disposed) return;
      this.building = null;
      this.overlay?.dispose();
      const seek = (seconds: number): void => this.seekTo(seconds);
      this.overlay = new RunOverlay(key, runs, this.panels, this.spectrum, this.ctx.resize, seek);
      this.overlay.setTime(this.seconds);
    });
  }

  private select(i: number): void {
    this.selected = i;
    this.tabs.forEach((t, k) => {
      t.setAttribute("aria-selected", String(k === i));
      t.tabIndex = k === i ? 0 : -1;
      (this.panels[k] as HTMLDivElement).hidden = k !== i;
    });
  }
}
