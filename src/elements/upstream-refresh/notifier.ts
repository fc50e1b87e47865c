/** The local notifier of `upstreamrefresh` (Go's `notifier`): one signal per connection of a client. */
import { Subject, type Observable } from 'rxjs';

/** Asks every other connection of the same client to refresh (stored in client metadata for other elements). */
export interface LocalNotifier {
  /** Notifies every subscribed connection except `initiatorId`. */
  notify(initiatorId: string): void;
}

export class Notifier implements LocalNotifier {
  readonly #channels = new Map<string, Subject<void>>();

  /** Connections currently subscribed (for leak checks). */
  get size(): number {
    return this.#channels.size;
  }

  /** (Re)subscribes `id`; an earlier subscription of it ends. */
  subscribe(id: string): void {
    this.unsubscribe(id);
    this.#channels.set(id, new Subject<void>());
  }

  /** Notifications for `id`, or undefined when it is not subscribed. Completes when it unsubscribes. */
  notifications(id: string): Observable<void> | undefined {
    return this.#channels.get(id)?.asObservable();
  }

  unsubscribe(id: string): void {
    this.#channels.get(id)?.complete();
    this.#channels.delete(id);
  }

  notify(initiatorId: string): void {
    for (const [id, channel] of [...this.#channels]) {
      if (id !== initiatorId) channel.next();
    }
  }
}
