/** Where the registry `dial` element hands the next hop's connection to `connect`: a context value. */
import { contextKey, type CallContext } from '../../chain/context.js';
import type { PeerConnection } from '../../chain/peer.js';

const registryPeerKey = contextKey<PeerConnection>('registry-connect/peer');

/** The connection the registry `connect` client element calls, or undefined. */
export function registryPeerOf(ctx: CallContext): PeerConnection | undefined {
  return ctx.value(registryPeerKey);
}

/** `ctx` whose registry `connect` calls go to `peer` (what `dial` does; a static connection can be given too). */
export function withRegistryPeer(ctx: CallContext, peer: PeerConnection): CallContext {
  return ctx.with(registryPeerKey, peer);
}
