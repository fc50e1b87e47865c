/**
 * The client `begin`'s three-way merge. A refresh or heal may have changed the stored connection without the
 * caller knowing; when the caller re-requests with the connection it was last given, only the changes the
 * caller made on purpose (relative to what it was given) are applied to the current connection.
 */
import type { Connection } from '../../api/gen/connection.js';
import { ConnectionContext } from '../../api/gen/connectioncontext.js';
import { cloneMessage, protoEqual } from '../../api/clone.js';

/**
 * @param returned what `begin` last returned to the caller
 * @param requested what the caller sends now
 * @param current the stored connection, possibly changed by events since
 */
export function mergeConnection(
  returned: Connection | undefined,
  requested: Connection,
  current: Connection | undefined,
): Connection {
  if (returned === undefined || current === undefined) return requested;
  const merged = cloneMessage(current);
  if (returned.networkServiceEndpointName !== requested.networkServiceEndpointName) {
    merged.networkServiceEndpointName = requested.networkServiceEndpointName;
  }
  merged.context = mergeContext(returned.context, requested.context, current.context);
  return merged;
}

function mergeContext(
  returned: ConnectionContext | undefined,
  requested: ConnectionContext | undefined,
  current: ConnectionContext | undefined,
): ConnectionContext | undefined {
  if (current === undefined) return requested;
  const merged = cloneMessage(current);
  if (protoEqual(ConnectionContext, returned, requested)) return merged;
  merged.ipContext = requested?.ipContext;
  merged.ethernetContext = requested?.ethernetContext;
  merged.dnsContext = requested?.dnsContext;
  merged.MTU = requested?.MTU ?? 0;
  merged.extraContext = mergeExtra(
    returned?.extraContext ?? {},
    requested?.extraContext ?? {},
    current.extraContext,
  );
  return merged;
}

/** Keys the caller changed or removed relative to `returned` are applied to `current`; the rest stay. */
function mergeExtra(
  returned: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(returned)) {
    if (!Object.hasOwn(requested, key)) delete merged[key];
    else if (requested[key] !== value) merged[key] = requested[key] as string;
  }
  return merged;
}
