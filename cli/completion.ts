import type { Command } from 'commander';

/** One level of the command tree as completion sees it: words that may follow, with descriptions. */
export interface CompletionNode {
  /** `""` for the top level, `"jobs"`, `"jobs purge"` … */
  path: string;
  /** Subcommand names of this node. */
  commands: { name: string; description: string }[];
  /** Long options (`--json`) of this node, `--help` included. */
  options: { name: string; description: string }[];
}

/** Walks commander's tree (what `--help` prints) into one node per command, top level first. */
export function completionTree(root: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string): void => {
    const subcommands = command.commands.filter((c) => c.name() !== 'help');
    nodes.push({
      path,
      commands: subcommands.map((c) => ({ name: c.name(), description: c.description() })),
      options: [
        ...command.options
          .filter((o) => o.long)
          .map((o) => ({ name: o.long as string, description: o.description })),
        { name: '--help', description: 'Show help' },
      ],
    });
    for (const sub of subcommands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(root, '');
  return nodes;
}

const words = (node: CompletionNode): string =>
  [...node.commands.map((c) => c.name), ...node.options.map((o) => o.name)].join(' ');

/** The shell function's name: `_skill_fleet`. */
const functionName = (program: string): string => `_${program.replace(/[^A-Za-z0-9]/g, '_')}`;

/**
 * The `case "$at"` arms that step into a subcommand: at node `path`, a word naming one of its
 * subcommands moves `at` to that subcommand. zsh writes each pattern as `(a|b)`, bash as `a|b)`.
 */
const descendArms = (nodes: CompletionNode[], open: '' | '('): string[] =>
  nodes
    .filter((n) => n.commands.length > 0)
    .map(
      (n) =>
        `      "${n.path}") case "$w" in ${open}${n.commands.map((c) => c.name).join('|')}) at="${n.path ? `${n.path} ` : ''}$w" ;; esac ;;`,
    );

/**
 * A bash completion script: the words typed so far (options skipped) select a node of the tree, and
 * the node's subcommands and options are offered; anything else falls back to file names.
 */
export function bashScript(program: string, nodes: CompletionNode[]): string {
  const fn = functionName(program);
  const offer = nodes.map((n) => `    "${n.path}") words="${words(n)}" ;;`);
  return [
    `# bash completion for ${program}. Load it with: source <(${program} completion bash)`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" at="" words="" w i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    [[ "$w" == -* ]] && continue',
    '    case "$at" in',
    ...descendArms(nodes, ''),
    '    esac',
    '  done',
    '  case "$at" in',
    ...offer,
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    `complete -o default -F ${fn} ${program}`,
    '',
  ].join('\n');
}

/** `a:b` → `a\:b` for _describe; single quotes closed and reopened. */
const zshItem = (name: string, description: string): string =>
  `'${`${name}:${description.replace(/:/g, '\\:')}`.replace(/'/g, "'\\''")}'`;

/** A zsh completion script (compsys), same tree as bash, with each word's description. */
export function zshScript(program: string, nodes: CompletionNode[]): string {
  const fn = functionName(program);
  const offer = nodes.map((n) => {
    const items = [
      ...n.commands.map((c) => zshItem(c.name, c.description)),
      ...n.options.map((o) => zshItem(o.name, o.description)),
    ];
    return `    "${n.path}") items=(${items.join(' ')}) ;;`;
  });
  return [
    `#compdef ${program}`,
    `# zsh completion for ${program}. Load it with: source <(${program} completion zsh)`,
    `${fn}() {`,
    // `path` is zsh's tied $PATH array, so the position is kept in `at`.
    '  local at="" w',
    '  local -a items',
    '  for w in "${(@)words[2,CURRENT-1]}"; do',
    '    [[ "$w" == -* ]] && continue',
    '    case "$at" in',
    ...descendArms(nodes, '('),
    '    esac',
    '  done',
    '  case "$at" in',
    ...offer,
    '  esac',
    `  _describe -t commands '${program}' items || _files`,
    '}',
    `compdef ${fn} ${program}`,
    '',
  ].join('\n');
}
