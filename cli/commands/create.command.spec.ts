import { CliFailure } from '../printer';
import { parsePromptSwitches } from './create.command';

describe('create --prompts', () => {
  it('turns on the kinds listed and turns off the rest', () => {
    expect(parsePromptSwitches('preview, clarify')).toEqual({
      clarify: true,
      structure_fix: false,
      confirm: false,
      preview: true,
      validate: false,
    });
  });

  it('takes all and none', () => {
    expect(Object.values(parsePromptSwitches('all'))).toEqual([true, true, true, true, true]);
    expect(Object.values(parsePromptSwitches('none'))).toEqual([false, false, false, false, false]);
  });

  it('refuses an unknown kind as a usage error (exit 2)', () => {
    expect(() => parsePromptSwitches('clarify,review')).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('"review"') }),
    );
    expect(() => parsePromptSwitches('all,preview')).toThrow(CliFailure);
  });
});
