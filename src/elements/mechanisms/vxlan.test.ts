import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Mechanism } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkRequest, injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { kernelMechanism, toVxlan, vxlanClient, vxlanMechanism, vxlanServer } from './index.js';

const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';

const bg = (): CallContext => CallContext.background();

const vxRequest = (
  id: string,
  params: Record<string, string> = { src_ip: '192.0.2.1' },
): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id, mechanism: { cls: 'REMOTE', type: 'VXLAN', parameters: params } },
  });

/** A random source that replays `values`, then repeats the last one. */
const replay = (...values: number[]): (() => number) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
};

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------------------
const client = suite('mechanisms/vxlan: client');

client('sets src_ip and src_port (default 4789) on VXLAN preferences only', async () => {
  let seen: NetworkServiceRequest | undefined;
  const capture = checkRequest((r) => (seen = r));
  const request = NetworkServiceRequest.fromPartial({
    mechanismPreferences: [vxlanMechanism(), kernelMechanism()],
  });
  await networkServiceHandler([vxlanClient({ srcIp: '192.0.2.1' }), capture]).request(request, bg());
  const view = toVxlan(seen?.mechanismPreferences[0])!;
  assert.is(view.srcIp, '192.0.2.1');
  assert.is(view.srcPort, 4789);
  assert.equal(seen?.mechanismPreferences[1]?.parameters, {});
  assert.equal(request.mechanismPreferences[0]?.parameters, {}, 'the request is not changed');

  await networkServiceHandler([vxlanClient({ srcIp: '::ffff:192.0.2.1', srcPort: 4466 }), capture]).request(
    request,
    bg(),
  );
  assert.equal(seen?.mechanismPreferences[0]?.parameters, { src_ip: '192.0.2.1', src_port: '4466' });
});

client('bad options are a ConfigError', () => {
  assert.throws(() => vxlanClient({ srcIp: 'nope' }), isConfigError);
  assert.throws(() => vxlanClient({ srcIp: '10.0.0.1', srcPort: 70000 }), isConfigError);
  assert.throws(() => vxlanServer({ dstIp: '' }), isConfigError);
  assert.throws(() => vxlanServer({ dstIp: '10.0.0.1', dstPort: -1 }), isConfigError);
});

client.run();

// ---------------------------------------------------------------------------------------------------------
const server = suite('mechanisms/vxlan: server');

server('sets dst_ip, dst_port and a non-zero VNI of the right parity', async () => {
  const handler = networkServiceHandler([metadata(), vxlanServer({ dstIp: '192.0.2.2' })]);
  const conn = await handler.request(vxRequest('a'), bg());
  const view = toVxlan(conn.mechanism)!;
  assert.is(view.dstIp, '192.0.2.2');
  assert.is(view.dstPort, 4789);
  assert.ok(view.vni > 0);
  assert.is(view.vni % 2, 0, 'src < dst: the NSE side picks even');

  const odd = networkServiceHandler([metadata(), vxlanServer({ dstIp: '192.0.2.0', dstPort: 4466 })]);
  const oddConn = await odd.request(vxRequest('a'), bg());
  assert.is(toVxlan(oddConn.mechanism)!.vni % 2, 1);
  assert.is(toVxlan(oddConn.mechanism)?.dstPort, 4466);
});

server('keeps the VNI on refresh, from the request or from metadata', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2' });
  const handler = networkServiceHandler([metadata(), element]);
  const first = await handler.request(vxRequest('a'), bg());
  const vni = toVxlan(first.mechanism)?.vni;
  const again = await handler.request({ ...vxRequest('a'), connection: first }, bg());
  assert.is(toVxlan(again.mechanism)?.vni, vni);
  // The client dropped the VNI: the one remembered for the connection comes back.
  const dropped = await handler.request(vxRequest('a'), bg());
  assert.is(toVxlan(dropped.mechanism)?.vni, vni);
  assert.is(element.allocated, 1);
});

