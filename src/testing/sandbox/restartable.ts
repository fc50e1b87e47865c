/**
 * A server the sandbox can kill and start again on the same URL with fresh state, as a crashed and restarted
 * process would be (Go sandbox's restartableServer).
 */
import { serve, type NsmServices } from '../../api/server.js';
import type { CallContext } from '../../chain/context.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/** What tests may look at inside a running instance, e.g. element counters (`size`, `leases`) for leak checks. */
export interface ServerInspect {
  /** The server chain's elements, in order. */
  readonly elements?: readonly NetworkServiceElement[];
  /** The elements of the client chain it reaches the next hop with (nsmgr, forwarder). */
  readonly clientElements?: readonly NetworkServiceElement[];
}

/** The services one instance serves, and optionally what tests may inspect in it. */
export type ServerInstance = NsmServices & { readonly inspect?: ServerInspect };

/** Builds a fresh instance: its services, given the signal that ends its background work. */
export type ServerFactory = (chainSignal: AbortSignal) => ServerInstance | Promise<ServerInstance>;

export class RestartableServer {
  readonly url: string;
  readonly #factory: ServerFactory;
  readonly #baseContext: CallContext;
  #instance: { close(): Promise<void>; abort: AbortController } | undefined;
  #services: NsmServices | undefined;
  #inspect: ServerInspect | undefined;

  private constructor(url: string, factory: ServerFactory, baseContext: CallContext) {
    this.url = url;
    this.#factory = factory;
    this.#baseContext = baseContext;
  }

  /** Starts a server on `url` (a fixed unix path or tcp port). */
  static async start(
    url: string,
    factory: ServerFactory,
    baseContext: CallContext,
  ): Promise<RestartableServer> {
    const server = new RestartableServer(url, factory, baseContext);
    await server.#startInstance();
    return server;
  }

  get running(): boolean {
    return this.#instance !== undefined;
  }

  /** The services of the running instance (for tests that look inside). */
  get services(): NsmServices | undefined {
    return this.#services;
  }

  /** What the running instance exposes for inspection (undefined while killed). */
  get inspect(): ServerInspect | undefined {
    return this.#inspect;
  }

  /** Stops the instance at once, like a killed process: calls in flight fail, background work stops. */
  async kill(): Promise<void> {
    const instance = this.#instance;
    this.#instance = undefined;
    this.#services = undefined;
    this.#inspect = undefined;
    if (instance === undefined) return;
    instance.abort.abort(new DOMException('server killed', 'AbortError'));
    await instance.close();
  }

  /** Kills the running instance (if any) and starts a fresh one on the same URL. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#startInstance();
  }

  async #startInstance(): Promise<void> {
    const abort = new AbortController();
    const { inspect, ...services } = await this.#factory(abort.signal);
    const server = await serve(this.url, services, { baseContext: this.#baseContext });
    this.#services = services;
    this.#inspect = inspect;
    this.#instance = { abort, close: () => server.close(0) };
  }
}
