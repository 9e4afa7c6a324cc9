/**
 * Which step each group shows, as `AudioPanel.group_steps` computes it in
 * Python: a linked group shows the logged step nearest `_linked_step` (or,
 * following, the newest step over every linked group); an unlinked group the
 * step pinned in `_pinned_steps` (or its own newest). Pure functions.
 */
import type { ClipIndex, PanelTraits } from "./models";

/** The logged step nearest `wanted`, the lower one on a tie (`steps` sorted, non-empty). */
export function nearestStep(steps: readonly number[], wanted: number): number {
  let best = steps[0] as number;
  for (const s of steps) {
    const d = Math.abs(s - wanted);
    const b = Math.abs(best - wanted);
    if (d < b || (d === b && s < best)) best = s;
  }
  return best;
}

/** The traits plus what every group needs from the others: the newest step over the linked groups. */
export interface Snapshot extends PanelTraits {
  newestLinked: number | null;
}

export function snapshot(traits: PanelTraits, index: ClipIndex): Snapshot {
  let newest: number | null = null;
  for (const group of index.groups()) {
    if (traits.unlinked.includes(group)) continue;
    const steps = index.steps(group);
    const last = steps[steps.length - 1];
    if (last !== undefined && (newest === null || last > newest)) newest = last;
  }
  return { ...traits, newestLinked: newest };
}

/** The step `group` asks for (it shows the logged step nearest to it). */
export function wantedStep(group: string, steps: readonly number[], s: Snapshot): number {
  const newest = steps[steps.length - 1] as number;
  if (s.unlinked.includes(group)) return s.pinned[group] ?? newest;
  return s.linkedStep ?? s.newestLinked ?? newest;
}

/**
 * The step of `run`'s clips shown as reference beside `step`: its nearest
 * logged step at or before `step`, else its first one; null if it has none.
 */
export function referenceStep(index: ClipIndex, group: string, run: string, step: number): number | null {
  const steps = index.steps(group);
  const has = (s: number): boolean => index.clipsAt(group, s).some((e) => e.run === run);
  let i = steps.length - 1;
  while (i >= 0 && (steps[i] as number) > step) i--;
  for (let k = i; k >= 0; k--) if (has(steps[k] as number)) return steps[k] as number;
  for (let k = i + 1; k < steps.length; k++) if (has(steps[k] as number)) return steps[k] as number;
  return null;
}
