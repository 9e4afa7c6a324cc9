/**
 * Other libraries' widgets, when a report includes Jupyter's own renderer:
 * require.js, the AMD modules those widgets need (for instance anywidget's),
 * and @jupyter-widgets/html-manager's embed-amd.js, all inlined as text and
 * run from Blob URLs. html-manager then renders every view of the standard
 * widget-state script, exactly as in an nbconvert export; it never sees our
 * panels' models, so it leaves their views to this loader.
 */

/** What the report inlines for the Jupyter widget renderer. */
export interface AmdAssets {
  /** require.js source. */
  require: string;
  /** AMD module sources by module name (e.g. "anywidget"). */
  modules: Record<string, string>;
  /** @jupyter-widgets/html-manager's dist/embed-amd.js source. */
  renderer: string;
}

interface RequireJs {
  config(options: { paths: Record<string, string> }): void;
}

function blobUrl(source: string): string {
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}

/** Run a classic script from its source; resolves once it has run. */
function runScript(source: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = blobUrl(source);
    const script = document.createElement("script");
    script.src = url;
    script.dataset.audiowidget = name;
    script.onload = () => {
      URL.revokeObjectURL(url);
      resolve();
    };
    script.onerror = () => reject(new Error(`could not run the inlined ${name}`));
    document.head.append(script);
  });
}

/** Start html-manager on the page's standard widget state. */
export async function bootWidgetRenderer(assets: AmdAssets): Promise<void> {
  await runScript(assets.require, "require.js");
  const requirejs = (window as unknown as { requirejs?: RequireJs }).requirejs;
  if (!requirejs) throw new Error("the inlined require.js did not define requirejs");
  // Module URLs stay valid: require.js loads them when a widget first needs them.
  const paths: Record<string, string> = {};
  for (const [name, source] of Object.entries(assets.modules)) paths[name] = blobUrl(source);
  requirejs.config({ paths });
  await runScript(assets.renderer, "embed-amd.js");
}
