/**
 * Model access: the trait contract of the panel, page and clip models, and
 * the index group → step → clips that a view renders from.
 *
 * The panel lists pages (`_pages`), each page lists clip models (`clips`);
 * both lists hold `"IPY_MODEL_<id>"` references resolved through the widget
 * manager. A clip model's address, metadata and analysis never change (a
 * re-log makes a new model in the same slot), so the index listens to the
 * panel and the pages only; a card listens to its clip's `embedded` and `audio`.
 */
import { codecOf, decodeArray, type DecodedArray, inflateArray } from "./codecs";

export type Callback = (...args: unknown[]) => void;

/** What this front end uses of a widget model (anywidget's proxy or a Backbone model). */
export interface WidgetModelLike {
  get(name: string): unknown;
  on(name: string, callback: Callback, context?: unknown): void;
  off(name?: string | null, callback?: Callback | null, context?: unknown): void;
  /** A Backbone model's link to the kernel: false when it was made from saved state alone. */
  readonly comm_live?: boolean;
}

export interface WidgetManagerLike {
  get_model(id: string): Promise<WidgetModelLike>;
}

/** The panel model as anywidget hands it to `render`. */
export interface PanelModel extends WidgetModelLike {
  set(name: string, value: unknown): void;
  save_changes(): void;
  /** A custom message to the kernel; absent in a saved report, where no kernel listens. */
  send?(content: unknown, callbacks?: unknown, buffers?: unknown): void;
  widget_manager: WidgetManagerLike;
}

export interface RunInfo {
  name: string;
  color: string;
}

export interface ClipMeta {
  caption: string | null;
  sample_rate: number;
  channels: number;
  frames: number;
  duration: number;
  encoding: string;
  mime: string;
  ext: string;
  bytes: number;
  /** Statistics computed in numpy (`null` values stand for -inf or undefined); null if absent. */
  stats: Record<string, unknown> | null;
  /** Spectrum frames per second (frame i is centred at i / fps); 0 if absent. */
  spectrum_fps: number;
  /** The dB range the uint8 spectrum frames are quantized over. */
  spectrum_db_range: [number, number];
}

/** One resolved clip model with its address. */
export interface ClipEntry {
  id: string;
  model: WidgetModelLike;
  run: string;
  group: string;
  step: number;
  index: number;
  meta: ClipMeta;
}

// -- trait readers ----------------------------------------------------------------

export function readRuns(model: WidgetModelLike): RunInfo[] {
  const value = model.get("_runs");
  if (!Array.isArray(value)) return [];
  return value
    .filter((r): r is { name: unknown; color: unknown } => typeof r === "object" && r !== null)
    .map((r) => ({ name: String(r.name), color: typeof r.color === "string" ? r.color : "" }));
}

export function readGroups(model: WidgetModelLike): string[] {
  const value = model.get("_groups");
  return Array.isArray(value) ? value.map(String) : [];
}

export function readPinned(model: WidgetModelLike): Record<string, number> {
  const value = model.get("_pinned_steps");
  const out: Record<string, number> = {};
  if (typeof value === "object" && value !== null) {
    for (const [group, step] of Object.entries(value)) {
      if (typeof step === "number" && Number.isFinite(step)) out[group] = step;
    }
  }
  return out;
}

/** `_pinned_steps` with `group` pinned to `step`, or unpinned (`null`: follow its newest step). */
export function withPin(pinned: Record<string, number>, group: string, step: number | null): Record<string, number> {
  const next: Record<string, number> = { ...pinned };
  if (step === null) delete next[group];
  else next[group] = step;
  return next;
}

/** The UI state every view of a panel shares (see `AudioPanel` in widget.py). */
export interface PanelTraits {
  /** The step of every linked group; null: follow the newest step. */
  linkedStep: number | null;
  /** Groups whose slider moves on its own. */
  unlinked: string[];
  /** Steps of unlinked groups the user moved to. */
  pinned: Record<string, number>;
  /** The reference run, or "". */
  reference: string;
  /** The selected run, or "" (the first run of each group). */
  selectedRun: string;
  compare: boolean;
  matchLoudness: boolean;
}

