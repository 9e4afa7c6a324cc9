/**
 * Decodes arrays sent as `{dtype, shape, data}` (little-endian raw bytes).
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

interface DtypeInfo {
  size: number;
  make: (length: number) => TypedArray;
  view: (buffer: ArrayBufferLike, offset: number, length: number) => TypedArray;
  read: (view: DataView, offset: number) => number;
}

const DTYPES: Record<string, DtypeInfo> = {
  int8: { size: 1, make: (n) => new Int8Array(n), view: (b, o, n) => new Int8Array(b, o, n), read: (v, o) => v.getInt8(o) },
  uint8: { size: 1, make: (n) => new Uint8Array(n), view: (b, o, n) => new Uint8Array(b, o, n), read: (v, o) => v.getUint8(o) },
  int16: { size: 2, make: (n) => new Int16Array(n), view: (b, o, n) => new Int16Array(b, o, n), read: (v, o) => v.getInt16(o, true) },
  uint16: { size: 2, make: (n) => new Uint16Array(n), view: (b, o, n) => new Uint16Array(b, o, n), read: (v, o) => v.getUint16(o, true) },
  int32: { size: 4, make: (n) => new Int32Array(n), view: (b, o, n) => new Int32Array(b, o, n), read: (v, o) => v.getInt32(o, true) },
  uint32: { size: 4, make: (n) => new Uint32Array(n), view: (b, o, n) => new Uint32Array(b, o, n), read: (v, o) => v.getUint32(o, true) },
  float32: { size: 4, make: (n) => new Float32Array(n), view: (b, o, n) => new Float32Array(b, o, n), read: (v, o) => v.getFloat32(o, true) },
  float64: { size: 8, make: (n) => new Float64Array(n), view: (b, o, n) => new Float64Array(b, o, n), read: (v, o) => v.getFloat64(o, true) },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes as a DataView, whatever binary form the widget manager delivered. */
export function asDataView(value: unknown): DataView | null {
  if (value instanceof DataView) return value;
  if (value instanceof ArrayBuffer) return new DataView(value);
  if (ArrayBuffer.isView(value)) return new DataView(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/** The bytes of a binary trait as a Uint8Array view (no copy). */
export function asBytes(value: unknown): Uint8Array | null {
  const view = asDataView(value);
  return view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : null;
}

/** Decode `{dtype, shape, data}`; throws with the offending value when it does not fit. */
export function decodeArray(payload: unknown): DecodedArray {
  if (typeof payload !== "object" || payload === null) {
    throw new TypeError(`expected {dtype, shape, data}, got ${String(payload)}`);
  }
  const { dtype, shape, data } = payload as { dtype?: unknown; shape?: unknown; data?: unknown };
  const info = typeof dtype === "string" ? DTYPES[dtype] : undefined;
  if (!info) throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPES).join(", ")}`);
  if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new TypeError(`shape must be a list of non-negative ints, got ${JSON.stringify(shape)}`);
  }
  const view = asDataView(data);
  if (!view) throw new TypeError("data must be binary (DataView, ArrayBuffer or typed array)");
  const length = (shape as number[]).reduce((a, b) => a * b, 1);
  if (view.byteLength !== length * info.size) {
    throw new RangeError(`${dtype} array of shape [${shape.join(", ")}] needs ${length * info.size} bytes, got ${view.byteLength}`);
  }
  let out: TypedArray;
  if (LITTLE_ENDIAN && view.byteOffset % info.size === 0) {
    out = info.view(view.buffer, view.byteOffset, length);
  } else {
    out = info.make(length);
    for (let i = 0; i < length; i++) out[i] = info.read(view, i * info.size);
  }
  return { dtype: dtype as string, shape: [...(shape as number[])], data: out };
}
