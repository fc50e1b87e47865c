import { Observable, from, throwError } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Match,
  NetworkService,
  type DeepPartial,
  NetworkServiceEndpoint,
  type NetworkServiceLabels,
} from '../../api/gen/registry.js';
import {
  isSubset,
  matchEndpoint,
  matchForwarders,
  matchNetworkServiceEndpoints,
  matchNetworkServices,
  readNetworkServiceEndpointList,
  readNetworkServiceList,
  renderTemplate,
} from './index.js';

type LabelsBySvc = Record<string, { labels: Record<string, string> }>;
const nse = (name: string, labels: LabelsBySvc = {}, extra: Partial<NetworkServiceEndpoint> = {}) =>
  NetworkServiceEndpoint.fromPartial({ name, networkServiceLabels: labels, ...extra });
const names = (list: readonly NetworkServiceEndpoint[]): string[] => list.map((e) => e.name);

const templates = suite('renderTemplate: the Go text/template subset');

const vars = { nodeName: 'node-1', app: 'fw' };
const renderCases: [string, string, string | undefined][] = [
  ['field', '{{.nodeName}}', 'node-1'],
  ['field with spaces', '{{ .nodeName }}', 'node-1'],
  ['index', '{{index . "nodeName"}}', 'node-1'],
  ['index with spaces', '{{ index  .  "nodeName" }}', 'node-1'],
  ['index with raw string', '{{index . `app`}}', 'fw'],
  ['missing field prints <no value>', '{{.missing}}', '<no value>'],
  ['missing entry through index is the zero value', '{{index . "missing"}}', ''],
  ['field of a missing field stays <no value>', '{{.missing.b}}', '<no value>'],
  ['text around actions', 'n-{{.nodeName}}/{{.app}}!', 'n-node-1/fw!'],
  ['no actions', 'plain', 'plain'],
  ['a lone closing delimiter is text', 'a}}b', 'a}}b'],
  ['the data itself prints as a Go map', '{{.}}', 'map[app:fw nodeName:node-1]'],
  ['string constant', '{{"lit"}}', 'lit'],
  ['escapes in a string constant', '{{"a\\tb\\x41"}}', 'a\tbA'],
  ['delimiter inside a string', '{{"}}"}}', '}}'],
  ['comment', 'x{{/* note */}}y', 'xy'],
  ['trim markers', 'a \n {{- .app -}} \t b', 'afwb'],
  ['trim markers around a comment', 'a {{- /* c */ -}} b', 'ab'],
  ['unclosed action', '{{.nodeName', undefined],
  ['unknown function', '{{nodeName}}', undefined],
  ['field of a string', '{{.app.x}}', undefined],
  ['dash in a field name', '{{.node-name}}', undefined],
  ['empty action', '{{}}', undefined],
  ['comment not filling the action', '{{ /* c */ }}', undefined],
  ['indexing a string', '{{index . "app" "x"}}', undefined],
  ['index of a missing field', '{{index .missing "x"}}', undefined],
  ['unterminated string', '{{"abc}}', undefined],
  ['bad escape', '{{"\\q"}}', undefined],
];
for (const [name, template, want] of renderCases) {
  templates(name, () => assert.is(renderTemplate(template, vars), want));
}
templates('no vars: a field prints <no value>, the data an empty map', () => {
  assert.is(renderTemplate('{{.a}}', {}), '<no value>');
  assert.is(renderTemplate('{{.}}', {}), 'map[]');
});
templates('labels named like Object.prototype members are missing', () => {
  assert.is(renderTemplate('{{.constructor}}', {}), '<no value>');
  assert.is(renderTemplate('{{index . "toString"}}', {}), '');
});
templates.run();

const subset = suite('isSubset');

