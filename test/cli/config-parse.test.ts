/** Unit tests of reading a command config from env and flags, and of the help text. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  command,
  commandHelp,
  commandSummary,
  ConfigProblem,
  field,
  parseConfig,
  types,
  wantsHelp,
} from '../../src/config/index.js';
import {
  forwarderSpec,
  nscSpec,
  nseIcmpResponderSpec,
  nsmgrSpec,
  registrySpec,
} from '../../src/cli/specs/index.js';

const spec = command({
  name: 'demo-cmd',
  summary: 'a test command',
  description: 'Only for tests.',
  fields: {
    name: field('Name', types.string, { default: 'nmgr', splitWords: false, help: 'name' }),
    dialTimeout: field('DialTimeout', types.duration, { default: '750ms', help: 'dial' }),
    registryUrl: field('RegistryURL', types.optionalUrl, { default: 'tcp://localhost:5001', help: 'reg' }),
    labels: field('Labels', types.stringMap, { splitWords: false, help: 'labels' }),
    registerService: field('RegisterService', types.bool, { default: 'true', help: 'register' }),
    services: field('NetworkServices', types.networkServiceUrls, { required: true, help: 'services' }),
    expirePeriod: field('ExpirePeriod', types.duration, { default: '1s', unused: true, help: 'unused' }),
  },
});

const minimal = { NSM_NETWORK_SERVICES: 'kernel://icmp-responder' };

/** The message of the ConfigProblem `work` throws. */
function problem(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.instance(error, ConfigProblem);
    assert.is((error as ConfigProblem).exitCode, 2);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigProblem');
}

// ---------------------------------------------------------------------------------------------------------
const sources = suite('config: defaults, env and flags');

sources('defaults apply to variables that are not set', () => {
  const { config, sources: from } = parseConfig(spec, minimal);
  assert.is(config.name, 'nmgr');
  assert.is(config.dialTimeout, 750);
  assert.is(config.registryUrl, 'tcp://localhost:5001');
  assert.equal(config.labels, {});
  assert.is(config.registerService, true);
  assert.is(config.expirePeriod, 1000);
  assert.is(from['name'], 'default');
  assert.is(from['services'], 'env');
});

sources('a variable set to "" is parsed, not defaulted (Go envconfig): an empty registry URL is none', () => {
  const { config } = parseConfig(spec, { ...minimal, NSM_REGISTRY_URL: '', NSM_NAME: '' });
  assert.is(config.registryUrl, undefined);
  assert.is(config.name, '');
  assert.is(
    problem(() => parseConfig(spec, { ...minimal, NSM_DIAL_TIMEOUT: '' })),
    'NSM_DIAL_TIMEOUT: "" is not a duration (e.g. 750ms, 10s)',
  );
});

sources('env values are parsed by type', () => {
  const { config } = parseConfig(spec, {
    ...minimal,
    NSM_NAME: 'nsmgr-1',
    NSM_DIAL_TIMEOUT: '1h30m',
    NSM_REGISTRY_URL: 'registry:5002',
    NSM_LABELS: 'p2p:true,color:red',
    NSM_REGISTER_SERVICE: 'false',
  });
  assert.equal(
    { ...config, services: undefined },
    {
      name: 'nsmgr-1',
      dialTimeout: 5_400_000,
      registryUrl: 'tcp://registry:5002',
      labels: { p2p: 'true', color: 'red' },
      registerService: false,
      services: undefined,
      expirePeriod: 1000,
    },
  );
});

sources('flags override env, as --flag value or --flag=value', () => {
  const { config, sources: from } = parseConfig(
    spec,
    { ...minimal, NSM_DIAL_TIMEOUT: '1s', NSM_NAME: 'env' },
    ['--dial-timeout', '2s', '--name=flag', '--labels', 'a:b'],
  );
  assert.is(config.dialTimeout, 2000);
  assert.is(config.name, 'flag');
  assert.equal(config.labels, { a: 'b' });
  assert.is(from['dialTimeout'], 'flag');
});

sources('a bool flag may stand alone; flags may give what env lacks', () => {
  const { config } = parseConfig(spec, { NSM_REGISTER_SERVICE: 'false' }, [
    '--register-service',
    '--network-services',
    'kernel://a/nsm-1',
  ]);
  assert.is(config.registerService, true);
  assert.is(config.services[0]?.interfaceName, 'nsm-1');
});

sources('unknown NSM_ variables are ignored, as envconfig does', () => {
  parseConfig(spec, { ...minimal, NSM_SOMETHING_ELSE: 'x' });
});

sources.run();

// ---------------------------------------------------------------------------------------------------------
const errors = suite('config: readable errors');

errors('a bad value names the variable, the text and an example', () => {
  assert.is(
    problem(() => parseConfig(spec, { ...minimal, NSM_DIAL_TIMEOUT: 'abc' })),
    'NSM_DIAL_TIMEOUT: "abc" is not a duration (e.g. 750ms, 10s)',
  );
  assert.is(
    problem(() => parseConfig(spec, { ...minimal, NSM_LABELS: 'p2p' })),
    'NSM_LABELS: "p2p" has "p2p", which is not key:value (e.g. p2p:true,color:red)',
  );
});

errors('a bad flag value names the flag', () => {
  assert.is(
    problem(() => parseConfig(spec, minimal, ['--dial-timeout', '5'])),
    '--dial-timeout: "5" is not a duration (e.g. 750ms, 10s)',
  );
});

