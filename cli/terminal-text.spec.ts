/* eslint-disable no-control-regex -- these patterns exist to find control characters */
import { terminalJson, terminalText } from './terminal-text';

const ESC = '\u001b';

describe('terminalText', () => {
  it.each([
    ['an OSC title ended by BEL', `a${ESC}]0;pwned\u0007b`, 'ab'],
    [
      'an OSC hyperlink ended by ST',
      `a${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\b`,
      'alinkb',
    ],
    ['a CSI clear screen', `a${ESC}[2Jb`, 'ab'],
    ['a CSI colour', `${ESC}[1;31mred${ESC}[0m`, 'red'],
    ['a private CSI', `a${ESC}[?1049hb`, 'ab'],
    ['an 8-bit CSI', 'a\u009b2Jb', 'ab'],
    ['an 8-bit OSC', 'a\u009d0;t\u0007b', 'ab'],
    ['a DCS string', `a${ESC}Pq#0;2;0;0;0${ESC}\\b`, 'ab'],
    ['a two-byte escape', `a${ESC}cb${ESC}(Bc`, 'abc'],
    ['a lone ESC at the end', `a${ESC}`, 'a'],
    ['carriage return, backspace, bell, DEL', 'a\rb\bc\u0007d\u007fe', 'abcde'],
    ['other C1', 'a\u0085b\u009cc', 'abc'],
  ])('removes %s', (_label, input, expected) => {
    expect(terminalText(input)).toBe(expected);
  });

  it('keeps newlines, tabs, braces and any printable text', () => {
    const text = 'line 1\n\tindented {bold} é 漢字 💥\n';
    expect(terminalText(text)).toBe(text);
  });

  it('stops an unterminated OSC at the end of its line', () => {
    expect(terminalText(`a${ESC}]0;title\nnext`)).toBe('a\nnext');
  });

  it('leaves no ESC, C0 (but \\n, \\t) or C1 in any input', () => {
    let all = '';
    for (let code = 0; code < 0x200; code++) all += String.fromCharCode(code) + ESC;
    expect(terminalText(all)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('terminalJson', () => {
  it('writes DEL and C1 as \\u escapes and parses back to the same value', () => {
    const value = { text: `a\u009b2J${ESC}[2J\u007f` };
    const json = terminalJson(value);
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
