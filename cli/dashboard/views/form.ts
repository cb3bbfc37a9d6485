import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import { colour, esc, fit, wrap } from '../format';
import { KeyEvent, printable } from '../keymap';
import type { Overlay } from './view';

/**
 * A modal form drawn as text: text fields (single or multi-line), option lists (single or multi),
 * read-only scrollable content, and a row of buttons. Keys never reach the rest of the dashboard
 * while it is open (Ctrl-C excepted, which the dashboard handles first).
 */

export interface Option {
  id: string;
  label: string;
}

interface FieldBase {
  id: string;
  label: string;
  required?: boolean;
  /** Shown under the field (a VALIDATION_FAILED message, a missing required value). */
  error?: string;
}

export interface TextField extends FieldBase {
  kind: 'text';
  value: string;
  multiline?: boolean;
}

export interface ChoiceField extends FieldBase {
  kind: 'choice';
  options: Option[];
  multi: boolean;
  selected: string[];
}

export interface ContentField extends FieldBase {
  kind: 'content';
  text: string;
}

export interface ButtonsField extends FieldBase {
  kind: 'buttons';
  buttons: Option[];
}

export type FormField = TextField | ChoiceField | ContentField | ButtonsField;

export interface FormSpec {
  title: string;
  fields: FormField[];
  /** Extra single-character keys (when no text field has focus), e.g. `e` for the editor. */
  keys?: { key: string; run(form: Form): void }[];
  /** A line under the title: what to do. */
  hint?: string;
  /** The field that has the focus first (default: the first one that is not read-only content). */
  focus?: string;
}

export type FormValues = Record<string, string | string[]>;

export class Form implements Overlay {
  readonly box: Widgets.BoxElement;
  onClose?: () => void;
  private focus = 0;
  /** Per field: the option (choice) or button under the cursor. */
  private readonly cursors = new Map<string, number>();
  private readonly scrolls = new Map<string, number>();
  private message: string | null = null;
  private busy = false;
  private closed = false;

  constructor(
    private readonly screen: Widgets.Screen,
    private readonly spec: FormSpec,
    /** A button was pressed. */
    private readonly onButton: (button: string, values: FormValues, form: Form) => void,
    private readonly requestRender: () => void,
  ) {
    this.box = blessed.box({
      parent: screen,
      wrap: false,
      top: 'center',
      left: 'center',
      width: '90%',
      height: '90%',
      border: { type: 'line' },
      label: ` ${fit(spec.title, Math.max(10, (screen.width as number) - 16)).trimEnd()} `,
      tags: true,
      style: { border: { fg: 'cyan' } },
    });
    const first = spec.focus
      ? spec.fields.findIndex((f) => f.id === spec.focus)
      : spec.fields.findIndex((f) => f.kind !== 'content');
    this.focus = Math.max(0, first);
    this.draw();
  }

  values(): FormValues {
    const values: FormValues = {};
    for (const f of this.spec.fields) {
      if (f.kind === 'text') values[f.id] = f.value;
      if (f.kind === 'choice') values[f.id] = f.multi ? [...f.selected] : (f.selected[0] ?? '');
    }
    return values;
  }

  /** Shows errors next to fields (by id) and a message at the bottom; focuses the first bad field. */
  showErrors(errors: Record<string, string>, message: string | null): void {
    for (const f of this.spec.fields) f.error = errors[f.id];
    const first = this.spec.fields.findIndex((f) => f.error);
    if (first >= 0) this.focus = first;
    this.setMessage(message);
  }

  setMessage(message: string | null): void {
    this.message = message;
    this.draw();
  }

