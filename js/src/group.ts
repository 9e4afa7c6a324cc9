/**
 * One group's section: its key, a step slider over the group's logged steps
 * and a grid of cards (every run and clip index at the current step).
 *
 * The slider follows the newest step until the user moves it; moving it pins
 * the step in `_pinned_steps` (shared by every view of the panel), moving it
 * back to the newest step unpins the group.
 */
import { Card } from "./card";
import { h } from "./dom";
import { type ClipEntry, type ClipIndex, readPinned, writePinned } from "./models";
import type { ViewContext } from "./view";

/** Slider writes to the kernel are debounced while dragging, flushed on release. */
const WRITE_DELAY_MS = 150;

/** The step to show: `pinned` if logged, else the newest logged step not after it. */
function chooseStep(steps: number[], pinned: number | undefined): number {
  const newest = steps[steps.length - 1] as number;
  if (pinned === undefined) return newest;
  if (steps.includes(pinned)) return pinned;
  const before = steps.filter((s) => s <= pinned);
  return before.length ? (before[before.length - 1] as number) : (steps[0] as number);
}

export class GroupSection {
  readonly element: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly value: HTMLOutputElement;
  private readonly grid: HTMLDivElement;
  private readonly cards = new Map<string, Card>();
  private readonly controller = new AbortController();
  private steps: number[] = [];
  private step: number | null = null;
  /** A step the user moved to that is not written to the model yet. */
  private pending: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly group: string,
    private readonly index: ClipIndex,
    private readonly ctx: ViewContext,
  ) {
    const section = h("section", "aw-group", null, { "data-group": group, "aria-label": group });
    const header = h("div", "aw-group-head");
    const title = h("h3", "aw-group-title", group, { title: group });
    const stepper = h("label", "aw-stepper");
    const label = h("span", "aw-stepper-label", "Step", { "aria-hidden": "true" });
    this.slider = h("input", "aw-step-slider", null, { type: "range", "aria-label": "Step", min: "0", step: "1" });
    this.value = h("output", "aw-step-value");
    stepper.append(label, this.slider, this.value);
    header.append(title, stepper);

    this.grid = h("div", "aw-grid");
    section.append(header, this.grid);
    this.element = section;

    const signal = this.controller.signal;
    this.slider.addEventListener("input", () => this.onSlide(), { signal });
    this.slider.addEventListener("change", () => this.flush(), { signal });
    this.sync();
  }

  /** Re-read steps, clips and the pinned step; reuse cards that did not change. */
  sync(): void {
    this.steps = this.index.steps(this.group);
    if (this.steps.length === 0) return;
    const wanted = this.pending !== null && this.steps.includes(this.pending) ? this.pending : undefined;
    const step = wanted ?? chooseStep(this.steps, readPinned(this.ctx.model)[this.group]);
    this.step = step;
    const position = this.steps.indexOf(step);
    this.slider.max = String(this.steps.length - 1);
    this.slider.value = String(position);
    this.slider.disabled = this.steps.length < 2;
    this.slider.setAttribute("aria-valuetext", `step ${step}`);
    this.value.textContent = String(step);
    this.renderCards();
  }

  /** Run colors or order changed. */
  refreshRuns(): void {
    for (const card of this.cards.values()) card.setRunColor(this.ctx.runs.color(card.entry.run));
    this.renderCards();
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.controller.abort();
    for (const card of this.cards.values()) card.dispose();
    this.cards.clear();
    this.element.remove();
  }

  private sorted(entries: ClipEntry[]): ClipEntry[] {
    const runs = this.ctx.runs;
    return [...entries].sort(
      (a, b) =>
        runs.order(a.run) - runs.order(b.run) ||
        (a.run < b.run ? -1 : a.run > b.run ? 1 : 0) ||
        a.index - b.index,
    );
  }

  private renderCards(): void {
    const entries = this.step === null ? [] : this.sorted(this.index.clipsAt(this.group, this.step));
    const keep = new Set(entries.map((e) => e.id));
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        card.dispose();
        this.cards.delete(id);
      }
    }
    entries.forEach((entry, i) => {
      let card = this.cards.get(entry.id);
      if (!card) {
        card = new Card(entry, this.ctx);
        this.cards.set(entry.id, card);
      }
      // Move only what is out of place, so playing cards stay where they are.
      if (this.grid.children[i] !== card.element) this.grid.insertBefore(card.element, this.grid.children[i] ?? null);
    });
  }

  private onSlide(): void {
    const step = this.steps[Number(this.slider.value)];
    if (step === undefined) return;
    this.pending = step;
    this.sync();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), WRITE_DELAY_MS);
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const step = this.pending;
    if (step === null) return;
    this.pending = null;
    const newest = this.steps[this.steps.length - 1];
    writePinned(this.ctx.model, this.group, step === newest ? null : step);
    this.sync();
  }
}
