/**
 * Network namespaces as the kernel mechanism names them (`inodeURL`): a `file://` path, a plain path, a name
 * under /run/netns, or `inode://<dev>/<ino>` (what Go's sendfd puts on the wire), found by scanning
 * /proc/<pid>/ns/net (the kubeslice forwarder's approach; it needs the host PID namespace).
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Code } from '../chain/errors.js';
import { kernelError, KernelReason } from './errors.js';

/** A network namespace: a path that opens it, and its identity (device and inode of the nsfs file). */
export interface Netns {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

/** A parsed `inodeURL`. */
export type NetnsLocation =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'inode'; readonly dev: number; readonly ino: number };

/** The identity of a namespace as a map key: `<dev>:<ino>`. */
export function netnsKey(ns: { readonly dev: number; readonly ino: number }): string {
  return `${ns.dev}:${ns.ino}`;
}

/** The `inode://<dev>/<ino>` URL of a namespace. */
export function inodeUrl(ns: { readonly dev: number; readonly ino: number }): string {
  return `inode://${ns.dev}/${ns.ino}`;
}

const RUN_NETNS = '/run/netns';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const SENDERS_OWN = /^\/proc\/(thread-self|self)(\/|$)/;

const badUrl = (url: string, why: string): Error =>
  kernelError(Code.INVALID_ARGUMENT, KernelReason.NETNS_BAD_URL, `netns URL ${JSON.stringify(url)}: ${why}`);

function toPath(url: string): string {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch (error) {
      throw badUrl(url, error instanceof Error ? error.message : 'not a file URL');
    }
  }
  if (url.startsWith('/')) return url;
  if (NAME.test(url)) return `${RUN_NETNS}/${url}`;
  throw badUrl(url, 'expected file://, an absolute path, a /run/netns name or inode://<dev>/<ino>');
}

/**
 * Parses an `inodeURL`. `/proc/thread-self/...` and `/proc/self/...` name the *sender's* own namespace, which
 * no other process can open: they fail with INVALID_ARGUMENT, reason `KERNEL_NETNS_UNRESOLVABLE`.
 */
export function parseNetnsUrl(url: string): NetnsLocation {
  if (typeof url !== 'string' || url === '') throw badUrl(String(url), 'empty');
  if (url.startsWith('inode:')) {
    const match = /^inode:\/\/(\d{1,20})\/(\d{1,20})$/.exec(url);
    if (match === null) throw badUrl(url, 'expected inode://<dev>/<ino>');
    return { kind: 'inode', dev: Number(match[1]), ino: Number(match[2]) };
  }
  const path = toPath(url);
  if (SENDERS_OWN.test(path)) {
    const message =
      `netns URL ${JSON.stringify(url)} names the sender's own namespace and can't be opened here; ` +
      'send /proc/<pid>/ns/net or inode://<dev>/<ino>';
    throw kernelError(Code.INVALID_ARGUMENT, KernelReason.NETNS_UNRESOLVABLE, message);
  }
  return { kind: 'path', path };
}

/** The namespace `path` opens, or undefined when there is nothing there (any more). */
export async function statNetns(path: string): Promise<Netns | undefined> {
  try {
    const st = await stat(path);
    return { path, dev: st.dev, ino: st.ino };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ESRCH') return undefined;
    throw kernelError(Code.FAILED_PRECONDITION, KernelReason.NETNS_NOT_FOUND, `can't open ${path}`, error);
  }
}

/** Every candidate path: /run/netns/* first, then /proc/<pid>/ns/net in pid order. */
async function candidates(): Promise<string[]> {
  const named = await readdir(RUN_NETNS).catch(() => [] as string[]);
  const pids = await readdir('/proc').catch(() => [] as string[]);
  return [
    ...named.map((name) => `${RUN_NETNS}/${name}`),
    ...pids.filter((name) => /^\d+$/.test(name)).map((pid) => `/proc/${pid}/ns/net`),
  ];
}

/** A path that opens the namespace with this identity, or undefined when no process or name holds it. */
export async function findNetnsPath(dev: number, ino: number): Promise<string | undefined> {
  for (const path of await candidates()) {
    const ns = await statNetns(path).catch(() => undefined);
    if (ns !== undefined && ns.dev === dev && ns.ino === ino) return path;
  }
  return undefined;
}

/** Every namespace on the node (one path each): named ones and those of running processes. */
export async function listNetns(): Promise<Netns[]> {
  const seen = new Map<string, Netns>();
  for (const path of await candidates()) {
    const ns = await statNetns(path).catch(() => undefined);
    if (ns !== undefined && !seen.has(netnsKey(ns))) seen.set(netnsKey(ns), ns);
  }
  return [...seen.values()];
}

/** Resolves `inodeURL`s, remembering where each inode was last found. */
export class NetnsResolver {
  readonly #paths = new Map<string, string>();

  /** The namespace `url` names; FAILED_PRECONDITION, reason `KERNEL_NETNS_NOT_FOUND`, when it doesn't exist. */
  async resolve(url: string): Promise<Netns> {
    const location = parseNetnsUrl(url);
    const found =
      location.kind === 'path'
        ? await statNetns(location.path)
        : await this.locate({ path: '', dev: location.dev, ino: location.ino });
    if (found === undefined) {
      throw kernelError(
        Code.FAILED_PRECONDITION,
        KernelReason.NETNS_NOT_FOUND,
        `no network namespace at ${url}`,
      );
    }
    return found;
  }

  /**
   * `ns` when its path still opens the same namespace; otherwise another path to it (a process or a name still
   * holding it), or undefined when it is gone, and with it every interface that was in it.
   */
  async locate(ns: Netns): Promise<Netns | undefined> {
    const key = netnsKey(ns);
    for (const path of [ns.path, this.#paths.get(key)]) {
      if (path === undefined || path === '') continue;
      const found = await statNetns(path);
      if (found !== undefined && netnsKey(found) === key) {
        this.#paths.set(key, path);
        return found;
      }
    }
    const path = await findNetnsPath(ns.dev, ns.ino);
    if (path === undefined) {
      this.#paths.delete(key);
      return undefined;
    }
    this.#paths.set(key, path);
    return { path, dev: ns.dev, ino: ns.ino };
  }
}