export function readTraits(model: WidgetModelLike): PanelTraits {
  const linked = model.get("_linked_step");
  const unlinked = model.get("_unlinked");
  return {
    linkedStep: typeof linked === "number" && Number.isFinite(linked) ? linked : null,
    unlinked: Array.isArray(unlinked) ? unlinked.map(String) : [],
    pinned: readPinned(model),
    reference: String(model.get("_reference") ?? ""),
    selectedRun: String(model.get("selected_run") ?? ""),
    compare: model.get("compare") === true,
    matchLoudness: model.get("match_loudness") === true,
  };
}

/** The traits `readTraits` reads: a view re-syncs when any of them changes. */
export const UI_TRAITS = [
  "_linked_step",
  "_unlinked",
  "_pinned_steps",
  "_reference",
  "selected_run",
  "compare",
  "match_loudness",
];

function readMeta(model: WidgetModelLike): ClipMeta {
  const raw = (model.get("meta") ?? {}) as Partial<Record<keyof ClipMeta, unknown>>;
  const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const str = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);
  return {
    caption: typeof raw.caption === "string" ? raw.caption : null,
    sample_rate: num(raw.sample_rate),
    channels: num(raw.channels),
    frames: num(raw.frames),
    duration: num(raw.duration),
    encoding: str(raw.encoding, ""),
    mime: str(raw.mime, "application/octet-stream"),
    ext: str(raw.ext, "bin"),
    bytes: num(raw.bytes),
    stats: typeof raw.stats === "object" && raw.stats !== null ? (raw.stats as Record<string, unknown>) : null,
    spectrum_fps: num(raw.spectrum_fps),
    spectrum_db_range: Array.isArray(raw.spectrum_db_range) ? (raw.spectrum_db_range as [number, number]) : [-120, 0],
  };
}

// -- per-model caches (shared by every view of a notebook) ----------------------

const entryCache = new WeakMap<object, Omit<ClipEntry, "id">>();
const arrayCache = new WeakMap<object, Map<string, DecodedArray | null>>();

/**
 * Whether trait `name` of `model` is still on its way: a saved report renders
 * its first clips before the page has brought the others' buffers (the
 * report loader's models say so; a kernel's models never do).
 */
export function pendingIn(model: WidgetModelLike, name: string): boolean {
  const pending = (model as { pending_buffers?: unknown }).pending_buffers;
  return typeof pending === "function" && pending.call(model, name) === true;
}

/** Drop the arrays decoded for `model` (its `arrays` changed). */
export function forgetArrays(model: WidgetModelLike): void {
  arrayCache.delete(model);
}

/**
 * Compressed arrays, by their bytes (a report's loader puts bytes that come late
 * into the same payload): what inflating gave (null: unreadable), and those under way.
 */
const inflated = new WeakMap<object, DecodedArray | null>();
const inflating = new WeakMap<object, Promise<void>>();

/** The bytes of a compressed payload; null if it is raw or its bytes are still on their way. */
function packed(payload: unknown): object | null {
  const data = codecOf(payload) === null ? null : (payload as { data?: unknown }).data;
  return typeof data === "object" && data !== null ? data : null;
}

function inflation(payload: unknown): Promise<void> {
  const key = packed(payload);
  if (!key) return Promise.resolve();
  let promise = inflating.get(key);
  if (!promise) {
    promise = inflateArray(payload)
      .catch((err: unknown) => (console.warn("audiowidget:", err), null))
      .then((decoded) => void inflated.set(key, decoded));
    inflating.set(key, promise);
  }
  return promise;
}

/**
 * Inflate `model`'s compressed analysis arrays; resolves when `arrayOf` can
 * read them all (a payload that cannot be read reads as null, with a warning).
 */
export function arraysReady(model: WidgetModelLike): Promise<void> {
  const arrays = model.get("arrays") as Record<string, unknown> | undefined;
  return Promise.all(Object.values(arrays ?? {}).map(inflation)).then(() => undefined);
}

function clipAddress(model: WidgetModelLike): Omit<ClipEntry, "id"> {
  let entry = entryCache.get(model);
  if (!entry) {
    entry = {
      model,
      run: String(model.get("run") ?? ""),
      group: String(model.get("group") ?? ""),
      step: Number(model.get("step") ?? 0),
      index: Number(model.get("index") ?? 0),
      meta: readMeta(model),
    };
    entryCache.set(model, entry);
  }
  return entry;
}