subset('plain containment', () => {
  assert.ok(isSubset({ a: '1', b: '2' }, { a: '1' }, {}));
  assert.ok(isSubset({ a: '1' }, {}, {}));
  assert.ok(isSubset(undefined, undefined, undefined));
  assert.not.ok(isSubset({ a: '1', b: '2' }, { a: '2' }, {}));
  assert.not.ok(isSubset({ a: '1', b: '2' }, { c: '1' }, {}));
});
subset('a shorter map is never a superset, even with templates', () => {
  assert.not.ok(isSubset({ a: '1' }, { a: '1', b: '' }, {}));
  assert.not.ok(isSubset(undefined, { a: '' }, {}));
});
subset('a missing key reads as the empty string', () => {
  assert.ok(isSubset({ x: '1' }, { a: '' }, {}));
});
subset('templated values render with vars before comparing', () => {
  assert.ok(isSubset({ nodeName: 'n1', app: 'x' }, { nodeName: '{{.nodeName}}' }, { nodeName: 'n1' }));
  assert.not.ok(isSubset({ nodeName: 'n1' }, { nodeName: '{{.nodeName}}' }, { nodeName: 'n2' }));
  assert.ok(isSubset({ nodeName: '<no value>' }, { nodeName: '{{.nodeName}}' }, {}));
  assert.ok(isSubset({ k: '{{.broken' }, { k: '{{.broken' }, {}));
});
subset('an unrenderable template compares as written', () => {
  assert.ok(isSubset({ k: '{{nope}}' }, { k: '{{nope}}' }, { nope: 'x' }));
  assert.not.ok(isSubset({ k: 'x' }, { k: '{{nope}}' }, { nope: 'x' }));
});
subset.run();

// Go pkg/tools/matchutils/utils_test.go: TestNSMatch
const nsMatch = suite('matchNetworkServices (Go TestNSMatch)');
const referenceService = NetworkService.fromPartial({
  name: 'ns-1-substring-match',
  payload: 'IP',
  matches: [
    { sourceSelector: { app: 'firewall' }, routes: [{ destinationSelector: { app: 'some-middle-app' } }] },
  ],
});
const nsCases: [string, Partial<NetworkService>, boolean][] = [
  ['empty', {}, true],
  ['same', referenceService, true],
  ['matchName', { name: referenceService.name }, true],
  ['noMatchName', { name: 'different-name' }, false],
  ['matchPayload', { payload: 'IP' }, true],
  ['noMatchPayload', { payload: 'ETHERNET' }, false],
  ['matchMatches', { matches: referenceService.matches }, true],
  [
    'noMatchMatches',
    {
      matches: [
        Match.fromPartial({
          sourceSelector: { app: 'vpn' },
          routes: [{ destinationSelector: { app: 'some-middle-app' } }],
        }),
      ],
    },
    false,
  ],
  ['matches of a different length', { matches: [...referenceService.matches, Match.create()] }, false],
];
for (const [name, query, want] of nsCases) {
  nsMatch(name, () =>
    assert.is(matchNetworkServices(NetworkService.fromPartial(query), referenceService), want),
  );
}
nsMatch('matches compare proto3-deep: an empty metadata differs from none', () => {
  const withMeta = NetworkService.fromPartial({ matches: [{ metadata: {} }] });
  const without = NetworkService.fromPartial({ matches: [{}] });
  assert.not.ok(matchNetworkServices(withMeta, without));
  assert.ok(matchNetworkServices(without, NetworkService.fromPartial({ matches: [{ routes: [] }] })));
});
nsMatch.run();

// Go TestNSEMatch
const nseMatch = suite('matchNetworkServiceEndpoints (Go TestNSEMatch)');
const referenceEndpoint = NetworkServiceEndpoint.fromPartial({
  name: 'nse-1-substring-match',
  networkServiceNames: ['nse-service-1', 'nse-service-2'],
  networkServiceLabels: { Service1: { labels: { foo: 'bar' } }, Service2: { labels: { foo2: 'bar2' } } },
  url: 'tcp://1.1.1.1',
  expirationTime: { seconds: 600, nanos: 0 },
});
const nseCases: [string, Partial<NetworkServiceEndpoint>, boolean][] = [
  ['empty', {}, true],
  ['same', referenceEndpoint, true],
  ['matchName', { name: referenceEndpoint.name }, true],
  ['noMatchName', { name: 'different-name' }, false],
  ['matchLabels', { networkServiceLabels: referenceEndpoint.networkServiceLabels }, true],
  ['noMatchLabels', { networkServiceLabels: { Service3: { labels: { foo: 'bar' } } } }, false],
  ['matchExpirationTime', { expirationTime: { seconds: 600, nanos: 0 } }, true],
  ['matchExpirationTimeWithoutNanos', { expirationTime: { seconds: 600, nanos: 100000 } }, true],
  ['noMatchExpirationTime', { expirationTime: { seconds: 601, nanos: 0 } }, false],
  ['matchNetworkServiceNames', { networkServiceNames: referenceEndpoint.networkServiceNames }, true],
  ['matchNetworkServiceNamesPartial', { networkServiceNames: ['nse-service-2'] }, true],
  ['noMatchNetworkServiceNames', { networkServiceNames: ['nse-service-3'] }, false],
  ['matchUrl', { url: referenceEndpoint.url }, true],
  ['matchUrlPartial', { url: '://1' }, true],
  ['noMatchUrl', { url: 'udp://' }, false],
];
for (const [name, query, want] of nseCases) {
  nseMatch(name, () =>
    assert.is(
      matchNetworkServiceEndpoints(NetworkServiceEndpoint.fromPartial(query), referenceEndpoint),
      want,
    ),
  );
}
nseMatch('an expiration query against an entry without one compares with zero seconds', () => {
  const query = NetworkServiceEndpoint.fromPartial({ expirationTime: { seconds: 0, nanos: 5 } });
  assert.ok(matchNetworkServiceEndpoints(query, nse('x')));
});
nseMatch.run();

