/** Text formatting: times, durations, sample rates and safe download names. */

/**
 * `m:ss.s` when `tenths` (clips shorter than a minute), else `m:ss`.
 * Rounds down so the elapsed time never reads past the total.
 */
export function formatTime(seconds: number, tenths: boolean): string {
  const t = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  if (tenths) {
    const deci = Math.floor(t * 10 + 1e-6);
    const minutes = Math.floor(deci / 600);
    const rest = (deci % 600) / 10;
    return `${minutes}:${rest < 10 ? "0" : ""}${rest.toFixed(1)}`;
  }
  const whole = Math.floor(t + 1e-6);
  const minutes = Math.floor(whole / 60);
  const secs = whole % 60;
  return `${minutes}:${secs < 10 ? "0" : ""}${secs}`;
}

/** Whether times of a clip this long show tenths of a second. */
export function showsTenths(duration: number): boolean {
  return duration < 60;
}

/** A clip's length for the card: `2.5 s` below a minute, else `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  return seconds < 60 ? `${seconds.toFixed(seconds < 10 ? 2 : 1)} s` : formatTime(seconds, false);
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
  seek.value = String(t);
  const tenths = showsTenths(duration);
  const [at, of] = [formatTime(t, tenths), formatTime(duration, tenths)];
  seek.setAttribute("aria-valuetext", `${at} of ${of}`);
  return `${at} / ${of}`;
}
