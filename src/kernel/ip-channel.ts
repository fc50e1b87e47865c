/**
 * One long-lived `ip -force -json -batch -` process per network namespace, fed over stdin. Each command is
 * followed by a barrier (`link show dev <name longer than IFNAMSIZ>`), which always fails with
 * `Command failed -:<its line>`: that line ends the command's reply, and a `Command failed -:<command's line>`
 * before it means the command failed. stderr is merged into stdout by the shell, so messages stay in order.
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { systemClock, type Clock } from '../chain/clock.js';
import { Code } from '../chain/errors.js';
import { KernelCommandError, kernelError, KernelReason } from './errors.js';

export interface IpChannelOptions {
  /** The namespace to run in (entered with `nsenter --net=<path>`). Default: this process's own. */
  readonly netnsPath?: string;
  /** The `ip` binary (iproute2). Default `ip`, looked up in PATH. */
  readonly ipPath?: string;
  /** The `nsenter` binary (util-linux). Default `nsenter`. */
  readonly nsenterPath?: string;
  /** For the grace period of `close()`. Default: the system clock. */
  readonly clock?: Clock;
}

/** What the link operations need from a channel (a fake can stand in for it in tests). */
export interface IpRunner {
  /** A path naming this channel's namespace for other channels (`... netns <path>`). */
  readonly netnsPath: string;
  /** Runs one command (the arguments after `ip`); resolves with its output, rejects with its error. */
  run(args: readonly string[]): Promise<string>;
  /** Sends the commands in one write; they all run; rejects with the first failure, in order. */
  runAll(commands: readonly (readonly string[])[]): Promise<string[]>;
}

interface Pending {
  readonly command: string;
  readonly line: number;
  readonly barrier: string;
  readonly lines: string[];
  readonly resolve: (output: string) => void;
  readonly reject: (error: unknown) => void;
}

type Child = ChildProcessByStdio<Writable, Readable, null>;