errors('required values', () => {
  assert.match(
    problem(() => parseConfig(spec, {})),
    /^NSM_NETWORK_SERVICES is required \(e\.g\. kernel:\/\//,
  );
  assert.match(
    problem(() => parseConfig(spec, { NSM_NETWORK_SERVICES: ' ' })),
    /is required/,
  );
});

errors('unknown options, stray arguments and missing values', () => {
  assert.is(
    problem(() => parseConfig(spec, minimal, ['--nope', '1'])),
    'unknown option --nope (see nsm demo-cmd --help)',
  );
  assert.is(
    problem(() => parseConfig(spec, minimal, ['stray'])),
    'unexpected argument "stray"',
  );
  assert.is(
    problem(() => parseConfig(spec, minimal, ['--dial-timeout'])),
    '--dial-timeout needs a value (e.g. 750ms, 10s)',
  );
});

errors.run();

// ---------------------------------------------------------------------------------------------------------
const help = suite('config: help');

help('--help and -h ask for help', () => {
  assert.ok(wantsHelp(['--name', 'x', '--help']));
  assert.ok(wantsHelp(['-h']));
  assert.not.ok(wantsHelp(['--name', 'help']));
});

help('command help lists every variable with its flag, type and default; unused ones apart', () => {
  const text = commandHelp(spec);
  assert.match(text, 'usage: nsm demo-cmd');
  assert.match(text, 'NSM_DIAL_TIMEOUT  --dial-timeout <duration>  default: "750ms"');
  assert.match(
    text,
    'NSM_NETWORK_SERVICES  --network-services <network service URL list>  default: none (required)',
  );
  const unusedAt = text.indexOf('not used');
  assert.ok(unusedAt > 0 && text.indexOf('NSM_EXPIRE_PERIOD') > unusedAt);
});

help('the summary lists the used variables with defaults', () => {
  const text = commandSummary(spec).join('\n');
  assert.match(text, 'NSM_DIAL_TIMEOUT=750ms');
  assert.match(text, 'NSM_NETWORK_SERVICES=(required)');
  assert.not.match(text, 'NSM_EXPIRE_PERIOD');
});

help.run();

// ---------------------------------------------------------------------------------------------------------
const specs = suite('config: the nsm command specs');

const all = [registrySpec, nsmgrSpec, forwarderSpec, nseIcmpResponderSpec, nscSpec];

specs('every default parses and the Go names and defaults are kept', () => {
  for (const s of all) parseConfig(s, { NSM_NETWORK_SERVICES: 'kernel://x' });
  const nsmgr = parseConfig(nsmgrSpec, {}).config;
  assert.is(nsmgr.name, 'nmgr');
  assert.equal(nsmgr.listenOn, ['unix:///var/lib/networkservicemesh/nsm.io.sock']);
  assert.is(nsmgr.registryUrl, 'tcp://localhost:5001');
  assert.is(nsmgr.dialTimeout, 750);
  assert.is(nsmgr.maxTokenLifetime, 600_000);
  const nse = parseConfig(nseIcmpResponderSpec, {}).config;
  assert.equal(nse.cidrPrefix, [['169.254.0.0/16']]);
  assert.equal(nse.serviceNames, ['icmp-responder']);
  assert.is(nse.registerService, true);
  assert.is(nse.unregisterItself, false);
  assert.is(nse.listenOn, undefined);
  const fwd = parseConfig(forwarderSpec, {}).config;
  assert.equal(fwd.labels, { p2p: 'true' });
  assert.is(fwd.dataplane, 'kernel');
  assert.is(parseConfig(registrySpec, {}).config.listenOn[0], 'unix:///listen.on.socket');
  assert.is(parseConfig(nscSpec, { NSM_NETWORK_SERVICES: 'kernel://x' }).config.requestTimeout, 15_000);
});

specs('the variables the brief and the deployments use exist', () => {
  const envs = new Set(all.flatMap((s) => Object.values(s.fields).map((f) => f.env)));
  for (const name of [
    'NSM_NAME',
    'NSM_LISTEN_ON',
    'NSM_CONNECT_TO',
    'NSM_REGISTRY_URL',
    'NSM_SERVICE_NAMES',
    'NSM_CIDR_PREFIX',
    'NSM_NETWORK_SERVICES',
    'NSM_MAX_TOKEN_LIFETIME',
    'NSM_LOG_LEVEL',
    'NSM_DIAL_TIMEOUT',
    'NSM_REQUEST_TIMEOUT',
    'NSM_LABELS',
    'NSM_PAYLOAD',
    'NSM_REGISTER_SERVICE',
    'NSM_UNREGISTER_ITSELF',
    'NSM_IDLE_TIMEOUT',
    'NSM_FORWARDER_NETWORK_SERVICE_NAME',
    'NSM_TUNNEL_IP',
    'NSM_NSNAME',
    'NSM_EXPIRE_PERIOD',
    'NSM_MECHANISM',
    'NSM_DATAPLANE',
  ]) {
    assert.ok(envs.has(name), name);
  }
});

specs('no two fields of a command share a variable', () => {
  for (const s of all) {
    const envs = Object.values(s.fields).map((f) => f.env);
    assert.is(new Set(envs).size, envs.length, s.name);
  }
});

specs.run();
