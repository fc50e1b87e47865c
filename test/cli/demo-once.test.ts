/**
 * `nsm demo --once` as a user runs it: a child process that brings up the whole mesh as separate processes,
 * connects, pings both ways, prints one summary line and removes everything. As root: one node and two nodes
 * with network namespaces, and the recorded data plane as an unprivileged user (when `setpriv` can switch to
 * one); without root: the recorded data plane only. Afterwards no process of the run, no `nsm-demo-*`
 * namespace and no `nsm-demo-*` temp dir may be left.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { processesWithEnv, repoRoot } from './helpers/processes.js';

const MARK = 'DEMO_ONCE_TEST_MARK';
const NOBODY = 65534;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly mark: string;
}

/** Runs `nsm demo --once ...args` (as `uid` when given); resolves its exit and output. */
function demo(args: readonly string[], uid?: number): Promise<Run> {
  const mark = randomUUID();
  const env = {
    ...process.env,
    [MARK]: mark,
    HOME: uid === undefined ? (process.env['HOME'] ?? '/') : '/tmp',
  };
  const node = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'demo', '--once', ...args];
  const command =
    uid === undefined ? node : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...node];
  return new Promise((resolve) => {
    execFile(
      command[0]!,
      command.slice(1),
      { cwd: repoRoot, env, timeout: 40_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr, mark });
      },
    );
  });
}

const demoNamespaces = (): string[] => {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith('nsm-demo-'));
  } catch {
    return [];
  }
};
const demoTempDirs = (): string[] => readdirSync(tmpdir()).filter((e) => e.startsWith('nsm-demo-'));

/** Asserts exit 0, the summary line alone on stdout, nothing on stderr, and nothing left behind. */
async function check(args: readonly string[], summary: RegExp, uid?: number): Promise<void> {
  const namespacesBefore = new Set(demoNamespaces());
  const dirsBefore = new Set(demoTempDirs());
  const run = await demo(args, uid);
  assert.is(run.code, 0, `exit code; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.match(run.stdout, summary);
  assert.is(run.stdout.split('\n').filter((l) => l !== '').length, 1, 'one summary line');
  assert.is(run.stderr, '', 'nothing on stderr');
  assert.equal(processesWithEnv(MARK, run.mark), [], 'no process of the run is left');
  assert.equal(
    demoNamespaces().filter((n) => !namespacesBefore.has(n)),
    [],
    'no namespace is left',
  );
  assert.equal(
    demoTempDirs().filter((d) => !dirsBefore.has(d)),
    [],
    'no temp dir is left',
  );
}

function canMakeNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `nsm-demo-probe-${randomUUID().slice(0, 8)}`;
  try {
    execFileSync('ip', ['netns', 'add', probe]);
    execFileSync('ip', ['netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

/** True when `setpriv` can run this Node as nobody on the repo (to see the demo without root). */
function canRunAsNobody(): boolean {
  if (process.getuid?.() !== 0) return false;
  const main = `${repoRoot}src/cli/main.ts`;
  const check = `require('node:fs').accessSync(${JSON.stringify(main)})`;
  try {
    execFileSync(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', check],
      { stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}

const pings = String.raw`ping nsc→nse 3/3 \([\d.]+ ms avg\), nse→nsc 3/3 \([\d.]+ ms avg\)`;
const local = new RegExp(
  String.raw`^demo: local connect \d+ ms, ${pings}; removed 5 processes, 2 namespaces\n$`,
);
const remote = new RegExp(
  String.raw`^demo: remote connect \d+ ms, ${pings}; removed 7 processes, 4 namespaces\n$`,
);
const recorded = new RegExp(
  String.raw`^demo: local connect \d+ ms, path nsc → nsmgr-0 → forwarder-0 → nse, nsc [\d./]+ ↔ nse [\d./]+; ` +
    String.raw`no root: the data plane is recorded, not wired \(no interfaces, no ping\); removed 5 processes\n$`,
);

const once = suite('nsm demo --once');
const root = canMakeNetns();

if (root) {
  once('one node: a veth between two pods, pings both ways, nothing left', () => check([], local));
  once('two nodes: VXLAN over the underlay, pings both ways, nothing left', () =>
    check(['--nodes', '2'], remote),
  );
} else {
  const why = '(skipped: needs root and `ip netns`)';
  once.skip(`one node with namespaces ${why}`, () => undefined);
  once.skip(`two nodes with namespaces ${why}`, () => undefined);
}

if (!root && process.getuid?.() !== 0) {
  once('without root: the recorded data plane, said plainly', () => check([], recorded));
} else if (canRunAsNobody()) {
  once('as an unprivileged user: the recorded data plane, said plainly', () => check([], recorded, NOBODY));
} else {
  once.skip('as an unprivileged user (skipped: setpriv to nobody is not possible here)', () => undefined);
}

once('bad options: a readable error and exit 2', async () => {
  const run = await demo(['--nodes', '3']);
  assert.is(run.code, 2);
  assert.is(run.stderr, 'nsm demo: --nodes takes 1 or 2, not "3"\n');
  assert.equal(processesWithEnv(MARK, run.mark), []);
});

once.run();
