/**
 * gRPC round trip over a unix socket: (a) bare grpc-js unary Request (server echoes the connection, client
 * uses makeUnaryRequest with the generated serializers), the baseline; (b) our stack, `serve()` with
 * `networkServiceHandler([])` and `networkServiceClient(dial(url))`. Same realistic message (lib.ts
 * sampleRequest). Sequential latency (p50/p99 over alternating blocks after warmup) and 16-way concurrent
 * throughput. Target: ours within 1.5x of bare (p50 ratio <= 1.5, throughput ratio >= 1/1.5).
 * Output: human table on stdout, bench/results/grpc-roundtrip.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  credentials,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { dial } from '../src/api/client.js';
import { networkServiceClient } from '../src/api/clients.js';
import type { Connection } from '../src/api/gen/connection.js';
import { Empty } from '../src/api/gen/google/protobuf/empty.js';
import { NetworkServiceService, type NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { serve } from '../src/api/server.js';
import { CallContext } from '../src/chain/context.js';
import { networkServiceHandler } from '../src/chain/network-service.js';
import { median, quantile, round, sampleRequest, writeResults } from './lib.js';

const WARMUP = 1000;
const BLOCKS = 5;
const BLOCK = Number(process.env['BENCH_BLOCK'] ?? 1000);
const CONCURRENCY = 16;
const THROUGHPUT_CALLS = 4000;
const THROUGHPUT_ROUNDS = 3;
const TARGET_RATIO = 1.5;

const dir = mkdtempSync(join(tmpdir(), 'nsm-bench-'));
const request = sampleRequest('grpc-bench');
const ctx = CallContext.background();

// (a) bare grpc-js
const bareServer = new Server();
bareServer.addService(NetworkServiceService, {
  request: (call: ServerUnaryCall<NetworkServiceRequest, Connection>, cb: sendUnaryData<Connection>) =>
    cb(null, call.request.connection),
  close: (_call: ServerUnaryCall<Connection, Empty>, cb: sendUnaryData<Empty>) => cb(null, Empty.create()),
});
const barePath = `unix://${join(dir, 'bare.sock')}`;
await new Promise<number>((resolve, reject) =>
  bareServer.bindAsync(barePath, ServerCredentials.createInsecure(), (e, port) =>
    e ? reject(e) : resolve(port),
  ),
);
const bareClient = new Client(barePath, credentials.createInsecure());
const method = NetworkServiceService.request;
const bare = (): Promise<Connection> =>
  new Promise((resolve, reject) =>
    bareClient.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      (e, r) => (e ? reject(e) : resolve(r as Connection)),
    ),
  );

// (b) our stack
const ourServer = await serve(`unix://${join(dir, 'ours.sock')}`, {
  networkService: networkServiceHandler([]),
});
const ourConn = dial(ourServer.url);
const ourClient = networkServiceClient(ourConn);
const ours = (): Promise<Connection> => ourClient.request(request, ctx);

const stacks = { bare, ours };
type Name = keyof typeof stacks;
for (const [name, call] of Object.entries(stacks)) {
  if ((await call()).path?.pathSegments.length !== 4) throw new Error(`${name}: wrong response`);
  for (let i = 0; i < WARMUP; i++) await call();
}

// Sequential latency: alternate blocks so drift in machine load hits both stacks alike.
const latencies: Record<Name, number[]> = { bare: [], ours: [] };
for (let b = 0; b < BLOCKS; b++) {
  for (const name of ['bare', 'ours'] as const) {
    for (let i = 0; i < BLOCK; i++) {
      const t0 = process.hrtime.bigint();
      await stacks[name]();
      latencies[name].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
}

// Concurrent throughput: 16 workers share a budget of calls; alternate rounds, keep the median.
async function throughput(call: () => Promise<Connection>): Promise<number> {
  let left = THROUGHPUT_CALLS;
  const worker = async (): Promise<void> => {
    while (left-- > 0) await call();
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (THROUGHPUT_CALLS * 1e9) / Number(process.hrtime.bigint() - t0);
}
const rates: Record<Name, number[]> = { bare: [], ours: [] };
for (let r = 0; r < THROUGHPUT_ROUNDS; r++) {
  for (const name of ['bare', 'ours'] as const) rates[name].push(await throughput(stacks[name]));
}

ourConn.close();
await ourServer.close();
bareClient.close();
await new Promise<void>((resolve) => bareServer.tryShutdown(() => resolve()));
rmSync(dir, { recursive: true, force: true });

const summary = (name: Name) => {
  const sorted = [...latencies[name]].sort((a, b) => a - b);
  return {
    stack: name,
    samples: sorted.length,
    p50Us: round(quantile(sorted, 0.5)),
    p99Us: round(quantile(sorted, 0.99)),
    meanUs: round(sorted.reduce((a, v) => a + v, 0) / sorted.length),
    callsPerSec: round(median(rates[name]), 0),
    callsPerSecRange: `${round(Math.min(...rates[name]), 0)}..${round(Math.max(...rates[name]), 0)}`,
  };
};
const rows = [summary('bare'), summary('ours')];
const [b, o] = rows as [ReturnType<typeof summary>, ReturnType<typeof summary>];
const p50Ratio = round(o.p50Us / b.p50Us, 2);
const throughputRatio = round(o.callsPerSec / b.callsPerSec, 2);
const pass = p50Ratio <= TARGET_RATIO && throughputRatio >= 1 / TARGET_RATIO;
console.log(
  `unary Request over a unix socket, ${BLOCKS}x${BLOCK} sequential samples, ${CONCURRENCY}-way concurrent:`,
);
console.table(rows);
console.log(
  `ours/bare: p50 ${p50Ratio}x, throughput ${throughputRatio}x -> ${pass ? 'PASS' : 'FAIL'} (target 1.5x)`,
);
const results = {
  concurrency: CONCURRENCY,
  rows,
  p50Ratio,
  throughputRatio,
  targetRatio: TARGET_RATIO,
  pass,
};
console.log(`wrote ${writeResults('grpc-roundtrip', results)}`);
