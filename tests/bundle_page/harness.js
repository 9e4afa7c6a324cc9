// A stand-in for anywidget + the Jupyter widget manager, enough to drive the
// built bundle: models with get/set/on/off/save_changes/send, a manager resolving
// "IPY_MODEL_<id>" references, and per-view model proxies like anywidget's.
// `loadState` loads the state of a real panel serialized by tests/panel_state.py.
// `kernel` answers the panel's audio requests the way AudioPanel._handle_message does.
// DOM listeners and timeouts the bundle adds are tracked until removed
// (`liveListeners`, `pendingTimers`).

// The harness's own timers (model resolution, kernel replies) are not the bundle's.
const later = window.setTimeout.bind(window);

function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Set `value` at `path` (keys and indices) inside `obj`, like ipywidgets' put_buffers. */
function putAt(obj, path, value) {
  let target = obj;
  for (const key of path.slice(0, -1)) target = target[key];
  target[path[path.length - 1]] = value;
}

function base64ToDataView(b64, offset = 0) {
  const raw = atob(b64);
  const buffer = new ArrayBuffer(raw.length + offset);
  const bytes = new Uint8Array(buffer, offset, raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return new DataView(buffer, offset, raw.length);
}

export class FakeModel {
  constructor(manager, id, state) {
    this.model_id = id;
    this.widget_manager = manager;
    this.state = { ...state };
    this.listeners = [];
    this.saves = 0;
  }

  get(name) {
    return this.state[name];
  }

  /** `set(name, value)` or, like one message from the kernel, `set({name: value, ...})`. */
  set(name, value) {
    const changes = typeof name === "string" ? { [name]: value } : name;
    const changed = [];
    for (const [key, next] of Object.entries(changes)) {
      const old = this.state[key];
      this.state[key] = next;
      // Binary values compare by identity (JSON would see every DataView as {}).
      const binary = old instanceof DataView || next instanceof DataView;
      if (binary ? old !== next : !deepEqual(old, next)) changed.push(key);
    }
    for (const key of changed) this.trigger(`change:${key}`);
  }

  save_changes() {
    this.saves += 1;
  }

  /** A custom message to the kernel. */
  send(content, callbacks, buffers) {
    this.widget_manager.kernel.receive(this, content, buffers);
  }

  on(name, callback, context) {
    this.listeners.push({ name, callback, context });
  }

  off(name, callback, context) {
    this.listeners = this.listeners.filter(
      (l) =>
        !(
          (name == null || l.name === name) &&
          (callback == null || l.callback === callback) &&
          (context == null || l.context === context)
        ),
    );
  }

  /** Call the listeners of `name` with `args` (change events get the model, like Backbone's). */
  trigger(name, ...args) {
    const call = args.length ? args : [this];
    for (const l of [...this.listeners]) if (l.name === name) l.callback.call(l.context, ...call);
  }
}

/**
 * The kernel side of audio requests (AudioPanel._handle_message): answers
 * `{type: "audio_request", request_id, clip}` sent through the panel with one
 * `audio_reply` custom message per chunk of the clip's bytes, each with the
 * chunk as its one buffer, or with `audio_error` for a clip it does not hold.
 *
 * `mode`: "answer" (after `delay` ms), "hold" (until `release`), or "drop"
 * (never, like a saved report, where `send` goes nowhere). `chunkBytes` sets
 * the chunk size, `reverse` sends the chunks last first, and `extraBytes` is
 * added to the total each reply announces (a reply that does not add up).
 * With `stepwise`, replies wait in `outbox` until `deliver(n)` sends n of them.
 */
export class FakeKernel {
  constructor() {
    this.files = new Map();
    this.requests = [];
    this.held = [];
    this.mode = "answer";
    this.delay = 0;
    this.chunkBytes = 16384;
    this.reverse = false;
    this.extraBytes = 0;
    this.stepwise = false;
    this.outbox = [];
  }

  /** Clip bytes by clip model id (base64), as AudioPanel keeps them in Python. */
  serve(files) {
    for (const [id, b64] of Object.entries(files)) this.files.set(id, base64ToDataView(b64));
  }

  configure(options) {
    Object.assign(this, options);
  }

  receive(model, content) {
    if (content?.type !== "audio_request") return;
    this.requests.push(structuredClone(content));
    if (this.mode === "hold") this.held.push([model, content]);
    else if (this.mode === "answer") this.answer(model, content);
  }

  /** Answer the held requests (those for `clip` ids only, if given), last first if `reverse`. */
  release(clips = null, reverse = false) {
    const id = (c) => String(c.clip).replace(/^IPY_MODEL_/, "");
    const now = this.held.filter(([, c]) => !clips || clips.includes(id(c)));
    this.held = this.held.filter((h) => !now.includes(h));
    if (reverse) now.reverse();
    for (const [model, content] of now) this.answer(model, content);
    return now.length;
  }

  /** Send the next `n` replies waiting in `outbox` now; returns how many are left. */
  deliver(n = Infinity) {
    for (const message of this.outbox.splice(0, n)) message();
    return this.outbox.length;
  }

  answer(model, { request_id, clip }) {
    const id = String(clip).replace(/^IPY_MODEL_/, "");
    const data = this.files.get(id);
    const send = (content, buffers = []) => {
      const message = () => model.trigger("msg:custom", content, buffers);
      if (this.stepwise) this.outbox.push(message);
      else later(message, this.delay);
    };
    if (!data) {
      const message = "this clip is no longer in the panel (it was replaced or closed)";
      send({ type: "audio_error", request_id, message });
      return;
    }
    const chunks = Math.max(1, Math.ceil(data.byteLength / this.chunkBytes));
    const order = [...Array(chunks).keys()];
    if (this.reverse) order.reverse();
    for (const i of order) {
      const start = i * this.chunkBytes;
      const part = new Uint8Array(data.buffer, data.byteOffset + start, Math.min(this.chunkBytes, data.byteLength - start));
      const content = { type: "audio_reply", request_id, clip: id, chunk: i, chunks, bytes: data.byteLength + this.extraBytes };
      send(content, [new DataView(part.slice().buffer)]);
    }
  }
}

class FakeManager {
  constructor() {
    this.models = new Map();
    this.next = 1;
    this.kernel = new FakeKernel();
  }

  create(state, id = `m${this.next++}`) {
    const model = new FakeModel(this, id, state);
    this.models.set(id, model);
    return model;
  }

  get_model(id) {
    const model = this.models.get(id);
    // Asynchronous like the real manager.
    return new Promise((resolve, reject) =>
      later(() => (model ? resolve(model) : reject(new Error(`no model ${id}`))), 0),
    );
  }
}

/** Whether the caller of the wrapped function is the bundle (not the page or the test driver). */
function fromBundle() {
  return /\/index\.js:/.test(new Error().stack ?? "");
}

/**
 * Count what the bundle does with Web Audio: AudioContexts created and closed,
 * decodeAudioData calls, buffer sources started, nodes connected and not yet
 * disconnected.
 */
function trackAudio() {
  const audio = { created: 0, closed: 0, contexts: [], decodes: 0, starts: 0, connected: new Set() };
  const Native = window.AudioContext;
  if (!Native) return audio;
  window.AudioContext = class extends Native {
    constructor(...args) {
      super(...args);
      audio.created += 1;
      audio.contexts.push(this);
    }

    close() {
      audio.closed += 1;
      return super.close();
    }
  };
  const base = BaseAudioContext.prototype;
  const decode = base.decodeAudioData;
  base.decodeAudioData = function (...args) {
    audio.decodes += 1;
    return decode.apply(this, args);
  };
  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (...args) {
    audio.starts += 1;
    return start.apply(this, args);
  };
  const node = AudioNode.prototype;
  const connect = node.connect;
  const disconnect = node.disconnect;
  node.connect = function (...args) {
    if (fromBundle()) audio.connected.add(this);
    return connect.apply(this, args);
  };
  node.disconnect = function (...args) {
    if (args.length === 0) audio.connected.delete(this);
    return disconnect.apply(this, args);
  };
  return audio;
}

/** Record every addEventListener made by the bundle until its removeEventListener or its signal's abort. */
function trackListeners() {
  const live = new Set();
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  const capture = (options) => (typeof options === "boolean" ? options : Boolean(options?.capture));
  const find = (target, type, callback, options) => {
    for (const r of live) {
      if (r.target === target && r.type === type && r.callback === callback && r.capture === capture(options)) return r;
    }
    return null;
  };
  proto.addEventListener = function (type, callback, options) {
    add.call(this, type, callback, options);
    const signal = typeof options === "object" ? options?.signal : undefined;
    if (!callback || signal?.aborted || find(this, type, callback, options)) return;
    // Only the bundle's own listeners (not the page's or the test driver's).
    if (!fromBundle()) return;
    const record = { target: this, type, callback, capture: capture(options) };
    live.add(record);
    if (signal) add.call(signal, "abort", () => live.delete(record));
  };
  proto.removeEventListener = function (type, callback, options) {
    remove.call(this, type, callback, options);
    const record = find(this, type, callback, options);
    if (record) live.delete(record);
  };
  return live;
}

/** Record every setTimeout made by the bundle until it runs or is cleared. */
function trackTimers() {
  const pending = new Set();
  const clear = window.clearTimeout.bind(window);
  window.setTimeout = (callback, ms, ...args) => {
    if (!fromBundle() || typeof callback !== "function") return later(callback, ms, ...args);
    const id = later(() => {
      pending.delete(id);
      callback(...args);
    }, ms);
    pending.add(id);
    return id;
  };
  window.clearTimeout = (id) => {
    pending.delete(id);
    clear(id);
  };
  return pending;
}

// anywidget's model proxy: listeners are tagged with the view's context.
// `kernel: false` leaves `send` out, as a saved report's loader does.
function modelProxy(model, context, kernel = true) {
  return {
    get: model.get.bind(model),
    set: model.set.bind(model),
    save_changes: model.save_changes.bind(model),
    ...(kernel ? { send: model.send.bind(model) } : {}),
    on(name, callback) {
      model.on(name, callback, context);
    },
    off(name, callback) {
      model.off(name, callback, context);
    },
    widget_manager: model.widget_manager,
  };
}

const ref = (model) => `IPY_MODEL_${model.model_id}`;

export class Harness {
  constructor(widget, container) {
    this.widget = widget;
    this.container = container;
    this.manager = new FakeManager();
    this.panel = this.manager.create({
      _runs: [],
      _groups: [],
      _pages: [],
      _pinned_steps: {},
      _linked_step: null,
      _unlinked: [],
      _reference: "",
      selected_run: "",
      compare: false,
      match_loudness: false,
    });
    this.pages = [];
    this.views = [];
    this.created = [];
    this.revoked = [];
    this.frames = 0;
    // Animation frames the bundle requested that have neither run nor been cancelled.
    this.pendingFrames = new Set();
    const raf = window.requestAnimationFrame.bind(window);
    const caf = window.cancelAnimationFrame.bind(window);
    window.requestAnimationFrame = (callback) => {
      this.frames += 1;
      if (!fromBundle()) return raf(callback);
      const id = raf((time) => {
        this.pendingFrames.delete(id);
        callback(time);
      });
      this.pendingFrames.add(id);
      return id;
    };
    window.cancelAnimationFrame = (id) => {
      this.pendingFrames.delete(id);
      caf(id);
    };
    this.audio = trackAudio();
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (obj) => {
      const url = create(obj);
      this.created.push(url);
      return url;
    };
    URL.revokeObjectURL = (url) => {
      this.revoked.push(url);
      revoke(url);
    };
    this.domListeners = trackListeners();
    this.pendingTimers = trackTimers();
    this.kernel = this.manager.kernel;
  }

  /**
   * Load `{panel, models: {id: {state, buffers: [{path, data}]}}}` (tests/panel_state.py):
   * every model under its own id, binary buffers back as DataViews at their paths.
   * The loaded panel becomes `harness.panel`.
   */
  loadState({ panel, models }) {
    for (const [id, { state, buffers }] of Object.entries(models)) {
      const copy = structuredClone(state);
      for (const { path, data } of buffers) putAt(copy, path, base64ToDataView(data));
      this.manager.create(copy, id);
    }
    this.panel = this.manager.models.get(panel);
    return Object.keys(models).length;
  }

  /** DOM listeners still registered (except on aborted signals, which never fire again). */
  liveListeners() {
    return [...this.domListeners]
      .filter((r) => !(r.target instanceof AbortSignal && r.target.aborted))
      .map((r) => `${r.target.constructor.name}${r.target.className ? "." + r.target.className : ""}:${r.type}`);
  }

  /** A clip model from a spec made by the Python test (bytes as base64). */
  clip(spec) {
    return this.manager.create({
      run: spec.run,
      group: spec.group,
      step: spec.step,
      index: spec.index,
      meta: spec.meta,
      audio: base64ToDataView(spec.audio),
      arrays: {
        peaks: {
          dtype: "int16",
          shape: spec.peaks.shape,
          data: base64ToDataView(spec.peaks.data, spec.peaks.offset || 0),
        },
      },
    });
  }

  /** Append a page holding `specs`; updates `_runs` and `_groups` like the Python side. */
  addPage(specs, runs) {
    const page = this.manager.create({ clips: specs.map((s) => ref(this.clip(s))) });
    this.pages.push(page);
    const groups = [...this.panel.get("_groups")];
    for (const s of specs) if (!groups.includes(s.group)) groups.push(s.group);
    this.panel.set("_runs", runs);
    this.panel.set("_groups", groups);
    this.panel.set("_pages", this.pages.map(ref));
    return this.pages.length - 1;
  }

  /** Replace (or with spec null, remove) slot `slot` of page `pageIndex`. */
  replaceSlot(pageIndex, slot, spec) {
    const page = this.pages[pageIndex];
    const clips = [...page.get("clips")];
    if (spec === null) clips.splice(slot, 1);
    else clips[slot] = ref(this.clip(spec));
    page.set("clips", clips);
  }

  /**
   * Render one view into a new container of `width` (CSS, default full width);
   * `{kernel: false}`: a view with no kernel behind it (a saved report).
   */
  async render(width, { kernel = true } = {}) {
    const el = document.createElement("div");
    el.className = "view";
    if (width) el.style.width = width;
    this.container.appendChild(el);
    const context = { view: this.views.length };
    const cleanup = await this.widget.render({ model: modelProxy(this.panel, context, kernel), el });
    this.views.push({ el, context, cleanup, cleaned: false });
    return this.views.length - 1;
  }

  async cleanup(view) {
    const v = this.views[view];
    await v.cleanup();
    v.cleaned = true;
  }

  /** Listeners on every model, or only those a view tagged with its context on the panel. */
  listenerCount(view) {
    if (view === undefined) {
      let n = 0;
      for (const m of this.manager.models.values()) n += m.listeners.length;
      return n;
    }
    const context = this.views[view].context;
    return this.panel.listeners.filter((l) => l.context === context).length;
  }

  /** What the views left behind: everything here is zero (or empty) once every view is cleaned up. */
  leftovers() {
    return {
      audioContextsOpen: this.audio.created - this.audio.closed,
      audioContextsNotClosed: this.audio.contexts.filter((c) => c.state !== "closed").length,
      nodesConnected: this.audio.connected.size,
      pendingFrames: this.pendingFrames.size,
      modelListeners: this.listenerCount(),
      domListeners: this.liveListeners(),
      blobUrlsNotRevoked: this.created.filter((u) => !this.revoked.includes(u)).length,
      audioPlaying: this.playing().length,
      fullscreen: document.fullscreenElement !== null || document.querySelector(".aw-overlay") !== null,
    };
  }

  /** Audio elements currently playing. */
  playing() {
    return [...document.querySelectorAll("audio")].filter((a) => !a.paused);
  }
}
