/**
 * The anywidget contract on top of `StaticManager`: import an ESM front end
 * from its inlined source (a Blob URL, which works from file://), inject its
 * CSS once, run `initialize` once per model and `render` once per view with a
 * model proxy whose listeners are tagged with the view, as anywidget does.
 * The proxy has no `send`: with no kernel behind a report, a front end can
 * tell at once that what is not in the saved state cannot be fetched.
 */
import type { Callback, StaticModel } from "./manager";

/** The model as an anywidget front end sees it. */
export interface ModelProxy {
  get(name: string): unknown;
  set(key: string | Record<string, unknown>, value?: unknown): void;
  save_changes(): void;
  on(name: string, callback: Callback): void;
  off(name?: string | null, callback?: Callback | null): void;
  widget_manager: StaticModel["widget_manager"];
}

type Cleanup = () => unknown;

interface Experimental {
  invoke(name: string, msg?: unknown): Promise<never>;
}

export interface WidgetDef {
  initialize?(props: { model: ModelProxy; signal: AbortSignal; experimental: Experimental }): unknown;
  render?(props: { model: ModelProxy; el: HTMLElement; signal: AbortSignal; experimental: Experimental }): unknown;
}

const experimental: Experimental = {
  invoke: (name) => Promise.reject(new Error(`${name}: a saved report has no kernel to call`)),
};

function proxy(model: StaticModel, context: object): ModelProxy {
  return {
    get: (name) => model.get(name),
    set: (key, value) => model.set(key, value),
    save_changes: () => model.save_changes(),
    on: (name, callback) => model.on(name, callback, context),
    off: (name, callback) => model.off(name ?? null, callback ?? null, context),
    widget_manager: model.widget_manager,
  };
}

/** Import an ES module from its source text. */
async function importSource(source: string): Promise<Record<string, unknown>> {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The widget definition an anywidget ESM exports (default object or factory, or a bare `render`). */
export async function loadWidget(source: string): Promise<WidgetDef> {
  const mod = await importSource(source);
  if (typeof mod.render === "function") return { render: mod.render as WidgetDef["render"] };
  const def = mod.default;
  if (typeof def === "function") return (await (def as () => unknown)()) as WidgetDef;
  if (typeof def === "object" && def !== null) return def as WidgetDef;
  throw new Error("the widget module exports neither a default object nor render");
}

const injected = new Set<string>();

/** Add `css` to the document once, however many panels use it. */
export function injectCss(css: string): void {
  if (!css || injected.has(css)) return;
  injected.add(css);
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
}

const initialized = new WeakMap<StaticModel, Promise<void>>();

/** Run the widget's `initialize` for `model` once, before its first view. */
function initialize(def: WidgetDef, model: StaticModel): Promise<void> {
  let done = initialized.get(model);
  if (!done) {
    const context = {};
    const signal = new AbortController().signal;
    done = Promise.resolve(def.initialize?.({ model: proxy(model, context), signal, experimental })).then(
      () => undefined,
    );
    initialized.set(model, done);
  }
  return done;
}

/** Render one view of `model` into `el`; resolves to the view's cleanup. */
export async function renderView(def: WidgetDef, model: StaticModel, el: HTMLElement): Promise<() => Promise<void>> {
  if (!def.render) throw new Error("the widget module has no render function");
  await initialize(def, model);
  const context = {};
  const controller = new AbortController();
  const cleanup = await def.render({ model: proxy(model, context), el, signal: controller.signal, experimental });
  return async () => {
    controller.abort();
    model.off(null, null, context);
    if (typeof cleanup === "function") await (cleanup as Cleanup)();
  };
}