// Go TestLabelsContains
const labelsContains = suite('matchNetworkServiceEndpoints labels (Go TestLabelsContains)');
const referenceLabels: Record<string, NetworkServiceLabels> = {
  Service1: { labels: { foo: 'bar', foo2: 'bar2', foo3: 'bar3' } },
  Service2: { labels: { foo4: 'bar4' } },
};
const labelCases: [string, LabelsBySvc | undefined, boolean][] = [
  ['empty', undefined, true],
  ['same', referenceLabels, true],
  ['matchWithoutLabels', { Service1: { labels: {} } }, true],
  ['matchWithAllLabels', { Service1: { labels: { foo: 'bar', foo2: 'bar2', foo3: 'bar3' } } }, true],
  ['matchWithPartialLabels', { Service1: { labels: { foo: 'bar' } } }, true],
  ['noMatchLabelKey', { Service1: { labels: { unknown: 'bar' } } }, false],
  ['noMatchLabelValue', { Service1: { labels: { foo: 'unknown' } } }, false],
  ['noMatchAdditionalService', { Service2: { labels: { foo4: 'bar4' } }, Service3: { labels: {} } }, false],
];
for (const [name, labels, want] of labelCases) {
  labelsContains(name, () => {
    const query = NetworkServiceEndpoint.fromPartial({ networkServiceLabels: labels ?? {} });
    const entry = NetworkServiceEndpoint.fromPartial({ networkServiceLabels: referenceLabels });
    assert.is(matchNetworkServiceEndpoints(query, entry), want);
  });
}
labelsContains.run();

// Go discover/server_test.go fixtures
const svc = 'secure-intranet-connectivity';
const endpoints = (): NetworkServiceEndpoint[] =>
  ['firewall', 'some-middle-app', 'vpn-gateway'].map((app, i) =>
    nse(`nse-${i + 1}`, { [svc]: { labels: { app } } }, { networkServiceNames: [svc] }),
  );
const fromAnywhere = { sourceSelector: {}, routes: [{ destinationSelector: { app: 'firewall' } }] };
const fromFirewall = {
  sourceSelector: { app: 'firewall' },
  routes: [{ destinationSelector: { app: 'some-middle-app' } }],
};
const fromMiddle = {
  sourceSelector: { app: 'some-middle-app' },
  routes: [{ destinationSelector: { app: 'vpn-gateway' } }],
};
const service = (...matches: DeepPartial<Match>[]): NetworkService =>
  NetworkService.fromPartial({ name: svc, matches: matches.map((m) => Match.fromPartial(m)) });

const endpoint = suite('matchEndpoint');

