import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import type { Logger } from '../../chain/logger.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../chain/network-service.js';
import { excludedPrefixesServer, type ExcludedPrefixesServerOptions } from './index.js';

const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';

const bg = (): CallContext => CallContext.background();
const yamlList = (prefixes: string[]): string => ['prefixes:', ...prefixes.map((p) => `- ${p}`)].join('\n');

async function excludedAfter(handler: NetworkServiceHandler, own: string[] = []): Promise<string[]> {
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', context: { ipContext: { excludedPrefixes: own } } },
  });
  const conn = await handler.request(request, bg());
  return conn.context?.ipContext?.excludedPrefixes ?? [];
}

/**
 * Reload notifications as a queue; `until(list)` consumes them until one equals `list` (a write may be seen
 * half done first, as with Go's watcher). Guarded so a lost event fails instead of hanging.
 */
function reloads(): {
  onReload: (p: readonly string[]) => void;
  until: (expected: string[]) => Promise<void>;
} {
  const queue: (readonly string[])[] = [];
  let wake: (() => void) | undefined;
  return {
    onReload(prefixes) {
      queue.push(prefixes);
      wake?.();
    },
    async until(expected) {
      for (;;) {
        while (queue.length > 0) {
          if (JSON.stringify(queue.shift()) === JSON.stringify(expected)) return;
        }
        await new Promise<void>((resolve, reject) => {
          const guard = setTimeout(() => reject(new Error('no reload within 10s')), 10_000);
          wake = () => {
            clearTimeout(guard);
            wake = undefined;
            resolve();
          };
        });
      }
    },
  };
}

const withDir = async (run: (dir: string, signal: AbortSignal) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'excluded-prefixes-'));
  const controller = new AbortController();
  try {
    await run(dir, controller.signal);
  } finally {
    controller.abort();
    rmSync(dir, { recursive: true, force: true });
  }
};

const server = (options: ExcludedPrefixesServerOptions): NetworkServiceHandler =>
  networkServiceHandler([excludedPrefixesServer(options)]);

// ---------------------------------------------------------------------------------------------------------
const fixed = suite('excluded-prefixes server: configured prefixes');

fixed('adds the prefixes after the request’s own, without duplicates, merged', async () => {
  const prefixes = [
    '172.16.1.0/24',
    '10.32.0.0/12',
    '10.96.0.0/12',
    '10.20.128.0/17',
    '10.20.64.0/18',
    '10.20.8.0/21',
    '10.20.4.0/22',
  ];
  const own = [
    '100.1.1.0/13',
    '10.32.0.0/12',
    '10.96.0.0/12',
    '10.20.0.0/24',
    '10.20.128.0/17',
    '10.20.64.0/18',
    '10.20.16.0/20',
    '10.20.2.0/23',
  ];
  assert.equal(await excludedAfter(server({ prefixes }), own), [
    ...own,
    '10.20.4.0/22',
    '10.20.8.0/21',
    '172.16.1.0/24',
  ]);
  assert.equal(await excludedAfter(server({ prefixes: ['10.0.0.5/24', 'fd00::/8', '10.0.1.0/24'] })), [
    '10.0.0.0/23',
    'fd00::/8',
  ]);
});

fixed('no prefixes: the request passes unchanged; it is never mutated', async () => {
  const handler = server({});
  const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c' } });
  const copy = cloneMessage(request);
  assert.equal(await handler.request(request, bg()), request.connection);
  await server({ prefixes: ['10.0.0.0/8'] }).request(request, bg());
  assert.equal(request, copy);
  assert.equal(await excludedAfter(handler, ['10.0.0.0/8', '10.0.0.0/8']), ['10.0.0.0/8']);
});

fixed('bad options are a ConfigError', () => {
  assert.throws(() => excludedPrefixesServer({ prefixes: ['10.0.0.0/33'] }), isConfigError);
  assert.throws(() => excludedPrefixesServer({ file: '/tmp/x.yaml' }), isConfigError);
  assert.throws(
    () => excludedPrefixesServer({ file: '', chainSignal: new AbortController().signal }),
    TypeError,
  );
});

