import { concatMap, defer, from, type Observable } from 'rxjs';
import type { ConnectionEvent } from '../../api/gen/connection.js';
import { incomingHeader } from '../../chain/call-metadata.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { MonitorElement } from '../../chain/monitor.js';
import { clientTokenHeader } from '../../chain/token.js';
import { checkPolicies, validPolicies, type Policy } from '../authorize/index.js';
import { decodeJwt } from '../token-jwt/index.js';

/** What a monitor policy decides on. */
export interface MonitorPolicyInput {
  /** The caller's SPIFFE ID: the `sub` of the token it sent, or undefined (no token, or not a JWT). */
  readonly spiffeId: string | undefined;
  /** The connection ids named in the selector's path segments. */
  readonly selectorIds: readonly string[];
  /** Which connection ids each caller owns, as the NetworkService `authorizeServer` records them. */
  readonly connectionsBySpiffeId: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Throws (a StatusError, PERMISSION_DENIED) to refuse. */
export type MonitorPolicy = Policy<MonitorPolicyInput>;

/** The caller must own at least one connection the selector names (Go's sample monitor rego policy). */
export function ownsConnectionPolicy(): MonitorPolicy {
  return {
    name: 'owns-connection',
    check(input) {
      const owned =
        input.spiffeId === undefined ? undefined : input.connectionsBySpiffeId.get(input.spiffeId);
      if (owned !== undefined && input.selectorIds.some((id) => owned.has(id))) return;
      throw new StatusError(
        Code.PERMISSION_DENIED,
        `authorize-monitor: ${input.spiffeId ?? 'an anonymous caller'} owns none of the monitored connections`,
        { reason: 'AUTHORIZE_MONITOR_NOT_OWNER' },
      );
    },
  };
}

export interface AuthorizeMonitorOptions {
  /** Policies checked before a MonitorConnections stream opens. Default: none (Go's `Any()`). */
  readonly policies?: readonly MonitorPolicy[];
  /** The NetworkService authorize server's view: `authorizeServer(...).connectionsBySpiffeId`. */
  readonly connectionsBySpiffeId?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Checks `policies` before a MonitorConnections stream opens; a refusal ends the stream with the policy's
 * error. Go's `monitorconnection/authorize`.
 *
 * Where in the chain: first in an endpoint's monitor chain, before the monitor server's handler.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/tools/monitorconnection/authorize
 */
export function authorizeMonitor(options: AuthorizeMonitorOptions = {}): MonitorElement {
  const policies = validPolicies<MonitorPolicyInput>(options.policies, 'authorize-monitor');
  const owners = options.connectionsBySpiffeId ?? new Map<string, ReadonlySet<string>>();
  return {
    name: 'authorize-monitor',
    monitorConnections(selector, ctx, next): Observable<ConnectionEvent> {
      if (policies.length === 0) return next.monitorConnections(selector, ctx);
      return defer(() => {
        const token = incomingHeader(ctx, clientTokenHeader);
        const input: MonitorPolicyInput = {
          spiffeId: token === undefined ? undefined : decodeJwt(token)?.sub,
          selectorIds: selector.pathSegments.map((segment) => segment.id).filter((id) => id !== ''),
          connectionsBySpiffeId: owners,
        };
        return from(checkPolicies(policies, input, ctx));
      }).pipe(concatMap(() => next.monitorConnections(selector, ctx)));
    },
  };
}
