/** `nsm nse-icmp-responder`: Go's cmd-nse-icmp-responder. */
import { command, field, types } from '../../config/index.js';
import { connectTo, logLevel, maxTokenLifetime, name, registryClientPolicies, telemetry } from './common.js';

export const nseIcmpResponderSpec = command({
  name: 'nse-icmp-responder',
  summary: 'a test endpoint giving each client point-to-point addresses (cmd-nse-icmp-responder)',
  description:
    'A minimal endpoint: one address pair per connection and per NSM_CIDR_PREFIX group (the endpoint ' +
    'takes the first address, the client the next), KERNEL or NOOP mechanism; the kernel answers pings. ' +
    'Registers its services (NSM_REGISTER_SERVICE) and itself with the nsmgr at NSM_CONNECT_TO, refreshing ' +
    'the registration, and serves NetworkService, MonitorConnection and gRPC health.',
  fields: {
    name: name('icmp-server', 'Endpoint name (deployments: the pod name).'),
    baseDir: field('BaseDir', types.string, { default: './', unused: true, help: 'Base directory.' }),
    connectTo: connectTo('unix:///var/lib/networkservicemesh/nsm.io.sock', 'The nsmgr to register with.'),
    listenOn: field('ListenOn', types.optionalUrl, {
      defaultHelp: 'unix://<fresh temp dir>/listen.on',
      help: 'Where to serve (not in the Go binary, which always uses a fresh temp dir).',
    }),
    maxTokenLifetime: maxTokenLifetime('10m'),
    registryClientPolicies,
    ipamPolicy: field('IPAMPolicy', types.oneOf(['polite']), {
      default: 'polite',
      help: 'polite keeps addresses the client proposes (strict is not implemented yet).',
    }),
    serviceNames: field('ServiceNames', types.stringList, {
      default: 'icmp-responder',
      required: true,
      help: 'The network services it provides.',
    }),
    payload: field('Payload', types.string, {
      default: 'ETHERNET',
      help: 'Payload of the services it registers.',
    }),
    labels: field('Labels', types.stringMap, {
      splitWords: false,
      help: 'Endpoint labels, registered under every service.',
    }),
    dnsConfigs: field('DNSConfigs', types.jsonArray, {
      default: '[]',
      unused: true,
      help: 'JSON array of DNS configs for clients.',
    }),
    cidrPrefix: field('CidrPrefix', types.cidrGroups, {
      default: '169.254.0.0/16',
      help: 'CIDR groups to allocate from: [a,b],c gives one pair from a-or-b and one from c per connection.',
    }),
    idleTimeout: field('IdleTimeout', types.duration, {
      default: '0',
      help: 'Exit after this long without connections; 0 never.',
    }),
    registerService: field('RegisterService', types.bool, {
      default: 'true',
      help: 'Register a network service {name, payload} per service name at startup.',
    }),
    unregisterItself: field('UnregisterItself', types.bool, {
      default: 'false',
      help: 'Unregister the endpoint on exit.',
    }),
    pbrConfigPath: field('PBRConfigPath', types.string, {
      default: '/etc/policy-based-routing/config.yaml',
      unused: true,
      help: 'Policy-based routing config file.',
    }),
    logLevel,
    ...telemetry,
  },
});
