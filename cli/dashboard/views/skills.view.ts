import type { Widgets } from 'blessed';
import type { Draft, Skill } from '#src/client/index';
import { SkillFleetError } from '#src/client/index';
import { describeError } from '../connection';
import { colour, esc, fit, shortId } from '../format';
import { KeyEvent, printable } from '../keymap';
import { Layout, SkillsPane } from '../layouts';
import type { DashboardState } from '../store';
import { ConfirmView } from './confirm.view';
import { Cursor, innerHeight, innerWidth, pane, StoreView, ViewContext } from './view';

const DRAFTS = '_drafts';

interface Row {
  /** A category heading or a skill. */
  skill: Skill | null;
  text: string;
}

/** `_drafts/<jobId>/<name>` → the job id; null for a skill in the taxonomy. */
function draftJobId(skill: Skill): string | null {
  const parts = skill.id.split('/');
  return parts[0] === DRAFTS && parts.length >= 3 ? parts[1] : null;
}

/** A draft's mark in the tree: its lifecycle status, and where a promotion put it. */
function draftMark(draft: Draft | undefined): string {
  if (!draft) return ' [draft]';
  if (draft.promoted) return ` [promoted → ${draft.promoted.skillId} v${draft.promoted.version}]`;
  return ` [draft ${draft.status}]`;
}

/** The taxonomy as rows: categories in order, their skills indented, drafts last. */
function treeRows(skills: Skill[], drafts: ReadonlyMap<string, Draft>): Row[] {
  const groups = new Map<string, Skill[]>();
  for (const skill of skills) {
    const group = draftJobId(skill)
      ? 'drafts'
      : skill.id.split('/').slice(0, -1).join('/') || '(top)';
    groups.set(group, [...(groups.get(group) ?? []), skill]);
  }
  const names = [...groups.keys()].sort((a, b) =>
    a === 'drafts' ? 1 : b === 'drafts' ? -1 : a.localeCompare(b),
  );
  const rows: Row[] = [];
  for (const name of names) {
    rows.push({ skill: null, text: `▾ ${name}/` });
    for (const skill of groups.get(name)!.sort((a, b) => a.id.localeCompare(b.id))) {
      const job = draftJobId(skill);
      const mark =
        skill.status === 'draft'
          ? draftMark(job ? drafts.get(job) : undefined)
          : skill.status === 'deprecated'
            ? ' [deprecated]'
            : '';
      const invalid = skill.validation.valid ? '' : ' [invalid]';
      rows.push({
        skill,
        text: `  ${skill.name}${mark}${invalid}${job ? ` (job ${shortId(job)})` : ''}`,
      });
    }
  }
  return rows;
}

/**
 * Skills (3): the taxonomy tree with drafts and their lifecycle status, the selected skill's SKILL.md
 * and validation; `p` promotes a draft, `d` deletes one.
 */
export class SkillsView extends StoreView {
  private readonly tree: Widgets.BoxElement;
  private readonly detail: Widgets.BoxElement;
  private readonly cursor = new Cursor();
  private rows: Row[] = [];
  /** The selection lives in the store, so it is kept while other screens are shown. */
  private get selectedId(): string | null {
    return this.ctx.store.state.selectedSkillId;
  }
  private set selectedId(skillId: string | null) {
    this.ctx.store.dispatch({ type: 'select.skill', skillId });
  }
  private query = '';
  private editing: string | null = null;
  private results: Skill[] | null = null;
  private loaded: { id: string; content: string } | null = null;
  private loadTimer: NodeJS.Timeout | undefined;
  private message: string | null = null;
  /** drafts.list by job id, for the drafts' status; reloaded after a promotion or deletion */
  private drafts = new Map<string, Draft>();

  constructor(ctx: ViewContext, parent: Widgets.Node, layout: Layout<SkillsPane>) {
    super(ctx);
    this.tree = pane(parent, 'Skills', layout.panes.tree);
    this.detail = pane(parent, 'SKILL.md', layout.panes.detail);
    this.disposers.push(() => {
      clearTimeout(this.loadTimer);
      this.tree.destroy();
      this.detail.destroy();
    });
    this.start();
    this.loadDrafts();
    this.scheduleLoad();
  }

