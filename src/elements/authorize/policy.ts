import type { Path } from '../../api/gen/connection.js';
import { isAbortError } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';

/** What a policy judges. */
export interface PathPolicyInput {
  /**
   * The path under check: on the server its left side (segments 0..index, the hops that led here); on the
   * client the whole path the next hop returned. Do not modify it.
   */
  readonly path: Readonly<Path>;
  /** The connection id as this hop sees it (the id of `path.pathSegments[path.index]` when consistent). */
  readonly connectionId: string;
}

/**
 * An authorization policy (NSM's OPA policies, as code). `check` returns when the input is allowed and
 * throws when it is not: a StatusError PERMISSION_DENIED with reason `AUTHORIZE_<POLICY>` for the shipped
 * policies; anything else thrown becomes PERMISSION_DENIED `AUTHORIZE_POLICY_FAILED`.
 */
export interface Policy<TInput> {
  /** Shown in logs and errors, e.g. `tokens_expired`. */
  readonly name: string;
  check(input: TInput, ctx: CallContext): void | Promise<void>;
}

/** A policy on the connection path (NetworkService Request and Close). */
export type AuthorizePolicy = Policy<PathPolicyInput>;

/** A PERMISSION_DENIED error from policy `policy` with reason `reason`. */
export function denied(policy: string, reason: string, message: string): StatusError {
  return new StatusError(Code.PERMISSION_DENIED, `authorize: ${policy}: ${message}`, { reason });
}

/** A validated copy of the `policies` option. */
export function validPolicies<TInput = PathPolicyInput>(
  policies: unknown,
  factory: string,
): readonly Policy<TInput>[] {
  if (policies === undefined) return [];
  if (!Array.isArray(policies)) throw new ConfigError(`${factory}: policies must be an array`);
  for (const policy of policies as unknown[]) {
    const { name, check } = (policy ?? {}) as Partial<Policy<TInput>>;
    if (typeof name !== 'string' || name === '' || typeof check !== 'function') {
      throw new ConfigError(`${factory}: every policy needs a non-empty name and a check function`);
    }
  }
  return [...(policies as Policy<TInput>[])];
}

/**
 * Runs `policies` in order; the first refusal is thrown (aborts pass through untouched). Shared by every
 * authorize element (NetworkService, MonitorConnection, registries).
 */
export async function checkPolicies<TInput>(
  policies: readonly Policy<TInput>[],
  input: TInput,
  ctx: CallContext,
): Promise<void> {
  for (const policy of policies) {
    try {
      await policy.check(input, ctx);
    } catch (error) {
      if (isAbortError(error) || (ctx.signal.aborted && error === ctx.signal.reason)) throw error;
      loggerOf(ctx).log('warn', 'authorize: policy refused the call', { policy: policy.name, error });
      if (isStatusError(error)) throw error;
      throw new StatusError(Code.PERMISSION_DENIED, `authorize: policy ${policy.name} failed`, {
        reason: 'AUTHORIZE_POLICY_FAILED',
        cause: error,
      });
    }
  }
}
