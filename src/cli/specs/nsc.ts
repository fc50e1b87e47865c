/** `nsm nsc`: Go's cmd-nsc. */
import { command, field, types } from '../../config/index.js';
import { connectTo, dialTimeout, logLevel, maxTokenLifetime, name, telemetry } from './common.js';

export const nscSpec = command({
  name: 'nsc',
  summary: 'a network service client: requests, refreshes and heals connections (cmd-nsc)',
  description:
    'Requests every NSM_NETWORK_SERVICES URL (kernel://<service>[/<ifname>][?label=value]) from the nsmgr ' +
    'with connection ids <name>-<index>, trying again until it succeeds, logs each connection, keeps them ' +
    'refreshed and healed, and closes them on exit. A restarted client takes back its connections.',
  fields: {
    name: name('nsc', 'Client name; connection ids are <name>-<index>.'),
    connectTo: connectTo('unix:///var/lib/networkservicemesh/nsm.io.sock', 'The nsmgr.'),
    dialTimeout: dialTimeout('5s', 'Timeout for dialling the nsmgr.'),
    requestTimeout: field('RequestTimeout', types.positiveDuration, {
      default: '15s',
      help: 'Timeout of each Request and Close try.',
    }),
    maxTokenLifetime: maxTokenLifetime('10m'),
    labels: field('Labels', types.stringList, {
      unused: true,
      help: 'Client labels (unused in the Go binary too: labels come from the URL query).',
    }),
    mechanism: field('Mechanism', types.string, {
      default: 'kernel',
      unused: true,
      help: 'Unused in the Go binary too: the mechanism is the URL scheme.',
    }),
    networkServices: field('NetworkServices', types.networkServiceUrls, {
      required: true,
      help: 'Services to request: kernel://<service>[/<interface>][?label=value&...], comma separated.',
    }),
    awarenessGroups: field('AwarenessGroups', types.string, {
      unused: true,
      help: 'Groups of mutually aware endpoints.',
    }),
    logLevel,
    localDnsServerEnabled: field('LocalDNSServerEnabled', types.bool, {
      default: 'true',
      unused: true,
      help: 'Local DNS proxy.',
    }),
    localDnsServerAddress: field('LocalDNSServerAddress', types.string, {
      default: '127.0.0.1:53',
      unused: true,
      help: 'Local DNS proxy address.',
    }),
    livenessCheckEnabled: field('LivenessCheckEnabled', types.bool, {
      default: 'true',
      unused: true,
      help: 'Data-plane liveness check (ping).',
    }),
    livenessCheckInterval: field('LivenessCheckInterval', types.positiveDuration, {
      default: '200ms',
      unused: true,
      help: 'Liveness check interval.',
    }),
    livenessCheckTimeout: field('LivenessCheckTimeout', types.positiveDuration, {
      default: '1s',
      unused: true,
      help: 'Liveness check timeout.',
    }),
    ...telemetry,
  },
});
