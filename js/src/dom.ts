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

/** Put `child` at position `i` of `parent`, moving it only when it is not there already. */
export function placeAt(parent: Element, child: Element, i: number): void {
  if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] ?? null);
}

/** The run color as `--aw-run` (muted for a run without a color), for the element and what it contains. */
export function setRunVar(element: HTMLElement, color: string): void {
  element.style.setProperty("--aw-run", color || "var(--aw-fg-muted)");
}