/**
 * The clip's array `arrays[name]`, decoded once per model; null if absent, if
 * `check` rejects its shape (then a warning names the array and its shape), or
 * while it is still compressed (await `arraysReady` first).
 */
export function arrayOf(
  model: WidgetModelLike,
  name: string,
  check: (shape: number[]) => boolean,
  expected: string,
): DecodedArray | null {
  let cache = arrayCache.get(model);
  if (!cache) arrayCache.set(model, (cache = new Map()));
  if (cache.has(name)) return cache.get(name) ?? null;
  const arrays = model.get("arrays") as Record<string, unknown> | undefined;
  let out: DecodedArray | null = null;
  const payload = arrays?.[name];
  let decoded: DecodedArray | null = null;
  const key = packed(payload);
  if (key) {
    void inflation(payload);
    if (!inflated.has(key)) return null; // not cached: read again once `arraysReady` resolves
    decoded = inflated.get(key) ?? null;
  } else if (payload && codecOf(payload) === null) {
    try {
      decoded = decodeArray(payload);
    } catch (err) {
      console.warn(`audiowidget: cannot decode ${name}:`, err);
    }
  }
  if (decoded && check(decoded.shape)) out = decoded;
  else if (decoded) console.warn(`audiowidget: ${name} must have shape ${expected}, got [${decoded.shape.join(", ")}]`);
  cache.set(name, out);
  return out;
}

/** `(channels, buckets, 2)` min/max pairs: the coarse `peaks` or the fine `waveform`. */
export function peaksOf(model: WidgetModelLike, name = "peaks"): DecodedArray | null {
  return arrayOf(model, name, (s) => s.length === 3 && s[2] === 2, "(channels, buckets, 2)");
}

// -- listeners ---------------------------------------------------------------------

/** Every model listener a view adds, kept with its exact callback so it can be removed. */
export class ListenerSet {
  private entries: { target: WidgetModelLike; name: string; callback: Callback }[] = [];

  on(target: WidgetModelLike, name: string, callback: Callback): void {
    target.on(name, callback, this);
    this.entries.push({ target, name, callback });
  }

  /** Remove the listeners on `target`, or all of them. */
  off(target?: WidgetModelLike): void {
    const keep: typeof this.entries = [];
    for (const entry of this.entries) {
      if (target && entry.target !== target) keep.push(entry);
      else entry.target.off(entry.name, entry.callback, this);
    }
    this.entries = keep;
  }
}

// -- reference resolution ---------------------------------------------------------

const PREFIX = "IPY_MODEL_";

export function refId(ref: unknown): string {
  if (typeof ref === "string") return ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : ref;
  const model = ref as { model_id?: unknown; cid?: unknown } | null;
  return String(model?.model_id ?? model?.cid ?? "");
}

function resolve(manager: WidgetManagerLike, ref: unknown): Promise<WidgetModelLike> {
  if (typeof ref === "string") return manager.get_model(refId(ref));
  if (typeof ref === "object" && ref !== null && typeof (ref as WidgetModelLike).get === "function") {
    return Promise.resolve(ref as WidgetModelLike);
  }
  return Promise.reject(new TypeError(`not a widget reference: ${String(ref)}`));
}

function refList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// -- the index ------------------------------------------------------------------------

interface PageSlot {
  id: string;
  model: WidgetModelLike | null;
  entries: ClipEntry[];
  generation: number;
}

/**
 * group → step → clips over every page of one panel, kept up to date from
 * `change:_pages` and each page's `change:clips`. Calls `onChange` with the
 * groups whose clips changed (batched per microtask).
 */
export class ClipIndex {
  private readonly pages = new Map<string, PageSlot>();
  private pageOrder: string[] = [];
  private byGroup = new Map<string, Map<number, ClipEntry[]>>();
  private sortedSteps = new Map<string, number[]>();
  private stale = false;
  private readonly dirty = new Set<string>();
  private flushQueued = false;
  private disposed = false;
  private pending = 0;
  private readonly listeners = new ListenerSet();

