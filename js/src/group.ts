/**
 * One group's section: its key; a step slider with its link toggle; the
 * Compare, Match loudness, Fullscreen and keyboard-shortcut buttons; the
 * Compare transport while Compare mode is on; and a grid of cards: the
 * reference run's clip first, then every run and clip index at the current step.
 *
 * What the section shows comes from the panel's traits only (see steps.ts), so
 * every view of a panel agrees: moving a linked slider writes `_linked_step`
 * (null when moved to the newest step, so that it follows new steps), moving
 * an unlinked one writes `_pinned_steps[group]`.
 */
import { Card, type Levels } from "./card";
import { CompareTransport } from "./compare";
import { h, listen, placeAt } from "./dom";
import { Fullscreen } from "./fullscreen";
import { setIcon } from "./icons";
import { shortcuts } from "./keys";
import { dbToGain, type MatchGain, matchGains } from "./loudness";
import { type ClipEntry, type ClipIndex, withPin } from "./models";
import { nearestStep, referenceStep, type Snapshot, wantedStep } from "./steps";
import type { ViewContext } from "./view";

let sections = 0;

function toggleButton(className: string, text: string): HTMLButtonElement {
  return h("button", `aw-btn aw-toggle ${className}`, text, { type: "button", "aria-pressed": "false" });
}

/** Set `aria-pressed`; true if it changed. */
function press(button: HTMLButtonElement, on: boolean): boolean {
  if (button.getAttribute("aria-pressed") === String(on)) return false;
  button.setAttribute("aria-pressed", String(on));
  return true;
}

const DEFAULT_LEVELS: Levels = { volume: 1, muted: false };

export class GroupSection {
  readonly element: HTMLElement;
  private readonly head: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly value: HTMLOutputElement;
  private readonly note: HTMLSpanElement;
  private readonly lock: HTMLButtonElement;
  private readonly compareButton: HTMLButtonElement;
  private readonly matchButton: HTMLButtonElement;
  private readonly fullscreen: Fullscreen;
  private readonly grid: HTMLDivElement;
  private readonly cards = new Map<string, Card>();
  /** Cards in grid order. */
  private order: Card[] = [];
  /** Each run's volume and mute, carried to its card at the next step. */
  private readonly levels = new Map<string, Levels>();
  private selected: Card | null = null;
  private compare: CompareTransport | null = null;
  private readonly controller = new AbortController();
  private state: Snapshot | null = null;
  private steps: number[] = [];
  private step = 0;

  constructor(
    readonly group: string,
    private readonly index: ClipIndex,
    private readonly ctx: ViewContext,
  ) {
    const signal = this.controller.signal;
    // Focusable, so that its keyboard shortcuts work once it is clicked or tabbed to;
    // data-lm-suppress-shortcuts: keys pressed here are the group's, not JupyterLab's notebook shortcuts.
    const section = h("section", "aw-group", null, {
      "data-group": group,
      "aria-label": group,
      tabindex: "0",
      "data-lm-suppress-shortcuts": "true",
    });
    this.element = section;
    this.head = h("div", "aw-group-head");
    const title = h("h3", "aw-group-title", group, { title: group });

    const stepper = h("div", "aw-stepper");
    this.lock = h("button", "aw-btn aw-link", null, { type: "button", "aria-label": "Link steps" });
    this.slider = h("input", "aw-step-slider", null, { type: "range", "aria-label": "Step", min: "0", step: "1" });
    this.value = h("output", "aw-step-value");
    this.note = h("span", "aw-step-note");
    const label = h("span", "aw-stepper-label", "Step", { "aria-hidden": "true" });
    stepper.append(this.lock, label, this.slider, this.value, this.note);

    const tools = h("div", "aw-tools");
    this.compareButton = toggleButton("aw-compare-toggle", "Compare");
    this.compareButton.title = "Play all runs together, hear the selected one";
    this.matchButton = toggleButton("aw-match-toggle", "Match loudness");
    this.matchButton.title = "Play every clip at the median loudness (playback only)";
    this.fullscreen = new Fullscreen(section, signal);
    this.head.append(title, stepper, tools);

    this.grid = h("div", "aw-grid");
    section.append(this.head, this.grid);

    const writer = ctx.writer;
    listen(
      this.slider,
      "input",
      () => {
        const step = this.steps[Number(this.slider.value)];
        if (step !== undefined) this.moveTo(step, true);
      },
      signal,
    );
    listen(this.slider, "change", () => writer.flush(), signal);
    listen(this.lock, "click", () => this.toggleLink(), signal);
    listen(this.compareButton, "click", () => writer.write("compare", !this.state?.compare), signal);
    listen(this.matchButton, "click", () => writer.write("match_loudness", !this.state?.matchLoudness), signal);
    // A click on a card selects its run (not inside its Analyze dialog).
    listen(
      this.grid,
      "click",
      (event) => {
        const target = event.target as Element;
        const card = target.closest<HTMLElement>(".aw-card");
        if (card && !target.closest("dialog")) writer.write("selected_run", card.dataset.run ?? "");
      },
      signal,
    );
    const keys = shortcuts(
      section,
      `aw-keys-${++sections}`,
      {
        step: (delta) => {
          const step = this.steps[this.steps.indexOf(this.step) + delta];
          if (step !== undefined) this.moveTo(step, false);
        },
        toggle: (from) =>
          this.compare
            ? this.compare.toggle()
            : (this.order.find((c) => from instanceof Node && c.element.contains(from)) ?? this.selected)?.toggle(),
        select: (n) => {
          const runs = [...new Set(this.order.map((c) => c.entry.run))];
          runs.sort((a, b) => ctx.runs.order(a) - ctx.runs.order(b));
          const run = runs[n - 1];
          if (run !== undefined) writer.write("selected_run", run);
        },
        escape: () => {
          if (!this.fullscreen.active()) return false;
          this.fullscreen.exit();
          return true;
        },
      },
      signal,
    );
    tools.append(this.compareButton, this.matchButton, this.fullscreen.button, ...keys);
  }

