/**
 * Declarative command configs: each field names its Go struct field (so its env variable follows envconfig's
 * rules), its type, its default (as Go's `default:` tag text) and its help line. One spec drives env parsing,
 * `--flag value` alternatives, `--help` and error messages.
 * @module
 */
import { envconfigKey, flagOf } from './env-name.js';
import type { ValueType } from './value-type.js';

/** The prefix of every NSM variable (Go `envconfig.Process("nsm", ...)`). */
export const ENV_PREFIX = 'NSM';

export interface FieldOptions {
  /** The default, written as Go's `default:` tag: parsed by the field's type like any other text. */
  readonly default?: string;
  /** How the default reads in help when the text alone would not say it (e.g. "a fresh temp dir"). */
  readonly defaultHelp?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** Go's `split_words:"true"`. Default: true (NSM's binaries tag almost every field so). */
  readonly splitWords?: boolean;
  /** A missing or empty value is an error (Go's `IsValid` checks). */
  readonly required?: boolean;
  /** Accepted for parity with the Go binary (deployments set it) but not used here. */
  readonly unused?: boolean;
}

export interface FieldSpec<TValue> extends FieldOptions {
  readonly goName: string;
  readonly type: ValueType<TValue>;
  /** `NSM_...`, derived from `goName`. */
  readonly env: string;
  /** `--...`, derived from `env`. */
  readonly flag: string;
}

/** One config field: `field('DialTimeout', duration(), { default: '750ms', help: '...' })`. */
export function field<TValue>(
  goName: string,
  type: ValueType<TValue>,
  options: FieldOptions,
): FieldSpec<TValue> {
  const env = envconfigKey(ENV_PREFIX, goName, options.splitWords ?? true);
  return { ...options, goName, type, env, flag: flagOf(ENV_PREFIX, env) };
}

/** Any field, whatever its value type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = FieldSpec<any>;

export interface CommandSpec<TFields extends Readonly<Record<string, AnyField>>> {
  /** The subcommand, e.g. `nsmgr`. */
  readonly name: string;
  /** One line for `nsm --help`. */
  readonly summary: string;
  /** A paragraph for `nsm <name> --help`. */
  readonly description: string;
  readonly fields: TFields;
}

/** The parsed config of a spec: one typed value per field. */
export type ConfigOf<TSpec extends CommandSpec<Readonly<Record<string, AnyField>>>> = {
  readonly [K in keyof TSpec['fields']]: TSpec['fields'][K] extends FieldSpec<infer TValue> ? TValue : never;
};

/** Declares a command spec (an identity function that keeps the field types). */
export function command<const TFields extends Readonly<Record<string, AnyField>>>(
  spec: CommandSpec<TFields>,
): CommandSpec<TFields> {
  return spec;
}
