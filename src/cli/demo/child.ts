/**
 * One `nsm <component>` process of the demo: spawned (inside a network namespace when asked) in its own
 * process group, so a Ctrl-C at the terminal reaches the demo only and the demo decides the order of the stop;
 * its JSON log lines collected from stderr; stopped with SIGTERM, then SIGKILL after a bound.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A parsed log line of a component (`raw` when it was not JSON). */
export interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface ChildSpec {
  /** Shown in progress lines and errors: `registry`, `nsmgr-0`, ... */
  readonly label: string;
  /** The `nsm` subcommand. */
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  /** An `ip netns` name to run in; undefined: this process's namespace. */
  readonly netns?: string | undefined;
  /** A file to copy the process's log (stderr) to. */
  readonly logFile?: string | undefined;
}

/** How to run `nsm` again: this Node, the tsx loader when running from source, and the CLI's entry file. */
function nsmCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSource ? '../main.ts' : '../main.js', import.meta.url));
  const loader = fromSource ? ['--import', import.meta.resolve('tsx')] : [];
  return [process.execPath, ...loader, entry];
}

/** The most log lines kept per process (a long live view must not grow without end). */
const MAX_LINES = 2_000;

export class DemoChild {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #waiters = new Set<() => void>();
  #stderr = '';

  constructor(readonly spec: ChildSpec) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NSM_')));
    const prefix = spec.netns === undefined ? [] : ['ip', 'netns', 'exec', spec.netns];
    const [file = 'node', ...args] = [...prefix, ...nsmCommand(), spec.command];
    this.#child = spawn(file, args, {
      env: { ...base, ...spec.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let partial = '';
    if (spec.logFile !== undefined) this.#child.stderr!.pipe(createWriteStream(spec.logFile));
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8_000);
      const complete = (partial + chunk).split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) this.#take(line);
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        this.#notify();
        resolve({ code, signal });
      });
      // Not started at all (no such program): there will be no 'close' to wait for.
      this.#child.on('error', (error) => {
        this.#take(JSON.stringify({ level: 'error', msg: `${file}: ${error.message}` }));
        if (this.#child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
  }

  get label(): string {
    return this.spec.label;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid !== undefined;
  }

  #take(text: string): void {
    if (text.trim() === '') return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 'raw', msg: text };
    }
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    this.#notify();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /**
   * The first log line matching `match`; rejects when the process exits first, after `timeoutMs`, or when
   * `signal` aborts.
   */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const check = (): void => {
        const found = this.lines.find(match);
        if (found !== undefined) finish(() => resolve(found));
        else if (!this.running) finish(() => reject(this.#failure('exited')));
      };
      const onAbort = (): void => finish(() => reject(new Error(`${this.label}: interrupted`)));
      const timer = setTimeout(
        () => finish(() => reject(this.#failure(`not ready in ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.#waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted === true) onAbort();
      else check();
    });
  }

  /** The first line whose message starts with `prefix`. */
  waitForMessage(prefix: string, timeoutMs: number, signal?: AbortSignal): Promise<LogLine> {
    return this.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix), timeoutMs, signal);
  }

  /** SIGTERM, then SIGKILL when it is still running after `boundMs`; resolves how it ended. */
  async stop(boundMs: number): Promise<'stopped' | 'killed' | 'failed'> {
    if (!this.running) return (await this.exited).code === 0 ? 'stopped' : 'failed';
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), boundMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    // Killed by the SIGTERM itself: it had no handler yet (still loading), which is a clean stop too.
    if (outcome !== 'late') return outcome.code === 0 || outcome.signal === 'SIGTERM' ? 'stopped' : 'failed';
    this.kill();
    await this.exited;
    return 'killed';
  }

  /** SIGKILL now (a second Ctrl-C, or the demo itself failing). */
  kill(): void {
    if (this.running) this.#child.kill('SIGKILL');
  }

  #failure(why: string): Error {
    const tail = this.#stderr.trim().split('\n').slice(-8).join('\n');
    return new Error(`${this.label} ${why}${tail === '' ? '' : `; its last log lines:\n${tail}`}`);
  }
}
