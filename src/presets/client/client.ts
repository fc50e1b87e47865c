/**
 * The client preset (Go `chains/client`): what an NSC runs, and what nsmgrs and forwarders run inside to reach
 * the next hop.
 */
import { setMaxListeners } from 'node:events';
import type { PeerConnection, Dialer } from '../../chain/peer.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { authorizeClient, type AuthorizePolicy } from '../../elements/authorize/index.js';
import { beginClient, type ReselectFunc } from '../../elements/begin/index.js';
import { clientConn } from '../../elements/client-conn/index.js';
import { clientUrl } from '../../elements/client-url/index.js';
import { connectClient } from '../../elements/connect/index.js';
import { dial } from '../../elements/dial/index.js';
import { healClient, type HealClientOptions } from '../../elements/heal/index.js';
import { metadata } from '../../elements/metadata/index.js';
import { refreshClient } from '../../elements/refresh/index.js';
import { trimPathClient } from '../../elements/trim-path/index.js';
import { updatePathClient } from '../../elements/update-path/index.js';

export interface ClientOptions {
  /** This hop's name in connection paths. */
  readonly name: string;
  /** Ends background work (refresh, heal, dialed connections) when aborted. */
  readonly chainSignal: AbortSignal;
  /** Opens connections to the next hop (e.g. `tokenDialer(grpcDialer(), tokens)`). */
  readonly dialer: Dialer;
  /** Where to connect; omit when a discovery element sets the URL per request. */
  readonly url?: string;
  /** A connection to use instead of dialing. */
  readonly connection?: PeerConnection;
  /** Refresh before tokens expire. Default: true (an nsmgr's or forwarder's inner client sets false). */
  readonly refresh?: boolean;
  /** Heal options; omit for no heal (the default, as in Go). */
  readonly heal?: Omit<HealClientOptions, 'chainSignal'>;
  readonly reselect?: ReselectFunc;
  readonly dialTimeoutMs?: number;
  /** Elements between dial and connect (mechanism clients, passthrough, ...). */
  readonly additional?: readonly NetworkServiceElement[];
  /** Policies checked on the returned path. Default: none. */
  readonly authorizePolicies?: readonly AuthorizePolicy[];
}

/**
 * updatePath → begin → metadata → refresh → clientUrl → clientConn → heal → dial → ...additional → authorize →
 * trimPath → connect (nsm-semantics §3.2). Elements that are off are left out rather than replaced by no-ops.
 */
export function clientElements(options: ClientOptions): NetworkServiceElement[] {
  // Elements listen on the chain signal once per live connection or watch: many listeners are expected.
  setMaxListeners(0, options.chainSignal);
  const { chainSignal } = options;
  return [
    updatePathClient(options.name),
    beginClient(options.reselect === undefined ? {} : { reselect: options.reselect }),
    metadata(),
    ...(options.refresh === false ? [] : [refreshClient({ chainSignal })]),
    ...(options.url === undefined ? [] : [clientUrl(options.url)]),
    ...(options.connection === undefined ? [] : [clientConn(options.connection)]),
    ...(options.heal === undefined ? [] : [healClient({ ...options.heal, chainSignal })]),
    dial({
      dialer: options.dialer,
      chainSignal,
      ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
    }),
    ...(options.additional ?? []),
    ...(options.authorizePolicies?.length ? [authorizeClient({ policies: options.authorizePolicies })] : []),
    trimPathClient(),
    connectClient(),
  ];
}

/** The client chain bound and ready to call: `client(options).request(request, ctx)`. */
export function client(options: ClientOptions): NetworkServiceHandler {
  return networkServiceHandler(clientElements(options));
}