const IP_ARGS = ['-force', '-json', '-batch', '-'];
/** Names ip splits, quotes or comments on, or the kernel rejects; never sent. */
const UNSAFE = /[\s"'\\#]/;
const CLOSE_GRACE_MS = 2000;

/** `arg` if it can go on a batch line as one word; otherwise an INVALID_ARGUMENT error. */
export function checkArgument(arg: string): string {
  if (typeof arg !== 'string' || arg === '' || UNSAFE.test(arg)) {
    throw kernelError(
      Code.INVALID_ARGUMENT,
      KernelReason.BAD_ARGUMENT,
      `bad ip argument ${JSON.stringify(arg)}`,
    );
  }
  return arg;
}

function format(args: readonly string[]): string {
  if (args.length === 0) {
    throw kernelError(Code.INVALID_ARGUMENT, KernelReason.BAD_ARGUMENT, 'empty ip command');
  }
  return args.map(checkArgument).join(' ');
}

export class IpChannel implements IpRunner {
  readonly pid: number;
  readonly #child: Child;
  readonly #clock: Clock;
  readonly #pending: Pending[] = [];
  readonly #exited: Promise<void>;
  #partial = '';
  #line = 0;
  #seq = 0;
  #closing = false;
  #closed = false;

  private constructor(child: Child, clock: Clock) {
    this.#child = child;
    this.#clock = clock;
    this.pid = child.pid ?? -1;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#onData(chunk));
    child.stdin.on('error', () => undefined); // EPIPE after an exit; the exit handler reports it
    this.#exited = new Promise((resolve) => {
      child.once('error', (error) => this.#onExit(error, resolve));
      child.once('close', () => this.#onExit(undefined, resolve));
    });
  }

  /** Starts `ip` (in `netnsPath` when given) and waits until it answers. */
  static async open(options: IpChannelOptions = {}): Promise<IpChannel> {
    const ip = options.ipPath ?? 'ip';
    const argv =
      options.netnsPath === undefined
        ? [ip, ...IP_ARGS]
        : [options.nsenterPath ?? 'nsenter', `--net=${options.netnsPath}`, ip, ...IP_ARGS];
    const child = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', ...argv], { stdio: ['pipe', 'pipe', 'ignore'] });
    const channel = new IpChannel(child, options.clock ?? systemClock);
    try {
      await channel.run(['link', 'show', 'dev', 'lo']);
    } catch (error) {
      await channel.close();
      const where = options.netnsPath ?? 'own netns';
      const detail = error instanceof KernelCommandError ? error.output : String(error);
      throw kernelError(Code.INTERNAL, KernelReason.CHANNEL_START_FAILED, `ip in ${where}: ${detail}`, error);
    }
    return channel;
  }

  get netnsPath(): string {
    return `/proc/${this.pid}/ns/net`;
  }

  /** True once `close()` was called or the process exited: no more commands are accepted. */
  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  /** Commands sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.length;
  }

  run(args: readonly string[]): Promise<string> {
    try {
      return this.#enqueue(format(args));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async runAll(commands: readonly (readonly string[])[]): Promise<string[]> {
    const lines = commands.map(format); // all checked before any is sent
    const results = await Promise.allSettled(lines.map((command) => this.#enqueue(command)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return results.map((r) => (r as PromiseFulfilledResult<string>).value);
  }

  /** Lets queued commands finish, ends `ip` (EOF) and waits for it to exit; kills it after a grace period. */
  async close(): Promise<void> {
    if (!this.#closing && !this.#closed) {
      this.#closing = true;
      this.#child.stdin.end();
      const timer = this.#clock.setTimeout(() => this.#child.kill('SIGKILL'), CLOSE_GRACE_MS);
      await this.#exited;
      timer.cancel();
    }
    await this.#exited;
  }

  #enqueue(command: string): Promise<string> {
    if (this.closed) {
      const error = kernelError(
        Code.INTERNAL,
        KernelReason.CHANNEL_CLOSED,
        `ip channel ${this.pid} is closed`,
      );
      return Promise.reject(error);
    }
    const line = this.#line + 1;
    this.#line += 2;
    const barrier = `nsm.barrier.${String(++this.#seq).padStart(6, '0')}`;
    return new Promise<string>((resolve, reject) => {
      this.#pending.push({ command, line, barrier, lines: [], resolve, reject });
      this.#child.stdin.write(`${command}\nlink show dev ${barrier}\n`);
    });
  }

  #onData(chunk: string): void {
    this.#partial += chunk;
    let end = this.#partial.indexOf('\n');
    while (end >= 0) {
      this.#onLine(this.#partial.slice(0, end));
      this.#partial = this.#partial.slice(end + 1);
      end = this.#partial.indexOf('\n');
    }
  }

  #onLine(line: string): void {
    const head = this.#pending[0];
    if (head === undefined) return; // nothing is waiting: stray output
    if (line !== `Command failed -:${head.line + 1}`) {
      head.lines.push(line);
      return;
    }
    this.#pending.shift();
    const failedMarker = `Command failed -:${head.line}`;
    const lines = head.lines.filter((l) => !l.includes(`"${head.barrier}"`));
    const output = lines
      .filter((l) => l !== failedMarker)
      .join('\n')
      .trim();
    if (lines.includes(failedMarker)) head.reject(new KernelCommandError(head.command, output));
    else head.resolve(output);
  }

  #onExit(error: Error | undefined, resolve: () => void): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#partial !== '') this.#onLine(this.#partial);
    this.#partial = '';
    const [head, ...rest] = this.#pending.splice(0);
    // ip exits on some argument errors (invarg): its message belongs to the command it was running.
    if (head !== undefined && head.lines.length > 0 && error === undefined) {
      head.reject(new KernelCommandError(head.command, head.lines.join('\n').trim()));
    } else if (head !== undefined) {
      rest.unshift(head);
    }
    for (const pending of rest) {
      const message = `ip channel ${this.pid} exited before "${pending.command}" completed`;
      pending.reject(kernelError(Code.INTERNAL, KernelReason.CHANNEL_CLOSED, message, error));
    }
    resolve();
  }
}
