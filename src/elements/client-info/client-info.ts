import { Connection } from '../../api/gen/connection.js';
import type { NetworkServiceLabels } from '../../api/gen/registry.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryElement } from '../../chain/registry.js';

/** Where the labels come from: variable name → label name. */
const sources = [
  ['NODE_NAME', 'nodeName'],
  ['POD_NAME', 'podName'],
  ['CLUSTER_NAME', 'clusterName'],
] as const;

export interface ClientInfoOptions {
  /** The environment to read `NODE_NAME`, `POD_NAME` and `CLUSTER_NAME` from, on every call. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Env = NonNullable<ClientInfoOptions['env']>;

function environment(options: ClientInfoOptions, element: string): Env {
  const env = options.env === undefined ? process.env : options.env;
  if (typeof env !== 'object' || env === null) throw new ConfigError(`${element}: env must be an object`);
  return env;
}

/** `labels` plus the client info labels it lacks; set variables only, existing labels never overwritten. */
function withClientInfo(
  labels: Readonly<Record<string, string>>,
  env: Env,
  ctx: CallContext,
): Record<string, string> {
  const out = { ...labels };
  const logger = loggerOf(ctx);
  for (const [variable, label] of sources) {
    const value = Object.hasOwn(env, variable) ? env[variable] : undefined;
    if (value === undefined) {
      if (logger.isEnabled('debug')) logger.log('debug', `clientinfo: ${variable} is not set; skipping`);
    } else if (Object.hasOwn(out, label)) {
      if (logger.isEnabled('debug'))
        logger.log('debug', `clientinfo: label ${label} is already set; skipping`);
    } else {
      out[label] = value;
    }
  }
  return out;
}

/**
 * Adds `nodeName`, `podName` and `clusterName` labels to the connection from `NODE_NAME`, `POD_NAME` and
 * `CLUSTER_NAME`, skipping unset variables and never overwriting a label the request already has. Destination
 * selectors such as `{{.nodeName}}` compare endpoint labels against these.
 *
 * Where in the chain: in clients (and the NSMgr), before the request leaves for the next hop.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/clientinfo
 */
export function clientInfo(options: ClientInfoOptions = {}): NetworkServiceElement {
  const env = environment(options, 'clientinfo');
  return {
    name: 'client-info',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const labels = withClientInfo(connection.labels, env, ctx);
      return next.request({ ...request, connection: { ...connection, labels } }, ctx);
    },
  };
}

/**
 * The registry twin: on Register, adds the same labels to each of the endpoint's per-service label maps.
 *
 * Where in the chain: in an NSE's registry client, or a registry server, before the entry is stored.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/clientinfo
 */
export function clientInfoNseRegistry(options: ClientInfoOptions = {}): NseRegistryElement {
  const env = environment(options, 'clientinfo');
  return {
    name: 'client-info',
    async register(nse, ctx, next) {
      const networkServiceLabels: Record<string, NetworkServiceLabels> = {};
      for (const [service, entry] of Object.entries(nse.networkServiceLabels)) {
        networkServiceLabels[service] = { ...entry, labels: withClientInfo(entry.labels, env, ctx) };
      }
      return next.register({ ...nse, networkServiceLabels }, ctx);
    },
  };
}
