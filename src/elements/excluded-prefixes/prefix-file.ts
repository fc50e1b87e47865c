/**
 * The excluded-prefixes file: a YAML document with a `prefixes:` list, watched for changes (Go
 * `tools/fs.WatchFile` plus `ghodss/yaml`).
 * @module
 */
import { mkdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../../chain/logger.js';

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted?.[1] ?? value;
}

/** A scalar without its trailing ` # comment` and quotes. */
function scalar(text: string): string {
  return unquote(text.replace(/\s+#.*$/, '').trim());
}

function flowList(text: string): string[] | Error {
  const inner = /^\[(.*)\]$/.exec(text.trim())?.[1];
  if (inner === undefined) return new Error('unterminated flow list');
  return inner.trim() === '' ? [] : inner.split(',').map(scalar);
}

const KEY = /^(["']?)prefixes\1\s*:(.*)$/i;
const ITEM = /^\s*-(?:\s+(.*))?$/;
const IGNORED = /^\s*(#.*)?$/;

/**
 * The `prefixes` list of a YAML document, in the two forms the NSM tools write: a block sequence (`- item`
 * lines under the key) or a flow sequence (`prefixes: [a, b]`). The key matches case-insensitively, as Go's
 * JSON decoding does. An empty document, a missing key or `null` give an empty list; a shape this reader does
 * not understand gives an Error (the caller keeps its previous list, as Go does on a decode error).
 */
export function parsePrefixesYaml(text: string): string[] | Error {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const start = lines.findIndex((line) => KEY.test(line));
  if (start < 0) return [];
  const rest = (KEY.exec(lines[start] ?? '')?.[2] ?? '').replace(/(^|\s+)#.*$/, '').trim();
  if (rest === 'null' || rest === '~') return [];
  if (rest === '') return blockList(lines.slice(start + 1));
  if (!rest.startsWith('[')) return new Error(`prefixes must be a list, got "${rest}"`);
  let flow = rest;
  for (let i = start + 1; !flow.includes(']') && i < lines.length; i++) flow += ' ' + (lines[i] ?? '').trim();
  return flowList(flow);
}

/** `- item` lines up to the next top-level key. */
function blockList(lines: readonly string[]): string[] | Error {
  const items: string[] = [];
  for (const line of lines) {
    if (IGNORED.test(line)) continue;
    const item = ITEM.exec(line);
    if (item !== null) items.push(scalar(item[1] ?? ''));
    else if (/^\S/.test(line)) break;
    else return new Error(`unsupported YAML in the prefixes list: "${line.trim()}"`);
  }
  return items;
}

/** What a watch reports: the file's text, or undefined when it does not exist or cannot be read. */
export type FileListener = (text: string | undefined) => void;

/**
 * Reads `path` now (synchronously) and again after every change in its directory until `signal` aborts,
 * calling `listener` with the text each time. Watching the directory, not the file, survives the file being
 * created late, removed, or replaced by a rename (as Kubernetes does for ConfigMap volumes). Creates the
 * directory when it is missing, as Go does. The watcher never keeps the process alive.
 */
export function watchFile(path: string, signal: AbortSignal, listener: FileListener, logger: Logger): void {
  const file = resolve(path);
  const read = (): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  listener(read());
  if (signal.aborted) return;
  let watcher: FSWatcher;
  try {
    mkdirSync(dirname(file), { recursive: true });
    watcher = watch(dirname(file), { persistent: false });
  } catch (error) {
    logger.log('error', 'excluded-prefixes: cannot watch the prefixes file', { file, error });
    return;
  }
  let dirty = false;
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (dirty && !signal.aborted) {
      dirty = false;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (!signal.aborted) listener(text);
    }
    running = false;
  };
  const stop = (): void => {
    signal.removeEventListener('abort', stop);
    watcher.close();
  };
  watcher.on('change', () => {
    dirty = true;
    if (!running) void drain();
  });
  watcher.on('error', (error) => {
    logger.log('error', 'excluded-prefixes: watching the prefixes file failed', { file, error });
    stop();
  });
  signal.addEventListener('abort', stop, { once: true });
}
