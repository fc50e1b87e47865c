/** Addresses for sandbox components: fixed unix socket paths or loopback tcp ports, so restarts reuse them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Transport = 'tcp' | 'unix';

/** A free loopback tcp port: listen on :0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Hands out URLs for one sandbox and removes its socket directory on `dispose()`. */
export class AddressBook {
  readonly #transport: Transport;
  #dir: string | undefined;
  #count = 0;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async next(name: string): Promise<string> {
    if (this.#transport === 'tcp') return `tcp://127.0.0.1:${await freePort()}`;
    this.#dir ??= mkdtempSync(join(tmpdir(), 'nsm-sandbox-'));
    return `unix://${join(this.#dir, `${this.#count++}-${name.slice(0, 40)}.sock`)}`;
  }

  dispose(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}
