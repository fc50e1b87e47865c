/** Shared fixtures of the nsmgr acceptance tests (the Go nsmgr tests' utils). */
import { randomUUID } from 'node:crypto';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { NetworkService } from '../../src/api/gen/registry.js';

export const defaultService = (name: string): NetworkService => NetworkService.fromPartial({ name });

export const defaultRequest = (service: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: randomUUID(), networkService: service, context: {}, labels: {} },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL' }],
  });

/** Polls `check` until it holds (real sockets need real I/O turns), failing after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`eventually: ${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
