/**
 * Reading a non-watch registry Find into a list (Go's `registry.ReadNetworkServiceList` and
 * `ReadNetworkServiceEndpointList`): deleted entries are skipped.
 * @module
 */
import type { Observable } from 'rxjs';
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointResponse,
  NetworkServiceResponse,
} from '../../api/gen/registry.js';

/**
 * Collects the entries a Find stream sends until it completes. Rejects with the stream's error, with what
 * `find` throws, or with `signal.reason` as soon as `signal` aborts (unsubscribing).
 */
function readList<TResponse, TEntry>(
  find: () => Observable<TResponse>,
  entryOf: (response: TResponse) => TEntry | undefined,
  signal: AbortSignal,
): Promise<TEntry[]> {
  return new Promise<TEntry[]>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const entries: TEntry[] = [];
    let settled = false;
    let unsubscribe = (): void => undefined;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      unsubscribe();
      finish();
    };
    const onAbort = (): void => settle(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const subscription = find().subscribe({
        next: (response) => {
          const entry = entryOf(response);
          if (entry !== undefined) entries.push(entry);
        },
        error: (error: unknown) => settle(() => reject(error)),
        complete: () => settle(() => resolve(entries)),
      });
      if (settled) subscription.unsubscribe();
      else unsubscribe = () => subscription.unsubscribe();
    } catch (error) {
      settle(() => reject(error));
    }
  });
}

/** The services a non-watch NS Find returns (deleted ones skipped). */
export function readNetworkServiceList(
  find: () => Observable<NetworkServiceResponse>,
  signal: AbortSignal,
): Promise<NetworkService[]> {
  return readList(find, (r) => (r.deleted ? undefined : r.networkService), signal);
}

/** The endpoints a non-watch NSE Find returns (deleted ones skipped). */
export function readNetworkServiceEndpointList(
  find: () => Observable<NetworkServiceEndpointResponse>,
  signal: AbortSignal,
): Promise<NetworkServiceEndpoint[]> {
  return readList(find, (r) => (r.deleted ? undefined : r.networkServiceEndpoint), signal);
}
