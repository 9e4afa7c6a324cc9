// A stand-in for anywidget + the Jupyter widget manager, enough to drive the
// built bundle: models with get/set/on/off/save_changes, a manager resolving
// "IPY_MODEL_<id>" references, and per-view model proxies like anywidget's.

function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
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

  set(name, value) {
    const old = this.state[name];
    this.state[name] = value;
    if (!deepEqual(old, value)) this.trigger(`change:${name}`);
  }

  save_changes() {
    this.saves += 1;
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

  trigger(name) {
    for (const l of [...this.listeners]) if (l.name === name) l.callback.call(l.context, this);
  }
}

class FakeManager {
  constructor() {
    this.models = new Map();
    this.next = 1;
  }

  create(state) {
    const id = `m${this.next++}`;
    const model = new FakeModel(this, id, state);
    this.models.set(id, model);
    return model;
  }

  get_model(id) {
    const model = this.models.get(id);
    // Asynchronous like the real manager.
    return new Promise((resolve, reject) =>
      setTimeout(() => (model ? resolve(model) : reject(new Error(`no model ${id}`))), 0),
    );
  }
}

// anywidget's model proxy: listeners are tagged with the view's context.
function modelProxy(model, context) {
  return {
    get: model.get.bind(model),
    set: model.set.bind(model),
    save_changes: model.save_changes.bind(model),
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
    this.panel = this.manager.create({ _runs: [], _groups: [], _pages: [], _pinned_steps: {} });
    this.pages = [];
    this.views = [];
    this.created = [];
    this.revoked = [];
    this.frames = 0;
    const raf = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (callback) => {
      this.frames += 1;
      return raf(callback);
    };
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

  /** Render one view into a new container of `width` (CSS, default full width). */
  async render(width) {
    const el = document.createElement("div");
    el.className = "view";
    if (width) el.style.width = width;
    this.container.appendChild(el);
    const context = { view: this.views.length };
    const cleanup = await this.widget.render({ model: modelProxy(this.panel, context), el });
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

  /** Audio elements currently playing. */
  playing() {
    return [...document.querySelectorAll("audio")].filter((a) => !a.paused);
  }
}
