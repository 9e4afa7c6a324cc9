/**
 * A minimal widget manager over saved widget state: what an anywidget front
 * end uses of a Jupyter model (`get`, `set`, `on`, `off`, `save_changes`,
 * `send`, `widget_manager.get_model`) with no kernel behind it.
 *
 * Models are created on first `get_model`; their base64 buffers are decoded
 * into `DataView`s at their buffer paths (as ipywidgets' `put_buffers` does)
 * on the first `get` of the trait that holds them, so a page of many clips
 * decodes only the audio it shows.
 * `set` changes the value and fires `change:<name>` then `change` at once, so
 * every view of a model follows; `save_changes` has nothing to sync to.
 * A model saved with `late` traits says so through `pending_buffers(name)`
 * until `addLate` brings their buffers, then fires `change:<name>`.
 */

export type Callback = (...args: unknown[]) => void;

/** One saved buffer: where it goes in the state and its bytes as base64. */
export interface SavedBuffer {
  path: (string | number)[];
  data: string;
}

/** One model as saved: its JSON state and the binary values taken out of it. */
export interface SavedModel {
  state: Record<string, unknown>;
  buffers?: SavedBuffer[];
  /** Traits whose buffers come later in the page (see `StaticManager.addLate`). */
  late?: string[];
}

interface Listener {
  name: string;
  callback: Callback;
  context: unknown;
}

/** Bytes of a base64 string as a `DataView` over a buffer of their own. */
export function decodeBase64(b64: string): DataView {
  // Native where the browser has it (no intermediate binary string).
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return new DataView(native(b64).buffer);
  const raw = atob(b64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return new DataView(bytes.buffer);
}

/** Put `value` at `path` (object keys and array indices) inside `state`. */
export function putAt(state: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  if (path.length === 0) throw new Error("a buffer path cannot be empty");
  let target = state as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== "object" || next === null) {
      throw new Error(`buffer path ${JSON.stringify(path)} does not exist in the saved state`);
    }
    target = next as Record<string | number, unknown>;
  }
  target[path[path.length - 1] as string | number] = value;
}