  /** While a request is in flight the buttons do nothing (a second press would answer twice). */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.draw();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.destroy();
    this.onClose?.();
  }

  destroy(): void {
    this.box.destroy();
    this.requestRender();
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    if (this.closed) return true;
    const field = this.spec.fields[this.focus];
    if (key.full === 'escape') {
      this.close();
      return true;
    }
    if (key.full === 'tab') return this.moveFocus(1);
    if (key.full === 'S-tab') return this.moveFocus(-1);
    if (field.kind === 'text') {
      if (this.editText(field, ch, key)) return true;
    } else if (ch && !key.ctrl) {
      const extra = this.spec.keys?.find((k) => k.key === ch);
      if (extra) {
        extra.run(this);
        return true;
      }
    }
    if (field.kind === 'choice') this.onChoiceKey(field, ch, key);
    else if (field.kind === 'buttons') this.onButtonsKey(field, key);
    else if (field.kind === 'content') this.onContentKey(field, key);
    return true;
  }

  private moveFocus(delta: number): boolean {
    const count = this.spec.fields.length;
    this.focus = (this.focus + delta + count) % count;
    this.draw();
    return true;
  }

  private editText(field: TextField, ch: string | undefined, key: KeyEvent): boolean {
    if (key.full === 'backspace') field.value = field.value.slice(0, -1);
    else if (key.full === 'enter') {
      if (!field.multiline) return this.moveFocus(1);
      field.value += '\n';
    } else if ((key.full === 'down' || key.full === 'up') && !field.multiline) {
      return this.moveFocus(key.full === 'down' ? 1 : -1);
    } else if (printable(ch, key)) field.value += ch;
    else return false;
    field.error = undefined;
    this.draw();
    return true;
  }

  private onChoiceKey(field: ChoiceField, ch: string | undefined, key: KeyEvent): void {
    const cursor = this.cursors.get(field.id) ?? 0;
    const count = field.options.length;
    if (key.full === 'left' || key.full === 'right') {
      const delta = key.full === 'left' ? -1 : 1;
      this.cursors.set(field.id, (cursor + delta + count) % count);
    } else if (key.full === 'space' || ch === ' ' || (key.full === 'enter' && !field.multi)) {
      const id = field.options[cursor].id;
      if (field.multi) {
        field.selected = field.selected.includes(id)
          ? field.selected.filter((s) => s !== id)
          : [...field.selected, id];
      } else field.selected = [id];
      field.error = undefined;
      if (key.full === 'enter') this.moveFocus(1);
    } else if (key.full === 'down' || key.full === 'enter') this.moveFocus(1);
    else if (key.full === 'up') this.moveFocus(-1);
    this.draw();
  }

  private onButtonsKey(field: ButtonsField, key: KeyEvent): void {
    const cursor = this.cursors.get(field.id) ?? 0;
    const count = field.buttons.length;
    if (key.full === 'left' || key.full === 'right') {
      this.cursors.set(field.id, (cursor + (key.full === 'left' ? -1 : 1) + count) % count);
      this.draw();
    } else if (key.full === 'up') this.moveFocus(-1);
    else if (key.full === 'enter' || key.full === 'space') {
      if (this.busy) return;
      this.onButton(field.buttons[cursor].id, this.values(), this);
    }
  }

  private onContentKey(field: ContentField, key: KeyEvent): void {
    const scroll = this.scrolls.get(field.id) ?? 0;
    const page = this.contentHeight(field);
    const deltas: Record<string, number> = { up: -1, down: 1, pageup: -page, pagedown: page };
    const delta = deltas[key.full];
    if (delta === undefined) {
      if (key.full === 'enter') this.moveFocus(1);
      return;
    }
    const max = Math.max(0, wrap(field.text, this.width() - 6).length - page);
    this.scrolls.set(field.id, Math.max(0, Math.min(max, scroll + delta)));
    this.draw();
  }

  /** Rows a content field may take: what the other fields leave. */
  private contentHeight(field: ContentField): number {
    const inner = Math.max(6, (this.box.height as number) - 2);
    const others = this.spec.fields
      .filter((f) => f !== field)
      .reduce((sum, f) => sum + this.fieldLines(f, this.width()).length, 0);
    const contents = this.spec.fields.filter((f) => f.kind === 'content').length;
    return Math.max(4, Math.floor((inner - others - 4) / Math.max(1, contents)) - 2);
  }

  private width(): number {
    return Math.max(20, (this.box.width as number) - 4);
  }

  private fieldLines(f: FormField, width: number): string[] {
    const focused = this.spec.fields[this.focus] === f;
    const marker = focused ? colour('cyan', '▸ ') : '  ';
    /** The label, wrapped, with a note after it (how to use the field). */
    const label = (note: string): string[] =>
      wrap(`${f.label}${f.required ? ' *' : ''}${note ? ` ${note}` : ''}`, width - 2).map(
        (line, i) =>
          `${i === 0 ? marker : '  '}${focused ? `{bold}${esc(line)}{/bold}` : esc(line)}`,
      );
    const lines: string[] = [];
    if (f.kind === 'text') {
      lines.push(...label(f.multiline ? '(multi-line)' : ''));
      const text = f.value.split('\n');
      text.forEach((line, i) => {
        const caret = focused && i === text.length - 1 ? '{inverse} {/inverse}' : '';
        lines.push(`    > ${esc(line.slice(-(width - 8)))}${caret}`);
      });
    } else if (f.kind === 'choice') {
      lines.push(...label(f.multi ? '(space toggles)' : '(space picks)'));
      const cursor = this.cursors.get(f.id) ?? 0;
      let row = '   ';
      let rowLength = 3;
      f.options.forEach((option, i) => {
        const on = f.selected.includes(option.id);
        const box = f.multi ? (on ? '[x]' : '[ ]') : on ? '(*)' : '( )';
        const plain = `${box} ${option.label}`;
        let item = esc(plain);
        if (focused && i === cursor) item = `{inverse}${item}{/inverse}`;
        if (rowLength + plain.length + 2 > width && rowLength > 3) {
          lines.push(row);
          row = '   ';
          rowLength = 3;
        }
        row += ` ${item} `;
        rowLength += plain.length + 2;
      });
      lines.push(row);
    } else if (f.kind === 'content') {
      const all = wrap(f.text, width - 6);
      const height = this.contentHeight(f);
      const scroll = Math.min(this.scrolls.get(f.id) ?? 0, Math.max(0, all.length - height));
      const shown = all.slice(scroll, scroll + height);
      const range = `lines ${scroll + 1}-${scroll + shown.length} of ${all.length}`;
      lines.push(...label(`(${range}${all.length > height ? ', ↑/↓ scroll' : ''})`));
      for (const line of shown) lines.push(`    │ ${esc(line)}`);
    } else {
      const cursor = this.cursors.get(f.id) ?? 0;
      const buttons = f.buttons.map((b, i) => {
        const text = `[ ${esc(b.label)} ]`;
        return focused && i === cursor ? `{inverse}${text}{/inverse}` : text;
      });
      lines.push(`${marker}${buttons.join('  ')}${this.busy ? '  (sending…)' : ''}`);
    }
    if (f.error) {
      lines.push(...wrap(`! ${f.error}`, width - 4).map((l) => `    ${colour('red', esc(l))}`));
    }
    return lines;
  }

  draw(): void {
    if (this.closed) return;
    const width = this.width();
    const lines: string[] = [];
    if (this.spec.hint) lines.push(`{gray-fg}${esc(this.spec.hint)}{/gray-fg}`, '');
    let focusLine = 0;
    this.spec.fields.forEach((f, i) => {
      if (i === this.focus) focusLine = lines.length;
      lines.push(...this.fieldLines(f, width), '');
    });
    if (this.message) {
      lines.push(...wrap(this.message, width).map((l) => colour('yellow', esc(l))));
    }
    lines.push('{gray-fg}tab next field · enter press · esc close · Ctrl-C quit{/gray-fg}');
    const height = Math.max(1, (this.box.height as number) - 2);
    const top = Math.max(0, Math.min(focusLine - 2, lines.length - height));
    this.box.setContent(lines.slice(top, top + height).join('\n'));
    this.requestRender();
  }
}
