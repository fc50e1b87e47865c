/**
 * URL forms: parsing and formatting, serving on the scheme-less and empty-host forms, and serving again on a
 * unix path after a clean close or after a process died and left its socket file.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial } from '../../src/api/client.js';
import { checkHealth } from '../../src/api/health.js';
import { serve, type NsmServer } from '../../src/api/server.js';
import { formatNsmUrl, parseNsmUrl } from '../../src/api/url.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError } from '../../src/chain/errors.js';
import { networkServiceHandler } from '../../src/chain/network-service.js';
import { leakTracker, Listen, noHang } from './helpers/transports.js';

const bg = (): CallContext => CallContext.background();
const leaks = leakTracker();
const services = { networkService: networkServiceHandler([]) };

/** Serves, dials `dialUrl ?? server.url`, checks health, closes both. */
async function servesAndAnswers(
  listenUrl: string,
  dialUrl?: (server: NsmServer) => string,
): Promise<NsmServer> {
  const server = await serve(listenUrl, services);
  const conn = dial(dialUrl ? dialUrl(server) : server.url);
  try {
    assert.is(await noHang(checkHealth(conn, 'networkservice.NetworkService', bg()), 'health'), 'SERVING');
  } finally {
    conn.close();
    await server.close();
  }
  return server;
}

// ---------------------------------------------------------------------------------------------------------
const parse = suite('e2e url: parseNsmUrl');
parse.before(() => leaks.snapshot());

parse('accepts the NSM forms', () => {
  assert.equal(parseNsmUrl('unix:///p'), { kind: 'unix', path: '/p' });
  assert.equal(parseNsmUrl('unix:///run/nsm/nsm.io.sock'), { kind: 'unix', path: '/run/nsm/nsm.io.sock' });
  assert.equal(parseNsmUrl('tcp://127.0.0.1:5000'), { kind: 'tcp', host: '127.0.0.1', port: 5000 });
  assert.equal(parseNsmUrl('127.0.0.1:5000'), { kind: 'tcp', host: '127.0.0.1', port: 5000 });
  assert.equal(parseNsmUrl('[::1]:5000'), { kind: 'tcp', host: '::1', port: 5000 });
  assert.equal(parseNsmUrl('tcp://[::1]:5000'), { kind: 'tcp', host: '::1', port: 5000 });
  assert.equal(parseNsmUrl(':5000'), { kind: 'tcp', host: '', port: 5000 });
  assert.equal(parseNsmUrl('nsmgr.nsm-system:5001'), { kind: 'tcp', host: 'nsmgr.nsm-system', port: 5001 });
});

for (const bad of [
  'http://x',
  'tcp://host',
  'unix://relative',
  'unix://',
  '127.0.0.1',
  '127.0.0.1:99999',
  '',
  'tcp://:',
]) {
  parse(`rejects ${JSON.stringify(bad)} with INVALID_ARGUMENT / URL_INVALID`, () => {
    try {
      parseNsmUrl(bad);
    } catch (error) {
      assert.ok(isStatusError(error), String(error));
      assert.is(error.code, Code.INVALID_ARGUMENT);
      assert.is(error.reason, 'URL_INVALID');
      return;
    }
    assert.unreachable(`${bad} should be rejected`);
  });
}

parse('formatNsmUrl is the canonical form and parses back', () => {
  for (const url of ['unix:///p', 'tcp://127.0.0.1:5000', 'tcp://[::1]:5000']) {
    assert.is(formatNsmUrl(parseNsmUrl(url)), url);
  }
  assert.is(formatNsmUrl(parseNsmUrl('127.0.0.1:5000')), 'tcp://127.0.0.1:5000');
});

parse('serve() and dial() reject a bad url with URL_INVALID', async () => {
  for (const attempt of [() => serve('http://x', services), async () => dial('tcp://host')]) {
    try {
      await attempt();
    } catch (error) {
      assert.ok(isStatusError(error), String(error));
      assert.is(error.reason, 'URL_INVALID');
      continue;
    }
    assert.unreachable('should reject');
  }
});

