/** `nsm forwarder`: a kernel forwarder, configured as kubeslice's cmd-forwarder-kernel (components.md §1.7). */
import { command, field, types } from '../../config/index.js';
import { connectTo, dialTimeout, logLevel, maxTokenLifetime, name, telemetry } from './common.js';

export const forwarderSpec = command({
  name: 'forwarder',
  summary: 'the per-node forwarder: wires each connection in the data plane',
  description:
    'Registers with its nsmgr at NSM_CONNECT_TO as an endpoint of service NSM_NSNAME with NSM_LABELS, finds ' +
    "each connection's next hop through the nsmgr, wires the data plane and connects onwards. " +
    '--dataplane kernel makes veth pairs and VXLAN devices; --dataplane record only records what it ' +
    'would do (for tests and machines without root).',
  fields: {
    name: name('forwarder', 'Endpoint name of this forwarder.'),
    labels: field('Labels', types.stringMap, {
      default: 'p2p:true',
      splitWords: false,
      help: 'Labels registered under the forwarder service; network services select forwarders by them.',
    }),
    nsName: field('NSName', types.string, {
      default: 'forwarder',
      splitWords: false,
      required: true,
      help: "The service it registers under (the nsmgr's NSM_FORWARDER_NETWORK_SERVICE_NAME).",
    }),
    tunnelIp: field('TunnelIP', types.ipAddress, {
      help: 'IP (or CIDR) of this node for VXLAN; required by the kernel data plane.',
    }),
    vxlanPort: field('VxlanPort', types.int(0, 65535), {
      default: '0',
      help: 'VXLAN UDP port; 0 means 4789.',
    }),
    connectTo: connectTo('unix:///connect.to.socket', 'The nsmgr.'),
    listenOn: field('ListenOn', types.optionalUrl, {
      defaultHelp: 'unix://<fresh temp dir>/listen_on.io.sock',
      help: 'Where to serve.',
    }),
    dataplane: field('Dataplane', types.oneOf(['kernel', 'record']), {
      default: 'kernel',
      help: 'kernel: real interfaces (needs root); record: record what would be done.',
    }),
    logLevel,
    maxTokenLifetime: maxTokenLifetime('24h'),
    dialTimeout: dialTimeout('50ms', 'Timeout for dialling the next hop.'),
    ...telemetry,
  },
});
