/** Unit tests of the config value types: each parses what Go's envconfig accepts and rejects the rest. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  envconfigKey,
  flagOf,
  formatGoDuration,
  parseCidrGroups,
  parseGoDuration,
  types,
  ValueProblem,
  type ValueType,
} from '../../src/config/index.js';

/** The problem message `type` gives for `text`, or undefined when it parses. */
function problemOf<T>(type: ValueType<T>, text: string): string | undefined {
  try {
    type.parse(text);
    return undefined;
  } catch (error) {
    assert.instance(error, ValueProblem);
    return (error as ValueProblem).message;
  }
}

// ---------------------------------------------------------------------------------------------------------
const durations = suite('config: Go durations');

durations('parses every unit, fractions, sequences and signs', () => {
  const cases: [string, number][] = [
    ['750ms', 750],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['5.s', 5_000],
    ['2h45m30.5s', 9_930_500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['-0', 0],
    ['+5s', 5_000],
    ['-2m', -120_000],
  ];
  for (const [text, ms] of cases) assert.is(parseGoDuration(text), ms, text);
});

durations('rejects what Go rejects', () => {
  for (const text of ['', '5', 'abc', '1d', '1.5.5s', '.s', 's', '1 s', '-', '10x', '3000000h']) {
    assert.is(parseGoDuration(text), undefined, JSON.stringify(text));
  }
});

durations('duration types refuse negative (and positiveDuration zero) values', () => {
  assert.is(types.duration.parse('0'), 0);
  assert.is(problemOf(types.duration, '-1s'), 'must not be negative');
  assert.is(problemOf(types.duration, 'abc'), 'is not a duration');
  assert.is(problemOf(types.positiveDuration, '0s'), 'must be more than 0');
  assert.is(types.positiveDuration.parse('15s'), 15_000);
});

durations('formats readably', () => {
  assert.is(formatGoDuration(0), '0s');
  assert.is(formatGoDuration(750), '750ms');
  assert.is(formatGoDuration(5_400_000), '1h30m0s');
  assert.is(formatGoDuration(1_500), '1.5s');
  assert.is(formatGoDuration(-60_000), '-1m0s');
});

durations.run();

// ---------------------------------------------------------------------------------------------------------
const names = suite('config: envconfig names');

names('split_words cuts words and keeps acronyms whole', () => {
  const cases: [string, string][] = [
    ['MaxTokenLifetime', 'NSM_MAX_TOKEN_LIFETIME'],
    ['RegistryURL', 'NSM_REGISTRY_URL'],
    ['IPAMPolicy', 'NSM_IPAM_POLICY'],
    ['PBRConfigPath', 'NSM_PBR_CONFIG_PATH'],
    ['DNSConfigs', 'NSM_DNS_CONFIGS'],
    ['CidrPrefix', 'NSM_CIDR_PREFIX'],
    ['LocalDNSServerEnabled', 'NSM_LOCAL_DNS_SERVER_ENABLED'],
    ['ForwarderNetworkServiceName', 'NSM_FORWARDER_NETWORK_SERVICE_NAME'],
    ['TunnelIP', 'NSM_TUNNEL_IP'],
    ['ListenOn', 'NSM_LISTEN_ON'],
  ];
  for (const [field, key] of cases) assert.is(envconfigKey('NSM', field, true), key, field);
});

names('without split_words the name is used whole', () => {
  assert.is(envconfigKey('NSM', 'NSName', false), 'NSM_NSNAME');
  assert.is(envconfigKey('nsm', 'Name', false), 'NSM_NAME');
  assert.is(envconfigKey('', 'Labels', false), 'LABELS');
});

names('flags follow the variable names', () => {
  assert.is(flagOf('NSM', 'NSM_MAX_TOKEN_LIFETIME'), '--max-token-lifetime');
  assert.is(flagOf('NSM', 'NSM_NSNAME'), '--nsname');
});

names.run();

// ---------------------------------------------------------------------------------------------------------
const scalars = suite('config: bools, ints, strings, log levels, choices, IPs');

scalars('bools take strconv.ParseBool words only', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.is(types.bool.parse(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.is(types.bool.parse(f), false, f);
  for (const bad of ['', 'yes', 'on', 'tRuE']) assert.is(problemOf(types.bool, bad), 'is not a boolean', bad);
});

scalars('ints are whole numbers within bounds, decimal or hex', () => {
  const port = types.int(0, 65535);
  assert.is(port.parse('4789'), 4789);
  assert.is(port.parse('0x12b5'), 4789);
  assert.is(problemOf(port, '4.5'), 'is not a whole number');
  assert.is(problemOf(port, ''), 'is not a whole number');
  assert.is(problemOf(port, '70000'), 'is not between 0 and 65535');
});

scalars('strings are taken as they are', () => {
  assert.is(types.string.parse(''), '');
  assert.is(types.string.parse(' a b '), ' a b ');
});

scalars('log levels are logrus names in any case', () => {
  assert.is(types.logLevel.parse('TRACE'), 'trace');
  assert.is(types.logLevel.parse('Debug'), 'debug');
  assert.is(types.logLevel.parse('warning'), 'warn');
  assert.is(types.logLevel.parse('FATAL'), 'error');
  assert.is(types.logLevel.parse('panic'), 'error');
  assert.is(problemOf(types.logLevel, 'verbose'), 'is not a log level');
});

scalars('choices ignore case and return the listed spelling', () => {
  const dataplane = types.oneOf(['kernel', 'record']);
  assert.is(dataplane.parse('RECORD'), 'record');
  assert.is(problemOf(dataplane, 'vpp'), 'is not one of: kernel, record');
});

scalars('IPs: an address, or the address part of a CIDR; empty stays empty', () => {
  assert.is(types.ipAddress.parse('10.0.0.1'), '10.0.0.1');
  assert.is(types.ipAddress.parse('10.0.0.1/24'), '10.0.0.1');
  assert.is(types.ipAddress.parse('fd00::1/64'), 'fd00::1');
  assert.is(types.ipAddress.parse(''), '');
  assert.is(problemOf(types.ipAddress, '10.0.0'), 'is not an IP address');
});

scalars.run();

// ---------------------------------------------------------------------------------------------------------
const urls = suite('config: URLs');

urls('unix, tcp and scheme-less host:port, printed canonically', () => {
  assert.is(types.url.parse('unix:///var/lib/nsm/nsm.io.sock'), 'unix:///var/lib/nsm/nsm.io.sock');
  assert.is(types.url.parse('tcp://10.0.0.1:5001'), 'tcp://10.0.0.1:5001');
  assert.is(types.url.parse('registry:5002'), 'tcp://registry:5002');
  assert.is(types.url.parse('nsmgr-proxy:5004'), 'tcp://nsmgr-proxy:5004');
  assert.is(types.url.parse('tcp://:5002'), 'tcp://:5002');
  assert.is(types.url.parse(' tcp://[::1]:5001 '), 'tcp://[::1]:5001');
});

urls('an unbracketed IPv6 tcp URL gets brackets, as the nsmgr adds them', () => {
  assert.is(types.url.parse('tcp://fe80::1:5001'), 'tcp://[fe80::1]:5001');
  assert.is(types.url.parse('tcp://2001:db8::10:5001'), 'tcp://[2001:db8::10]:5001');
});

urls('rejects what cannot be served or dialled', () => {
  for (const bad of ['', 'registry', 'http://x:80', 'unix://relative', 'tcp://host:99999']) {
    assert.is(problemOf(types.url, bad), 'is not a URL', bad);
  }
});

urls('optional URLs are undefined when empty (no registry)', () => {
  assert.is(types.optionalUrl.parse(''), undefined);
  assert.is(types.optionalUrl.parse('registry:5002'), 'tcp://registry:5002');
});

urls('URL lists are comma separated, each entry checked', () => {
  assert.equal(types.urlList.parse('unix:///a.sock,tcp://:5001'), ['unix:///a.sock', 'tcp://:5001']);
  assert.equal(types.urlList.parse(''), []);
  assert.is(problemOf(types.urlList, 'unix:///a.sock,'), 'has an empty entry');
  assert.is(problemOf(types.urlList, 'unix:///a.sock,nope'), 'is not a URL');
});

urls.run();

// ---------------------------------------------------------------------------------------------------------
const collections = suite('config: lists and maps');

collections('lists split on commas; empty is none', () => {
  assert.equal(types.stringList.parse('a,b,c'), ['a', 'b', 'c']);
  assert.equal(types.stringList.parse('a, b'), ['a', 'b']);
  assert.equal(types.stringList.parse(''), []);
  assert.is(problemOf(types.stringList, 'a,,b'), 'has an empty entry');
});

collections('maps are k1:v1,k2:v2; anything else names the bad item', () => {
  assert.equal(types.stringMap.parse('p2p:true,color:red'), { p2p: 'true', color: 'red' });
  assert.equal(types.stringMap.parse(''), {});
  assert.equal(types.stringMap.parse('a:'), { a: '' });
  assert.is(problemOf(types.stringMap, 'p2p'), 'has "p2p", which is not key:value');
  assert.is(problemOf(types.stringMap, 'a:b:c'), 'has "a:b:c", which is not key:value');
});

collections('JSON arrays', () => {
  assert.equal(types.jsonArray.parse('[{"dnsServerIps":["10.0.0.1"]}]'), [{ dnsServerIps: ['10.0.0.1'] }]);
  assert.equal(types.jsonArray.parse(''), []);
  assert.is(problemOf(types.jsonArray, '{}'), 'is not a JSON array');
  assert.is(problemOf(types.jsonArray, '[x'), 'is not JSON');
});

collections.run();

// ---------------------------------------------------------------------------------------------------------
const cidrs = suite('config: CIDR groups');

cidrs('groups in brackets, single CIDRs as their own group (Go cidr.Groups cases)', () => {
  const a = '172.168.1.0/24';
  const b = '172.168.2.0/24';
  const c = '172.168.3.0/24';
  assert.equal(parseCidrGroups(`[${a}], [${a}, ${b}], ${a}, [${a}, ${b} , ${c}]`), {
    groups: [[a], [a, b], [a], [a, b, c]],
  });
  assert.equal(parseCidrGroups(''), { groups: [] });
  assert.equal(parseCidrGroups('169.254.0.0/16'), { groups: [['169.254.0.0/16']] });
  assert.equal(parseCidrGroups('[10.0.0.0/24,fd00::/120],172.16.0.0/16'), {
    groups: [['10.0.0.0/24', 'fd00::/120'], ['172.16.0.0/16']],
  });
});

cidrs('each CIDR is its network, as Go net.ParseCIDR returns it', () => {
  assert.equal(parseCidrGroups('10.0.0.5/24'), { groups: [['10.0.0.0/24']] });
  assert.equal(parseCidrGroups('172.16.1.100/31'), { groups: [['172.16.1.100/31']] });
});

cidrs('rejects what Go rejects (Go cidr.Groups wrong-input cases)', () => {
  const x = '172.168.1.0/24';
  const bad = [
    `[${x}, ${x}], [[${x}],,[${x}]`,
    `[${x}, ${x}`,
    `[${x}, ${x}],`,
    `[${x}, ${x}][${x}]`,
    `[${x}, ${x}],[]`,
    `[${x},, ${x}]`,
    '[172.168.1./24, 172.168.1./24]',
    'x',
    `${x},`,
    `${x}]`,
  ];
  for (const text of bad) assert.ok('problem' in parseCidrGroups(text), text);
});

cidrs('the type says what is wrong', () => {
  assert.is(problemOf(types.cidrGroups, '10.0.0.0/33'), 'has "10.0.0.0/33", which is not a CIDR');
  assert.is(problemOf(types.cidrGroups, '[10.0.0.0/8'), 'has a group that is not closed');
  assert.is(problemOf(types.cidrGroups, '[10.0.0.0/8],[[10.0.0.0/8]]'), 'opens a group inside a group');
});

cidrs.run();

// ---------------------------------------------------------------------------------------------------------
const services = suite('config: network service URLs');

services('kernel://service/ifname?labels', () => {
  assert.equal(types.networkServiceUrls.parse('kernel://icmp-responder/nsm-1?app=web&tier=a&tier=b'), [
    {
      url: 'kernel://icmp-responder/nsm-1?app=web&tier=a&tier=b',
      mechanism: 'KERNEL',
      networkService: 'icmp-responder',
      interfaceName: 'nsm-1',
      labels: { app: 'web', tier: 'a,b' },
    },
  ]);
});

services('no path: no interface name; a user part is an interdomain name', () => {
  const [plain, remote] = types.networkServiceUrls.parse('kernel://svc,kernel://svc@dc.example.com/if1');
  assert.is(plain?.interfaceName, undefined);
  assert.is(plain?.networkService, 'svc');
  assert.is(remote?.networkService, 'svc@dc.example.com');
  assert.is(remote?.interfaceName, 'if1');
});

services('several URLs, in order; bad ones named', () => {
  const list = types.networkServiceUrls.parse('kernel://a/nsm-1, kernel://b/nsm-2');
  assert.equal(
    list.map((s) => s.networkService),
    ['a', 'b'],
  );
  assert.is(problemOf(types.networkServiceUrls, 'kernel://a/nsm-1,icmp'), 'has "icmp", which is not a URL');
  assert.is(
    problemOf(types.networkServiceUrls, 'kernel://a/interface-name-too-long'),
    'has "kernel://a/interface-name-too-long", which has interface name "interface-name-too-long", longer than 15 characters',
  );
});

services.run();
