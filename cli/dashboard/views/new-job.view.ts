import { PROMPT_KINDS } from '#cli/commands/create.command';
import { CLIENT_SOURCE_LIMITS, readSourceFiles, SourceFilesError } from '#cli/source-files';
import type { SourceFile } from '#cli/source-files';
import { describeError } from '../connection';
import { shortId } from '../format';
import type { KeyEvent } from '../keymap';
import { Form, FormValues } from './form';
import { fieldErrors } from './prompt-form.view';
import type { Overlay, ViewContext } from './view';

/** protocol.md 1.3: clarify and structure_fix are on unless turned off. */
const DEFAULT_PROMPTS = ['clarify', 'structure_fix'];
const STYLES = ['default', 'minimal', 'comprehensive', 'navigation_hub'];

/** The `jobs.create` input options from the form's values. */
function jobOptions(values: FormValues): Record<string, unknown> {
  const picked = values.prompts as string[];
  const options: Record<string, unknown> = {
    prompts: Object.fromEntries(PROMPT_KINDS.map((kind) => [kind, picked.includes(kind)])),
  };
  if (values.autoApprove === 'yes') options.autoApprove = true;
  if (values.style && values.style !== 'default') options.style = values.style;
  return options;
}

/** New job (n): task text (multi-line), which prompts to ask, auto-approve, style; submit opens it in Jobs. */
export class NewJobView implements Overlay {
  onClose?: () => void;
  private readonly form: Form;

  constructor(
    private readonly ctx: ViewContext,
    private readonly opened: (jobId: string) => void,
  ) {
    this.form = new Form(
      ctx.screen,
      {
        title: 'New job · skill.create',
        hint: 'Describe the skill to create. tab moves between fields.',
        fields: [
          { kind: 'text', id: 'task', label: 'Task', required: true, multiline: true, value: '' },
          {
            kind: 'choice',
            id: 'prompts',
            label: 'Ask me at',
            multi: true,
            options: PROMPT_KINDS.map((kind) => ({ id: kind, label: kind })),
            selected: [...DEFAULT_PROMPTS],
          },
          {
            kind: 'choice',
            id: 'autoApprove',
            label: 'Auto-approve every prompt',
            multi: false,
            options: [
              { id: 'no', label: 'no' },
              { id: 'yes', label: 'yes' },
            ],
            selected: ['no'],
          },
          {
            kind: 'choice',
            id: 'style',
            label: 'Style',
            multi: false,
            options: STYLES.map((style) => ({ id: style, label: style })),
            selected: ['default'],
          },
          {
            kind: 'text',
            id: 'sources',
            label: 'Sources: files or folders, separated by spaces (optional)',
            value: '',
          },
          {
            kind: 'buttons',
            id: 'buttons',
            label: '',
            buttons: [
              { id: 'submit', label: 'Create job' },
              { id: 'close', label: 'Close' },
            ],
          },
        ],
      },
      (button, values, form) => void this.press(button, values, form),
      () => ctx.render.request(),
    );
    this.form.onClose = () => this.onClose?.();
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    return this.form.handleKey(ch, key);
  }

  destroy(): void {
    this.form.destroy();
  }

  private async press(button: string, values: FormValues, form: Form): Promise<void> {
    if (button === 'close') return form.close();
    const task = String(values.task).trim();
    if (!task) return form.showErrors({ task: 'a task is required' }, null);
    form.setBusy(true);
    // The paths are read here, on this machine, as `create --from` reads them (the server never opens them).
    const paths = String(values.sources ?? '')
      .split(/\s+/)
      .filter(Boolean);
    let sources: SourceFile[] = [];
    let notes: string[] = [];
    try {
      if (paths.length > 0)
        ({ sources, notes } = await readSourceFiles(paths, CLIENT_SOURCE_LIMITS, 'sources:'));
    } catch (error) {
      form.setBusy(false);
      if (error instanceof SourceFilesError)
        return form.showErrors({ sources: error.message }, null);
      throw error;
    }
    if (paths.length > 0 && sources.length === 0) {
      form.setBusy(false);
      return form.showErrors({ sources: 'found no Markdown, text or code file to send' }, null);
    }
    try {
      const job = await this.ctx.commands.createJob(task, jobOptions(values), sources);
      const read =
        sources.length > 0
          ? ` with ${sources.length} source${sources.length === 1 ? '' : 's'}`
          : '';
      this.ctx.notify([`created job ${shortId(job.id)}${read}`, ...notes].join('; '));
      form.close();
      this.opened(job.id);
    } catch (error) {
      form.setBusy(false);
      const { errors, message } = fieldErrors(error);
      // payload.input.task → task; option errors land in the message.
      const byField: Record<string, string> = {};
      for (const [field, text] of Object.entries(errors)) {
        byField[field === 'input' ? 'task' : field] = text;
      }
      form.showErrors(byField, message || describeError(error));
    }
  }
}
