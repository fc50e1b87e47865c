import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import { nseRegistryHandler } from '../../chain/registry.js';
import { checkRequest } from '../../testing/index.js';
import { clientInfo, clientInfoNseRegistry } from './index.js';

const all = { NODE_NAME: 'AAA', POD_NAME: 'BBB', CLUSTER_NAME: 'CCC' };
const old = { nodeName: 'OLD_VAL1', podName: 'OLD_VAL2', clusterName: 'OLD_VAL3', SomeOtherLabel: 'DDD' };

// Go pkg/networkservice/common/clientinfo/client_test.go
const cases: [string, Record<string, string>, Record<string, string> | undefined, Record<string, string>][] =
  [
    ['LabelsMapNotPresent', all, undefined, { nodeName: 'AAA', podName: 'BBB', clusterName: 'CCC' }],
    ['LabelsAlreadySet', all, old, old],
    [
      'SomeEnvsNotPresent',
      { POD_NAME: 'BBB', CLUSTER_NAME: 'CCC' },
      { nodeName: 'OLD_VAL1', clusterName: 'OLD_VAL3', SomeOtherLabel: 'DDD' },
      { nodeName: 'OLD_VAL1', podName: 'BBB', clusterName: 'OLD_VAL3', SomeOtherLabel: 'DDD' },
    ],
    [
      'SomeEnvsAndLabelsNotPresent',
      { POD_NAME: 'BBB', CLUSTER_NAME: 'CCC' },
      { clusterName: 'OLD_VAL3', SomeOtherLabel: 'DDD' },
      { podName: 'BBB', clusterName: 'OLD_VAL3', SomeOtherLabel: 'DDD' },
    ],
  ];

const client = suite('clientinfo: connection labels (Go client_test)');

for (const [name, env, labels, want] of cases) {
  client(name, async () => {
    let seen: Record<string, string> | undefined;
    const handler = networkServiceHandler([
      clientInfo({ env }),
      checkRequest((request) => {
        seen = request.connection?.labels;
      }),
    ]);
    const request = NetworkServiceRequest.fromPartial({ connection: { id: '1', labels: labels ?? {} } });
    await handler.request(request, CallContext.background());
    assert.equal(seen, want);
    assert.equal(request.connection?.labels, labels ?? {}, 'the input is untouched');
  });
}
client('a request without a connection gets one with the labels', async () => {
  const conn = await networkServiceHandler([clientInfo({ env: { NODE_NAME: 'n' } })]).request(
    NetworkServiceRequest.fromPartial({}),
    CallContext.background(),
  );
  assert.equal(conn.labels, { nodeName: 'n' });
});
client('the environment is read on every call; an empty value still counts as set', async () => {
  const env: Record<string, string | undefined> = {};
  const handler = networkServiceHandler([clientInfo({ env })]);
  const request = NetworkServiceRequest.fromPartial({ connection: { id: '1' } });
  assert.equal((await handler.request(request, CallContext.background())).labels, {});
  env['POD_NAME'] = '';
  assert.equal((await handler.request(request, CallContext.background())).labels, { podName: '' });
});
client('process.env is the default', async () => {
  const before = process.env['CLUSTER_NAME'];
  process.env['CLUSTER_NAME'] = 'from-process';
  try {
    const conn = await networkServiceHandler([clientInfo()]).request(
      NetworkServiceRequest.fromPartial({ connection: { id: '1' } }),
      CallContext.background(),
    );
    assert.is(conn.labels['clusterName'], 'from-process');
  } finally {
    if (before === undefined) delete process.env['CLUSTER_NAME'];
    else process.env['CLUSTER_NAME'] = before;
  }
});
client('a bad env option is rejected at construction', () => {
  assert.throws(
    () => clientInfo({ env: null as never }),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => clientInfoNseRegistry({ env: 5 as never }),
    (e: unknown) => e instanceof ConfigError,
  );
});
client.run();

// Go pkg/registry/common/clientinfo/server_test.go
const registryCases: [
  string,
  Record<string, string>,
  Record<string, string> | undefined,
  Record<string, string>,
][] = [
  ['MapNotPresent', all, undefined, { nodeName: 'AAA', podName: 'BBB', clusterName: 'CCC' }],
  ['LabelsOverwritten', all, old, old],
  [
    'SomeEnvsNotPresent',
    { CLUSTER_NAME: 'CCC' },
    { nodeName: 'OLD_VAL1', clusterName: 'OLD_VAL2', SomeOtherLabel: 'DDD' },
    { nodeName: 'OLD_VAL1', clusterName: 'OLD_VAL2', SomeOtherLabel: 'DDD' },
  ],
];

const registry = suite('clientinfo: endpoint labels on Register (Go registry server/client tests)');

for (const [name, env, labels, want] of registryCases) {
  registry(name, async () => {
    const handler = nseRegistryHandler([clientInfoNseRegistry({ env })]);
    const nse = NetworkServiceEndpoint.fromPartial({
      name: 'nse-1',
      networkServiceLabels: { 'ns-1': { labels: labels ?? {} } },
    });
    const registered = await handler.register(nse, CallContext.background());
    assert.equal(registered.networkServiceLabels['ns-1']?.labels, want);
    assert.equal(nse.networkServiceLabels['ns-1']?.labels, labels ?? {}, 'the input is untouched');
    await handler.unregister(registered, CallContext.background());
  });
}
registry('every service gets the labels; other fields pass unchanged', async () => {
  const handler = nseRegistryHandler([clientInfoNseRegistry({ env: { NODE_NAME: 'n1' } })]);
  const nse = NetworkServiceEndpoint.fromPartial({
    name: 'nse-1',
    url: 'tcp://1.2.3.4:5',
    networkServiceNames: ['a', 'b'],
    networkServiceLabels: { a: { labels: { x: '1' } }, b: { labels: {} } },
  });
  const registered = await handler.register(nse, CallContext.background());
  assert.equal(registered.networkServiceLabels['a']?.labels, { x: '1', nodeName: 'n1' });
  assert.equal(registered.networkServiceLabels['b']?.labels, { nodeName: 'n1' });
  assert.is(registered.url, nse.url);
  assert.equal(registered.networkServiceNames, ['a', 'b']);
});
registry('an endpoint without service labels is unchanged', async () => {
  const handler = nseRegistryHandler([clientInfoNseRegistry({ env: all })]);
  const registered = await handler.register(
    NetworkServiceEndpoint.fromPartial({ name: 'x' }),
    CallContext.background(),
  );
  assert.equal(registered.networkServiceLabels, {});
});
registry.run();
