/**
 * begin + metadata throughput: 1000 distinct connection ids through
 * `networkServiceHandler([beginServer(), metadata()])`, all Requests at once (Promise.all), then all Closes;
 * and 1000 concurrent Requests on the SAME id, which begin serializes (FIFO per id). Several rounds after
 * warmup; reports requests/s and closes/s per round and their median. Messages: `sampleRequest` (lib.ts).
 * Output: human table on stdout, bench/results/begin-throughput.json.
 */
import { CallContext } from '../src/chain/context.js';
import { networkServiceHandler } from '../src/chain/network-service.js';
import { beginServer } from '../src/elements/begin/index.js';
import { metadata } from '../src/elements/metadata/index.js';
import { median, round, sampleRequest, writeResults } from './lib.js';

const CONCURRENCY = 1000;
const WARMUP = 5;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);

const begin = beginServer();
const meta = metadata();
const handler = networkServiceHandler([begin, meta]);
const ctx = CallContext.background();

const distinct = Array.from({ length: CONCURRENCY }, (_, i) => sampleRequest(`conn-${i}`));
const same = Array.from({ length: CONCURRENCY }, () => sampleRequest('same-id'));

const perSecond = (count: number, ns: bigint): number => (count * 1e9) / Number(ns);

/** One round over distinct ids: every Request at once, then every Close at once. */
async function distinctRound(): Promise<{ requestsPerSec: number; closesPerSec: number }> {
  const t0 = process.hrtime.bigint();
  const connections = await Promise.all(distinct.map((r) => handler.request(r, ctx)));
  const t1 = process.hrtime.bigint();
  await Promise.all(connections.map((c) => handler.close(c, ctx)));
  const t2 = process.hrtime.bigint();
  if (begin.size !== 0 || meta.size !== 0)
    throw new Error(`leak: begin ${begin.size}, metadata ${meta.size}`);
  return { requestsPerSec: perSecond(CONCURRENCY, t1 - t0), closesPerSec: perSecond(CONCURRENCY, t2 - t1) };
}

/** One round on one id: 1000 Requests at once, served one after the other; then one Close. */
async function sameIdRound(): Promise<{ requestsPerSec: number }> {
  const t0 = process.hrtime.bigint();
  const connections = await Promise.all(same.map((r) => handler.request(r, ctx)));
  const t1 = process.hrtime.bigint();
  await handler.close(connections[connections.length - 1]!, ctx);
  if (begin.size !== 0) throw new Error(`leak: begin ${begin.size}`);
  return { requestsPerSec: perSecond(CONCURRENCY, t1 - t0) };
}

for (let i = 0; i < WARMUP; i++) {
  await distinctRound();
  await sameIdRound();
}
const distinctRounds = [];
const sameRounds = [];
for (let i = 0; i < ROUNDS; i++) {
  distinctRounds.push(await distinctRound());
  sameRounds.push(await sameIdRound());
}

const summarize = (values: number[]): { median: number; min: number; max: number } => ({
  median: round(median(values), 0),
  min: round(Math.min(...values), 0),
  max: round(Math.max(...values), 0),
});
const results = {
  concurrency: CONCURRENCY,
  warmupRounds: WARMUP,
  rounds: ROUNDS,
  distinctIds: {
    requestsPerSec: summarize(distinctRounds.map((r) => r.requestsPerSec)),
    closesPerSec: summarize(distinctRounds.map((r) => r.closesPerSec)),
  },
  sameId: { requestsPerSec: summarize(sameRounds.map((r) => r.requestsPerSec)) },
};
const usPerOp = (perSec: number): number => round(1e6 / perSec, 2);
console.log(`begin + metadata, ${CONCURRENCY} concurrent calls, ${ROUNDS} rounds after ${WARMUP} warmup:`);
console.table([
  { case: 'Request, distinct ids', ...results.distinctIds.requestsPerSec },
  { case: 'Close, distinct ids', ...results.distinctIds.closesPerSec },
  { case: 'Request, same id', ...results.sameId.requestsPerSec },
]);
console.log(
  `median µs per call: request ${usPerOp(results.distinctIds.requestsPerSec.median)}, ` +
    `close ${usPerOp(results.distinctIds.closesPerSec.median)}, same-id request ${usPerOp(results.sameId.requestsPerSec.median)}`,
);
console.log(`wrote ${writeResults('begin-throughput', results)}`);
