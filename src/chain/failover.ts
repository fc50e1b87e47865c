/**
 * The error of an element that tries candidates in turn (round-robin endpoints, forwarders) when every one
 * of them failed.
 * @internal
 * @module
 */
import { Code, isStatusError, StatusError } from './errors.js';

/** One failed attempt: which candidate, and what it threw. */
export interface FailedAttempt {
  readonly candidate: string;
  readonly error: unknown;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * `<element>: <what>: <candidate>: <message>; ...` with every attempt as cause (an AggregateError). When every
 * attempt failed with a StatusError of the same code and reason, that status is kept, since another candidate
 * would not have helped and the caller needs the real reason (IPAM_EXHAUSTED, DISCOVER_NO_CANDIDATES, an
 * endpoint's own refusal); otherwise, or with no attempt at all, UNAVAILABLE with `reason`.
 */
export function allFailed(
  element: string,
  what: string,
  reason: string,
  attempts: readonly FailedAttempt[],
): StatusError {
  const details = attempts.map((a) => `${a.candidate}: ${messageOf(a.error)}`).join('; ');
  const message = `${element}: ${what}${details === '' ? '' : `: ${details}`}`;
  const cause = new AggregateError(
    attempts.map((a) => a.error),
    `${element}: ${attempts.length} attempts failed`,
  );
  const first = attempts[0]?.error;
  const shared =
    isStatusError(first) &&
    first.reason !== undefined &&
    attempts.every(
      ({ error }) => isStatusError(error) && error.code === first.code && error.reason === first.reason,
    );
  if (shared) return new StatusError(first.code, message, { reason: first.reason, cause });
  return new StatusError(Code.UNAVAILABLE, message, { reason, cause });
}
