import type { ClarifyQuestion, Prompt } from '#src/client/index';
import { SkillFleetError } from '#src/client/index';
import { describeError } from '../connection';
import { shortId } from '../format';
import type { KeyEvent } from '../keymap';
import { Form, FormField, FormSpec, FormValues, Option } from './form';
import type { Overlay, ViewContext } from './view';

type Answer = Record<string, unknown>;

const CANCEL_JOB: Option = { id: 'cancel', label: 'Cancel job' };

/** Field id for each answer path of protocol.md 1.6 (`answer.feedback` → `feedback`). */
function fieldOf(path: string): string {
  const rest = path.replace(/^payload\./, '').replace(/^answer\./, '');
  const question = /^answers\.([^.[\]]+)/.exec(rest);
  return question ? `q:${question[1]}` : rest.split(/[.[]/)[0];
}

/** `VALIDATION_FAILED` details as errors by field id; the rest becomes the message. */
export function fieldErrors(error: unknown): { errors: Record<string, string>; message: string } {
  const errors: Record<string, string> = {};
  if (error instanceof SkillFleetError && error.code === 'CONFLICT') {
    const d = (error.details ?? {}) as {
      answeredBy?: string;
      answeredAt?: string;
      status?: string;
    };
    const who = d.answeredBy
      ? `answered first by ${d.answeredBy}`
      : `already ${d.status ?? 'closed'}`;
    const when = d.answeredAt ? ` at ${d.answeredAt}` : '';
    return { errors, message: `CONFLICT: this prompt was ${who}${when}. Press escape.` };
  }
  if (error instanceof SkillFleetError && Array.isArray(error.details)) {
    for (const detail of error.details as { field?: string; message?: string }[]) {
      if (detail.field && detail.message) errors[fieldOf(detail.field)] = detail.message;
    }
  }
  return { errors, message: describeError(error) };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function list(items: unknown, bullet = '- '): string {
  return Array.isArray(items) ? items.map((item) => `${bullet}${text(item)}`).join('\n') : '';
}

function reportText(report: unknown): string {
  const r = (report ?? {}) as {
    valid?: boolean;
    errors?: { code: string; message: string }[];
    warnings?: { code: string; message: string }[];
    qualityScore?: number;
  };
  const lines = [`valid: ${r.valid ? 'yes' : 'NO'}`];
  if (typeof r.qualityScore === 'number') lines.push(`quality: ${r.qualityScore}`);
  for (const e of r.errors ?? []) lines.push(`error   ${e.code}: ${e.message}`);
  for (const w of r.warnings ?? []) lines.push(`warning ${w.code}: ${w.message}`);
  return lines.join('\n');
}

/**
 * Answers one prompt: builds the form for its kind, sends `prompts.answer`, shows VALIDATION_FAILED
 * beside the fields and CONFLICT as who answered first. Clarify asks one question at a time.
 */
export class PromptFormView implements Overlay {
  onClose?: () => void;
  private form: Form | undefined;
  private readonly clarify: Answer = {};
  private readonly questions: ClarifyQuestion[];
  private page = 0;
  private pageErrors: Record<string, string> = {};
  private done = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly prompt: Prompt,
  ) {
    this.questions = (prompt.payload.questions as ClarifyQuestion[] | undefined) ?? [];
    this.show();
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    return this.form?.handleKey(ch, key) ?? true;
  }

  destroy(): void {
    this.done = true;
    const form = this.form;
    this.form = undefined;
    form?.destroy();
  }

  private show(message: string | null = null): void {
    const previous = this.form;
    const spec = this.spec();
    this.form = new Form(
      this.ctx.screen,
      spec,
      (button, values, form) => void this.press(button, values, form),
      () => this.ctx.render.request(),
    );
    this.form.onClose = () => {
      if (this.form && !this.done) {
        this.done = true;
        this.onClose?.();
      }
    };
    previous?.destroy();
    this.form.showErrors(this.pageErrors, message);
  }

  private title(extra = ''): string {
    const { kind, jobId, title } = this.prompt;
    return `Answer ${kind}${extra} · job ${shortId(jobId)} · ${title}`;
  }

  private spec(): FormSpec {
    const p = this.prompt.payload;
    const feedback: FormField = {
      kind: 'text',
      id: 'feedback',
      label: 'Feedback',
      value: '',
      multiline: true,
    };
    switch (this.prompt.kind) {
      case 'clarify':
        return this.questionSpec();
      case 'structure_fix': {
        const current = (p.current ?? {}) as { name?: string; description?: string };
        const suggested = (p.suggested ?? {}) as { name?: string; description?: string };
        return {
          title: this.title(),
          hint: 'Fix the name and description (suggested values filled in), or accept the suggestions.',
          fields: [
            {
              kind: 'content',
              id: 'issues',
              label: 'Issues',
              text: `${list(p.issues)}\n\ncurrent name: ${current.name ?? ''}\ncurrent description: ${current.description ?? ''}`,
            },
            {
              kind: 'text',
              id: 'name',
              label: 'Name',
              required: true,
              value: suggested.name ?? current.name ?? '',
            },
            {
              kind: 'text',
              id: 'description',
              label: 'Description',
              required: true,
              multiline: true,
              value: suggested.description ?? current.description ?? '',
            },
            {
              kind: 'buttons',
              id: 'buttons',
              label: '',
              buttons: [
                { id: 'submit', label: 'Submit' },
                { id: 'accept', label: 'Accept suggestions' },
                CANCEL_JOB,
              ],
            },
          ],
        };
      }
      case 'confirm':
        return {
          title: this.title(),
          focus: 'summary',
          hint: 'Is this what you meant? ↑/↓ scroll, tab to the feedback (needed to revise) and the buttons.',
          fields: [
            {
              kind: 'content',
              id: 'summary',
              label: 'Summary',
              text: `${text(p.summary)}\n\npath: ${text(p.path)}\n\nassumptions:\n${list(p.assumptions)}`,
            },
            ...this.feedbackFields(feedback),
            this.actionButtons(['proceed', 'revise']),
          ],
        };
      case 'preview': {
        const stats = (p.stats ?? {}) as Record<string, unknown>;
        return {
          title: this.title(),
          focus: 'content',
          hint: '↑/↓ scroll, e edits the content in $EDITOR, tab to the feedback (to refine) and the buttons.',
          keys: [{ key: 'e', run: () => this.edit() }],
          fields: [
            {
              kind: 'content',
              id: 'content',
              label: `SKILL.md (${Object.entries(stats)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(', ')})`,
              text: `${text(p.content ?? '')}${Array.isArray(p.highlights) && p.highlights.length ? `\n\nhighlights:\n${list(p.highlights)}` : ''}`,
            },
            ...this.feedbackFields(feedback),
            this.actionButtons(['proceed', 'refine']),
          ],
        };
      }
      case 'validate':
        return {
          title: this.title(),
          focus: 'report',
          hint: 'The validation report, then the content (↑/↓ scroll); tab to the feedback and the buttons.',
          fields: [
            {
              kind: 'content',
              id: 'report',
              label: 'Report',
              text: `${reportText(p.report)}\n\n${text(p.content ?? '')}`,
            },
            ...this.feedbackFields(feedback),
            this.actionButtons(['proceed', 'refine']),
          ],
        };
      default:
        return {
          title: this.title(),
          fields: [
            { kind: 'content', id: 'payload', label: 'Payload', text: JSON.stringify(p, null, 2) },
            feedback,
            this.actionButtons(this.prompt.actions.filter((a) => a !== 'cancel')),
          ],
        };
    }
  }

  /** What this job can take now: the payload's `actions` when it lists them (issue 17), else the prompt's. */
  private offered(): string[] {
    const listed = this.prompt.payload.actions;
    return Array.isArray(listed)
      ? listed.filter((a): a is string => typeof a === 'string')
      : this.prompt.actions;
  }

  /** The buttons of `actions` that the prompt offers (and Cancel job when it does). */
  private actionButtons(actions: string[]): FormField {
    const offered = this.offered();
    return {
      kind: 'buttons',
      id: 'buttons',
      label: '',
      buttons: [
        ...actions
          .filter((a) => offered.includes(a))
          .map((a) => ({ id: a, label: a[0].toUpperCase() + a.slice(1) })),
        ...(offered.includes('cancel') ? [CANCEL_JOB] : []),
      ],
    };
  }

  /** The free-text feedback field, only when a revise or refine with feedback is offered. */
  private feedbackFields(feedback: FormField): FormField[] {
    const offered = this.offered();
    return offered.includes('revise') || offered.includes('refine') ? [feedback] : [];
  }

  private questionSpec(): FormSpec {
    const q = this.questions[this.page];
    const count = this.questions.length;
    const last = this.page === count - 1;
    const buttons: Option[] = [{ id: last ? 'submit' : 'next', label: last ? 'Submit' : 'Next' }];
    if (this.page > 0) buttons.push({ id: 'back', label: 'Back' });
    buttons.push(CANCEL_JOB);
    const fields: FormField[] = [];
    if (!q) {
      fields.push({
        kind: 'content',
        id: 'none',
        label: 'No questions',
        text: '(nothing to answer)',
      });
    } else {
      const label = `${q.text}${q.required ? '' : ' (optional)'}`;
      const previous = this.clarify[q.id];
      if (q.type === 'text') {
        fields.push({
          kind: 'text',
          id: `q:${q.id}`,
          label,
          required: q.required,
          value: typeof previous === 'string' ? previous : '',
          multiline: true,
        });
      } else {
        const options =
          q.type === 'boolean'
            ? [
                { id: 'true', label: 'yes' },
                { id: 'false', label: 'no' },
              ]
            : (q.options ?? []).map((o) => ({ id: o.id, label: o.label }));
        const selected =
          typeof previous === 'boolean'
            ? [String(previous)]
            : Array.isArray(previous)
              ? previous.filter(
                  (v): v is string => typeof v === 'string' && options.some((o) => o.id === v),
                )
              : typeof previous === 'string' && options.some((o) => o.id === previous)
                ? [previous]
                : [];
        fields.push({
          kind: 'choice',
          id: `q:${q.id}`,
          label,
          required: q.required,
          options,
          multi: q.type === 'multi',
          selected,
        });
        if (q.allowOther && q.type !== 'boolean') {
          fields.push({
            kind: 'text',
            id: `other:${q.id}`,
            label: 'Other (your own answer)',
            // What was typed here before: the answer's value that is not one of the options.
            value:
              [previous]
                .flat()
                .find(
                  (v): v is string => typeof v === 'string' && !options.some((o) => o.id === v),
                ) ?? '',
          });
        }
      }
    }
    fields.push({ kind: 'buttons', id: 'buttons', label: '', buttons });
    return {
      title: this.title(` · question ${Math.min(this.page + 1, count)} of ${count}`),
      fields,
    };
  }

  /** The clarify answer of the current page from the form's values; undefined when empty. */
  private questionAnswer(values: FormValues): unknown {
    const q = this.questions[this.page];
    if (!q) return undefined;
    const main = values[`q:${q.id}`];
    const other = String(values[`other:${q.id}`] ?? '').trim();
    if (q.type === 'text') return String(main).trim() || undefined;
    if (q.type === 'boolean') return main === '' ? undefined : main === 'true';
    if (q.type === 'multi') {
      const picked = [...(main as string[]), ...(other ? [other] : [])];
      return picked.length ? picked : undefined;
    }
    return other || (main as string) || undefined;
  }

  private async press(button: string, values: FormValues, form: Form): Promise<void> {
    if (button === 'cancel') return this.send({ action: 'cancel' }, form);
    if (this.prompt.kind === 'clarify') return this.clarifyButton(button, values, form);
    if (this.prompt.kind === 'structure_fix') {
      if (button === 'accept') return this.send({ acceptSuggestions: true }, form);
      return this.send(
        { name: String(values.name).trim(), description: String(values.description).trim() },
        form,
      );
    }
    const feedbackText = String(values.feedback ?? '').trim();
    return this.send({ action: button, ...(feedbackText ? { feedback: feedbackText } : {}) }, form);
  }

  private async clarifyButton(button: string, values: FormValues, form: Form): Promise<void> {
    const q = this.questions[this.page];
    if (q) {
      const answer = this.questionAnswer(values);
      if (answer === undefined) delete this.clarify[q.id];
      else this.clarify[q.id] = answer;
      if (button !== 'back' && q.required && answer === undefined) {
        form.showErrors({ [`q:${q.id}`]: 'an answer is required' }, null);
        return;
      }
    }
    if (button === 'back' || button === 'next') {
      this.page += button === 'back' ? -1 : 1;
      this.pageErrors = {};
      this.show();
      return;
    }
    await this.send({ answers: { ...this.clarify } }, form);
  }

  private async send(answer: Answer, form: Form): Promise<void> {
    form.setBusy(true);
    form.setMessage('sending…');
    try {
      await this.ctx.commands.answerPrompt(this.prompt.id, answer);
      this.ctx.notify(`answered ${this.prompt.kind} for job ${shortId(this.prompt.jobId)}`);
      this.done = true;
      form.close();
      this.onClose?.();
    } catch (error) {
      if (this.done) return;
      const { errors, message } = fieldErrors(error);
      form.setBusy(false);
      const page = this.questions.findIndex((q) => errors[`q:${q.id}`]);
      if (this.prompt.kind === 'clarify' && page >= 0 && page !== this.page) {
        this.page = page;
        this.pageErrors = errors;
        this.show(message);
        return;
      }
      form.showErrors(errors, message);
    }
  }

  /** preview: `$EDITOR` on the content; a changed text is sent back as the draft. */
  private edit(): void {
    const form = this.form;
    if (!form) return;
    const content = text(this.prompt.payload.content ?? '');
    const screen = this.ctx.screen as unknown as {
      // @types/blessed declares data as a Buffer; blessed 0.1.81 passes the text as a string.
      readEditor(
        options: { value: string },
        callback: (err: Error | null, data?: string) => void,
      ): void;
    };
    screen.readEditor({ value: content }, (err, data) => {
      this.ctx.screen.render();
      if (err) return form.setMessage(`editor failed: ${err.message}`);
      const edited = String(data ?? '');
      if (!edited.trim() || edited === content)
        return form.setMessage('content unchanged; nothing sent');
      void this.send({ action: 'proceed', content: edited }, form);
    });
  }
}
