/**
 * The error types that cross element boundaries. A `StatusError` carries the gRPC status code the edge sends
 * and a stable `reason` token callers branch on (see docs/errors.md); a `ConfigError` is thrown by factories.
 * @module
 */

/** gRPC status codes (the numbers are the wire values). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

const brand = Symbol.for('nsm-ts/StatusError');

/** An error with a gRPC status code and an optional stable reason (`<ELEMENT>_<WHAT>`). */
export class StatusError extends Error {
  override readonly name: string = 'StatusError';
  readonly code: Code;
  readonly reason: string | undefined;
  readonly [brand] = true;

  constructor(code: Code, message: string, options?: { reason?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options?.reason;
  }
}

/** True for a StatusError from any copy of this package (`instanceof` fails across duplicate installs). */
export function isStatusError(err: unknown): err is StatusError {
  return typeof err === 'object' && err !== null && (err as { [brand]?: boolean })[brand] === true;
}

/** Thrown synchronously by element factories for bad options; never from request/close. */
export class ConfigError extends TypeError {
  override readonly name: string = 'ConfigError';
}

/** Shorthand for an INVALID_ARGUMENT StatusError. */
export function invalidArgument(reason: string, message: string): StatusError {
  return new StatusError(Code.INVALID_ARGUMENT, message, { reason });
}
