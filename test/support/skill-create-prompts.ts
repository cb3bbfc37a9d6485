/** skill.create's `options.prompts` (protocol.md 1.3) with every human-in-the-loop prompt on. */
export const ALL_PROMPTS = {
  clarify: true,
  structure_fix: true,
  confirm: true,
  preview: true,
  validate: true,
};

/** skill.create's `options.prompts` with every prompt off: the job runs to the end unattended. */
export const NO_PROMPTS = {
  clarify: false,
  structure_fix: false,
  confirm: false,
  preview: false,
  validate: false,
};
