/**
 * Loader of self-contained audiowidget reports (audiowidget/standalone.py).
 *
 * The page holds, as JSON in script tags:
 *
 * - `application/vnd.audiowidget.state+json`: `{models, panels, bundles}`:
 *   every model of our panels (state + base64 buffers), which bundle renders
 *   each panel, and each bundle's ESM and CSS text (stored once);
 * - `application/vnd.jupyter.widget-view+json`: one tag per displayed widget,
 *   where it was displayed (nbconvert's own view tags);
 * - optionally `application/vnd.audiowidget.amd+json`: require.js,
 *   html-manager and AMD modules for other libraries' widgets (see amd.ts);
 * - after this script, `application/vnd.audiowidget.buffers+json` tags:
 *   `{model_id: buffers}` of clips not shown at first, each followed by an
 *   inline script that fires `audiowidget:buffers` on the document. The
 *   panels render as soon as this script runs; the buffers of each tag join
 *   their models as soon as the browser has read it (cards of such clips show
 *   that they load until then).
 *
 * Each view of one of our panels is rendered in place of its view tag with
 * the panel's own bundle. When everything is rendered the root element gets
 * `data-audiowidget="ready"` (or `"error"`, with the message shown in place).
 */
import { bootWidgetRenderer, type AmdAssets } from "./amd";
import { type SavedBuffer, type SavedModel, StaticManager } from "./manager";
import { injectCss, loadWidget, renderView, type WidgetDef } from "./widget";

const STATE_TYPE = "application/vnd.audiowidget.state+json";
const AMD_TYPE = "application/vnd.audiowidget.amd+json";
const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";
const LATE_TYPE = "application/vnd.audiowidget.buffers+json";
/** Fired on the document after each LATE_TYPE tag. */
const LATE_EVENT = "audiowidget:buffers";

interface Bundle {
  esm: string;
  css: string;
}

interface ReportState {
  models: Record<string, SavedModel>;
  /** Panel model id → key in `bundles`. */
  panels: Record<string, string>;
  bundles: Record<string, Bundle>;
}

function scripts(type: string): HTMLScriptElement[] {
  return [...document.querySelectorAll<HTMLScriptElement>(`script[type="${type}"]`)];
}

function readJson<T>(script: HTMLScriptElement): T {
  return JSON.parse(script.textContent ?? "") as T;
}

function showError(where: Element, message: string): void {
  const box = document.createElement("div");
  box.className = "aw-report-error";
  box.setAttribute("role", "alert");
  box.textContent = `audiowidget: ${message}`;
  where.append(box);
}

/**
 * Buffers further down the page: each tag as soon as the browser has read it
 * (the script after it says so), every one left when the page is parsed.
 * Listens from the moment it is called, so call it before anything awaits.
 */
function lateBuffers(manager: StaticManager): Promise<void> {
  const read = (): void => {
    for (const script of scripts(LATE_TYPE)) {
      manager.addLate(readJson<Record<string, SavedBuffer[]>>(script));
      script.remove(); // the base64 text is no longer needed
    }
  };
  read();
  if (document.readyState !== "loading") return Promise.resolve();
  document.addEventListener(LATE_EVENT, read);
  return new Promise((resolve) => {
    document.addEventListener(
      "DOMContentLoaded",
      () => {
        document.removeEventListener(LATE_EVENT, read);
        read();
        resolve();
      },
      { once: true },
    );
  });
}

async function renderPanels(manager: StaticManager): Promise<number> {
  const panels = new Map<string, string>();
  const bundles = new Map<string, Bundle>();
  for (const script of scripts(STATE_TYPE)) {
    const state = readJson<ReportState>(script);
    manager.add(state.models);
    for (const [id, key] of Object.entries(state.panels)) panels.set(id, key);
    for (const [key, bundle] of Object.entries(state.bundles)) bundles.set(key, bundle);
  }
  const widgets = new Map<string, Promise<WidgetDef>>();
  const widgetFor = (key: string): Promise<WidgetDef> => {
    let widget = widgets.get(key);
    if (!widget) {
      const bundle = bundles.get(key);
      if (!bundle) return Promise.reject(new Error(`bundle ${key} is missing from the report`));
      injectCss(bundle.css);
      widget = loadWidget(bundle.esm);
      widgets.set(key, widget);
    }
    return widget;
  };

  let failures = 0;
  const views = scripts(VIEW_TYPE).map(async (tag) => {
    let modelId: string;
    try {
      modelId = String(readJson<{ model_id?: unknown }>(tag).model_id ?? "");
    } catch {
      return; // not ours to judge: html-manager validates its own views
    }
    const key = panels.get(modelId);
    if (key === undefined || !tag.parentElement) return;
    const el = document.createElement("div");
    el.className = "widget-subarea aw-report-view";
    tag.parentElement.insertBefore(el, tag);
    try {
      await renderView(await widgetFor(key), manager.model(modelId), el);
    } catch (err) {
      failures++;
      console.error("audiowidget: cannot render a panel of this report:", err);
      showError(el, `this panel could not be rendered (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  await Promise.all(views);
  return failures;
}

async function boot(): Promise<void> {
  const root = document.documentElement;
  root.dataset.audiowidget = "loading";
  const amd = scripts(AMD_TYPE)[0];
  const renderer = amd
    ? bootWidgetRenderer(readJson<AmdAssets>(amd)).catch((err: unknown) => {
        console.error("audiowidget: the Jupyter widget renderer did not start:", err);
        showError(amd.parentElement ?? document.body, "the other widgets of this report could not be started");
        return Promise.reject(err);
      })
    : Promise.resolve();
  const manager = new StaticManager();
  const rendered = renderPanels(manager); // takes the saved models before its first await
  const late = lateBuffers(manager);
  const failures = await rendered;
  await late;
  const rendererOk = await renderer.then(
    () => true,
    () => false,
  );
  root.dataset.audiowidget = failures === 0 && rendererOk ? "ready" : "error";
}

// Everything before this script is parsed: render now, not after the whole page.
void boot();
