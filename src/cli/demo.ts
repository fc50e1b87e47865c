/**
 * `nsm demo` at the foundation stage: a real endpoint served over gRPC on a unix socket, and a client that
 * requests, refreshes, watches the endpoint's monitor stream and closes, printing what happened. The full mesh
 * (registry, nsmgr, forwarder, kernel interfaces) replaces this as the control and data planes land.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorSubject, map, type Observable } from 'rxjs';
import { dial } from '../api/client.js';
import { monitorConnectionClient, networkServiceClient } from '../api/clients.js';
import { ConnectionEventType, type Connection, type ConnectionEvent } from '../api/gen/connection.js';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { checkHealth } from '../api/health.js';
import { serve } from '../api/server.js';
import { CallContext } from '../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../chain/network-service.js';
import { beginServer } from '../elements/begin/index.js';
import { metadata } from '../elements/metadata/index.js';

type Print = (line: string) => void;

/** A small endpoint element: names itself on the connection and publishes its connections for monitoring. */
function demoEndpoint(
  name: string,
  connections$: BehaviorSubject<ReadonlyMap<string, Connection>>,
): NetworkServiceElement {
  const publish = (change: (all: Map<string, Connection>) => void): void => {
    const next = new Map(connections$.value);
    change(next);
    connections$.next(next);
  };
  return {
    name: 'demo-endpoint',
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      const served = { ...connection, networkServiceEndpointName: name };
      publish((all) => all.set(served.id, served));
      return served;
    },
    async close(connection, ctx, next) {
      publish((all) => all.delete(connection.id));
      await next.close(connection, ctx);
    },
  };
}

function monitorEvents(
  connections$: Observable<ReadonlyMap<string, Connection>>,
): Observable<ConnectionEvent> {
  return connections$.pipe(
    map((all, i) => ({
      type: i === 0 ? ConnectionEventType.INITIAL_STATE_TRANSFER : ConnectionEventType.UPDATE,
      connections: Object.fromEntries(all),
    })),
  );
}

async function timed<T>(work: () => Promise<T>): Promise<[T, string]> {
  const start = performance.now();
  const result = await work();
  return [result, `${(performance.now() - start).toFixed(2)} ms`];
}

export async function runDemo(print: Print): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nsm-demo-'));
  const connections$ = new BehaviorSubject<ReadonlyMap<string, Connection>>(new Map());
  const server = await serve(`unix://${join(dir, 'nse.sock')}`, {
    networkService: networkServiceHandler([
      beginServer(),
      metadata(),
      demoEndpoint('demo-nse', connections$),
    ]),
    monitorConnection: { monitorConnections: () => monitorEvents(connections$) },
  });
  const conn = dial(server.url);
  try {
    print(`endpoint "demo-nse" serving NetworkService, MonitorConnection and health on ${server.url}`);
    const ctx = CallContext.background();
    print(`health check: ${await checkHealth(conn, '', ctx)}`);
    const seen: string[] = [];
    let closed = false;
    let closeSeen: () => void = () => undefined;
    const closeObserved = new Promise<void>((resolve) => (closeSeen = resolve));
    const watch = monitorConnectionClient(conn)
      .monitorConnections({ pathSegments: [], networkServices: [] }, ctx)
      .subscribe((event) => {
        const count = Object.keys(event.connections).length;
        seen.push(`${ConnectionEventType[event.type]}(${count})`);
        if (closed && count === 0) closeSeen();
      });
    const client = networkServiceClient(conn);
    const request = NetworkServiceRequest.fromPartial({
      connection: { id: 'demo-conn-1', networkService: 'icmp-responder', labels: { app: 'demo' } },
      mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL' }],
    });
    const [connection, requestTime] = await timed(() => client.request(request, ctx));
    print(
      `request: connection ${connection.id} to "${connection.networkService}" served by ${connection.networkServiceEndpointName} in ${requestTime}`,
    );
    const [, refreshTime] = await timed(() => client.request({ ...request, connection }, ctx));
    print(`refresh: same connection, re-requested in ${refreshTime}`);
    closed = true;
    const [, closeTime] = await timed(() => client.close(connection, ctx));
    print(`close: done in ${closeTime}`);
    await closeObserved;
    watch.unsubscribe();
    print(`monitor stream saw: ${seen.join(' → ')}`);
    print(
      'foundation demo complete: gRPC API, chains, begin and metadata work end to end (no data plane yet)',
    );
  } finally {
    conn.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
