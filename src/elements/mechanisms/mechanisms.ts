import { cloneMessage } from '../../api/clone.js';
import { Connection, type Mechanism } from '../../api/gen/connection.js';
import type { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { isAbortError } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError, Code, StatusError } from '../../chain/errors.js';
import type { NetworkServiceElement, NetworkServiceHandler } from '../../chain/network-service.js';
import { CommonParam } from './constants.js';

/** One element per mechanism type (the `Mechanism.type` string, e.g. `KERNEL`), run as a nested chain. */
export type MechanismElements = Readonly<Record<string, NetworkServiceElement>>;

type Side = 'server' | 'client';
const metricKey = { server: 'server_interface', client: 'client_interface' } as const;

function elementTable(
  elements: MechanismElements,
  factory: string,
): ReadonlyMap<string, NetworkServiceElement> {
  const table = new Map<string, NetworkServiceElement>();
  for (const [type, element] of Object.entries(elements)) {
    const candidate: unknown = element;
    if (typeof candidate !== 'object' || candidate === null || !('name' in candidate)) {
      throw new ConfigError(`${factory}: the element for mechanism type "${type}" is not a chain element`);
    }
    table.set(type, element);
  }
  return table;
}

/**
 * `connection` with `"TYPE/ifname"` under `server_interface`/`client_interface` in its current path segment,
 * unless already there (Go `storeMetrics`). An empty parameter map reads as Go's nil map: `unknown`.
 */
function withMetric(connection: Connection, mechanism: Mechanism, side: Side): Connection {
  const path = connection.path;
  const segment = path?.pathSegments[path.index];
  if (path === undefined || segment === undefined || metricKey[side] in segment.metrics) return connection;
  const params = mechanism.parameters;
  const name = Object.keys(params).length === 0 ? 'unknown' : (params[CommonParam.INTERFACE_NAME] ?? '');
  const metrics = { ...segment.metrics, [metricKey[side]]: `${mechanism.type}/${name}` };
  const pathSegments = path.pathSegments.map((s, i) => (i === path.index ? { ...s, metrics } : s));
  return { ...connection, path: { ...path, pathSegments } };
}

function run(
  element: NetworkServiceElement,
  request: NetworkServiceRequest,
  ctx: CallContext,
  next: NetworkServiceHandler,
): Promise<Connection> {
  return element.request ? element.request(request, ctx, next) : next.request(request, ctx);
}

function unsupported(type: string): StatusError {
  return new StatusError(Code.INVALID_ARGUMENT, `mechanisms: unsupported mechanism type "${type}"`, {
    reason: 'MECHANISMS_UNSUPPORTED',
  });
}

function noneSupported(request: NetworkServiceRequest, errors: unknown[]): StatusError {
  const types = request.mechanismPreferences.map((m) => m.type).join(', ');
  const cause = new AggregateError(errors, 'mechanisms: every supported preference failed');
  return new StatusError(
    Code.INVALID_ARGUMENT,
    `mechanisms: cannot support any of the requested mechanisms [${types}]`,
    { reason: 'MECHANISMS_NONE_SUPPORTED', cause },
  );
}

function selector(elements: MechanismElements, side: Side): NetworkServiceElement {
  const table = elementTable(elements, side === 'server' ? 'mechanismsServer' : 'mechanismsClient');
  return {
    name: 'mechanisms',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const chosen = connection.mechanism;
      if (chosen !== undefined) {
        const element = table.get(chosen.type);
        if (element === undefined) throw unsupported(chosen.type);
        const withMetrics = { ...request, connection: withMetric(connection, chosen, side) };
        return run(element, withMetrics, ctx, next);
      }
      const errors: unknown[] = [];
      for (const preference of request.mechanismPreferences) {
        const element = table.get(preference.type);
        if (element === undefined) continue;
        // The server picks: the attempt carries the preference as the connection's mechanism. The client
        // leaves the choice to the server and only records which preference it is trying.
        const attempt =
          side === 'server'
            ? { ...request, connection: { ...connection, mechanism: cloneMessage(preference) } }
            : { ...request, connection: withMetric(connection, preference, side) };
        try {
          const result = await run(element, attempt, ctx, next);
          return side === 'server' && result.mechanism ? withMetric(result, result.mechanism, side) : result;
        } catch (error) {
          if (isAbortError(error) || ctx.signal.aborted) throw error;
          errors.push(error);
        }
      }
      throw noneSupported(request, errors);
    },
    async close(connection, ctx, next) {
      const mechanism = connection.mechanism;
      const element = mechanism === undefined ? undefined : table.get(mechanism.type);
      if (mechanism === undefined || element === undefined) throw unsupported(mechanism?.type ?? '');
      const withMetrics = withMetric(connection, mechanism, side);
      return element.close ? element.close(withMetrics, ctx, next) : next.close(withMetrics, ctx);
    },
  };
}

/**
 * Server mechanism selection: a connection that already has a mechanism goes to that type's element only (an
 * unknown type fails with INVALID_ARGUMENT, reason `MECHANISMS_UNSUPPORTED`); otherwise each preference with a
 * registered type is tried in order, as the connection's mechanism, and the first success wins. When none
 * succeeds the call fails with INVALID_ARGUMENT, reason `MECHANISMS_NONE_SUPPORTED`, its cause an
 * `AggregateError` of the attempts. Records `"TYPE/ifname"` as the `server_interface` metric of the current path
 * segment. Close goes to the element of `connection.mechanism.type`.
 *
 * Each per-type element is a nested chain: when it calls `next`, the rest of the outer chain runs, so a failed
 * attempt has already run (and failed in) the elements after this one. Because of that retry this element
 * calls `next` once per attempt.
 *
 * Where in the chain: endpoints and forwarders, after IPAM and before `connect`.
 * @example
 * mechanismsServer({ KERNEL: kernelServer(), VXLAN: vxlanServer({ dstIp: '10.0.0.2' }), NOOP: noopServer() })
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms
 */
export function mechanismsServer(elements: MechanismElements): NetworkServiceElement {
  return selector(elements, 'server');
}

/**
 * Client mechanism selection: like {@link mechanismsServer}, but a preference is not copied into the
 * connection (the server chooses); the request goes to the element of the first registered preference type
 * that succeeds. Records `client_interface`. Close goes to the element of `connection.mechanism.type`.
 *
 * Where in the chain: NSC and forwarder client chains, before `connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms
 */
export function mechanismsClient(elements: MechanismElements): NetworkServiceElement {
  return selector(elements, 'client');
}
