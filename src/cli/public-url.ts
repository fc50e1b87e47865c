/**
 * The URL an nsmgr registers its local endpoints under (Go `listenonurl`): its first tcp:// listen URL (else
 * the first one); a tcp URL without a host gets this machine's first non-loopback address, IPv4 first, else a
 * global unicast IPv6 one.
 * @module
 */
import { networkInterfaces } from 'node:os';
import { formatNsmUrl, parseNsmUrl } from '../api/url.js';

type Interfaces = ReturnType<typeof networkInterfaces>;

function publicAddress(interfaces: Interfaces): string | undefined {
  let v6: string | undefined;
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') return a.address;
      // Global unicast: not link-local (fe80::/10) nor multicast (ff00::/8).
      if (v6 === undefined && !/^fe[89ab]|^ff/i.test(a.address)) v6 = a.address;
    }
  }
  return v6;
}

/** The public URL among `listenOn` (canonical NSM URLs); `interfaces` defaults to this machine's. */
export function publicUrl(listenOn: readonly string[], interfaces: Interfaces = networkInterfaces()): string {
  const chosen = listenOn.find((url) => url.startsWith('tcp://')) ?? listenOn[0];
  if (chosen === undefined) throw new TypeError('publicUrl: no listen URL');
  const address = parseNsmUrl(chosen);
  if (address.kind !== 'tcp' || address.host !== '') return chosen;
  const host = publicAddress(interfaces);
  return host === undefined ? chosen : formatNsmUrl({ ...address, host });
}
