/**
 * The sandbox: a whole NSM domain in one process (Go's `tools/sandbox`), for control-plane tests. A registry,
 * N nodes each with an nsmgr and forwarders, endpoints and clients, all over real gRPC (unix sockets or loopback
 * tcp). Every server can be killed and restarted on the same URL with fresh state.
 */
import { grpcDialer, type GrpcDialer } from '../../api/peer.js';
import { withCancel, type CancelScope } from '../../chain/cancel.js';
import { withClock, type Clock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { withLogger, type Logger } from '../../chain/logger.js';
import type { Dialer } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import type { AuthorizePolicy } from '../../elements/authorize/index.js';
import { tokenDialer } from '../../elements/token-dialer/index.js';
import { jwtTokenGenerator } from '../../elements/token-jwt/index.js';
import type { RegistryPolicy } from '../../elements/registry-authorize/index.js';
import { registry } from '../../presets/registry/index.js';
import { AddressBook, type Transport } from './addresses.js';
import { SandboxNode } from './node.js';
import { RestartableServer } from './restartable.js';

export interface SandboxOptions {
  /** Default 1. */
  readonly nodes?: number;
  /** Default 'tcp'. */
  readonly transport?: Transport;
  /** A registry server; without one, node 0's nsmgr keeps an in-memory registry (only with 1 node). Default true. */
  readonly registry?: boolean;
  /** The clock every component uses (a manual clock in tests of expiry and refresh). */
  readonly clock?: Clock;
  /** Default 60000. */
  readonly registryDefaultExpirationMs?: number;
  /** Default 60000. */
  readonly nsmgrDefaultExpirationMs?: number;
  /** Lifetime of every token issued. Default one hour. */
  readonly tokenLifetimeMs?: number;
  /** Forwarders started on each node. Default 1. */
  readonly forwardersPerNode?: number;
  /** The logger every component logs to (e.g. `jsonLogger('debug')` while debugging a test). Default silent. */
  readonly logger?: Logger;
  /** Authorize policies of every nsmgr's NetworkService chain. Default: none. */
  readonly nsmgrAuthorizePolicies?: readonly AuthorizePolicy[];
  /** Registry policies (e.g. `clientAllowedPolicy()`) on the registry and every nsmgr. Default: none. */
  readonly registryPolicies?: readonly RegistryPolicy[];
  /** One monitor stream per channel and segment name instead of one per connection. Default: true. */
  readonly shareMonitorStreams?: boolean;
}

type Settled = Required<Omit<SandboxOptions, 'clock' | 'logger'>> & { readonly clock: Clock | undefined };

export class Domain {
  readonly options: Settled;
  readonly ctx: CallContext;
  readonly addresses: AddressBook;
  readonly nodes: SandboxNode[] = [];
  registry: RestartableServer | undefined;
  readonly #closers: (() => void)[] = [];
  /** One channel pool for every component: channels are per URL, tokens per call. */
  readonly #grpc: GrpcDialer;

  constructor(options: SandboxOptions = {}) {
    this.options = {
      nodes: options.nodes ?? 1,
      transport: options.transport ?? 'tcp',
      registry: options.registry ?? true,
      clock: options.clock,
      registryDefaultExpirationMs: options.registryDefaultExpirationMs ?? 60_000,
      nsmgrDefaultExpirationMs: options.nsmgrDefaultExpirationMs ?? 60_000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 3_600_000,
      forwardersPerNode: options.forwardersPerNode ?? 1,
      nsmgrAuthorizePolicies: options.nsmgrAuthorizePolicies ?? [],
      registryPolicies: options.registryPolicies ?? [],
      shareMonitorStreams: options.shareMonitorStreams ?? true,
    };
    this.#grpc = grpcDialer({ shareMonitorStreams: this.options.shareMonitorStreams });
    const base =
      options.logger === undefined
        ? CallContext.background()
        : withLogger(CallContext.background(), options.logger);
    this.ctx = options.clock === undefined ? base : withClock(base, options.clock);
    this.addresses = new AddressBook(this.options.transport);
  }

  /** Token generator for a component (its SPIFFE ID carries the name). */
  tokens(name: string): TokenGenerator {
    return jwtTokenGenerator({
      spiffeId: `spiffe://test.com/${name}`,
      lifetimeMs: this.options.tokenLifetimeMs,
    });
  }

  /** A gRPC dialer that sends `name`'s token with every call. */
  dialerFor(name: string): Dialer {
    return this.dialerWith(this.tokens(name));
  }

  /** A gRPC dialer (on the domain's channels) that sends `tokenGenerator`'s tokens with every call. */
  dialerWith(tokenGenerator: TokenGenerator): Dialer {
    return tokenDialer(this.#grpc, tokenGenerator);
  }

  /** A context for one call: the domain's clock, cancelled with `signal`, 15 s to run. */
  requestContext(signal?: AbortSignal, timeoutMs = 15_000): CancelScope {
    const base = signal === undefined ? this.ctx : this.ctx.withSignal(signal);
    return withCancel(base, timeoutMs);
  }

  /**
   * Closes the channels no connection uses now, which the dialer would close after 10 s idle, and with them
   * the monitor streams they keep open for the next connect: for leak checks, which look for streams.
   */
  closeIdleChannels(): void {
    this.#grpc.closeIdle();
  }

  onClose(closer: () => void): void {
    this.#closers.push(closer);
  }

  async close(): Promise<void> {
    for (const closer of this.#closers.splice(0)) closer();
    for (const node of this.nodes) {
      for (const endpoint of node.endpoints.values()) await endpoint.server.kill();
      for (const fwd of node.forwarders.values()) await fwd.server.kill();
      await node.killNsmgr();
    }
    await this.registry?.kill();
    this.#grpc.closeAll();
    this.addresses.dispose();
  }
}

/** Builds and starts a domain: registry, then each node's nsmgr and forwarders. */
export async function createSandbox(options: SandboxOptions = {}): Promise<Domain> {
  const domain = new Domain(options);
  try {
    if (domain.options.registry) {
      const url = await domain.addresses.next('registry');
      domain.registry = await RestartableServer.start(
        url,
        (chainSignal) =>
          registry({
            tokenGenerator: domain.tokens('registry'),
            chainSignal,
            defaultExpirationMs: domain.options.registryDefaultExpirationMs,
            policies: domain.options.registryPolicies,
          }),
        domain.ctx,
      );
    } else if (domain.options.nodes > 1) {
      throw new Error('sandbox: several nodes need a registry');
    }
    for (let i = 0; i < domain.options.nodes; i++) {
      const node = new SandboxNode(domain, i, `nsmgr-${i}`);
      domain.nodes.push(node);
      await node.startNsmgr();
      for (let f = 0; f < domain.options.forwardersPerNode; f++) await node.newForwarder();
    }
    return domain;
  } catch (error) {
    await domain.close();
    throw error;
  }
}
