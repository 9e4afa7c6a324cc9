/**
 * The Statistics tab: every statistic numpy computed for the clip, with its
 * unit. Each row is `<tr data-stat="<field>">`; its value cell carries the raw
 * value as JSON in `data-value`. Python sends the level of silence as "-inf"
 * and an undefined value as null.
 */
import { h } from "./dom";
import type { ClipMeta } from "./models";
import { signed } from "./plot";

/** How a value reads: a level (never undefined), a number with n decimals, a percentage, text. */
type Kind = "level" | "levels" | number | "%" | "text";

/** field, label, unit, kind, note under the label, why a null value is undefined. */
const ROWS: [string, string, string, Kind, string?, string?][] = [
  ["peak_dbfs", "Peak", "dBFS", "level"],
  ["peak_dbfs_per_channel", "Peak per channel", "dBFS", "levels"],
  ["rms_dbfs", "RMS", "dBFS", "level"],
  ["crest_factor_db", "Crest factor", "dB", 2, "peak − RMS", "Undefined for silence"],
  ["dynamic_range_db", "Dynamic range", "dB", 2, "95th − 10th percentile of 50 ms windows", "Fewer than two 50 ms windows above −70 dBFS"],
  ["loudness_lufs", "Integrated loudness", "LUFS", 2, "ITU-R BS.1770", "The clip is shorter than 400 ms, or its sample rate below 3364 Hz (where K-weighting is undefined)"],
  ["dc_offset", "DC offset", "FS", 6, "mean sample value"],
  ["clipped_samples", "Clipped samples", "samples", 0],
  ["silence_ratio", "Silence", "%", "%", "50 ms windows below −60 dBFS"],
  ["duration", "Duration", "s", 3],
  ["sample_rate", "Sample rate", "Hz", 0],
  ["channels", "Channels", "", 0],
  ["encoding", "Encoding", "", "text"],
  ["spectrum_fps", "Spectrum frame rate", "frames/s", 1],
];

/** A level: "-inf" (and null, as notebooks saved before "-inf" sent silence) reads −∞. */
const level = (v: unknown): string => (typeof v === "number" ? signed(v, 2) : "\u2212\u221e");

/** Display text of `v`, or null when it is undefined ("n/a"). */
function format(kind: Kind, v: unknown): string | null {
  if (kind === "level" || v === "-inf") return level(v); // loudness of silence is -inf too
  if (kind === "levels") return Array.isArray(v) ? v.map(level).join("\n") : null; // one line per channel
  if (kind === "text") return v == null ? null : String(v);
  if (typeof v !== "number") return null;
  return kind === "%" ? (v * 100).toFixed(1) : signed(v, kind);
}

/**
 * The statistics table; without `meta.stats` it shows what the clip's metadata
 * knows (the frame rate too in notebooks saved before `stats` held it).
 */
export function statsTable(meta: ClipMeta): HTMLTableElement {
  const stats: Record<string, unknown> = {
    spectrum_fps: meta.spectrum_fps > 0 ? meta.spectrum_fps : null,
    ...(meta.stats ?? { duration: meta.duration, sample_rate: meta.sample_rate, channels: meta.channels, encoding: meta.encoding }),
  };
  const table = h("table", "aw-stats");
  const head = table.createTHead().insertRow();
  for (const name of ["Statistic", "Value", "Unit"]) head.append(h("th", "", name, { scope: "col" }));
  const body = table.createTBody();
  for (const [field, label, unit, kind, note, why] of ROWS) {
    const known = field in stats;
    const raw = stats[field] ?? null;
    const text = known ? format(kind, raw) : null;
    const row = body.insertRow();
    row.dataset.stat = field;
    const name = h("th", "aw-stat-name", label, { scope: "row" });
    if (note) name.append(h("span", "aw-stat-note", note));
    const value = h("td", "aw-stat-value", text ?? "n/a", { "data-value": JSON.stringify(raw) });
    if (text === null) value.title = known ? (why ?? "Undefined") : "Not computed for this clip";
    row.append(name, value, h("td", "aw-stat-unit", unit));
  }
  return table;
}
