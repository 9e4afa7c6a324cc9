/** Text formatting: times, durations, sample rates and safe download names. */

/**
 * `m:ss` with `decimals` (0-2) digits of seconds: `0:01.25`, `0:01.2`, `0:01`.
 * Rounds down so the elapsed time never reads past the total.
 */
export function formatTime(seconds: number, decimals: number): string {
  const t = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  const scale = 10 ** decimals;
  const units = Math.floor(t * scale + 1e-6);
  const rest = (units % (60 * scale)) / scale;
  return `${Math.floor(units / (60 * scale))}:${rest < 10 ? "0" : ""}${rest.toFixed(decimals)}`;
}

/** The digits of seconds a clip this long shows: hundredths below a second, tenths below a minute. */
export function timeDecimals(duration: number): number {
  return duration < 1 ? 2 : duration < 60 ? 1 : 0;
}

/** A clip's length for the card: `2.5 s` below a minute, else `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  return seconds < 60 ? `${seconds.toFixed(seconds < 10 ? 2 : 1)} s` : formatTime(seconds, 0);
}

/** `16 kHz`, `22.05 kHz`. */
export function formatSampleRate(hz: number): string {
  if (!Number.isFinite(hz) || hz <= 0) return "";
  return `${Number((hz / 1000).toFixed(2))} kHz`;
}

/**
 * `{run}-{group}-step{step}-{index}.{ext}`, safe for every file system: the
 * characters Windows, macOS or Linux refuse in a name (`/ \\ : * ? " < > |`),
 * control characters and white space become `_`, as does a leading dot; letters
 * of any script stay. Run and group keep their first 60 characters each.
 */
export function downloadName(run: string, group: string, step: number, index: number, ext: string): string {
  const part = (s: string) => [...s].slice(0, 60).join("");
  return `${part(run)}-${part(group)}-step${step}-${index}.${ext || "bin"}`.replace(/^\.|[\p{C}\s\\/:*?"<>|]/gu, "_");
}

/**
 * Show position `t` of `duration` on a seek slider (its range, value and
 * `aria-valuetext`, which says "0:01.2 of 0:03.0": screen readers would read
 * the raw seconds); returns the text of the time display beside it, "0:01.2 / 0:03.0".
 */
export function showSeek(seek: HTMLInputElement, t: number, duration: number): string {
  if (seek.max !== String(duration)) seek.max = String(duration);
  // a hundredth of a second, or a thousandth under a second: Page Up/Down still move a tenth
  const step = duration < 1 ? "0.001" : "0.01";
  if (seek.step !== step) seek.step = step;
  seek.value = String(t);
  const decimals = timeDecimals(duration);
  const [at, of] = [formatTime(t, decimals), formatTime(duration, decimals)];
  seek.setAttribute("aria-valuetext", `${at} of ${of}`);
  return `${at} / ${of}`;
}