endpoint('no matches: every endpoint', () => {
  assert.equal(names(matchEndpoint({}, service(), endpoints())), ['nse-1', 'nse-2', 'nse-3']);
});
endpoint('an empty source selector matches a client without labels (Go MatchEmptySourceSelector)', () => {
  assert.equal(names(matchEndpoint({}, service(fromFirewall, fromMiddle, fromAnywhere), endpoints())), [
    'nse-1',
  ]);
});
endpoint('a non-empty source selector (Go MatchNonEmptySourceSelector)', () => {
  const got = matchEndpoint(
    { app: 'firewall' },
    service(fromFirewall, fromMiddle, fromAnywhere),
    endpoints(),
  );
  assert.equal(names(got), ['nse-2']);
});
endpoint('the first fitting match decides (Go MatchEmptySourceSelectorGoingFirst)', () => {
  const got = matchEndpoint(
    { app: 'firewall' },
    service(fromAnywhere, fromFirewall, fromMiddle),
    endpoints(),
  );
  assert.equal(names(got), ['nse-1']);
});
endpoint('no fitting source selector: nothing', () => {
  assert.equal(matchEndpoint({ app: 'unknown-app' }, service(fromFirewall, fromMiddle), endpoints()), []);
});
endpoint('a fitting match without hits and no fallthrough: nothing', () => {
  const ns = service({ routes: [{ destinationSelector: { app: 'none' } }] }, fromAnywhere);
  assert.equal(matchEndpoint({}, ns, endpoints()), []);
});
endpoint('an endpoint appears once per matching route', () => {
  const ns = service({
    routes: [{ destinationSelector: { app: 'firewall' } }, { destinationSelector: {} }],
  });
  assert.equal(names(matchEndpoint({}, ns, endpoints())), ['nse-1', 'nse-1', 'nse-2', 'nse-3']);
});
endpoint('a metadata-only match with no hits gives every endpoint', () => {
  const ns = service({ metadata: { labels: { p2p: 'true' } } });
  assert.equal(names(matchEndpoint({}, ns, endpoints())), ['nse-1', 'nse-2', 'nse-3']);
  assert.equal(matchEndpoint({}, service({}), endpoints()), [], 'no metadata: nothing');
});
endpoint('endpoints without labels for the service only fit empty selectors', () => {
  const bare = nse('bare');
  assert.equal(names(matchEndpoint({}, service({ routes: [{ destinationSelector: {} }] }), [bare])), [
    'bare',
  ]);
  assert.equal(matchEndpoint({}, service(fromAnywhere), [bare]), []);
});

// Go discover/server_test.go Test_Discover_Scale_FromZero_vL3
endpoint('scale from zero vL3: fallthrough and templates (Go Test_Discover_Scale_FromZero_vL3)', () => {
  const ns = NetworkService.fromPartial({
    name: 'ns-1',
    payload: 'IP',
    matches: [
      {
        fallthrough: true,
        routes: [{ destinationSelector: { app: 'nse-vl3-vpp', nodeName: '{{.nodeName}}' } }],
      },
      {
        fallthrough: true,
        sourceSelector: { capability: 'vl3' },
        routes: [{ destinationSelector: { capability: 'vl3' } }],
      },
      { fallthrough: true, routes: [{ destinationSelector: { app: 'nse-autoscaler' } }] },
    ],
  });
  const vl3 = (name: string, node: string) =>
    nse(name, { 'ns-1': { labels: { capability: 'vl3', nodeName: node, app: 'nse-vl3-vpp' } } });
  const a = vl3('nse-A', 'node-1');
  const b = vl3('nse-B', 'node-2');
  const c = nse('nse-C', { 'ns-1': { labels: { app: 'nse-autoscaler' } } });
  const d = nse('nse-D', { 'ns-1': { labels: { app: 'unknown' } } });

  assert.equal(matchEndpoint({}, ns, [d]), []);
  assert.equal(matchEndpoint({ app: 'nse-autoscaler' }, ns, [d]), []);
  assert.equal(matchEndpoint({}, ns, [c, d]), [c], 'by match 3');
  assert.equal(matchEndpoint({ app: 'nse-autoscaler' }, ns, [c, d]), [c], 'by match 3');
  assert.equal(
    matchEndpoint({ app: 'nse-vl3-vpp', nodeName: 'node-2' }, ns, [c, a, b, d]),
    [b],
    'by match 1',
  );
  assert.equal(
    matchEndpoint({ app: 'nse-vl3-vpp', nodeName: 'node-1' }, ns, [c, a, d, b]),
    [a],
    'by match 1',
  );
  const vl3Client = { capability: 'vl3', app: 'nse-vl3-vpp' };
  assert.equal(matchEndpoint({ ...vl3Client, nodeName: 'node-2' }, ns, [c, a, d]), [a], 'by match 2');
  assert.equal(matchEndpoint({ ...vl3Client, nodeName: 'node-1' }, ns, [c, d, b]), [b], 'by match 2');
});
endpoint('returns a new array, never the input', () => {
  const list = endpoints();
  assert.is.not(matchEndpoint({}, service(), list), list);
});
endpoint.run();

const forwarders = suite('matchForwarders');

