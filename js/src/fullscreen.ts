/**
 * A group's Fullscreen button: the browser's Fullscreen API on the group's
 * section, or, where that is refused or missing (an iframe without
 * `allowfullscreen`, an old browser), an in-page overlay covering the viewport.
 */
import { listen } from "./dom";
import { button, relabel } from "./player";

/** The class of the in-page fallback: a fixed, full-viewport overlay. */
const OVERLAY = "aw-overlay";

export class Fullscreen {
  readonly button: HTMLButtonElement;

  constructor(
    private readonly target: HTMLElement,
    signal: AbortSignal,
  ) {
    this.button = button("aw-fullscreen", "Fullscreen", "fullscreen");
    listen(this.button, "click", () => this.toggle(), signal);
    listen(document, "fullscreenchange", () => this.sync(), signal);
  }

  /** Whether the section fills the screen (natively or by the overlay). */
  active(): boolean {
    return this.native() || this.target.classList.contains(OVERLAY);
  }

  toggle(): void {
    if (this.active()) this.exit();
    else this.enter();
  }

  enter(): void {
    const overlay = (): void => {
      this.target.classList.add(OVERLAY);
      this.sync();
    };
    try {
      // Throws where the API is missing; rejects where fullscreen is not allowed.
      this.target.requestFullscreen().then(() => this.sync(), overlay);
    } catch {
      overlay();
    }
    this.target.focus({ preventScroll: true });
  }

  exit(): void {
    this.leave();
    this.sync();
  }

  /** Leave fullscreen without telling anyone (the view is going away). */
  dispose(): void {
    this.leave();
    this.target.classList.remove("aw-full");
  }

  private leave(): void {
    if (this.native()) document.exitFullscreen().catch(() => undefined);
    this.target.classList.remove(OVERLAY);
  }

  private native(): boolean {
    return document.fullscreenElement === this.target;
  }

  private sync(): void {
    const on = this.active();
    relabel(this.button, on ? "Exit fullscreen" : "Fullscreen", on ? "shrink" : "fullscreen");
    this.target.classList.toggle("aw-full", on);
  }
}