  private loadDrafts(): void {
    this.ctx.commands.listDrafts().then(
      (drafts) => {
        this.drafts = new Map(drafts.map((d) => [d.jobId, d]));
        this.invalidate();
      },
      (error: unknown) => this.ctx.fail(error),
    );
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    if (this.editing !== null) {
      if (key.full === 'enter') {
        this.query = this.editing.trim();
        this.editing = null;
        void this.search();
      } else if (key.full === 'escape') {
        this.editing = null;
        this.query = '';
        this.results = null;
      } else if (key.full === 'backspace') this.editing = this.editing.slice(0, -1);
      else if (printable(ch, key)) this.editing += ch;
      this.invalidate();
      return true;
    }
    if (ch === '/') {
      this.editing = this.query;
      this.invalidate();
      return true;
    }
    this.refreshRows(this.ctx.store.state);
    if (ch === 'p') {
      this.promote();
      return true;
    }
    if (ch === 'd') {
      this.deleteDraft();
      return true;
    }
    const moved = this.cursor.navigate(key, this.rows.length, innerHeight(this.tree));
    if (moved === 'moved') {
      this.selectedId = this.rows[this.cursor.index]?.skill?.id ?? null;
      this.message = null;
      this.invalidate();
      this.scheduleLoad();
    }
    return moved !== false;
  }

  private async search(): Promise<void> {
    if (!this.query) {
      this.results = null;
      this.invalidate();
      return;
    }
    try {
      this.results = await this.ctx.commands.searchSkills(this.query);
    } catch (error) {
      this.ctx.fail(error);
    }
    this.cursor.index = 0;
    this.invalidate();
  }

  private scheduleLoad(): void {
    clearTimeout(this.loadTimer);
    const id = this.selectedId;
    if (!id) return;
    this.loadTimer = setTimeout(() => {
      this.ctx.commands.getSkill(id).then(
        ({ content }) => {
          this.loaded = { id, content };
          this.invalidate();
        },
        (error: unknown) => this.ctx.fail(error),
      );
    }, 100);
  }

  private promote(): void {
    const skill = this.rows[this.cursor.index]?.skill;
    const jobId = skill ? draftJobId(skill) : null;
    if (!skill || !jobId) {
      this.message = 'Only a draft can be promoted: select one marked [draft].';
      this.invalidate();
      return;
    }
    const run = (overwrite: boolean, allowScaffold = false) => {
      this.message = 'promoting…';
      this.invalidate();
      const promoting = allowScaffold
        ? this.ctx.commands.promote(jobId, overwrite, true)
        : this.ctx.commands.promote(jobId, overwrite);
      promoting.then(
        (promoted) => {
          this.message = `Promoted to ${promoted.id}`;
          this.ctx.notify(`promoted ${skill.name} to ${promoted.id}`);
          this.loadDrafts();
        },
        (error: unknown) => {
          this.message = describeError(error);
          this.invalidate();
          if (error instanceof SkillFleetError && error.code === 'CONFLICT' && !overwrite) {
            this.ctx.openOverlay(
              new ConfirmView(
                this.ctx,
                'CONFLICT',
                `${error.message}. Overwrite the skill in the taxonomy?`,
                () => run(true, allowScaffold),
              ),
            );
          }
          // An offline scaffold no person has edited: promote it as it is only when asked twice.
          if (
            error instanceof SkillFleetError &&
            error.code === 'VALIDATION_FAILED' &&
            error.message.includes('OFFLINE_SCAFFOLD') &&
            !allowScaffold
          ) {
            this.ctx.openOverlay(
              new ConfirmView(
                this.ctx,
                'OFFLINE_SCAFFOLD',
                'This draft was written from templates without a model and nobody has edited it. Promote the scaffold as it is?',
                () => run(overwrite, true),
              ),
            );
          }
        },
      );
    };
    this.ctx.openOverlay(
      new ConfirmView(
        this.ctx,
        'Promote',
        `Promote the draft ${skill.name} (job ${shortId(jobId)}) into the taxonomy?`,
        () => run(false),
      ),
    );
  }

