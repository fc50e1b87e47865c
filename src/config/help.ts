/**
 * `--help` text from command specs: every variable with its flag, type and default.
 * @module
 */
import type { AnyField, CommandSpec } from './spec.js';

type Spec = CommandSpec<Readonly<Record<string, AnyField>>>;

const hasDefault = (f: AnyField): boolean => f.default !== undefined && f.default !== '';

const defaultText = (f: AnyField): string => {
  if (f.defaultHelp !== undefined) return f.defaultHelp;
  if (hasDefault(f)) return JSON.stringify(f.default);
  return f.required === true ? 'none (required)' : 'empty';
};

/**
 * Words of `text` (split at white space, or the given list) in lines of at most `width` characters, each
 * starting with `indent`.
 */
export function wrap(text: string | readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  const words = typeof text === 'string' ? text.split(/\s+/) : text;
  for (const word of words.filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function fieldLines(f: AnyField): string[] {
  const head = `  ${f.env}  ${f.flag} <${f.type.name}>  default: ${defaultText(f)}`;
  return [head, ...wrap(f.help, 100, '      ')];
}

/** The text of `nsm <command> --help`. */
export function commandHelp(spec: Spec): string {
  const fields = Object.values(spec.fields);
  const used = fields.filter((f) => f.unused !== true);
  const unused = fields.filter((f) => f.unused === true);
  return [
    `usage: nsm ${spec.name} [--option value ...]`,
    '',
    ...wrap(spec.description, 100, ''),
    '',
    'Configuration: each environment variable has a flag; a flag overrides the variable.',
    '',
    ...used.flatMap(fieldLines),
    ...(unused.length === 0 ? [] : ['', 'Also accepted, as the Go binary does, but not used:', '']),
    ...unused.flatMap(fieldLines),
    '',
  ].join('\n');
}

const summaryValue = (f: AnyField): string => {
  if (f.defaultHelp !== undefined) return `(${f.defaultHelp})`;
  if (hasDefault(f)) return f.default ?? '';
  return f.required === true ? '(required)' : '""';
};

/** A command's variables as `NAME=default` words, for the overview of `nsm --help`. */
export function commandSummary(spec: Spec): string[] {
  const vars = Object.values(spec.fields)
    .filter((f) => f.unused !== true)
    .map((f) => `${f.env}=${summaryValue(f)}`);
  return [`  ${spec.name.padEnd(20)}${spec.summary}`, ...wrap(vars, 100, '      ')];
}