  /** Show what the traits and the index say now; cards that did not change are kept. */
  sync(state: Snapshot): void {
    this.state = state;
    const steps = this.index.steps(this.group);
    this.steps = steps;
    if (steps.length === 0) return;
    const linked = !state.unlinked.includes(this.group);
    const wanted = wantedStep(this.group, steps, state);
    const step = nearestStep(steps, wanted);
    this.step = step;
    this.slider.max = String(steps.length - 1);
    this.slider.value = String(steps.indexOf(step));
    this.slider.disabled = steps.length < 2;
    const near = wanted === step ? "" : `nearest to step ${wanted}`;
    this.slider.setAttribute("aria-valuetext", `step ${step}${near && ` (${near})`}`);
    this.value.textContent = String(step);
    this.note.textContent = near;
    this.note.hidden = !near;
    if (press(this.lock, linked)) {
      setIcon(this.lock, linked ? "linked" : "unlinked");
      this.lock.title = linked ? "Linked to the other groups' steps" : "Moves on its own";
    }
    press(this.compareButton, state.compare);
    press(this.matchButton, state.matchLoudness);
    this.renderCards(state);
  }

  /** Run colors or order changed. */
  refreshRuns(): void {
    for (const card of this.cards.values()) card.setRunColor(this.ctx.runs.color(card.entry.run));
    if (this.state) this.renderCards(this.state);
  }

  dispose(): void {
    this.fullscreen.dispose();
    this.compare?.dispose();
    this.compare = null;
    this.controller.abort();
    for (const card of this.cards.values()) card.dispose();
    this.cards.clear();
    this.order = [];
    this.element.remove();
  }

  /** Move this group's slider to `step`: the linked step of every linked group, or this group's pin. */
  private moveTo(step: number, debounce: boolean): void {
    const state = this.state;
    if (!state) return;
    if (state.unlinked.includes(this.group)) {
      const newest = this.steps[this.steps.length - 1];
      this.ctx.writer.write("_pinned_steps", withPin(state.pinned, this.group, step === newest ? null : step), debounce);
    } else {
      this.ctx.writer.write("_linked_step", step === state.newestLinked ? null : step, debounce);
    }
  }

  /** Unlinking keeps the step shown (pinned unless it is the newest); linking drops the pin. */
  private toggleLink(): void {
    const state = this.state;
    if (!state) return;
    const { group, ctx } = this;
    const unlink = !state.unlinked.includes(group);
    const pin = unlink && this.step !== this.steps[this.steps.length - 1] ? this.step : null;
    ctx.writer.write("_pinned_steps", withPin(state.pinned, group, pin), true);
    ctx.writer.write("_unlinked", unlink ? [...state.unlinked, group] : state.unlinked.filter((g) => g !== group));
  }

  private sorted(entries: ClipEntry[]): ClipEntry[] {
    const runs = this.ctx.runs;
    return [...entries].sort((a, b) => runs.compare(a.run, b.run) || a.index - b.index);
  }

