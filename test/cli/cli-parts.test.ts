/** Unit tests of the CLI's own pieces: the nsmgr public URL, the NSC's requests, the idle timeout. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { networkInterfaces } from 'node:os';
import { Connection, State } from '../../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { CallContext } from '../../src/chain/context.js';
import { isStatusError } from '../../src/chain/errors.js';
import { networkServiceHandler } from '../../src/chain/network-service.js';
import { newRequest, resumedRequest } from '../../src/cli/nsc-request.js';
import { onIdleServer } from '../../src/cli/on-idle.js';
import { publicUrl } from '../../src/cli/public-url.js';
import { switchableLogger } from '../../src/cli/runtime/logger.js';
import { types } from '../../src/config/index.js';
import { injectError, manualClock } from '../../src/testing/index.js';

type Interfaces = ReturnType<typeof networkInterfaces>;

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): Interfaces[string] =>
  [
    {
      address,
      family,
      internal,
      netmask: '',
      mac: '',
      cidr: null,
      ...(family === 'IPv6' ? { scopeid: 0 } : {}),
    },
  ] as Interfaces[string];

// ---------------------------------------------------------------------------------------------------------
const pub = suite('cli: nsmgr public URL');

const machine: Interfaces = {
  lo: nic('127.0.0.1', 'IPv4', true),
  eth0: [...nic('fe80::1', 'IPv6')!, ...nic('2001:db8::5', 'IPv6')!, ...nic('10.1.2.3', 'IPv4')!],
};

pub('the first tcp URL, else the first URL', () => {
  assert.is(publicUrl(['unix:///nsm.sock', 'tcp://10.0.0.1:5001'], machine), 'tcp://10.0.0.1:5001');
  assert.is(publicUrl(['unix:///nsm.sock'], machine), 'unix:///nsm.sock');
});

pub('an empty host becomes the first non-loopback address, IPv4 first', () => {
  assert.is(publicUrl(['unix:///nsm.sock', 'tcp://:5001'], machine), 'tcp://10.1.2.3:5001');
  const v6only: Interfaces = {
    lo: nic('::1', 'IPv6', true),
    eth0: [...nic('fe80::1', 'IPv6')!, ...nic('2001:db8::5', 'IPv6')!],
  };
  assert.is(publicUrl(['tcp://:5001'], v6only), 'tcp://[2001:db8::5]:5001');
  assert.is(publicUrl(['tcp://:5001'], { lo: nic('127.0.0.1', 'IPv4', true) }), 'tcp://:5001');
});

pub.run();

// ---------------------------------------------------------------------------------------------------------
const requests = suite('cli: nsc requests');

const [service] = types.networkServiceUrls.parse('kernel://icmp-responder/nsm-1?app=web');

requests('a fresh request: service, labels and a KERNEL preference with the interface name', () => {
  const request = newRequest('nsc-0', service!);
  assert.is(request.connection?.id, 'nsc-0');
  assert.is(request.connection?.networkService, 'icmp-responder');
  assert.equal(request.connection?.labels, { app: 'web' });
  assert.is(request.mechanismPreferences.length, 1);
  assert.is(request.mechanismPreferences[0]?.type, 'KERNEL');
  assert.is(request.mechanismPreferences[0]?.cls, 'LOCAL');
  assert.is(request.mechanismPreferences[0]?.parameters['name'], 'nsm-1');
});

requests('without an interface name the kernel client picks one later', () => {
  const [bare] = types.networkServiceUrls.parse('kernel://icmp-responder');
  assert.is(newRequest('nsc-0', bare!).mechanismPreferences[0]?.parameters['name'], undefined);
});

const previous = (state: State): Connection =>
  Connection.fromPartial({
    id: 'nsmgr-side-id',
    networkService: 'icmp-responder',
    networkServiceEndpointName: 'nse-1',
    mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-1' } },
    state,
    path: {
      index: 1,
      pathSegments: [
        { id: 'nsc-0', name: 'nsc' },
        { id: 'x', name: 'nsmgr' },
      ],
    },
  });

requests('a connection the nsmgr still has is taken back at path index 0', () => {
  const fresh = newRequest('nsc-0', service!);
  assert.is(resumedRequest(fresh, undefined), fresh);
  const resumed = resumedRequest(fresh, previous(State.UP));
  assert.is(resumed.connection?.id, 'nsc-0');
  assert.is(resumed.connection?.path?.index, 0);
  assert.is(resumed.connection?.networkServiceEndpointName, 'nse-1');
  assert.equal(resumed.mechanismPreferences, fresh.mechanismPreferences);
});

requests('a DOWN one asks for another endpoint', () => {
  const resumed = resumedRequest(newRequest('nsc-0', service!), previous(State.DOWN));
  assert.is(resumed.connection?.state, State.RESELECT_REQUESTED);
  assert.is(resumed.connection?.mechanism, undefined);
  assert.is(resumed.connection?.networkServiceEndpointName, '');
});

requests.run();

// ---------------------------------------------------------------------------------------------------------
const idle = suite('cli: onidle');

const request = (id: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id } });
const bg = CallContext.background();

idle('notifies once after the timeout with no connection; later Requests fail', async () => {
  const clock = manualClock();
  const stop = new AbortController();
  let notified = 0;
  const handler = networkServiceHandler([
    onIdleServer({ timeoutMs: 1000, notify: () => notified++, chainSignal: stop.signal, clock }),
  ]);
  clock.advance(999);
  assert.is(notified, 0);
  clock.advance(1);
  assert.is(notified, 1);
  clock.advance(5000);
  assert.is(notified, 1);
  try {
    await handler.request(request('a'), bg);
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error) && error.reason === 'ONIDLE_EXPIRED');
  }
  stop.abort();
});

idle(
  'a connection stops the timer; closing the last one starts it again; refresh changes nothing',
  async () => {
    const clock = manualClock();
    const stop = new AbortController();
    let notified = 0;
    const handler = networkServiceHandler([
      onIdleServer({ timeoutMs: 1000, notify: () => notified++, chainSignal: stop.signal, clock }),
    ]);
    const a = await handler.request(request('a'), bg);
    await handler.request(request('b'), bg);
    await handler.request(request('a'), bg);
    clock.advance(5000);
    assert.is(notified, 0);
    await handler.close(a, bg);
    clock.advance(5000);
    assert.is(notified, 0);
    await handler.close(Connection.fromPartial({ id: 'b' }), bg);
    clock.advance(999);
    assert.is(notified, 0);
    clock.advance(1);
    assert.is(notified, 1);
    stop.abort();
  },
);

idle('a failed new Request does not count; the chain signal stops the timer', async () => {
  const clock = manualClock();
  const stop = new AbortController();
  let notified = 0;
  const handler = networkServiceHandler([
    onIdleServer({ timeoutMs: 1000, notify: () => notified++, chainSignal: stop.signal, clock }),
    injectError(),
  ]);
  await handler.request(request('a'), bg).catch(() => undefined);
  clock.advance(1000);
  assert.is(notified, 1);
  const other = manualClock();
  onIdleServer({ timeoutMs: 1000, notify: () => notified++, chainSignal: stop.signal, clock: other });
  stop.abort();
  assert.is(other.pendingTimers, 0);
  other.advance(2000);
  assert.is(notified, 1);
});

idle.run();

// ---------------------------------------------------------------------------------------------------------
const logs = suite('cli: logs');

logs('JSON lines with the component fields; the level can change while running', () => {
  const lines: string[] = [];
  const logger = switchableLogger('info', { cmd: 'nsmgr', name: 'nsmgr-1' }, (line) => lines.push(line));
  logger.log('debug', 'hidden');
  logger.log('info', 'shown', { n: 1 });
  logger.setLevel('trace');
  assert.ok(logger.isEnabled('trace'));
  logger.log('trace', 'now shown');
  logger.setLevel('warn');
  logger.log('info', 'hidden again');
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(
    parsed.map((l) => [l['level'], l['msg'], l['cmd'], l['name']]),
    [
      ['info', 'shown', 'nsmgr', 'nsmgr-1'],
      ['trace', 'now shown', 'nsmgr', 'nsmgr-1'],
    ],
  );
  assert.is(parsed[0]?.['n'], 1);
});

logs.run();
