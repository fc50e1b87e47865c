/**
 * Monitor streams shared per channel. NSM follows each connection through the next hop with a stream of its
 * own (heal, monitor passthrough, upstreamrefresh ask for `{id, name}` of their path segment), so a component
 * holds one open stream per connection per hop, and opens and cancels one per connect: most of the memory
 * an nsmgr spends per connection and a good part of its CPU per connect.
 *
 * Here the followers on one channel whose selectors name the same segment name share one stream that asks for
 * `{name}` alone, a plain NSM selector (empty fields are wildcards), and each follower gets what its own
 * selector would have: an initial state, then the events about its connection. The shared stream stays open
 * while its channel is in use and a little after (`grpcDialer`'s `monitorLingerMs`), so the next connect opens
 * nothing. A peer that refuses the name-only selector (an
 * authorization policy that wants connection ids, e.g. Go's sample monitor policy) gets one stream per
 * follower from then on, as before.
 * @module
 */
import { Observable } from 'rxjs';
import type { ConnectionEvent, MonitorScopeSelector } from './gen/connection.js';
import { onAbort } from '../chain/on-abort.js';
import { Code, isStatusError } from '../chain/errors.js';
import type { MonitorHandler } from '../chain/monitor.js';
import { SharedStream, type Follower } from './shared-stream.js';

export interface SharedMonitor extends MonitorHandler {
  /** Shared streams open now. */
  readonly streams: number;
  /** Ends the shared streams nobody follows now (a later follower opens a new one). */
  closeIdleStreams(): void;
  /** Ends the shared streams nobody follows, and each other one when its last follower leaves; no new ones. */
  close(): void;
}

/** The segment name to share on, when `selector` names exactly one connection by `{id, name}`. */
function sharedName(selector: MonitorScopeSelector): string | undefined {
  const [segment, ...rest] = selector.pathSegments;
  if (segment === undefined || rest.length > 0 || selector.networkServices.length > 0) return undefined;
  if (segment.id === '' || segment.name === '' || segment.token !== '') return undefined;
  return segment.name;
}

/** The peer does not take the name-only selector: ask per connection instead. */
function isRefusal(error: unknown): boolean {
  if (!isStatusError(error)) return false;
  const refusals: readonly Code[] = [
    Code.PERMISSION_DENIED,
    Code.UNAUTHENTICATED,
    Code.UNIMPLEMENTED,
    Code.INVALID_ARGUMENT,
  ];
  return refusals.includes(error.code);
}

/** Shares `inner`'s MonitorConnections streams between followers as described above. */
export function sharedMonitor(inner: MonitorHandler): SharedMonitor {
  const streams = new Map<string, SharedStream>();
  let closed = false;
  let refused = false;

  const direct = (follower: Follower): void => {
    const { subscriber } = follower;
    if (subscriber.closed) return;
    follower.direct = inner.monitorConnections(follower.selector, follower.ctx).subscribe(subscriber);
  };

  const open = (name: string, ctx: Follower['ctx']): SharedStream => {
    const stream = new SharedStream(name, ctx);
    streams.set(name, stream);
    return stream;
  };

  const start = (stream: SharedStream): void => {
    stream.start(inner, (error, ready, followers) => {
      if (streams.get(stream.name) === stream) streams.delete(stream.name);
      const fallBack = !ready && isRefusal(error);
      if (fallBack) refused = true;
      for (const follower of followers) {
        if (fallBack) direct(follower);
        else if (error === undefined) follower.subscriber.complete();
        else follower.subscriber.error(error);
      }
    });
  };

  return {
    get streams() {
      return streams.size;
    },
    closeIdleStreams() {
      for (const [name, stream] of [...streams]) {
        if (stream.followers > 0) continue;
        streams.delete(name);
        stream.cancel();
      }
    },
    close() {
      closed = true;
      this.closeIdleStreams();
    },
    monitorConnections(selector, ctx) {
      const name = sharedName(selector);
      if (name === undefined || refused || closed) return inner.monitorConnections(selector, ctx);
      return new Observable<ConnectionEvent>((subscriber) => {
        if (ctx.signal.aborted) return subscriber.complete();
        const follower: Follower = { id: selector.pathSegments[0]!.id, selector, ctx, subscriber };
        const existing = streams.get(name);
        const stream = existing ?? open(name, ctx);
        stream.add(follower);
        // Like a stream of its own: the follower's context ending completes it.
        const detach = onAbort(ctx.signal, () => subscriber.complete());
        if (existing === undefined) start(stream);
        return () => {
          detach();
          follower.direct?.unsubscribe();
          const left = stream.remove(follower);
          if (left > 0 || !closed || streams.get(name) !== stream) return;
          streams.delete(name);
          stream.cancel();
        };
      });
    },
  };
}
