/**
 * Refreshes asked for by the endpoint (Go `upstreamrefresh_test.go`, nsm-semantics §5.2 rows 45-47): an NSE
 * publishes REFRESH_REQUESTED through its monitor, the nsmgr and forwarder pass it up, and the client's
 * `upstreamrefresh` re-requests the connection.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../src/api/clone.js';
import { ConnectionEventType, State, type Connection } from '../../src/api/gen/connection.js';
import type { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { eventConsumerOf } from '../../src/elements/monitor/index.js';
import { upstreamRefreshClient } from '../../src/elements/upstream-refresh/index.js';
import { count } from '../../src/testing/index.js';
import { createSandbox, type Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const defaultMtu = 9000;

/** Go's refreshMTUSenderServer: a new connection whose MTU is not 9000 makes it ask every other one to refresh. */
function refreshMtuSender(): NetworkServiceElement {
  const stored = new Map<string, Connection>();
  return {
    name: 'refresh-mtu-sender',
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      if ((connection.context?.MTU ?? 0) !== defaultMtu) {
        if (stored.has(connection.id)) return connection;
        const connections: Record<string, Connection> = {};
        for (const [id, conn] of stored)
          connections[id] = { ...cloneMessage(conn), state: State.REFRESH_REQUESTED };
        eventConsumerOf(ctx)?.send({ type: ConnectionEventType.UPDATE, connections });
      }
      stored.set(connection.id, cloneMessage(connection));
      return connection;
    },
  };
}

/** The signal that ends a test client's background work: the domain's close. */
function chainSignal(domain: Domain): AbortSignal {
  const stop = new AbortController();
  domain.onClose(() => stop.abort());
  return stop.signal;
}

function withMtu(
  request: NetworkServiceRequest,
  mtu: number,
  id: string = randomUUID(),
): NetworkServiceRequest {
  const connection = request.connection!;
  return { ...request, connection: { ...connection, id, context: { ...connection.context!, MTU: mtu } } };
}

const upstream = suite('nsmgr: upstream refresh');

upstream('Test_UpstreamRefreshClient: a new MTU makes the NSE refresh the other client', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
    const counter = count();
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      additional: [refreshMtuSender(), counter],
    });
    const nsc = domain.nodes[0]!.newClient({
      additional: [upstreamRefreshClient({ chainSignal: chainSignal(domain) })],
    });
    const request1 = domain.requestContext(scope.ctx.signal, 1000);
    const conn = await nsc.request(withMtu(defaultRequest(ns.name), defaultMtu), request1.ctx);
    request1.cancel();
    assert.is(counter.uniqueRequests, 1);

    const nsc2 = domain.nodes[0]!.newClient({
      additional: [upstreamRefreshClient({ chainSignal: chainSignal(domain) })],
    });
    const request2 = domain.requestContext(scope.ctx.signal, 1000);
    const conn2 = await nsc2.request(withMtu(defaultRequest(ns.name), 1000), request2.ctx);
    request2.cancel();
    assert.is(counter.uniqueRequests, 2);

    // The second client's request makes the first one refresh.
    await eventually(() => counter.requests === 3, 5000, 'the first client refreshes');
    await nsc.close(conn, scope.ctx);
    // Go closes the second connection with the first client too.
    await nsc.close(conn2, scope.ctx);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

upstream(
  'Test_UpstreamRefreshClient_LocalNotifications: a refresh from NSE 1 refreshes the connection to NSE 2',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const scope = domain.requestContext(undefined, 5000);
      const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
      const counter1 = count();
      const counter2 = count();
      for (const [name, counter] of [
        ['final-endpoint1', counter1],
        ['final-endpoint2', counter2],
      ] as const) {
        await domain.nodes[0]!.newEndpoint({
          registration: { name, networkServiceNames: [ns.name] },
          additional: [refreshMtuSender(), counter],
        });
      }
      const nsc = domain.nodes[0]!.newClient({
        additional: [upstreamRefreshClient({ chainSignal: chainSignal(domain), localNotifications: true })],
      });
      const send = async (id: string, nse: string, mtu: number): Promise<Connection> => {
        const base = withMtu(defaultRequest(ns.name), mtu, id);
        const request = { ...base, connection: { ...base.connection!, networkServiceEndpointName: nse } };
        const call = domain.requestContext(scope.ctx.signal, 1000);
        try {
          return await nsc.request(request, call.ctx);
        } finally {
          call.cancel();
        }
      };
      const conn = await send('1', 'final-endpoint1', defaultMtu);
      assert.is(counter1.uniqueRequests, 1);
      const conn2 = await send('2', 'final-endpoint2', defaultMtu);
      assert.is(counter2.uniqueRequests, 1);
      const conn3 = await send('3', 'final-endpoint1', 1000);
      assert.is(counter1.uniqueRequests, 2);

      // NSE 1 asks connection 1 to refresh; its refresh notifies connection 2, which goes to NSE 2.
      await eventually(() => counter2.requests === 2, 5000, 'the connection to NSE 2 refreshes');
      assert.is(counter2.uniqueRequests, 1);
      for (const c of [conn, conn2, conn3]) await nsc.close(c, scope.ctx);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

/** A one-slot channel (Go's `make(chan struct{}, 1)`). */
class Signal {
  #waiters: (() => void)[] = [];
  #pending = 0;

  send(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#pending++;
    else waiter();
  }

  receive(): Promise<void> {
    if (this.#pending > 0) {
      this.#pending--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

upstream(
  'Test_UpstreamRefreshClientDelay: a refresh request that arrives before the response is not lost',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const scope = domain.requestContext(undefined, 5000);
      const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
      const counter = count();
      const startSlowHandling = new Signal();
      const eventSent = new Signal();
      let eventWasSent = false;
      // Go's refreshSenderServer: on the first Request it sends REFRESH_REQUESTED once the client is busy with
      // the response; later it only lets the client go on.
      const refreshSender: NetworkServiceElement = {
        name: 'refresh-sender',
        async request(request, ctx, next) {
          const connection = await next.request(request, ctx);
          if (!eventWasSent) {
            const consumer = eventConsumerOf(ctx);
            const refresh = { ...cloneMessage(connection), state: State.REFRESH_REQUESTED };
            void (async () => {
              await startSlowHandling.receive();
              consumer?.send({ type: ConnectionEventType.UPDATE, connections: { [refresh.id]: refresh } });
              await new Promise((resolve) => setTimeout(resolve, 100));
              eventWasSent = true;
              eventSent.send();
            })();
          } else {
            eventSent.send();
          }
          return connection;
        },
      };
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
        additional: [refreshSender, counter],
      });
      // Go's slowHandlerClient: holds each response until the NSE says its event went out.
      const slowHandler: NetworkServiceElement = {
        name: 'slow-handler',
        async request(request, ctx, next) {
          const connection = await next.request(request, ctx);
          startSlowHandling.send();
          await eventSent.receive();
          return connection;
        },
      };
      const nsc = domain.nodes[0]!.newClient({
        additional: [upstreamRefreshClient({ chainSignal: chainSignal(domain) }), slowHandler],
      });
      const call = domain.requestContext(scope.ctx.signal, 1000);
      const conn = await nsc.request(withMtu(defaultRequest(ns.name), 0), call.ctx);
      call.cancel();
      assert.is(counter.uniqueRequests, 1);
      await eventually(() => counter.requests === 2, 5000, 'the refresh happens');
      await nsc.close(conn, scope.ctx);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

upstream.run();
