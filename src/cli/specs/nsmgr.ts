/** `nsm nsmgr`: Go's cmd-nsmgr. */
import { command, field, types } from '../../config/index.js';
import {
  dialTimeout,
  logLevel,
  maxTokenLifetime,
  name,
  registryClientPolicies,
  registryServerPolicies,
  telemetry,
} from './common.js';

export const nsmgrSpec = command({
  name: 'nsmgr',
  summary: 'the per-node Network Service Manager (cmd-nsmgr)',
  description:
    "One per node. Takes clients' requests, picks a local forwarder for each, and fronts the registry for " +
    "the node's endpoints and forwarders. Serves NetworkService, MonitorConnection, both registries and gRPC " +
    'health on every NSM_LISTEN_ON URL; the first tcp:// one (else the first) is the URL it registers ' +
    'local endpoints under. With NSM_REGISTRY_URL empty it runs standalone with an in-memory registry.',
  fields: {
    name: name('nmgr', 'Name in connection paths (deployments: the pod name).'),
    listenOn: field('ListenOn', types.urlList, {
      default: 'unix:///var/lib/networkservicemesh/nsm.io.sock',
      required: true,
      help: 'URLs to serve on; the first tcp:// one is the public URL (empty host: the first non-loopback address).',
    }),
    registryUrl: field('RegistryURL', types.optionalUrl, {
      default: 'tcp://localhost:5001',
      help: 'The registry (deployments: registry:5002). Empty: standalone, with an in-memory registry.',
    }),
    maxTokenLifetime: maxTokenLifetime('10m'),
    registryServerPolicies,
    registryClientPolicies,
    logLevel,
    dialTimeout: dialTimeout('750ms', 'Timeout for dialling the next hop (forwarder, registry).'),
    forwarderNetworkServiceName: field('ForwarderNetworkServiceName', types.string, {
      default: 'forwarder',
      help: 'The service forwarders register under.',
    }),
    ...telemetry,
  },
});
