/**
 * The endpoint preset (Go `chains/endpoint`): the server chain every NSE, forwarder and nsmgr starts with.
 */
import { setMaxListeners } from 'node:events';
import { monitorHandler, type MonitorHandler } from '../../chain/monitor.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import type { TokenGenerator } from '../../chain/token.js';
import { authorizeServer, type AuthorizePolicy } from '../../elements/authorize/index.js';
import { authorizeMonitor, type MonitorPolicy } from '../../elements/authorize-monitor/index.js';
import { beginServer } from '../../elements/begin/index.js';
import { metadata } from '../../elements/metadata/index.js';
import { monitorServer } from '../../elements/monitor/index.js';
import { timeoutServer } from '../../elements/timeout/index.js';
import { trimPathServer } from '../../elements/trim-path/index.js';
import { updatePathServer } from '../../elements/update-path/index.js';
import { updateTokenServer } from '../../elements/update-token/index.js';

export interface EndpointOptions {
  /** The name of this hop in connection paths (and of the NSE in the registry). */
  readonly name: string;
  /** Issues this hop's tokens. */
  readonly tokenGenerator: TokenGenerator;
  /** Ends background work (timers, monitor streams) when aborted: the endpoint's lifetime. */
  readonly chainSignal: AbortSignal;
  /** Policies checked on every Request and Close. Default: none (NSM's `authorize.Any()`). */
  readonly authorizePolicies?: readonly AuthorizePolicy[];
  /** Policies checked before a MonitorConnections stream opens. Default: none. */
  readonly monitorPolicies?: readonly MonitorPolicy[];
  /** Elements after the common ones: what this endpoint does (IPAM, mechanisms, connect...). */
  readonly additional?: readonly NetworkServiceElement[];
}

export interface Endpoint {
  readonly name: string;
  readonly networkService: NetworkServiceHandler;
  readonly monitorConnection: MonitorHandler;
  /** The chain's elements in order, for inspection and docs. */
  readonly elements: readonly NetworkServiceElement[];
}

/**
 * updatePath → begin → updateToken → authorize → metadata → timeout → monitor → trimPath → ...additional, in
 * NSM's order (nsm-semantics §3.1). The monitor side is authorizeMonitor → the monitor server. Serve
 * `networkService` and `monitorConnection` with `serve()`.
 */
export function endpoint(options: EndpointOptions): Endpoint {
  // Elements listen on the chain signal once per live connection or watch: many listeners are expected.
  setMaxListeners(0, options.chainSignal);
  const monitor = monitorServer({ chainSignal: options.chainSignal });
  const authorize = authorizeServer({ policies: options.authorizePolicies ?? [] });
  const elements: NetworkServiceElement[] = [
    updatePathServer(options.name),
    beginServer(),
    updateTokenServer(options.tokenGenerator),
    authorize,
    metadata(),
    timeoutServer(),
    monitor,
    trimPathServer(),
    ...(options.additional ?? []),
  ];
  return {
    name: options.name,
    networkService: networkServiceHandler(elements),
    monitorConnection: monitorHandler(
      [
        authorizeMonitor({
          policies: options.monitorPolicies ?? [],
          connectionsBySpiffeId: authorize.connectionsBySpiffeId,
        }),
      ],
      monitor.monitorConnections,
    ),
    elements,
  };
}
