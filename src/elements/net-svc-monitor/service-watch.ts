/**
 * One watch per network service, shared by every connection of that service: a Find with `watch` on the NS
 * registry, re-opened 100 ms after it breaks, closed when its last connection leaves. Go opens one watch per
 * connection; sharing saves a registry stream (and its lookups) per connection without changing what a
 * connection sees: on every update each connection's endpoint is checked, one lookup per endpoint name.
 * @module
 */
import { Observable, concatMap, defer, lastValueFrom, takeUntil } from 'rxjs';
import type { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { NetworkServiceEndpointQuery, NetworkServiceQuery } from '../../api/gen/registry.js';
import { withCancel, type CancelScope } from '../../chain/cancel.js';
import { delay, withClock, type Clock, type Timer } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import type { Logger } from '../../chain/logger.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import type { EventFactory } from '../begin/index.js';
import { matchEndpoint, readNetworkServiceEndpointList } from '../match-utils/index.js';

/** Pause before re-opening a broken watch (Go's value). */
const reopenDelayMs = 100;

/** A connection being followed: what the check needs, not the whole Connection. */
export interface Follower {
  readonly id: string;
  readonly endpointName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly factory: EventFactory;
  readonly logger: Logger;
  /** Epoch ms at which it stops being followed (its earliest path segment expiry). */
  readonly expiresAt: number | undefined;
}

export interface WatchDeps {
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  readonly chainSignal: AbortSignal;
  readonly clock: Clock;
  /** Keep the watch open this long after its last connection left (0: end it then). */
  readonly idleMs: number;
}

/** @internal The watch of service `service`; `onEnd` runs once when it stops. */
export class ServiceWatch {
  readonly #followers = new Map<string, Follower>();
  readonly #scope: CancelScope;
  #lastNs: NetworkService | undefined;
  #expiry: { at: number; timer: Timer } | undefined;
  /** When the last follower left (the watch lingers, see `endIfIdle`); undefined while followed. */
  #idleSince: number | undefined;

  private readonly registries: WatchDeps;
  private readonly clock: Clock;

  constructor(
    readonly service: string,
    deps: WatchDeps,
    onEnd: () => void,
  ) {
    this.registries = deps;
    this.clock = deps.clock;
    this.#scope = withCancel(withClock(CallContext.of({ signal: deps.chainSignal }), deps.clock));
    this.#scope.ctx.signal.addEventListener(
      'abort',
      () => {
        this.#expiry?.timer.cancel();
        this.#followers.clear();
        onEnd();
      },
      { once: true },
    );
    void this.#run();
  }

  get ended(): boolean {
    return this.#scope.ctx.signal.aborted;
  }

  /** Follows `follower` (replacing an earlier one with its id); returns the function that stops it. */
  add(follower: Follower): () => void {
    this.#idleSince = undefined;
    this.#followers.set(follower.id, follower);
    this.#armExpiry(follower.expiresAt);
    // Joining a running watch: check against the service as last reported, as a watch of its own would.
    if (this.#lastNs !== undefined) void this.#check(this.#lastNs, [follower]);
    return () => this.#remove(follower);
  }

  #remove(follower: Follower): void {
    if (this.#followers.get(follower.id) !== follower) return;
    this.#followers.delete(follower.id);
    if (this.#followers.size > 0) return;
    if (this.registries.idleMs <= 0) return this.#scope.cancel();
    this.#idleSince = this.clock.now();
    this.#expiry?.timer.cancel();
    this.#expiry = undefined;
  }

  /**
   * Ends the watch if nobody has followed it for the idle time. Called on each new follow of any service, so a
   * watch outlives its last connection by at least that long (one-at-a-time connects keep one stream open) and
   * an unused one ends at the next follow or with the chain: the element owns no timer for it.
   */
  endIfIdle(now: number): void {
    if (this.#idleSince !== undefined && now - this.#idleSince >= this.registries.idleMs)
      this.#scope.cancel();
  }

  async #run(): Promise<void> {
    const { signal } = this.#scope.ctx;
    while (!signal.aborted) {
      try {
        await this.#followStream();
      } catch (error) {
        if (signal.aborted) return;
        this.#anyLogger()?.log('error', `netsvcmonitor: watching network service ${this.service} failed`, {
          error,
        });
      }
      // What the broken stream said may be out of date by the time it is back: joiners wait for the replay.
      this.#lastNs = undefined;
      await delay(this.clock, reopenDelayMs, signal).catch(() => undefined);
    }
  }

  #followStream(): Promise<unknown> {
    const { ctx } = this.#scope;
    const query = NetworkServiceQuery.fromPartial({ networkService: { name: this.service }, watch: true });
    const stopped$ = new Observable<void>((subscriber) => {
      const onAbort = (): void => subscriber.next();
      if (ctx.signal.aborted) subscriber.next();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      return () => ctx.signal.removeEventListener('abort', onAbort);
    });
    const checks$ = defer(() => this.registries.nsRegistry.find(query, ctx)).pipe(
      concatMap(async (response) => {
        const ns = response.networkService;
        if (ns === undefined || ns.name !== this.service) return;
        // A deleted service is checked against (as before), but joiners are not held to it.
        this.#lastNs = response.deleted ? undefined : ns;
        await this.#check(ns, [...this.#followers.values()]);
      }),
      takeUntil(stopped$),
    );
    return lastValueFrom(checks$, { defaultValue: undefined });
  }

  /** Closes each follower whose endpoint still exists but no longer matches `ns` for its labels. */
  async #check(ns: NetworkService, followers: readonly Follower[]): Promise<void> {
    const lookups = new Map<string, Promise<NetworkServiceEndpoint[] | undefined>>();
    const lookup = (follower: Follower): Promise<NetworkServiceEndpoint[] | undefined> => {
      let found = lookups.get(follower.endpointName);
      if (found === undefined) {
        found = this.#findEndpoint(follower);
        lookups.set(follower.endpointName, found);
      }
      return found;
    };
    await Promise.all(
      followers.map(async (follower) => {
        const nses = await lookup(follower);
        if (nses === undefined || nses.length === 0) return;
        if (matchEndpoint(follower.labels, ns, nses).length > 0) return;
        if (this.#followers.get(follower.id) !== follower) return;
        follower.logger.log(
          'warn',
          `netsvcmonitor: nse ${follower.endpointName} doesn't match network service ${ns.name}`,
          { id: follower.id },
        );
        this.#remove(follower);
        void follower.factory.close();
      }),
    );
  }

  /** The endpoint's registrations; undefined when the lookup failed (then nothing is closed). */
  async #findEndpoint(follower: Follower): Promise<NetworkServiceEndpoint[] | undefined> {
    const { ctx } = this.#scope;
    const query = NetworkServiceEndpointQuery.fromPartial({
      networkServiceEndpoint: { name: follower.endpointName },
    });
    try {
      return await readNetworkServiceEndpointList(
        () => this.registries.nseRegistry.find(query, ctx),
        ctx.signal,
      );
    } catch (error) {
      if (!ctx.signal.aborted)
        follower.logger.log('error', `netsvcmonitor: finding nse ${follower.endpointName} failed`, {
          id: follower.id,
          error,
        });
      return undefined;
    }
  }

  /** One timer per watch, for the earliest follower expiry; followers past theirs leave. */
  #armExpiry(at: number | undefined): void {
    if (at === undefined || (this.#expiry !== undefined && this.#expiry.at <= at)) return;
    this.#expiry?.timer.cancel();
    const timer = this.clock.setTimeout(() => this.#expire(), Math.max(0, at - this.clock.now()));
    this.#expiry = { at, timer };
  }

  #expire(): void {
    this.#expiry = undefined;
    const now = this.clock.now();
    for (const follower of [...this.#followers.values()]) {
      if (follower.expiresAt !== undefined && follower.expiresAt <= now) this.#remove(follower);
    }
    if (this.ended) return;
    for (const follower of this.#followers.values()) this.#armExpiry(follower.expiresAt);
  }

  #anyLogger(): Logger | undefined {
    return this.#followers.values().next().value?.logger;
  }
}
