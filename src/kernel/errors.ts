/**
 * Errors of the kernel library: every failure is a `StatusError` with a stable `KERNEL_*` reason; a failed
 * `ip` command also carries the command line and what `ip` printed.
 * @module
 */
import { Code, isStatusError, StatusError } from '../chain/errors.js';

/** Stable reasons of the kernel library (see docs/errors.md once moved there). */
export const KernelReason = {
  /** `ip` reported that the command failed (INTERNAL unless a more specific reason below applies). */
  COMMAND_FAILED: 'KERNEL_COMMAND_FAILED',
  /** The object to create already exists ("File exists"): FAILED_PRECONDITION. */
  EXISTS: 'KERNEL_EXISTS',
  /** The device or object named does not exist: FAILED_PRECONDITION. */
  NOT_FOUND: 'KERNEL_NOT_FOUND',
  /** An argument can't be passed to `ip` (bad interface name, whitespace, quotes): INVALID_ARGUMENT. */
  BAD_ARGUMENT: 'KERNEL_BAD_ARGUMENT',
  /** The `ip` process could not start or enter its namespace: INTERNAL. */
  CHANNEL_START_FAILED: 'KERNEL_CHANNEL_START_FAILED',
  /** The channel was closed, or its process exited, before the command completed: INTERNAL. */
  CHANNEL_CLOSED: 'KERNEL_CHANNEL_CLOSED',
  /** The pool was closed: FAILED_PRECONDITION. */
  POOL_CLOSED: 'KERNEL_POOL_CLOSED',
  /** A netns URL this process can't resolve (the sender's `/proc/thread-self`): INVALID_ARGUMENT. */
  NETNS_UNRESOLVABLE: 'KERNEL_NETNS_UNRESOLVABLE',
  /** A netns URL that is not a `file://` path, a path, a name or an `inode://dev/ino`: INVALID_ARGUMENT. */
  NETNS_BAD_URL: 'KERNEL_NETNS_BAD_URL',
  /** The network namespace does not exist (any more): FAILED_PRECONDITION. */
  NETNS_NOT_FOUND: 'KERNEL_NETNS_NOT_FOUND',
} as const;

/** A failed `ip` command: the command line as sent and the lines `ip` printed for it. */
export class KernelCommandError extends StatusError {
  override readonly name: string = 'KernelCommandError';
  readonly command: string;
  readonly output: string;

  constructor(command: string, output: string) {
    const { code, reason } = classify(output);
    super(code, `kernel: "ip ${command}" failed: ${output || 'no message'}`, { reason });
    this.command = command;
    this.output = output;
  }
}

function classify(output: string): { code: Code; reason: string } {
  if (/File exists|already exists/i.test(output)) {
    return { code: Code.FAILED_PRECONDITION, reason: KernelReason.EXISTS };
  }
  if (
    /Cannot find device|does not exist|No such device|No such process|not found|FIB table does not exist|Cannot assign requested/i.test(
      output,
    )
  ) {
    return { code: Code.FAILED_PRECONDITION, reason: KernelReason.NOT_FOUND };
  }
  return { code: Code.INTERNAL, reason: KernelReason.COMMAND_FAILED };
}

export function kernelError(code: Code, reason: string, message: string, cause?: unknown): StatusError {
  return new StatusError(code, `kernel: ${message}`, cause === undefined ? { reason } : { reason, cause });
}

/** True for a failed command whose object was missing (deleting something already gone, for instance). */
export function isNotFound(error: unknown): boolean {
  return isStatusError(error) && error.reason === KernelReason.NOT_FOUND;
}

/** True for a failed create whose object already existed. */
export function isExists(error: unknown): boolean {
  return isStatusError(error) && error.reason === KernelReason.EXISTS;
}

/** True when the namespace is gone, so everything that was in it is gone too. */
export function isNetnsGone(error: unknown): boolean {
  return isStatusError(error) && error.reason === KernelReason.NETNS_NOT_FOUND;
}
