/** Heap and CPU readings of this process for the control-plane heap benchmark (needs `node --expose-gc`). */

/** Forces a full GC until the heap stops shrinking; returns heapUsed in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) return used;
    last = used;
  }
  return last;
}

export interface Probe {
  /** heapUsed after full GC, bytes. */
  readonly heap: number;
  /** Process CPU ms (user + system) before the GC and after it, so intervals between probes leave GC out. */
  readonly cpuBefore: number;
  readonly cpuAfter: number;
}

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export async function probe(): Promise<Probe> {
  const cpuBefore = cpuMs();
  const heap = await settledHeap();
  return { heap, cpuBefore, cpuAfter: cpuMs() };
}
