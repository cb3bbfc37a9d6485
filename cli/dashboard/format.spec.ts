import { esc, fit, wrap } from './format';

const HOSTILE = 'a\u001b]0;pwned\u0007b\u001b[2Jc\u009b31m{bold}d\re';

describe('dashboard text', () => {
  it('esc removes control sequences and escapes blessed tags', () => {
    expect(esc(HOSTILE)).toBe('abc{open}bold{close}de');
  });

  it('fit and wrap remove control sequences too', () => {
    expect(fit(HOSTILE, 40).trimEnd()).toBe('abc{bold}de');
    expect(wrap(`${HOSTILE}\nnext`, 40)).toEqual(['abc{bold}de', 'next']);
  });
});
