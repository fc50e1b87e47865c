/**
 * What a config value type is: a name and an example for help and errors, and a parser.
 * @module
 */

/** Why a text is not a value of a type; the message completes `"<text>" ...`, e.g. `is not a duration`. */
export class ValueProblem extends Error {
  override readonly name = 'ValueProblem';
  /** False when the message already says what would be right, so no example is appended. */
  readonly showExample: boolean;

  constructor(message: string, showExample = true) {
    super(message);
    this.showExample = showExample;
  }
}

/** A config value type: how env and flag text becomes a typed value (Go envconfig's field kinds). */
export interface ValueType<TValue> {
  /** Shown in help, e.g. `duration`, `URL list`. */
  readonly name: string;
  /** Valid examples, shown after a problem: `(e.g. 750ms, 10s)`. */
  readonly example: string;
  /** A flag of this type may be given without a value (`--register-service` means true). */
  readonly bare?: string;
  /** The value of `text`; throws a {@link ValueProblem} when it is not one. */
  parse(text: string): TValue;
}

/** Builds a type from a parser returning the value or a problem phrase. */
export function valueType<TValue>(
  name: string,
  example: string,
  parse: (text: string) => TValue,
  bare?: string,
): ValueType<TValue> {
  return bare === undefined ? { name, example, parse } : { name, example, parse, bare };
}
