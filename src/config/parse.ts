/**
 * Reads a command's config from the environment and the command line, the way Go's envconfig reads the
 * environment: a variable that is set (even to "") is parsed, one that is not set takes the default. A
 * `--flag value` (or `--flag=value`) overrides the variable.
 * @module
 */
import type { AnyField, CommandSpec, ConfigOf } from './spec.js';
import { ValueProblem } from './value-type.js';

/** A configuration mistake the user can fix: printed as one line, exit code 2. */
export class ConfigProblem extends Error {
  override readonly name = 'ConfigProblem';
  readonly exitCode = 2;
}

/** Where each value came from, for the startup log. */
export type ConfigSource = 'default' | 'env' | 'flag';

export interface ParsedConfig<TConfig> {
  readonly config: TConfig;
  readonly sources: Readonly<Record<string, ConfigSource>>;
}

type Spec = CommandSpec<Readonly<Record<string, AnyField>>>;

/** True when the arguments ask for help (`--help`, `-h`). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--help' || arg === '-h');
}

function flagValues(spec: Spec, argv: readonly string[]): Map<AnyField, string> {
  const byFlag = new Map(Object.values(spec.fields).map((f) => [f.flag, f] as const));
  const values = new Map<AnyField, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigProblem(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const f = byFlag.get(name);
    if (f === undefined) throw new ConfigProblem(`unknown option ${name} (see nsm ${spec.name} --help)`);
    const next = argv[i + 1];
    if (eq >= 0) values.set(f, arg.slice(eq + 1));
    else if (next !== undefined && !next.startsWith('--')) values.set(f, argv[++i] ?? '');
    else if (f.type.bare !== undefined) values.set(f, f.type.bare);
    else throw new ConfigProblem(`${name} needs a value (e.g. ${f.type.example})`);
  }
  return values;
}

function parseValue(f: AnyField, text: string, origin: string): unknown {
  if (f.required === true && text.trim() === '') {
    throw new ConfigProblem(`${origin} is required (e.g. ${f.type.example})`);
  }
  try {
    return f.type.parse(text);
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    const example = error.showExample ? ` (e.g. ${f.type.example})` : '';
    throw new ConfigProblem(`${origin}: ${JSON.stringify(text)} ${error.message}${example}`);
  }
}

/**
 * The config of `spec` from `env` and `argv` (the arguments after the subcommand). Throws a
 * {@link ConfigProblem} naming the variable or flag, the text and what was expected.
 */
export function parseConfig<TSpec extends Spec>(
  spec: TSpec,
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): ParsedConfig<ConfigOf<TSpec>> {
  const flags = flagValues(spec, argv);
  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const [key, f] of Object.entries(spec.fields)) {
    const fromFlag = flags.get(f);
    const fromEnv = env[f.env];
    if (fromFlag !== undefined) {
      config[key] = parseValue(f, fromFlag, f.flag);
      sources[key] = 'flag';
    } else if (fromEnv !== undefined) {
      config[key] = parseValue(f, fromEnv, f.env);
      sources[key] = 'env';
    } else {
      config[key] = parseValue(f, f.default ?? '', f.required === true ? f.env : `${f.env} (default)`);
      sources[key] = 'default';
    }
  }
  return { config: config as ConfigOf<TSpec>, sources };
}