  constructor(
    private readonly panel: PanelModel,
    private readonly onChange: (groups: ReadonlySet<string>) => void,
  ) {
    this.listeners.on(panel, "change:_pages", () => this.loadPages());
    this.loadPages();
  }

  /** Whether page or clip models are still being resolved. */
  loading(): boolean {
    return this.pending > 0;
  }

  /** Groups in the order their first clip appears. */
  groups(): string[] {
    this.rebuild();
    return [...this.byGroup.keys()];
  }

  /** Sorted steps logged for `group` (empty if none). */
  steps(group: string): number[] {
    this.rebuild();
    return this.sortedSteps.get(group) ?? [];
  }

  /** Clips of `group` at `step`, in page order. */
  clipsAt(group: string, step: number): ClipEntry[] {
    this.rebuild();
    return this.byGroup.get(group)?.get(step) ?? [];
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.off();
    this.pages.clear();
  }

  private loadPages(): void {
    const refs = refList(this.panel.get("_pages"));
    const ids = refs.map(refId);
    const wanted = new Set(ids);
    for (const [id, slot] of this.pages) {
      if (wanted.has(id)) continue;
      if (slot.model) this.listeners.off(slot.model);
      for (const entry of slot.entries) this.markDirty(entry.group);
      this.pages.delete(id);
      this.stale = true;
    }
    refs.forEach((ref, i) => {
      const id = ids[i] as string;
      if (this.pages.has(id)) return;
      const slot: PageSlot = { id, model: null, entries: [], generation: 0 };
      this.pages.set(id, slot);
      this.pending++;
      resolve(this.panel.widget_manager, ref)
        .then(
          (model) => {
            if (this.disposed || this.pages.get(id) !== slot) return;
            slot.model = model;
            this.listeners.on(model, "change:clips", () => this.loadClips(slot));
            this.loadClips(slot);
          },
          (err) => console.error(`audiowidget: cannot resolve page ${id}:`, err),
        )
        .finally(() => this.settle());
    });
    this.pageOrder = ids;
    this.queueFlush();
  }

  private loadClips(slot: PageSlot): void {
    if (!slot.model) return;
    const generation = ++slot.generation;
    const manager = this.panel.widget_manager;
    const refs = refList(slot.model.get("clips"));
    const resolving = refs.map((ref) =>
      resolve(manager, ref).then(
        (model): ClipEntry => ({ id: refId(ref), ...clipAddress(model) }),
        (err): null => {
          console.error(`audiowidget: cannot resolve clip ${refId(ref)}:`, err);
          return null;
        },
      ),
    );
    this.pending++;
    void Promise.all(resolving)
      .then((resolved) => {
        if (this.disposed || generation !== slot.generation || this.pages.get(slot.id) !== slot) return;
        const entries = resolved.filter((e): e is ClipEntry => e !== null);
        const before = new Map(slot.entries.map((e) => [e.id, e]));
        const after = new Set(entries.map((e) => e.id));
        for (const entry of entries) if (!before.has(entry.id)) this.markDirty(entry.group);
        for (const [id, entry] of before) if (!after.has(id)) this.markDirty(entry.group);
        slot.entries = entries;
        this.stale = true;
      })
      .finally(() => this.settle());
  }

  private settle(): void {
    this.pending--;
    this.queueFlush();
  }

  private markDirty(group: string): void {
    this.dirty.add(group);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.disposed) return;
      this.rebuild();
      const groups = new Set(this.dirty);
      this.dirty.clear();
      this.onChange(groups);
    });
  }

  private rebuild(): void {
    if (!this.stale) return;
    this.stale = false;
    const byGroup = new Map<string, Map<number, ClipEntry[]>>();
    for (const id of this.pageOrder) {
      for (const entry of this.pages.get(id)?.entries ?? []) {
        let steps = byGroup.get(entry.group);
        if (!steps) byGroup.set(entry.group, (steps = new Map()));
        let list = steps.get(entry.step);
        if (!list) steps.set(entry.step, (list = []));
        list.push(entry);
      }
    }
    this.byGroup = byGroup;
    this.sortedSteps = new Map([...byGroup].map(([g, steps]) => [g, [...steps.keys()].sort((a, b) => a - b)]));
  }
}
