/**
 * Decodes arrays sent as `{dtype, shape, data[, codec]}`: little-endian bytes,
 * or those bytes compressed without loss (see `_array_payload` in widget.py).
 * The only place in the front end where binary arrays are read.
 */

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export interface DecodedArray<T extends TypedArray = TypedArray> {
  dtype: string;
  shape: number[];
  data: T;
}

interface TypedArrayClass {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

const DTYPES: Record<string, TypedArrayClass> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a binary trait as a Uint8Array view (no copy), whatever binary form the widget manager delivered. */
export function asBytes(value: unknown): Uint8Array | null {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : null;
}

/** Decode raw `{dtype, shape, data}` (see `inflateArray` for the others); throws with the offending value when it does not fit. */
export function decodeArray(payload: unknown): DecodedArray {
  if (typeof payload !== "object" || payload === null) {
    throw new TypeError(`expected {dtype, shape, data}, got ${String(payload)}`);
  }
  const { dtype, shape, data } = payload as { dtype?: unknown; shape?: unknown; data?: unknown };
  const Kind = typeof dtype === "string" ? DTYPES[dtype] : undefined;
  if (!Kind) throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPES).join(", ")}`);
  if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new TypeError(`shape must be a list of non-negative ints, got ${JSON.stringify(shape)}`);
  }
  let bytes = asBytes(data);
  if (!bytes) throw new TypeError("data must be binary (DataView, ArrayBuffer or typed array)");
  const size = Kind.BYTES_PER_ELEMENT;
  const length = (shape as number[]).reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== length * size) {
    throw new RangeError(`${dtype} array of shape [${shape.join(", ")}] needs ${length * size} bytes, got ${bytes.byteLength}`);
  }
  if (!LITTLE_ENDIAN || bytes.byteOffset % size) {
    // a copy that starts on a multiple of the value size, each value's bytes reversed on a big-endian machine
    bytes = bytes.slice();
    if (!LITTLE_ENDIAN) for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  const out = new Kind(bytes.buffer, bytes.byteOffset, length);
  return { dtype: dtype as string, shape: [...(shape as number[])], data: out };
}

/** The payload's codec, or null for raw bytes. */
export function codecOf(payload: unknown): string | null {
  const codec = (payload as { codec?: unknown } | null)?.codec;
  return codec == null ? null : String(codec);
}

/**
 * Decode a compressed payload: the browser inflates zlib's format natively
 * (`DecompressionStream`, so no inflater in the bundle); for "delta-deflate" a
 * running sum along the last axis then undoes the differences (typed arrays
 * wrap around exactly as the integer subtraction that made them did).
 */
export async function inflateArray(payload: unknown): Promise<DecodedArray> {
  const codec = codecOf(payload);
  const packed = asBytes((payload as { data?: unknown }).data);
  if ((codec !== "deflate" && codec !== "delta-deflate") || !packed) throw new TypeError(`cannot inflate codec ${codec}`);
  const stream = new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  const decoded = decodeArray({ ...(payload as object), data: await new Response(stream).arrayBuffer() });
  const { data, shape } = decoded;
  const row = codec === "delta-deflate" ? (shape[shape.length - 1] ?? 0) : 0;
  for (let start = 0; row && start < data.length; start += row) {
    for (let i = start + 1; i < start + row; i++) data[i] += data[i - 1] as number;
  }
  return decoded;
}
