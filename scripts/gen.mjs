#!/usr/bin/env node
// Generates src/api/gen from proto/ with buf + ts-proto (see buf.gen.yaml).
// Works offline: no BSR deps, local plugin, well-known types built into buf.
//
//   node scripts/gen.mjs          regenerate src/api/gen in place
//   node scripts/gen.mjs --check  generate into a temp dir and compare with the
//                                 committed src/api/gen; exit 1 on any difference
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = join(root, 'src', 'api', 'gen');
const bufBin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
const check = process.argv.includes('--check');

/** Runs `buf generate`, optionally with `--output <base>` (prepended to the template's out). */
function generate(outputBase) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'buf-cache-'));
  try {
    const args = ['generate', ...(outputBase ? ['--output', outputBase] : [])];
    const res = spawnSync(bufBin, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, BUF_CACHE_DIR: cacheDir },
    });
    if (res.error) throw res.error;
    if (res.status !== 0) {
      console.error(`buf ${args.join(' ')} failed with exit code ${res.status}`);
      process.exit(res.status ?? 1);
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Relative paths of all files under dir (empty if dir is missing). */
function listFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

if (!check) {
  generate();
  console.log(`generated ${listFiles(genDir).length} files in ${relative(root, genDir)}`);
  process.exit(0);
}

const base = mkdtempSync(join(tmpdir(), 'nsm-gen-check-'));
try {
  generate(base);
  const freshDir = join(base, relative(root, genDir));
  const fresh = listFiles(freshDir);
  const committed = listFiles(genDir);
  const all = [...new Set([...fresh, ...committed])].sort();
  const differing = [];
  for (const file of all) {
    if (!fresh.includes(file)) differing.push(`${file} (not generated any more)`);
    else if (!committed.includes(file)) differing.push(`${file} (missing)`);
    else if (!readFileSync(join(freshDir, file)).equals(readFileSync(join(genDir, file))))
      differing.push(`${file} (differs)`);
  }
  if (differing.length > 0) {
    console.error(`src/api/gen is out of date; run \`node scripts/gen.mjs\`:`);
    for (const d of differing) console.error(`  ${d}`);
    process.exitCode = 1;
  } else {
    console.log(`src/api/gen is up to date (${all.length} files)`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
