/**
 * Real `nsm` processes for tests: spawned with `node --import tsx src/cli/main.ts`, their JSON log lines
 * collected from stderr, waited for by content, stopped with signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class NsmProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  stdout = '';
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  readonly #waiters = new Set<() => void>();

  /** `prefix` runs the process through another command, e.g. `['ip', 'netns', 'exec', 'pod1']`. */
  constructor(
    readonly label: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    prefix: readonly string[] = [],
  ) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NSM_')));
    const command = [...prefix, process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args];
    this.#child = spawn(command[0]!, command.slice(1), {
      cwd: repoRoot,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) this.#take(line);
    });
    this.#child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        this.#notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  #take(text: string): void {
    try {
      this.lines.push(JSON.parse(text) as LogLine);
    } catch {
      this.lines.push({ msg: text, level: 'raw' });
    }
    this.#notify();
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** The first log line matching `match` (waiting up to `timeoutMs`); rejects with the log so far. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(match);
        if (found !== undefined) done(() => resolve(found));
        else if (this.#child.exitCode !== null || this.#child.signalCode !== null)
          done(() => reject(this.#failure('exited')));
      };
      const timer = setTimeout(
        () => done(() => reject(this.#failure(`no such line in ${timeoutMs} ms`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The first line whose message starts with `prefix`. */
  waitForMessage(prefix: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor((line) => typeof line.msg === 'string' && line.msg.startsWith(prefix), timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** The exit, or a rejection after `timeoutMs` (the process is then killed). */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#child.kill('SIGKILL');
        reject(this.#failure(`still running ${timeoutMs} ms after the stop signal`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process whatever its state (test cleanup). */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  #failure(why: string): Error {
    return new Error(`${this.label}: ${why}\n--- stderr ---\n${this.stderr}`);
  }
}

export { processesWithEnv } from '../../../src/cli/demo/teardown.js';