  private deleteDraft(): void {
    const skill = this.rows[this.cursor.index]?.skill;
    const jobId = skill ? draftJobId(skill) : null;
    if (!skill || !jobId) {
      this.message = 'Only a draft can be deleted here: select one under drafts/.';
      this.invalidate();
      return;
    }
    this.ctx.openOverlay(
      new ConfirmView(
        this.ctx,
        'Delete draft',
        `Delete the draft ${skill.name} (job ${shortId(jobId)}): its folder and record?`,
        () => {
          this.message = 'deleting…';
          this.invalidate();
          this.ctx.commands.deleteDraft(jobId).then(
            () => {
              this.message = `Deleted the draft of job ${shortId(jobId)}`;
              this.ctx.notify(`deleted draft ${skill.name}`);
              this.loadDrafts();
            },
            (error: unknown) => {
              this.message = describeError(error);
              this.invalidate();
            },
          );
        },
      ),
    );
  }

  private refreshRows(state: DashboardState): Skill[] {
    const skills = this.results ?? Object.values(state.skills);
    this.rows = this.results
      ? this.results.map((skill) => ({
          skill,
          text: `  ${skill.id}${skill.status === 'draft' ? ' [draft]' : ''}`,
        }))
      : treeRows(skills, this.drafts);
    const at = this.rows.findIndex((r) => r.skill?.id === this.selectedId);
    if (at >= 0) this.cursor.index = at;
    return skills;
  }

  protected sync(state: DashboardState): void {
    const skills = this.refreshRows(state);
    const height = innerHeight(this.tree);
    const width = innerWidth(this.tree);
    const top = this.cursor.window(this.rows.length, height);
    const lines = this.rows.slice(top, top + height).map((row, i) => {
      let text = esc(fit(row.text, width));
      if (row.skill?.status === 'draft') text = colour('yellow', text);
      if (!row.skill) text = `{bold}${text}{/bold}`;
      return top + i === this.cursor.index ? `{inverse}${text}{/inverse}` : text;
    });
    if (this.rows.length === 0) lines.push(this.results ? '(nothing found)' : '(no skills)');
    const search =
      this.editing !== null
        ? ` search: ${esc(this.editing)}_ `
        : this.query
          ? ` search: ${esc(this.query)} `
          : '';
    this.tree.setLabel(` Skills (${skills.length})${search || ' '}`);
    this.tree.setContent(lines.join('\n'));
    this.drawDetail(this.rows[this.cursor.index]?.skill ?? null);
  }

  private drawDetail(skill: Skill | null): void {
    const width = innerWidth(this.detail);
    const lines: string[] = [];
    if (this.message)
      lines.push(
        colour(this.message.startsWith('CONFLICT') ? 'red' : 'yellow', esc(this.message)),
        '',
      );
    if (!skill) {
      lines.push('(select a skill)');
    } else {
      const v = skill.validation;
      lines.push(
        `{bold}${esc(skill.id)}{/bold}  ${skill.status}  ${skill.version === null ? '' : `v${skill.version}  `}${esc(skill.declaredVersion)}`,
        esc(fit(skill.description, width)),
        `validation: ${v.valid ? colour('green', 'valid') : colour('red', 'INVALID')}` +
          ` (${v.errors.length} errors, ${v.warnings.length} warnings)`,
        ...v.errors.map((e) => colour('red', esc(fit(`  error ${e.code}: ${e.message}`, width)))),
        ...v.warnings.map((w) => esc(fit(`  warning ${w.code}: ${w.message}`, width))),
        '',
      );
      if (skill.status === 'draft') {
        lines.push('{gray-fg}p promotes this draft, d deletes it{/gray-fg}', '');
      }
      if (this.loaded?.id === skill.id)
        lines.push(...this.loaded.content.split('\n').map((l) => esc(fit(l, width))));
      else lines.push('(loading SKILL.md…)');
    }
    this.detail.setLabel(` ${skill ? esc(skill.name) : 'SKILL.md'} `);
    this.detail.setContent(lines.slice(0, innerHeight(this.detail)).join('\n'));
  }
}
