/**
 * Keyboard shortcuts of a group (while it is fullscreen or has focus) and the
 * `?` button's popover that lists them (a native popover: Escape and a click
 * outside close it).
 */
import { h, listen } from "./dom";

export interface KeyActions {
  /** Previous (-1) or next (+1) step. */
  step(delta: number): void;
  /**
   * Play or pause the card that holds `from` (a focused seek or volume slider),
   * else the selected card; in Compare mode, the group's transport.
   */
  toggle(from: EventTarget | null): void;
  /** Select the n-th run (1-based) of the group. */
  select(n: number): void;
  /** Leave fullscreen; false if it was not fullscreen. */
  escape(): boolean;
}

const SHORTCUTS = [
  ["\u2190 \u2192", "Previous / next step"],
  ["Space", "Play / pause the selected run"],
  ["1\u20139", "Select run 1\u20139"],
  ["Esc", "Leave fullscreen"],
  ["?", "These shortcuts"],
];

/** Whether a key pressed on `target` belongs to that element rather than to the group. */
function ownsKey(target: Element, key: string): boolean {
  if (target.closest("dialog, textarea, select, [contenteditable]")) return true; // the Analyze dialog has its own keys
  if (target instanceof HTMLInputElement) {
    // Range inputs keep their arrows (the step slider steps, the seek slider seeks); other inputs every key.
    return target.type !== "range" || /^(Arrow|Page|Home|End)/.test(key);
  }
  // Buttons and links are activated by Space and Enter.
  return (key === " " || key === "Enter") && target.closest("button, a") !== null;
}

/** The `?` button and its popover; the keys of `section` go to `actions`, removed with `signal`. */
export function shortcuts(section: HTMLElement, id: string, actions: KeyActions, signal: AbortSignal): HTMLElement[] {
  const label = "Keyboard shortcuts";
  const button = h("button", "aw-btn aw-help-button", "?", {
    type: "button",
    "aria-label": label,
    title: label,
    popovertarget: id,
  });
  const popover = h("div", "aw-help", null, { id, popover: "", role: "dialog", "aria-label": label });
  const list = h("dl", "aw-keys");
  for (const [key, what] of SHORTCUTS) list.append(h("dt", "", key), h("dd", "", what));
  popover.append(list);
  listen(
    section,
    "keydown",
    (event) => {
      const { key } = event;
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof Element && ownsKey(event.target, key)) return;
      if (key === "ArrowLeft" || key === "ArrowRight") actions.step(key === "ArrowLeft" ? -1 : 1);
      else if (key === " ") actions.toggle(event.target);
      else if (/^[1-9]$/.test(key)) actions.select(Number(key));
      else if (key === "?") popover.togglePopover?.();
      // An open popover takes Escape for itself (the browser closes it).
      else if (key !== "Escape" || popover.matches(":popover-open") || !actions.escape()) return;
      event.preventDefault();
      event.stopPropagation();
    },
    signal,
  );
  return [button, popover];
}
