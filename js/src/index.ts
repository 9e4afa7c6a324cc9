/**
 * audiowidget front end: anywidget entry point.
 *
 * `render` builds one view of an AudioPanel (a section per group with a step
 * slider and a card per run) and returns the cleanup that stops audio,
 * closes the view's AudioContext, revokes Blob URLs, cancels animation
 * frames, leaves fullscreen, disconnects the observer, drops audio requests
 * in flight and removes every model and DOM listener the view added.
 *
 * Steps, linking, the selected run, the reference run and the Compare and
 * Match loudness toggles are read from the panel's traits only, so every view
 * of a panel shows the same; playback stays per view.
 */
import "./styles.css";
import { h, placeAt } from "./dom";
import { GroupSection } from "./group";
import { ClipIndex, ListenerSet, type PanelModel, readGroups, readRuns, readTraits, UI_TRAITS } from "./models";
import { AudioFetcher } from "./source";
import { snapshot } from "./steps";
import { AudioHub, PlaybackCoordinator, ResizeHub, RunTable, Signal, TraitWriter, type ViewContext } from "./view";

const EMPTY_HINT = "Nothing logged yet: panel.log({...}, step=..., run=...)";

interface RenderProps {
  model: PanelModel;
  el: HTMLElement;
}

function render({ model, el }: RenderProps): () => void {
  const root = h("div", "aw-panel");
  const hint = h("p", "aw-empty", EMPTY_HINT);
  const list = h("div", "aw-groups");
  root.append(hint, list);
  el.append(root);

  const ctx: ViewContext = {
    model,
    runs: new RunTable(),
    playback: new PlaybackCoordinator(),
    resize: new ResizeHub(),
    audio: new AudioHub(),
    writer: new TraitWriter(model),
    fetcher: new AudioFetcher(model),
    clips: () => index,
    changed: new Signal(),
  };
  ctx.runs.update(readRuns(model));
  const sections = new Map<string, GroupSection>();
  const listeners = new ListenerSet();

  /** Sections in `_groups` order, then groups the index knows that `_groups` does not list yet. */
  const layout = (): void => {
    const order = [...new Set([...readGroups(model), ...index.groups()])].filter((g) => sections.has(g));
    order.forEach((group, i) => {
      const section = sections.get(group);
      if (section) placeAt(list, section.element, i);
    });
    // While models resolve, show nothing rather than a wrong "nothing logged".
    hint.hidden = sections.size > 0 || index.loading();
  };

  /** Every section at once: a linked group's step depends on the other groups' steps. */
  const refresh = (): void => {
    const state = snapshot(readTraits(model), index);
    for (const section of sections.values()) section.sync(state);
  };

  const onClipsChanged = (groups: ReadonlySet<string>): void => {
    for (const group of groups) {
      const section = sections.get(group);
      if (index.steps(group).length === 0) {
        section?.dispose();
        sections.delete(group);
      } else if (!section) {
        sections.set(group, new GroupSection(group, index, ctx));
      }
    }
    refresh();
    layout();
    ctx.changed.emit();
  };

  const index = new ClipIndex(model, onClipsChanged);
  listeners.on(model, "change:_groups", layout);
  for (const name of UI_TRAITS) listeners.on(model, `change:${name}`, refresh);
  listeners.on(model, "change:_runs", () => {
    ctx.runs.update(readRuns(model));
    for (const section of sections.values()) section.refreshRuns();
    ctx.changed.emit();
  });
  layout();

  return () => {
    listeners.off();
    index.dispose();
    ctx.writer.flush();
    ctx.playback.pauseAll();
    for (const section of sections.values()) section.dispose();
    sections.clear();
    ctx.resize.dispose();
    ctx.audio.dispose();
    ctx.fetcher.dispose();
    root.remove();
  };
}

export { setFetchedBudget } from "./source";
export default { render };
