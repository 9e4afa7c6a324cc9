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