  private renderCards(state: Snapshot): void {
    const { group, index } = this;
    const atStep = index.clipsAt(group, this.step);
    const ref = state.reference;
    const refStep = ref ? referenceStep(index, group, ref, this.step) : null;
    const refs = refStep === null ? [] : this.sorted(index.clipsAt(group, refStep).filter((e) => e.run === ref));
    const entries = [...refs, ...this.sorted(atStep.filter((e) => !refs.length || e.run !== ref))];

    const keep = new Set(entries.map((e) => e.id));
    // Focus inside a card that leaves: it goes to the same control of the run's next card.
    const active = document.activeElement;
    let focused: { run: string; label: string | null } | null = null;
    // Cards whose clip leaves: reused for a clip that comes (the same run's first) when
    // nothing about them differs from a new card, else disposed.
    const spare: Card[] = [];
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        this.cards.delete(id);
        this.levels.set(card.entry.run, card.levels());
        if (active instanceof HTMLElement && card.element.contains(active)) {
          focused = { run: card.entry.run, label: active.getAttribute("aria-label") ?? active.textContent };
        }
        if (card.reusable()) spare.push(card);
        else card.dispose();
      }
    }
    const reuse = (entry: ClipEntry): Card | null => {
      let i = spare.findIndex((c) => c.entry.run === entry.run && c.entry.index === entry.index);
      if (i < 0) i = spare.findIndex((c) => c.entry.run === entry.run);
      if (i < 0) i = spare.length - 1;
      if (i < 0) return null;
      const [card] = spare.splice(i, 1) as [Card];
      card.show(entry);
      return card;
    };
    this.order = entries.map((entry, i) => {
      let card = this.cards.get(entry.id);
      if (!card) {
        card = reuse(entry) ?? new Card(entry, this.ctx);
        card.setLevels(this.levels.get(entry.run) ?? DEFAULT_LEVELS);
        this.cards.set(entry.id, card);
      }
      // Move only what is out of place, so playing cards stay where they are.
      placeAt(this.grid, card.element, i);
      card.setReference(i < refs.length);
      return card;
    });
    for (const card of spare) card.dispose();
    if (focused && !this.element.contains(document.activeElement)) this.refocus(focused.run, focused.label);
    this.selected = this.order.find((c) => c.entry.run === state.selectedRun) ?? this.order[0] ?? null;
    for (const card of this.order) card.setSelected(card === this.selected);

    const gains = state.matchLoudness ? matchGains(atStep, entries) : null;
    for (const card of this.order) card.setMatch(gains ? (gains.get(card.entry.id) ?? null) : undefined);
    this.syncCompare(state.compare, gains);
  }

  /** Focus the control labelled `label` on `run`'s new card (else its first control, else the step slider). */
  private refocus(run: string, label: string | null): void {
    const card = this.order.find((c) => c.entry.run === run);
    const controls = card ? [...card.element.querySelectorAll<HTMLElement>("button, input")].filter((el) => !el.hidden) : [];
    const target = controls.find((el) => (el.getAttribute("aria-label") ?? el.textContent) === label) ?? controls[0] ?? this.slider;
    target.focus();
  }

  /** Show, update or remove the Compare transport. */
  private syncCompare(on: boolean, gains: Map<string, MatchGain | null> | null): void {
    this.element.classList.toggle("aw-comparing", on);
    if (!on) {
      if (!this.compare) return;
      this.compare.dispose();
      this.compare = null;
      for (const card of this.order) {
        card.setAudible(null);
        card.seekOverride = null;
        card.showTime(null);
      }
      return;
    }
    if (!this.compare) {
      for (const card of this.order) card.pause();
      this.compare = new CompareTransport(this.ctx.audio, this.ctx.playback, (t) => {
        for (const card of this.order) card.showTime(t);
      });
      this.head.after(this.compare.element);
    }
    const compare = this.compare;
    const linear = (card: Card): number => {
      const gain = gains?.get(card.entry.id);
      return gain ? dbToGain(gain.db) : 1;
    };
    for (const card of this.order) {
      card.setAudible(card === this.selected);
      card.seekOverride = (t) => compare.seekTo(t);
    }
    compare.setVoices(
      this.order.map((card) => ({
        entry: card.entry,
        gain: card === this.selected ? linear(card) : 0,
        bytes: () => card.bytes(),
      })),
    );
  }
}
