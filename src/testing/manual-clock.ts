/**
 * A clock that only moves when told to (Go's clockmock): timers fire in due order inside `advance()`.
 * @module
 */
import type { Clock, Timer } from '../chain/clock.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order (each sees `now()` at its own due time). */
  advance(ms: number): void;
  /** Moves time to `epochMs` (never backwards). */
  set(epochMs: number): void;
  /** Timers not yet fired or cancelled. */
  readonly pendingTimers: number;
}

/** A manual clock starting at `startMs` (default 2026-01-01T00:00:00Z). */
export function manualClock(startMs: number = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs;
  let seq = 0;
  let timers: Pending[] = [];
  const fireUntil = (target: number): void => {
    for (;;) {
      timers = timers.filter((t) => !t.cancelled);
      const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      due.cancelled = true;
      now = Math.max(now, due.at);
      due.fn();
    }
    now = Math.max(now, target);
  };
  const clock: ManualClock = {
    now: () => now,
    setTimeout(fn, ms): Timer {
      const pending: Pending = { at: now + Math.max(0, ms), seq: seq++, fn, cancelled: false };
      timers.push(pending);
      return {
        cancel: () => {
          pending.cancelled = true;
        },
      };
    },
    timeoutSignal(ms) {
      const controller = new AbortController();
      clock.setTimeout(() => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')), ms);
      return controller.signal;
    },
    advance: (ms) => fireUntil(now + ms),
    set: (epochMs) => fireUntil(epochMs),
    get pendingTimers() {
      return timers.filter((t) => !t.cancelled).length;
    },
  };
  return clock;
}