/** Structural equality of trait values (JSON-like values and DataViews). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof DataView && b instanceof DataView) {
    if (a.byteLength !== b.byteLength) return false;
    for (let i = 0; i < a.byteLength; i++) if (a.getUint8(i) !== b.getUint8(i)) return false;
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameValue(ra[k], rb[k]));
}

export class StaticModel {
  private readonly state: Record<string, unknown>;
  private listeners: Listener[] = [];
  /** Buffers not decoded yet, by the trait they belong to: decoded on that trait's first `get` or `set`. */
  private readonly pending = new Map<string, SavedBuffer[]>();
  /** Traits whose buffers the page has not reached yet. */
  private readonly waiting: Set<string>;

  constructor(
    readonly model_id: string,
    readonly widget_manager: StaticManager,
    state: Record<string, unknown>,
    buffers: SavedBuffer[] = [],
    late: string[] = [],
  ) {
    this.state = state;
    this.waiting = new Set(late);
    this.keep(buffers);
  }

  private keep(buffers: SavedBuffer[]): void {
    for (const buffer of buffers) {
      if (buffer.path.length === 0) throw new Error("a buffer path cannot be empty");
      const name = String(buffer.path[0]);
      const list = this.pending.get(name);
      if (list) list.push(buffer);
      else this.pending.set(name, [buffer]);
    }
  }

  get(name: string): unknown {
    this.decode(name);
    return this.state[name];
  }

  /** Whether trait `name` still waits for buffers further down the page. */
  pending_buffers(name: string): boolean {
    return this.waiting.has(name);
  }

  /** Buffers that arrived later in the page: in place, then `change:<name>` for views to redraw. */
  arrive(buffers: SavedBuffer[]): void {
    this.keep(buffers);
    const names = [...this.waiting];
    this.waiting.clear();
    for (const name of names) this.trigger(`change:${name}`, this, this.get(name));
    if (names.length > 0) this.trigger("change", this);
  }

  /** Put the decoded buffers of trait `name` in place, once. */
  private decode(name: string): void {
    const buffers = this.pending.get(name);
    if (!buffers) return;
    this.pending.delete(name);
    for (const { path, data } of buffers) putAt(this.state, path, decodeBase64(data));
  }

  /** `set(name, value)` or `set({name: value, ...})`: changes fire at once, for every view. */
  set(key: string | Record<string, unknown>, value?: unknown): void {
    const changes = typeof key === "string" ? { [key]: value } : key;
    const changed: string[] = [];
    for (const [name, next] of Object.entries(changes)) {
      this.decode(name);
      if (sameValue(this.state[name], next)) continue;
      this.state[name] = next;
      changed.push(name);
    }
    for (const name of changed) this.trigger(`change:${name}`, this, this.state[name]);
    if (changed.length > 0) this.trigger("change", this);
  }

  /** Nothing to sync to: `set` has already updated every view of this page. */
  save_changes(): void {}

  /** No kernel listens in a saved report. */
  send(): void {}

  /** Listen to one or more space-separated events; `context` tags the listener for `off`. */
  on(names: string, callback: Callback, context?: unknown): void {
    for (const name of names.split(/\s+/).filter(Boolean)) {
      this.listeners.push({ name, callback, context });
    }
  }

  /** Remove the listeners matching every given argument (null or missing matches all). */
  off(names?: string | null, callback?: Callback | null, context?: unknown): void {
    const wanted = names ? new Set(names.split(/\s+/).filter(Boolean)) : null;
    this.listeners = this.listeners.filter(
      (l) =>
        !(
          (wanted === null || wanted.has(l.name)) &&
          (callback == null || l.callback === callback) &&
          (context == null || l.context === context)
        ),
    );
  }

  /** Listeners still registered (for tests and leak checks). */
  listenerCount(): number {
    return this.listeners.length;
  }

  private trigger(name: string, ...args: unknown[]): void {
    for (const l of [...this.listeners]) {
      if (l.name === name && this.listeners.includes(l)) l.callback.apply(l.context, args);
    }
  }
}

export class StaticManager {
  private readonly saved = new Map<string, SavedModel>();
  private readonly models = new Map<string, StaticModel>();

  /** Register saved models (by id); they are built on first use. */
  add(models: Record<string, SavedModel>): void {
    for (const [id, model] of Object.entries(models)) this.saved.set(id, model);
  }

  /** Buffers of models saved with `late` traits, from further down the page. */
  addLate(buffers: Record<string, SavedBuffer[]>): void {
    for (const [id, list] of Object.entries(buffers)) {
      const built = this.models.get(id);
      if (built) {
        built.arrive(list);
        continue;
      }
      const saved = this.saved.get(id);
      if (!saved) continue;
      saved.buffers = [...(saved.buffers ?? []), ...list];
      saved.late = [];
    }
  }

  has(id: string): boolean {
    return this.saved.has(id) || this.models.has(id);
  }

  /** The model with this id, built synchronously (throws if the report does not hold it). */
  model(id: string): StaticModel {
    let model = this.models.get(id);
    if (model) return model;
    const saved = this.saved.get(id);
    if (!saved) throw new Error(`widget model ${id} is not in this report's saved state`);
    model = new StaticModel(id, this, saved.state, saved.buffers, saved.late);
    this.models.set(id, model);
    this.saved.delete(id); // the base64 text is no longer needed
    return model;
  }

  /** Asynchronous like a Jupyter widget manager's. */
  get_model(id: string): Promise<StaticModel> {
    return new Promise((resolve, reject) => {
      queueMicrotask(() => {
        try {
          resolve(this.model(id));
        } catch (err) {
          reject(err);
        }
      });
    });
  }
}
