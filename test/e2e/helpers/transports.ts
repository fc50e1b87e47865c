/**
 * Shared e2e plumbing: the two transports, temp socket dirs, a hang guard, abort-event promises and the
 * active-resource leak check.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'uvu/assert';

export type TransportKind = 'unix' | 'tcp';
export const transports: readonly TransportKind[] = ['unix', 'tcp'];

/** Hands out listen URLs for one transport; `cleanup()` removes the temp dir of unix sockets. */
export class Listen {
  readonly kind: TransportKind;
  #dir: string | undefined;
  #n = 0;

  constructor(kind: TransportKind) {
    this.kind = kind;
  }

  get dir(): string {
    this.#dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-e2e-'));
    return this.#dir;
  }

  /** A fresh listen URL: a socket in the temp dir (unix) or `tcp://127.0.0.1:0`. */
  url(): string {
    return this.kind === 'unix' ? `unix://${path.join(this.dir, `s${++this.#n}.sock`)}` : 'tcp://127.0.0.1:0';
  }

  cleanup(): void {
    if (this.#dir !== undefined) fs.rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

/** Resolves when `signal` aborts (at once if it already has), with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Fails instead of hanging when `promise` does not settle within a generous bound. Not a timing assertion:
 * the bound only turns a hang into a readable failure.
 */
export async function noHang<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>, what = 'call'): Promise<unknown> {
  try {
    await noHang(promise, what);
  } catch (error) {
    return error;
  }
  assert.unreachable(`${what} should have rejected`);
  return undefined;
}

// Node 20 reports a tcp server as TCPServerWrap, a tcp socket as TCPSocketWrap, and both unix servers and unix
// sockets as PipeWrap; the other names are listed in case other Node versions use them.
const watched = [
  'TCPServerWrap',
  'PipeServerWrap',
  'TCPWrap',
  'TCPSocketWrap',
  'PipeWrap',
  'PipeSocketWrap',
  'Timeout',
] as const;
type ResourceCounts = Record<(typeof watched)[number], number>;

export function resourceCounts(): ResourceCounts {
  const counts = Object.fromEntries(watched.map((name) => [name, 0])) as ResourceCounts;
  for (const name of process.getActiveResourcesInfo()) {
    if ((watched as readonly string[]).includes(name)) counts[name as keyof ResourceCounts]++;
  }
  return counts;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Leak check: `snapshot()` before the file's first server, `check()` once all are closed. Sockets close
 * asynchronously, so the check polls a few event-loop turns (never a wall-clock sleep) before comparing.
 */
export function leakTracker(): { snapshot(): void; check(): Promise<void> } {
  let baseline: ResourceCounts | undefined;
  return {
    snapshot() {
      baseline ??= resourceCounts();
    },
    async check() {
      assert.ok(baseline, 'leakTracker.snapshot() was never called');
      // Other test files in the same process may still be closing what they opened, so only growth counts.
      const grown = (counts: ResourceCounts): ResourceCounts =>
        Object.fromEntries(
          Object.entries(counts).map(([kind, n]) => [
            kind,
            Math.max(0, n - (baseline?.[kind as keyof ResourceCounts] ?? 0)),
          ]),
        ) as ResourceCounts;
      const none = JSON.stringify(grown(baseline));
      let now = resourceCounts();
      for (let i = 0; i < 50 && JSON.stringify(grown(now)) !== none; i++) {
        await flush();
        now = resourceCounts();
      }
      assert.equal(
        grown(now),
        grown(baseline),
        `active resources after closing everything: ${process.getActiveResourcesInfo().join(',')}`,
      );
    },
  };
}
