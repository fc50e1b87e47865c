/**
 * A server the sandbox can kill and start again on the same URL with fresh state, as a crashed and restarted
 * process would be (Go sandbox's restartableServer).
 */
import { serve, type NsmServices } from '../../api/server.js';
import type { CallContext } from '../../chain/context.js';

/** Builds a fresh instance: its services, given the signal that ends its background work. */
export type ServerFactory = (chainSignal: AbortSignal) => NsmServices | Promise<NsmServices>;

export class RestartableServer {
  readonly url: string;
  readonly #factory: ServerFactory;
  readonly #baseContext: CallContext;
  #instance: { close(): Promise<void>; abort: AbortController } | undefined;
  #services: NsmServices | undefined;

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

  /** Stops the instance at once, like a killed process: calls in flight fail, background work stops. */
  async kill(): Promise<void> {
    const instance = this.#instance;
    this.#instance = undefined;
    this.#services = undefined;
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
    const services = await this.#factory(abort.signal);
    const server = await serve(this.url, services, { baseContext: this.#baseContext });
    this.#services = services;
    this.#instance = { abort, close: () => server.close(0) };
  }
}
