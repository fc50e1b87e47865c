/**
 * The four NSM clients of a channel, each reporting its errors to `onError` (the dialer retires a channel on
 * UNAVAILABLE) before passing them on unchanged.
 * @module
 */
import { catchError, throwError, type Observable } from 'rxjs';
import type { MonitorHandler } from '../chain/monitor.js';
import type { NetworkServiceHandler } from '../chain/network-service.js';
import type { RegistryHandler } from '../chain/registry.js';

const tap = <T>(promise: Promise<T>, onError: (error: unknown) => void): Promise<T> =>
  promise.catch((error: unknown) => {
    onError(error);
    throw error;
  });

const tapStream = <T>(stream: Observable<T>, onError: (error: unknown) => void): Observable<T> =>
  stream.pipe(
    catchError((error: unknown) => {
      onError(error);
      return throwError(() => error);
    }),
  );

export function watchUnary(
  handler: NetworkServiceHandler,
  onError: (error: unknown) => void,
): NetworkServiceHandler {
  return {
    request: (request, ctx) => tap(handler.request(request, ctx), onError),
    close: (connection, ctx) => tap(handler.close(connection, ctx), onError),
  };
}

export function watchMonitor(handler: MonitorHandler, onError: (error: unknown) => void): MonitorHandler {
  return {
    monitorConnections: (selector, ctx) => tapStream(handler.monitorConnections(selector, ctx), onError),
  };
}

export function watchRegistry<TEntry, TQuery, TResponse>(
  handler: RegistryHandler<TEntry, TQuery, TResponse>,
  onError: (error: unknown) => void,
): RegistryHandler<TEntry, TQuery, TResponse> {
  return {
    register: (entry, ctx) => tap(handler.register(entry, ctx), onError),
    find: (query, ctx) => tapStream(handler.find(query, ctx), onError),
    unregister: (entry, ctx) => tap(handler.unregister(entry, ctx), onError),
  };
}
