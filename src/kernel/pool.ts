/**
 * The owner of the `ip` channels: one per network namespace, keyed by the namespace's identity (device and
 * inode), opened on first use and closed when unused for `idleMs` (a process inside a namespace keeps it alive,
 * so a pod's namespace must not be held longer than needed) or when the pool closes.
 * @module
 */
import { systemClock, type Clock, type Timer } from '../chain/clock.js';
import { Code, ConfigError } from '../chain/errors.js';
import { kernelError, KernelReason } from './errors.js';
import { IpChannel, type IpRunner } from './ip-channel.js';
import { netnsKey, NetnsResolver, statNetns, type Netns } from './netns.js';

/** What the data plane needs: resolving `inodeURL`s and channels into namespaces. */
export interface NetlinkChannels {
  /** The namespace an `inodeURL` names (see `parseNetnsUrl` for the forms and the errors). */
  resolve(url: string): Promise<Netns>;
  /**
   * Runs `fn` with one channel per namespace (`undefined`: this process's own), held open until `fn` settles.
   * Fails with FAILED_PRECONDITION, reason `KERNEL_NETNS_NOT_FOUND`, when a namespace is gone.
   */
  withChannels<T>(nss: readonly (Netns | undefined)[], fn: (channels: IpRunner[]) => Promise<T>): Promise<T>;
}

export interface NetlinkPoolOptions {
  /** The `ip` binary. Default `ip`. */
  readonly ipPath?: string;
  /** The `nsenter` binary. Default `nsenter`. */
  readonly nsenterPath?: string;
  /** Close a channel unused for this long (ms). `Infinity` keeps channels until `close()`. Default 5000. */
  readonly idleMs?: number;
  /** For idle timers. Default: the system clock (unref'd timers). */
  readonly clock?: Clock;
}

interface Entry {
  readonly key: string;
  readonly channel: Promise<IpChannel>;
  opened: IpChannel | undefined;
  holds: number;
  timer: Timer | undefined;
}

const OWN = 'own';

export class NetlinkPool implements NetlinkChannels {
  readonly #resolver = new NetnsResolver();
  readonly #entries = new Map<string, Entry>();
  readonly #options: NetlinkPoolOptions;
  readonly #clock: Clock;
  readonly #idleMs: number;
  #own: Promise<string | undefined> | undefined;
  #closed = false;

  constructor(options: NetlinkPoolOptions = {}) {
    const idleMs = options.idleMs ?? 5000;
    if (!(idleMs >= 0)) throw new ConfigError(`NetlinkPool: idleMs ${idleMs} must be >= 0`);
    this.#options = options;
    this.#idleMs = idleMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** Open (or opening) channels. */
  get size(): number {
    return this.#entries.size;
  }

  /** Process ids of the open channels (for leak checks). */
  get pids(): number[] {
    return [...this.#entries.values()].flatMap((e) => (e.opened === undefined ? [] : [e.opened.pid]));
  }

  resolve(url: string): Promise<Netns> {
    return this.#resolver.resolve(url);
  }

  async withChannels<T>(
    nss: readonly (Netns | undefined)[],
    fn: (channels: IpRunner[]) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw kernelError(Code.FAILED_PRECONDITION, KernelReason.POOL_CLOSED, 'pool is closed');
    const own = await this.#ownKey();
    const entries = nss.map((ns) => this.#acquire(ns === undefined || netnsKey(ns) === own ? undefined : ns));
    try {
      return await fn(await Promise.all(entries.map((e) => e.channel)));
    } finally {
      for (const entry of entries) this.#release(entry);
    }
  }

  /** Closes every channel (letting queued commands finish) and refuses new work. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        entry.timer?.cancel();
        await entry.channel.then((c) => c.close()).catch(() => undefined);
      }),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ownKey(): Promise<string | undefined> {
    this.#own ??= statNetns('/proc/self/ns/net').then((ns) => ns && netnsKey(ns));
    return this.#own;
  }

  #acquire(ns: Netns | undefined): Entry {
    const key = ns === undefined ? OWN : netnsKey(ns);
    let entry = this.#entries.get(key);
    if (entry?.opened?.closed === true) entry = undefined;
    if (entry === undefined) {
      entry = this.#open(key, ns);
      this.#entries.set(key, entry);
    }
    entry.holds++;
    entry.timer?.cancel();
    entry.timer = undefined;
    return entry;
  }

  #open(key: string, ns: Netns | undefined): Entry {
    const channel = this.#start(ns).then(async (opened) => {
      entry.opened = opened;
      if (!this.#closed) return opened;
      await opened.close();
      throw kernelError(Code.FAILED_PRECONDITION, KernelReason.POOL_CLOSED, 'pool is closed');
    });
    const entry: Entry = { key, channel, opened: undefined, holds: 0, timer: undefined };
    channel.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  async #start(ns: Netns | undefined): Promise<IpChannel> {
    const { ipPath, nsenterPath } = this.#options;
    const common = { clock: this.#clock, ...(ipPath && { ipPath }), ...(nsenterPath && { nsenterPath }) };
    if (ns === undefined) return IpChannel.open(common);
    const found = await this.#resolver.locate(ns);
    const gone = (): Error =>
      kernelError(
        Code.FAILED_PRECONDITION,
        KernelReason.NETNS_NOT_FOUND,
        `network namespace ${ns.path} is gone`,
      );
    if (found === undefined) throw gone();
    const channel = await IpChannel.open({ ...common, netnsPath: found.path });
    // The path may have been reused (a new process with the old pid) between the stat and nsenter.
    const entered = await statNetns(channel.netnsPath);
    if (entered === undefined || netnsKey(entered) !== netnsKey(ns)) {
      await channel.close();
      throw gone();
    }
    return channel;
  }

  #release(entry: Entry): void {
    entry.holds--;
    if (entry.holds > 0 || this.#idleMs === Infinity || this.#entries.get(entry.key) !== entry) return;
    entry.timer = this.#clock.setTimeout(() => {
      if (entry.holds > 0 || this.#entries.get(entry.key) !== entry) return;
      this.#entries.delete(entry.key);
      void entry.channel.then((c) => c.close()).catch(() => undefined);
    }, this.#idleMs);
  }
}
