/**
 * The live view: every second, the pods' interfaces and a ping from the client's pod to the endpoint's
 * address, redrawn in place on a terminal or, on plain output, one line a second (and the whole view again
 * when something changes).
 * @module
 */
import type { DemoChild } from './child.js';
import type { Connected } from './mesh.js';
import { ping, podLinks, type PingResult, type PodLink } from './probe.js';
import type { Topology } from './topology.js';
import { renderView, tickLine, viewKey, type ViewState } from './view.js';
import type { ConnectionWatch } from './watch.js';

export interface LiveInput {
  readonly nodes: number;
  readonly topology: Topology | undefined;
  readonly connected: Connected;
  readonly watch: ConnectionWatch;
  readonly children: readonly DemoChild[];
  readonly write: (text: string) => void;
  readonly tty: boolean;
  /** Ends the view (Ctrl-C). */
  readonly signal: AbortSignal;
}

const PERIOD_MS = 1_000;
const CLEAR = '\x1b[H\x1b[2J';

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });
}

/** Shows the connection until `signal` aborts. */
export async function liveView(input: LiveInput): Promise<void> {
  const { topology, connected, signal, write, tty } = input;
  const begun = performance.now();
  const dst = connected.dstIps[0] ?? '';
  const pings = { sent: 0, received: 0 };
  let shownKey = '';
  while (!signal.aborted) {
    const tick = performance.now();
    let nscLinks: PodLink[] = [];
    let nseLinks: PodLink[] = [];
    let result: PingResult | undefined;
    if (topology !== undefined) {
      [nscLinks, nseLinks, result] = await Promise.all([
        podLinks(topology.nsc),
        podLinks(topology.nse),
        dst === '' ? undefined : ping(topology.nsc, dst, 1),
      ]);
      if (result !== undefined && result.error === undefined) {
        pings.sent += result.sent;
        pings.received += result.received;
      }
    }
    if (signal.aborted) break;
    const state: ViewState = {
      ...input,
      nscLinks,
      nseLinks,
      ping: result,
      pings,
      upMs: performance.now() - begun,
    };
    if (tty) {
      write(`${CLEAR}${renderView(state).join('\n')}\n`);
    } else {
      const key = viewKey(state);
      if (key !== shownKey) write(`${renderView(state).join('\n')}\n`);
      else write(`${tickLine(state)}\n`);
      shownKey = key;
    }
    await pause(PERIOD_MS - (performance.now() - tick), signal);
  }
}
