/**
 * Fields several binaries share, with the Go binaries' names and defaults.
 * @module
 */
import { field, types, type FieldSpec } from '../../config/index.js';

const policies = (kind: 'server' | 'client'): string =>
  `etc/nsm/opa/common/.*.rego,etc/nsm/opa/registry/.*.rego,etc/nsm/opa/${kind}/.*.rego`;

export const name = (defaultName: string, help: string): FieldSpec<string> =>
  field('Name', types.string, { default: defaultName, splitWords: false, required: true, help });

export const logLevel = field('LogLevel', types.logLevel, {
  default: 'INFO',
  help: 'Log level: TRACE, DEBUG, INFO, WARN or ERROR (SIGUSR1 switches to TRACE, SIGUSR2 back).',
});

export const maxTokenLifetime = (defaultLifetime: string): FieldSpec<number> =>
  field('MaxTokenLifetime', types.positiveDuration, {
    default: defaultLifetime,
    help: 'Lifetime of the tokens this component signs; clients refresh before it ends.',
  });

export const dialTimeout = (defaultTimeout: string, help: string): FieldSpec<number> =>
  field('DialTimeout', types.duration, { default: defaultTimeout, help });

export const connectTo = (defaultUrl: string, help: string): FieldSpec<string> =>
  field('ConnectTo', types.url, { default: defaultUrl, help });

export const registryServerPolicies = field('RegistryServerPolicies', types.stringList, {
  default: policies('server'),
  unused: true,
  help: 'OPA policies for incoming registry calls.',
});

export const registryClientPolicies = field('RegistryClientPolicies', types.stringList, {
  default: policies('client'),
  unused: true,
  help: 'OPA policies for outgoing registry calls.',
});

/** OpenTelemetry and pprof settings every Go binary accepts. */
export const telemetry = {
  openTelemetryEndpoint: field('OpenTelemetryEndpoint', types.string, {
    default: 'otel-collector.observability.svc.cluster.local:4317',
    unused: true,
    help: 'OpenTelemetry collector.',
  }),
  metricsExportInterval: field('MetricsExportInterval', types.duration, {
    default: '10s',
    unused: true,
    help: 'Metrics push period.',
  }),
  pprofEnabled: field('PprofEnabled', types.bool, { default: 'false', unused: true, help: 'pprof server.' }),
  pprofListenOn: field('PprofListenOn', types.string, {
    default: 'localhost:6060',
    unused: true,
    help: 'pprof address.',
  }),
};
