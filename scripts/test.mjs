#!/usr/bin/env node
// Runs the uvu suites (unit tests under src/, end-to-end tests under test/) and ends with one line
// "N passed, N failed" summed from uvu's own totals. Each run has a time limit: uvu has no per-test
// timeout, and a handle left open would otherwise hang the run after its summary.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const limitMs = Number(process.env.TEST_TIMEOUT_MS ?? 15 * 60 * 1000);
const filter = process.argv[2] ?? '\\.test\\.ts$';
const roots = ['src', 'test'].filter((dir) => existsSync(dir));

function runUvu(dir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, filter], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => {
      process.stdout.write(`\n${dir}: no exit after ${limitMs} ms (a hang or a leaked handle); killing it\n`);
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      // A crash or a kill before the summary counts as one failure, so it can never read as green.
      const summarized = /Total:\s+\d+/.test(plain);
      const failed = summarized ? total - passed - skipped + (code !== 0 && total === passed ? 1 : 0) : 1;
      resolve({ passed, failed, skipped, code });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of roots) {
  const result = await runUvu(dir);
  passed += result.passed;
  failed += result.failed;
  skipped += result.skipped;
}
const checkFailures = Number(process.env.CHECK_FAILURES ?? 0);
if (checkFailures > 0) {
  console.log(
    `\n${checkFailures} pre-test check(s) failed (generated code, build or lint): counted as failures`,
  );
  failed += checkFailures;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