server('never hands out a VNI twice for one source; retries on collision', async () => {
  // Draws 5, 5, 7 → even VNIs 10, 10, 14.
  const element = vxlanServer({ dstIp: '192.0.2.2', random: replay(5, 5, 7) });
  const handler = networkServiceHandler([metadata(), element]);
  const a = await handler.request(vxRequest('a'), bg());
  const b = await handler.request(vxRequest('b'), bg());
  assert.is(toVxlan(a.mechanism)?.vni, 10);
  assert.is(toVxlan(b.mechanism)?.vni, 14);
  assert.is(element.allocated, 2);
  // Another source may reuse the same VNI.
  const other = vxlanServer({ dstIp: '192.0.2.2', random: replay(5) });
  const h2 = networkServiceHandler([metadata(), other]);
  const c = await h2.request(vxRequest('c', { src_ip: '192.0.2.1' }), bg());
  const d = await h2.request(vxRequest('d', { src_ip: '192.0.2.3' }), bg());
  assert.is(toVxlan(c.mechanism)?.vni, 10);
  assert.is(toVxlan(d.mechanism)?.vni, 11, '192.0.2.3 > 192.0.2.2: odd');
});

server('falls back to a scan when random draws keep colliding', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2', random: replay(5) });
  const handler = networkServiceHandler([metadata(), element]);
  const vnis = new Set<number>();
  for (const id of ['a', 'b', 'c']) {
    const conn = await handler.request(vxRequest(id), bg());
    vnis.add(toVxlan(conn.mechanism)?.vni ?? -1);
  }
  assert.equal([...vnis].sort(), [10, 12, 14]);
});

server('Close frees the VNI; a freed VNI can be handed out again', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2', random: replay(5, 5) });
  const handler = networkServiceHandler([metadata(), element]);
  const a = await handler.request(vxRequest('a'), bg());
  await handler.close(a, bg());
  assert.is(element.allocated, 0);
  const b = await handler.request(vxRequest('b'), bg());
  assert.is(toVxlan(b.mechanism)?.vni, 10);
  await handler.close(b, bg());
  assert.is(element.allocated, 0);
});

server('a failed first Request frees what it allocated; a failed refresh keeps the lease', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2' });
  let fail = true;
  const flaky: NetworkServiceElement = {
    name: 'flaky',
    async request(request, ctx, next) {
      if (fail) throw new Error('downstream failed');
      return next.request(request, ctx);
    },
  };
  const handler = networkServiceHandler([metadata(), element, flaky]);
  await rejects(handler.request(vxRequest('a'), bg()));
  assert.is(element.allocated, 0);
  fail = false;
  const conn = await handler.request(vxRequest('a'), bg());
  assert.is(element.allocated, 1);
  fail = true;
  await rejects(handler.request({ ...vxRequest('a'), connection: conn }, bg()));
  assert.is(element.allocated, 1);
  fail = false;
  await handler.close(conn, bg());
  assert.is(element.allocated, 0);
});

server('a VNI the request carries (after a restart) is recorded and protected', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2', random: replay(21) });
  const handler = networkServiceHandler([metadata(), element]);
  const restored = await handler.request(vxRequest('a', { src_ip: '192.0.2.1', vni: '42' }), bg());
  assert.is(toVxlan(restored.mechanism)?.vni, 42);
  assert.is(element.allocated, 1);
  // 21 → 42 is taken: the next draw repeats, then the scan moves on to 44.
  const fresh = await handler.request(vxRequest('b'), bg());
  assert.is(toVxlan(fresh.mechanism)?.vni, 44);
  // A failed Request with its own VNI does not free one held by another connection.
  const failing = networkServiceHandler([metadata(), element, injectError()]);
  await rejects(failing.request(vxRequest('c', { src_ip: '192.0.2.1', vni: '42' }), bg()));
  assert.is(element.allocated, 2);
  await handler.close(restored, bg());
  await handler.close(fresh, bg());
  assert.is(element.allocated, 0);
});

server('a missing src_ip fails with MECHANISMS_VXLAN_NO_IPS; other mechanisms pass', async () => {
  const element = vxlanServer({ dstIp: '192.0.2.2' });
  const handler = networkServiceHandler([metadata(), element]);
  const error = await rejects(handler.request(vxRequest('a', {}), bg()));
  assert.ok(isStatusError(error));
  assert.is(error.code, Code.INVALID_ARGUMENT);
  assert.is(error.reason, 'MECHANISMS_VXLAN_NO_IPS');
  assert.is(element.allocated, 0);
  const kernel = Mechanism.fromPartial({ cls: 'LOCAL', type: 'KERNEL' });
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'k', mechanism: kernel } }),
    bg(),
  );
  assert.equal(conn.mechanism, kernel);
  await handler.close(Connection.fromPartial({ id: 'k', mechanism: kernel }), bg());
});

server.run();
