/** One simulated node of a sandbox domain: an nsmgr, its forwarders, and the endpoints and clients on it. */
import { randomUUID } from 'node:crypto';
import { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import type { NseRegistryElement, NseRegistryHandler } from '../../chain/registry.js';
import type { TokenGenerator } from '../../chain/token.js';
import type { AuthorizePolicy } from '../../elements/authorize/index.js';
import { retryClient } from '../../elements/retry/index.js';
import { clientElements, type ClientOptions } from '../../presets/client/index.js';
import { endpoint } from '../../presets/endpoint/index.js';
import { forwarder } from '../../presets/forwarder/index.js';
import { nsmgr } from '../../presets/nsmgr/index.js';
import { nseRegistryClient, nsRegistryClient } from '../../presets/registry-client/index.js';
import type { Domain } from './domain.js';
import { recordingDataPlane, type RecordingDataPlane } from './recording-data-plane.js';
import { RestartableServer } from './restartable.js';

export interface ForwarderSpec {
  readonly name?: string;
  /** Labels under the forwarder service. Default `{ p2p: 'true' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly serverElements?: readonly NetworkServiceElement[];
  readonly clientElements?: readonly NetworkServiceElement[];
}

export interface EndpointSpec {
  /** The registration: name, services, labels. The URL is set by the sandbox. */
  readonly registration: Partial<NetworkServiceEndpoint> & { readonly name: string };
  /** What the endpoint does after the common endpoint elements. */
  readonly additional?: readonly NetworkServiceElement[];
  /** The endpoint's authorize policies. Default: none. */
  readonly authorizePolicies?: readonly AuthorizePolicy[];
  /** The tokens it issues and registers with (default: the domain's, named after the endpoint). */
  readonly tokenGenerator?: TokenGenerator;
  /**
   * Timeout of its Register call (default 15000). Registries expire a registration this long before its
   * token does (Go's `expire`), so short-lived tokens need a shorter one.
   */
  readonly registerTimeoutMs?: number;
}

export interface SandboxForwarder {
  readonly name: string;
  readonly server: RestartableServer;
  /** What the current instance's data plane did. */
  readonly dataPlane: () => RecordingDataPlane;
}

export interface SandboxEndpoint {
  readonly name: string;
  readonly server: RestartableServer;
  /** The registration as the nsmgr last returned it. */
  registration(): NetworkServiceEndpoint | undefined;
  /** Unregisters the running instance (Go's `EndpointEntry.Unregister`); its server keeps running. */
  unregister(): Promise<void>;
}

export type SandboxClientOptions = Partial<Omit<ClientOptions, 'chainSignal' | 'dialer' | 'url'>> & {
  /** No heal element (the sandbox turns heal on by default, as Go's sandbox does). */
  readonly withoutHeal?: boolean;
  /** No retry around the client: a failing Request fails at once with its status (default: retried). */
  readonly withoutRetry?: boolean;
  /** The tokens this client sends (default: the domain's, named after the client). */
  readonly tokenGenerator?: TokenGenerator;
};

/** A sandbox client: its handler, its chain's elements (for leak checks), and `stop()` for its background work. */
export type SandboxClient = NetworkServiceHandler & {
  readonly elements: readonly NetworkServiceElement[];
  readonly stop: () => void;
};

export class SandboxNode {
  readonly forwarders = new Map<string, SandboxForwarder>();
  readonly endpoints = new Map<string, SandboxEndpoint>();
  #nsmgr: RestartableServer | undefined;

  constructor(
    readonly domain: Domain,
    readonly index: number,
    readonly nsmgrName: string,
  ) {}

  get nsmgr(): RestartableServer {
    if (this.#nsmgr === undefined) throw new Error(`sandbox: node ${this.index} has no nsmgr`);
    return this.#nsmgr;
  }

  /** Kills this node's nsmgr if it was started (restart it with `nsmgr.restart()`). */
  async killNsmgr(): Promise<void> {
    await this.#nsmgr?.kill();
  }

  async startNsmgr(): Promise<void> {
    const { domain } = this;
    const url = await domain.addresses.next(this.nsmgrName);
    this.#nsmgr = await RestartableServer.start(
      url,
      (chainSignal) => {
        const mgr = nsmgr({
          name: this.nsmgrName,
          url,
          ...(domain.registry === undefined ? {} : { registryUrl: domain.registry.url }),
          tokenGenerator: domain.tokens(this.nsmgrName),
          dialer: domain.dialerFor(this.nsmgrName),
          chainSignal,
          defaultExpirationMs: domain.options.nsmgrDefaultExpirationMs,
          env: { NODE_NAME: `node[${this.index}]` },
          authorizePolicies: domain.options.nsmgrAuthorizePolicies,
          registryPolicies: domain.options.registryPolicies,
        });
        return { ...mgr, inspect: { elements: mgr.elements, clientElements: mgr.clientElements } };
      },
      domain.ctx,
    );
  }

  async newForwarder(spec: ForwarderSpec = {}): Promise<SandboxForwarder> {
    const { domain } = this;
    const name = spec.name ?? `forwarder-${this.index}-${randomUUID().slice(0, 8)}`;
    const url = await domain.addresses.next(name);
    let dataPlane = recordingDataPlane();
    const server = await RestartableServer.start(
      url,
      async (chainSignal) => {
        dataPlane = recordingDataPlane();
        const dialer = domain.dialerFor(name);
        const peer = dialer(this.nsmgr.url);
        chainSignal.addEventListener('abort', () => peer.close(), { once: true });
        const fwd = forwarder({
          name,
          tokenGenerator: domain.tokens(name),
          dialer,
          chainSignal,
          nsRegistry: peer.nsRegistry,
          nseRegistry: peer.nseRegistry,
          dataPlane: [dataPlane, ...(spec.serverElements ?? [])],
          clientElements: spec.clientElements ?? [],
        });
        await this.#register(this.nseRegistry(chainSignal, name), chainSignal, {
          name,
          url,
          networkServiceNames: ['forwarder'],
          networkServiceLabels: { forwarder: { labels: { ...(spec.labels ?? { p2p: 'true' }) } } },
        });
        return {
          networkService: fwd.networkService,
          monitorConnection: fwd.monitorConnection,
          inspect: { elements: fwd.elements, clientElements: fwd.clientElements },
        };
      },
      domain.ctx,
    );
    const entry: SandboxForwarder = { name, server, dataPlane: () => dataPlane };
    this.forwarders.set(name, entry);
    return entry;
  }

  async newEndpoint(spec: EndpointSpec): Promise<SandboxEndpoint> {
    const { domain } = this;
    const name = spec.registration.name;
    const url = await domain.addresses.next(name);
    let registered: NetworkServiceEndpoint | undefined;
    let unregister = (): Promise<void> => Promise.resolve();
    const server = await RestartableServer.start(
      url,
      async (chainSignal) => {
        const nse = endpoint({
          name,
          tokenGenerator: spec.tokenGenerator ?? domain.tokens(name),
          chainSignal,
          authorizePolicies: spec.authorizePolicies ?? [],
          additional: spec.additional ?? [],
        });
        const registry = this.nseRegistry(chainSignal, name, spec.tokenGenerator);
        registered = await this.#register(
          registry,
          chainSignal,
          { ...spec.registration, url },
          spec.registerTimeoutMs,
        );
        const entry = registered;
        unregister = async () => {
          const scope = domain.requestContext(chainSignal);
          try {
            await registry.unregister(entry, scope.ctx);
          } finally {
            scope.cancel();
          }
        };
        return {
          networkService: nse.networkService,
          monitorConnection: nse.monitorConnection,
          inspect: { elements: nse.elements },
        };
      },
      domain.ctx,
    );
    const entry: SandboxEndpoint = {
      name,
      server,
      registration: () => registered,
      unregister: () => unregister(),
    };
    this.endpoints.set(name, entry);
    return entry;
  }

  /**
   * A client of this node's nsmgr: retry (unless `withoutRetry`) around the client preset, with heal on unless
   * `withoutHeal`. `stop()` ends its refresh and heal; the domain stops it on close.
   */
  newClient(options: SandboxClientOptions = {}): SandboxClient {
    const { domain } = this;
    const stop = new AbortController();
    domain.onClose(() => stop.abort());
    const name = options.name ?? `nsc-${this.index}-${randomUUID().slice(0, 8)}`;
    const { withoutHeal, withoutRetry, tokenGenerator, ...rest } = options;
    const heal = withoutHeal === true ? {} : { heal: options.heal ?? {} };
    const { heal: _ignored, ...clientOptions } = rest;
    const elements = clientElements({
      ...clientOptions,
      ...heal,
      name,
      url: this.nsmgr.url,
      dialer: tokenGenerator === undefined ? domain.dialerFor(name) : domain.dialerWith(tokenGenerator),
      chainSignal: stop.signal,
    });
    const bound = networkServiceHandler(elements);
    const handler =
      withoutRetry === true ? bound : retryClient(bound, { tryTimeoutMs: 15_000, intervalMs: 100 });
    return { ...handler, elements, stop: () => stop.abort() };
  }

  /** An NS registry client through this node's nsmgr, sending `name`'s token. */
  nsRegistry(
    name = `ns-client-${this.index}`,
    options: { readonly withoutRetry?: boolean } = {},
  ): ReturnType<typeof nsRegistryClient> {
    const stop = new AbortController();
    this.domain.onClose(() => stop.abort());
    return nsRegistryClient({
      url: this.nsmgr.url,
      dialer: this.domain.dialerFor(name),
      chainSignal: stop.signal,
      retry: options.withoutRetry !== true,
    });
  }

  /**
   * An NSE registry client of this node's nsmgr (refreshing what it registers), living until `chainSignal`
   * aborts; `tokenGenerator` defaults to the domain's, named `name`; `additional` go before its connect.
   */
  nseRegistry(
    chainSignal: AbortSignal,
    name: string,
    tokenGenerator?: TokenGenerator,
    additional: readonly NseRegistryElement[] = [],
  ): NseRegistryHandler {
    const { domain } = this;
    return nseRegistryClient({
      url: this.nsmgr.url,
      dialer: tokenGenerator === undefined ? domain.dialerFor(name) : domain.dialerWith(tokenGenerator),
      chainSignal,
      additional,
    });
  }

  async #register(
    registry: NseRegistryHandler,
    chainSignal: AbortSignal,
    registration: Partial<NetworkServiceEndpoint>,
    timeoutMs?: number,
  ): Promise<NetworkServiceEndpoint> {
    const scope = this.domain.requestContext(chainSignal, timeoutMs);
    try {
      return await registry.register(NetworkServiceEndpoint.fromPartial(registration), scope.ctx);
    } finally {
      scope.cancel();
    }
  }
}