parse.run();

// ---------------------------------------------------------------------------------------------------------
const forms = suite('e2e url: serving on each form');
const listen = new Listen('unix');
forms.after(() => listen.cleanup());

forms('the scheme-less 127.0.0.1:0 form serves, and its url is tcp:// with the real port', async () => {
  const server = await servesAndAnswers('127.0.0.1:0');
  assert.match(server.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.is.not(server.url, 'tcp://127.0.0.1:0');
});

forms('a scheme-less dial url reaches a tcp server', async () => {
  await servesAndAnswers('tcp://127.0.0.1:0', (server) => server.url.slice('tcp://'.length));
});

forms('the empty-host :0 form listens on every address and its url dials loopback', async () => {
  const server = await servesAndAnswers(':0');
  assert.match(server.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
});

forms(
  'a second serve() on the same unix path after close works, and close removes the socket file',
  async () => {
    const url = listen.url();
    const file = parseNsmUrl(url);
    assert.ok(file.kind === 'unix');
    await servesAndAnswers(url);
    assert.not.ok(fs.existsSync(file.path), 'socket file removed on close');
    await servesAndAnswers(url);
    assert.not.ok(fs.existsSync(file.path));
  },
);

forms('a stale socket file left by a killed process is replaced', async () => {
  const url = listen.url();
  const file = parseNsmUrl(url);
  assert.ok(file.kind === 'unix');
  // A child listens on the path and is SIGKILLed, so nothing unlinks its socket file.
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(file.path)}, () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [chunk] = (await noHang(once(child.stdout, 'data'), 'child listening')) as [Buffer];
    assert.match(chunk.toString(), 'ready');
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await noHang(exited, 'child exit');
  }
  assert.ok(fs.lstatSync(file.path).isSocket(), 'the dead process left its socket file');
  await servesAndAnswers(url);
  assert.not.ok(fs.existsSync(file.path));
});

/** grpc-js logs failed binds at ERROR level; expected here, so silenced for the duration. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  setLogVerbosity(logVerbosity.NONE);
  try {
    return await run();
  } finally {
    setLogVerbosity(logVerbosity.ERROR);
  }
}

// Fails today: serve() unlinks any socket file at the path, even one a live server listens on, so the second
// serve() "succeeds" and the first server silently becomes unreachable for new clients (Go's net.Listen
// fails with EADDRINUSE instead). See removeStaleSocket in src/api/server.ts.
forms(
  'serve() on a unix path a live server listens on fails, and the live server stays reachable',
  async () => {
    const url = listen.url();
    const first = await serve(url, services);
    let second: NsmServer | undefined;
    let secondError: unknown;
    try {
      second = await quietly(() => serve(url, services));
    } catch (error) {
      secondError = error;
    }
    await second?.close();
    const conn = dial(first.url);
    try {
      assert.ok(
        secondError !== undefined,
        'the second serve() should fail: the path is in use by a live server',
      );
      assert.is(
        await noHang(checkHealth(conn, '', CallContext.of({ deadline: Date.now() + 2_000 })), 'health'),
        'SERVING',
      );
    } finally {
      conn.close();
      await first.close();
    }
  },
);

forms('a regular file at the unix path is not removed: serve() fails instead', async () => {
  const file = path.join(listen.dir, 'not-a-socket');
  fs.writeFileSync(file, 'keep me');
  try {
    await quietly(() => serve(`unix://${file}`, services));
  } catch {
    assert.is(fs.readFileSync(file, 'utf8'), 'keep me');
    return;
  }
  assert.unreachable('serve() over a regular file should fail');
});

forms('a unix path in a missing directory fails to serve', async () => {
  try {
    await quietly(() => serve(`unix://${path.join(listen.dir, 'missing', 'x.sock')}`, services));
  } catch {
    return;
  }
  assert.unreachable('serve() in a missing directory should fail');
});

forms.run();

const leakCheck = suite('e2e url: leaks');
leakCheck('no servers, sockets or timers left behind', () => leaks.check());
leakCheck.run();