const fwd = (name: string, labels?: Record<string, string>) =>
  nse(name, labels === undefined ? {} : { forwarder: { labels } });
const fwds = [
  fwd('plain', {}),
  fwd('p2p', { p2p: 'true' }),
  fwd('sriov', { sriov: 'true', p2p: 'true' }),
  fwd('none'),
];

forwarders('no matches: every forwarder', () => {
  assert.equal(names(matchForwarders({}, service(), fwds, 'forwarder')), ['plain', 'p2p', 'sriov', 'none']);
});
forwarders('a match without metadata requires p2p=true', () => {
  assert.equal(names(matchForwarders({}, service({}), fwds, 'forwarder')), ['p2p', 'sriov']);
});
forwarders('empty metadata labels count as none (as after gRPC)', () => {
  assert.equal(names(matchForwarders({}, service({ metadata: { labels: {} } }), fwds, 'forwarder')), [
    'p2p',
    'sriov',
  ]);
});
forwarders('metadata labels select, with templates over the client labels', () => {
  const ns = service({ metadata: { labels: { sriov: '{{.want}}' } } });
  assert.equal(names(matchForwarders({ want: 'true' }, ns, fwds, 'forwarder')), ['sriov']);
});
forwarders('source selectors and fallthrough', () => {
  const ns = service(
    { sourceSelector: { app: 'x' }, metadata: { labels: { p2p: 'true' } } },
    { fallthrough: true, metadata: { labels: { vlan: 'true' } } },
    { metadata: { labels: { sriov: 'true' } } },
  );
  assert.equal(names(matchForwarders({}, ns, fwds, 'forwarder')), ['sriov']);
  assert.equal(names(matchForwarders({ app: 'x' }, ns, fwds, 'forwarder')), ['p2p', 'sriov']);
});
forwarders('no fallthrough stops at the first fitting match, even when empty', () => {
  const ns = service({ metadata: { labels: { vlan: 'true' } } }, {});
  assert.equal(matchForwarders({}, ns, fwds, 'forwarder'), []);
});
forwarders('labels are read under the configured service name', () => {
  const custom = [nse('c', { 'my-fwd': { labels: { p2p: 'true' } } }), fwd('p2p', { p2p: 'true' })];
  assert.equal(names(matchForwarders({}, service({}), custom, 'my-fwd')), ['c']);
});
forwarders.run();

const lists = suite('readNetworkServiceList / readNetworkServiceEndpointList');

lists('collects entries until the stream completes, skipping deleted ones', async () => {
  const responses = [
    { networkService: NetworkService.fromPartial({ name: 'a' }), deleted: false },
    { networkService: NetworkService.fromPartial({ name: 'b' }), deleted: true },
    { networkService: undefined, deleted: false },
    { networkService: NetworkService.fromPartial({ name: 'c' }), deleted: false },
  ];
  const got = await readNetworkServiceList(() => from(responses), new AbortController().signal);
  assert.equal(
    got.map((ns) => ns.name),
    ['a', 'c'],
  );
  const nses = await readNetworkServiceEndpointList(
    () => from([{ networkServiceEndpoint: nse('x'), deleted: false }]),
    new AbortController().signal,
  );
  assert.equal(names(nses), ['x']);
});
lists('a stream error, or a throwing find, rejects with that error', async () => {
  const error = new Error('down');
  const signal = new AbortController().signal;
  await readNetworkServiceList(() => throwError(() => error), signal).then(
    () => assert.unreachable(),
    (e: unknown) => assert.is(e, error),
  );
  await readNetworkServiceList(() => {
    throw error;
  }, signal).then(
    () => assert.unreachable(),
    (e: unknown) => assert.is(e, error),
  );
});
lists('an abort rejects with its reason and unsubscribes; an aborted signal never subscribes', async () => {
  const controller = new AbortController();
  let subscribed = 0;
  let unsubscribed = 0;
  const never = () =>
    new Observable<never>(() => {
      subscribed++;
      return () => void unsubscribed++;
    });
  const pending = readNetworkServiceEndpointList(never, controller.signal);
  const reason = new DOMException('cancelled', 'AbortError');
  controller.abort(reason);
  await pending.then(
    () => assert.unreachable(),
    (e: unknown) => assert.is(e, reason),
  );
  assert.is(unsubscribed, 1);
  await readNetworkServiceList(never, controller.signal).catch(() => undefined);
  assert.is(subscribed, 1);
});
lists.run();
