/**
 * audiowidget front end: anywidget entry point.
 *
 * `render` builds one view of an AudioPanel (a section per group with a step
 * slider and a card per run) and returns the cleanup that stops audio,
 * revokes Blob URLs, cancels animation frames, disconnects the observer and
 * removes every model listener the view added.
 */
import "./styles.css";
import { h } from "./dom";
import { GroupSection } from "./group";
import { ClipIndex, ListenerSet, type PanelModel, readGroups, readRuns } from "./models";
import { PlaybackCoordinator, ResizeHub, RunTable, type ViewContext } from "./view";

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
    clips: () => index,
  };
  ctx.runs.update(readRuns(model));
  const sections = new Map<string, GroupSection>();
  const listeners = new ListenerSet();

  /** Sections in `_groups` order, then groups the index knows that `_groups` does not list yet. */
  const layout = (): void => {
    const order = [...new Set([...readGroups(model), ...index.groups()])].filter((g) => sections.has(g));
    order.forEach((group, i) => {
      const section = sections.get(group);
      if (section && list.children[i] !== section.element) {
        list.insertBefore(section.element, list.children[i] ?? null);
      }
    });
    // While models resolve, show nothing rather than a wrong "nothing logged".
    hint.hidden = sections.size > 0 || index.loading();
  };

  const onClipsChanged = (groups: ReadonlySet<string>): void => {
    for (const group of groups) {
      const section = sections.get(group);
      if (index.steps(group).length === 0) {
        section?.dispose();
        sections.delete(group);
      } else if (section) {
        section.sync();
      } else {
        sections.set(group, new GroupSection(group, index, ctx));
      }
    }
    layout();
  };

  const index = new ClipIndex(model, onClipsChanged);
  listeners.on(model, "change:_groups", layout);
  listeners.on(model, "change:_pinned_steps", () => {
    for (const section of sections.values()) section.sync();
  });
  listeners.on(model, "change:_runs", () => {
    ctx.runs.update(readRuns(model));
    for (const section of sections.values()) section.refreshRuns();
  });
  layout();

  return () => {
    listeners.off();
    index.dispose();
    ctx.playback.pauseAll();
    for (const section of sections.values()) section.dispose();
    sections.clear();
    ctx.resize.dispose();
    root.remove();
  };
}

export default { render };
