/** Inline SVG icons built with DOM APIs (static shapes only, never user data). */

type Shape = { d: string; stroke?: boolean };

const ICONS = {
  play: [{ d: "M7 4.5v15l12.5-7.5z" }],
  pause: [{ d: "M6 4.5h4.5v15H6zM13.5 4.5H18v15h-4.5z" }],
  back: [{ d: "M11.5 6v12L3 12zM20.5 6v12L12 12z" }],
  forward: [{ d: "M3.5 6v12L12 12zM12.5 6v12L21 12z" }],
  volume: [{ d: "M3 9h4l5-4.5v15L7 15H3z" }, { d: "M15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12", stroke: true }],
  muted: [{ d: "M3 9h4l5-4.5v15L7 15H3z" }, { d: "M15.5 9.5l5 5M20.5 9.5l-5 5", stroke: true }],
  analyze: [{ d: "M3 20h18v1.5H3zM4.5 12h3v7h-3zM10.5 5h3v14h-3zM16.5 9h3v10h-3z" }],
  close: [{ d: "M6 6l12 12M18 6L6 18", stroke: true }],
  download: [{ d: "M11 4h2v8.2l3.3-3.3 1.4 1.4L12 16l-5.7-5.7 1.4-1.4 3.3 3.3zM5 18h14v2H5z" }],
  linked: [{ d: "M5 11h14v10H5z" }, { d: "M8 11V8a4 4 0 0 1 8 0v3", stroke: true }],
  unlinked: [{ d: "M5 11h14v10H5z" }, { d: "M8 11V8a4 4 0 0 1 7.7-1.5", stroke: true }],
  fullscreen: [{ d: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5", stroke: true }],
  shrink: [{ d: "M9 4v5H4M15 4v5h5M20 15h-5v5M4 15h5v5", stroke: true }],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

const SVG = "http://www.w3.org/2000/svg";

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("aw-icon");
  for (const shape of ICONS[name] as Shape[]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", shape.d);
    if (shape.stroke) {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
    } else {
      path.setAttribute("fill", "currentColor");
    }
    svg.appendChild(path);
  }
  return svg;
}

/** Swap the icon inside a button. */
export function setIcon(button: HTMLElement, name: IconName): void {
  button.replaceChildren(icon(name));
}
