/** `nsm registry`: Go's cmd-registry-memory. */
import { command, field, types } from '../../config/index.js';
import {
  logLevel,
  maxTokenLifetime,
  registryClientPolicies,
  registryServerPolicies,
  telemetry,
} from './common.js';

export const registrySpec = command({
  name: 'registry',
  summary: 'in-memory registry of network services and endpoints (cmd-registry-memory)',
  description:
    'The central registry of a domain: network services and endpoints in memory, endpoint registrations ' +
    'expiring after one minute unless refreshed, Find with watch. Serves both registry APIs and gRPC health ' +
    'on every NSM_LISTEN_ON URL.',
  fields: {
    listenOn: field('ListenOn', types.urlList, {
      default: 'unix:///listen.on.socket',
      required: true,
      help: 'URLs to serve on (unix:///path, tcp://host:port); deployments use tcp://:5002.',
    }),
    maxTokenLifetime: maxTokenLifetime('10m'),
    registryServerPolicies,
    registryClientPolicies,
    proxyRegistryUrl: field('ProxyRegistryURL', types.optionalUrl, {
      unused: true,
      help: 'Registry proxy for interdomain names (name@domain).',
    }),
    expirePeriod: field('ExpirePeriod', types.duration, {
      default: '1s',
      unused: true,
      help: 'Declared by the Go binary and unused there too (expiry is one minute).',
    }),
    logLevel,
    ...telemetry,
  },
});