fixed.run();

// ---------------------------------------------------------------------------------------------------------
const file = suite('excluded-prefixes server: watched file');

file('reads the file at construction, in the YAML forms the NSM tools write', async () => {
  await withDir(async (dir, signal) => {
    const forms: [string, string[]][] = [
      [
        yamlList(['10.32.0.0/12', '10.96.0.0/12', '172.16.1.0/24']),
        ['10.32.0.0/12', '10.96.0.0/12', '172.16.1.0/24'],
      ],
      [
        '# cluster CIDRs\nPrefixes:\n  - "10.96.0.0/12"   # services\n  - \'fd00::/8\'\nother: 1\n',
        ['10.96.0.0/12', 'fd00::/8'],
      ],
      ['prefixes: [10.32.0.0/12, "10.96.0.0/12"]\n', ['10.32.0.0/12', '10.96.0.0/12']],
      ['prefixes:\n', []],
      ['', []],
    ];
    for (const [i, [text, expected]] of forms.entries()) {
      const path = join(dir, `f${i}.yaml`);
      writeFileSync(path, text);
      assert.equal(await excludedAfter(server({ file: path, chainSignal: signal })), expected, text);
    }
  });
});

file('a missing file and its missing directory mean no prefixes; the directory is created', async () => {
  await withDir(async (dir, signal) => {
    const path = join(dir, 'sub', 'excluded_prefixes.yaml');
    const { onReload, until } = reloads();
    const handler = server({ file: path, chainSignal: signal, onReload, prefixes: ['192.168.0.0/16'] });
    assert.equal(await excludedAfter(handler), ['192.168.0.0/16']);
    writeFileSync(path, yamlList(['10.80.0.0/12', '172.16.1.0/24']));
    await until(['10.80.0.0/12', '172.16.1.0/24', '192.168.0.0/16']);
    assert.equal(await excludedAfter(handler), ['10.80.0.0/12', '172.16.1.0/24', '192.168.0.0/16']);
    unlinkSync(path);
    await until(['192.168.0.0/16']);
    assert.equal(await excludedAfter(handler), ['192.168.0.0/16']);
  });
});

file('changes are picked up; a bad file keeps the previous list and is logged', async () => {
  await withDir(async (dir, signal) => {
    const path = join(dir, 'excluded_prefixes.yaml');
    writeFileSync(path, yamlList(['172.16.1.0/24', '10.32.0.0/12']));
    const errors: unknown[] = [];
    const logger: Logger = {
      isEnabled: () => true,
      log: (_level, _msg, fields) => errors.push(fields?.['error']),
    };
    const { onReload, until } = reloads();
    const handler = server({ file: path, chainSignal: signal, onReload, logger });
    assert.equal(await excludedAfter(handler, ['100.1.1.0/13']), [
      '100.1.1.0/13',
      '10.32.0.0/12',
      '172.16.1.0/24',
    ]);
    writeFileSync(path, yamlList(['not-a-cidr']));
    writeFileSync(path, 'prefixes: 10.0.0.0/8\n');
    writeFileSync(path, yamlList(['172.16.2.0/24']));
    await until(['172.16.2.0/24']);
    assert.equal(await excludedAfter(handler, ['100.1.1.0/13']), ['100.1.1.0/13', '172.16.2.0/24']);
    assert.ok(errors.every((e) => e instanceof Error));
  });
});

file('the watch stops when chainSignal aborts', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'excluded_prefixes.yaml');
    writeFileSync(path, yamlList(['10.0.0.0/8']));
    const controller = new AbortController();
    const seen: (readonly string[])[] = [];
    const handler = server({ file: path, chainSignal: controller.signal, onReload: (p) => seen.push(p) });
    controller.abort();
    writeFileSync(path, yamlList(['11.0.0.0/8']));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await excludedAfter(handler), ['10.0.0.0/8']);
    assert.equal(seen, []);
    // Already aborted: read once, never watched.
    const once = server({ file: path, chainSignal: controller.signal });
    assert.equal(await excludedAfter(once), ['11.0.0.0/8']);
  });
});

file.run();
