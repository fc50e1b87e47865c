/**
 * The network namespace a client or endpoint advertises in its KERNEL mechanism. The kernel mechanism
 * elements write `file:///proc/thread-self/ns/net`, which only the writer can open; Go's sendfd replaces it by
 * an fd. Across processes without fd passing, `file:///proc/<pid>/ns/net` names the same namespace for any
 * process on the node (a Go forwarder opens it as a path too).
 * @module
 */
import type { Mechanism } from '../api/gen/connection.js';
import { cloneMessage } from '../api/clone.js';
import type { NetworkServiceElement } from '../chain/network-service.js';
import { KERNEL_NETNS_URL, toKernel } from '../elements/mechanisms/index.js';

/** `file:///proc/<pid>/ns/net` of this process. */
export function ownNetnsUrl(pid: number = process.pid): string {
  return `file:///proc/${pid}/ns/net`;
}

/** `mechanism` with `url` instead of the writer-only netns URL, or `mechanism` itself when it has none. */
function withNetnsUrl(mechanism: Mechanism, url: string): Mechanism {
  if (toKernel(mechanism)?.netnsUrl !== KERNEL_NETNS_URL) return mechanism;
  const view = toKernel(cloneMessage(mechanism))!;
  view.netnsUrl = url;
  return view.mechanism;
}

/**
 * Rewrites the writer-only netns URL of KERNEL preferences to `url`.
 *
 * Where in the chain: a client's, after `mechanismsClient({ KERNEL: kernelClient() })`.
 */
export function netnsUrlClient(url: string = ownNetnsUrl()): NetworkServiceElement {
  return {
    name: 'netns-url',
    async request(request, ctx, next) {
      const mechanismPreferences = request.mechanismPreferences.map((m) => withNetnsUrl(m, url));
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}

/**
 * Rewrites the writer-only netns URL of the chosen KERNEL mechanism to `url`.
 *
 * Where in the chain: an endpoint's, after `mechanismsServer({ KERNEL: kernelServer(), ... })`.
 */
export function netnsUrlServer(url: string = ownNetnsUrl()): NetworkServiceElement {
  return {
    name: 'netns-url',
    async request(request, ctx, next) {
      const connection = request.connection;
      if (connection?.mechanism === undefined) return next.request(request, ctx);
      const mechanism = withNetnsUrl(connection.mechanism, url);
      return next.request({ ...request, connection: { ...connection, mechanism } }, ctx);
    },
  };
}
