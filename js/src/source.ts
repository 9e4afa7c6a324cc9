/**
 * The audio of a clip: the bytes in its model's state or, for a clip the
 * panel's embed budget left out (`embedded: false`, `audio` empty), fetched
 * from the kernel through the panel model:
 *
 *   view → kernel  {type: "audio_request", request_id, clip: "IPY_MODEL_<id>"}
 *   kernel → view  {type: "audio_reply", request_id, clip, chunk, chunks, bytes} + one buffer, per chunk
 *                  {type: "audio_error", request_id, message}
 *
 * Fetched bytes are kept per clip model (shared by every view), up to
 * 128 MB, the least recently used dropped first (a card keeps
 * the bytes it shows); so is a fetch in flight: a clip is fetched once. Each view has its own
 * `AudioFetcher`: its request ids, its reply listener and its timers, all
 * released by `dispose`.
 */
import { asBytes } from "./codecs";
import { ListenerSet, type PanelModel, pendingIn, refId, type WidgetModelLike } from "./models";

/** A request fails when no chunk arrived for this long. */
export const TIMEOUT_MS = 15_000;

export const LOADING = "Audio not embedded: loading from the kernel\u2026";
export const NO_KERNEL = "Audio not embedded in this report; re-run the notebook or raise embed=";
/** A live kernel that did not answer: its shell is busy while a cell runs (a training loop, say). */
export const NO_ANSWER =
  "The kernel did not answer within 15 s; is a cell still running? Retry once it is idle";
export const PAGE_LOADING = "Loading with the page\u2026";
/** The rejection of a fetch whose view closed first (another view waiting for it asks again). */
export const CLOSED = new Error("closed");

/** Request ids: unique per page, and across browser tabs on one kernel (every view sees every reply). */
const PREFIX = Math.random().toString(36).slice(2);
let requests = 0;

/** Fetched audio kept for the page, beyond what cards show: twice the panel's default embed budget. */
let budget = 128_000_000;
/** Fetched bytes per clip model, least recently used first. */
const fetched = new Map<object, Uint8Array>();
let fetchedBytes = 0;
const inflight = new WeakMap<object, Promise<Uint8Array>>();

/** Change how many fetched bytes the page keeps (the newest clip is always kept). */
export function setFetchedBudget(bytes: number): void {
  budget = bytes;
  trim();
}

/** Keep bytes fetched from the kernel (a model is only fetched while it has none kept). */
function remember(model: object, bytes: Uint8Array): void {
  fetched.set(model, bytes);
  fetchedBytes += bytes.byteLength;
  trim();
}

function recall(model: object): Uint8Array | null {
  const bytes = fetched.get(model);
  if (!bytes) return null;
  fetched.delete(model); // most recently used: last
  fetched.set(model, bytes);
  return bytes;
}

function trim(): void {
  for (const [model, bytes] of fetched) {
    if (fetchedBytes <= budget || fetched.size <= 1) break;
    fetched.delete(model);
    fetchedBytes -= bytes.byteLength;
  }
}

/** The clip's bytes if the page has them (in its state, or fetched before), else null. */
export function bytesOf(model: WidgetModelLike): Uint8Array | null {
  if (pendingIn(model, "audio")) return null;
  const own = asBytes(model.get("audio"));
  if (own?.byteLength || model.get("embedded") !== false) return own ?? new Uint8Array(0);
  return recall(model);
}

/** The bytes a saved report brings further down its page, once they are there. */
function arrival(model: WidgetModelLike): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const tag = {};
    const check = (): void => {
      if (pendingIn(model, "audio")) return;
      model.off("change:audio", check, tag);
      const bytes = bytesOf(model);
      if (bytes) resolve(bytes);
      else reject(new Error(NO_KERNEL)); // the page held no audio for it after all
    };
    model.on("change:audio", check, tag);
  });
}

interface Reply {
  type?: unknown;
  request_id?: unknown;
  clip?: unknown;
  chunk: number;
  chunks: number;
  bytes: number;
  message?: unknown;
}

/** A request in flight: takes each reply, or stops with an error. */
interface Request {
  take(reply: Reply, part: Uint8Array | null): void;
  stop(err: Error): void;
}

export class AudioFetcher {
  private readonly requests = new Map<string, Request>();
  private readonly listeners = new ListenerSet();
  private closed = false;

  constructor(private readonly panel: PanelModel) {
    this.listeners.on(panel, "msg:custom", (reply, buffers) =>
      this.requests.get(String((reply as Reply)?.request_id))?.take(reply as Reply, asBytes((buffers as unknown[])?.[0])),
    );
  }

  /**
   * Whether a kernel may answer for clip model `model`: a page of our own loader
   * has no `send`, and in nbconvert's HTML (or a notebook reopened without its
   * kernel) the widget models have no comm (`comm_live` false).
   */
  live(model?: WidgetModelLike): boolean {
    return typeof this.panel.send === "function" && model?.comm_live !== false;
  }

  /** The bytes of clip model `model` (id `id`): from the page, a fetch in flight (any view's), or a new request. */
  async bytes(id: string, model: WidgetModelLike): Promise<Uint8Array> {
    const have = bytesOf(model);
    if (have) return have;
    let job = inflight.get(model);
    if (!job) {
      // bytes a report brings later land in the model's own state: only a kernel's are kept here
      const fromKernel = !pendingIn(model, "audio");
      inflight.set(model, (job = fromKernel ? this.request(id, this.live(model)) : arrival(model)));
      job.then(
        (bytes) => {
          if (fromKernel) remember(model, bytes);
          inflight.delete(model);
        },
        () => inflight.delete(model),
      );
    }
    try {
      return await job;
    } catch (err) {
      if (err === CLOSED && !this.closed) return this.bytes(id, model);
      throw err;
    }
  }

  /** Drop every request in flight (replies to them are ignored) and stop listening. */
  dispose(): void {
    this.closed = true;
    this.listeners.off();
    for (const request of this.requests.values()) request.stop(CLOSED);
  }

  private request(clip: string, live: boolean): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.closed) throw CLOSED;
      if (!live || !this.panel.send) throw new Error(NO_KERNEL);
      const id = `${PREFIX}-${++requests}`;
      const parts: Uint8Array[] = [];
      let got = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = (err: Error | null, bytes?: Uint8Array): void => {
        clearTimeout(timer);
        this.requests.delete(id);
        if (err) reject(err);
        else resolve(bytes as Uint8Array);
      };
      /** No progress for TIMEOUT_MS: the kernel is busy (or gone). */
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => stop(new Error(NO_ANSWER)), TIMEOUT_MS);
      };
      const fail = (why: string): void => stop(new Error(`Cannot load the audio: ${why}`));
      const take = (reply: Reply, part: Uint8Array | null): void => {
        const { chunk, chunks } = reply;
        if (reply.type === "audio_error") return fail(String(reply.message));
        if (reply.type !== "audio_reply") return;
        if (refId(reply.clip) !== clip || !part || !(chunk >= 0 && chunk < chunks)) {
          return fail(`a bad reply for chunk ${chunk} of ${chunks}`);
        }
        if (!parts[chunk]) got++;
        parts[chunk] = part;
        if (got < chunks) return arm();
        const size = parts.reduce((n, p) => n + p.byteLength, 0);
        if (size !== reply.bytes) return fail(`got ${size} bytes, expected ${reply.bytes}`);
        const out = new Uint8Array(size);
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.byteLength;
        }
        stop(null, out);
      };
      this.requests.set(id, { take, stop });
      arm();
      this.panel.send({ type: "audio_request", request_id: id, clip: `IPY_MODEL_${clip}` });
    });
  }
}
