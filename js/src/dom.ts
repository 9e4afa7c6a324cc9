/** Element creation for the views. Text is always set as text, never parsed as markup. */

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string | null,
  attrs?: Record<string, string>,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text) e.textContent = text;
  for (const name in attrs) e.setAttribute(name, attrs[name] as string);
  return e;
}

/** Listen to `type` events on `target` until `signal` aborts. */
export function listen<K extends keyof HTMLElementEventMap>(
  target: EventTarget,
  type: K,
  handler: (event: HTMLElementEventMap[K]) => void,
  signal: AbortSignal,
): void {
  target.addEventListener(type, handler as EventListener, { signal });
}

type Movable = Element & { moveBefore?: (node: Node, child: Node | null) => void };

/**
 * Put `child` at position `i` of `parent`, moving it only when it is not there
 * already. Within the same parent the move keeps state where the browser can
 * (`moveBefore`): an open Analyze dialog inside a card stays modal and focused,
 * where removing and inserting the card would take it out of the top layer.
 */
export function placeAt(parent: Movable, child: Element, i: number): void {
  const before = parent.children[i] ?? null;
  if (before === child) return;
  if (parent.moveBefore && child.parentNode === parent) parent.moveBefore(child, before);
  else parent.insertBefore(child, before);
}

/** The run color as `--aw-run` (muted for a run without a color), for the element and what it contains. */
export function setRunVar(element: HTMLElement, color: string): void {
  element.style.setProperty("--aw-run", color || "var(--aw-fg-muted)");
}
