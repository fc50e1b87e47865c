#!/usr/bin/env node
// Writes package.json `exports`: the root, the api edge and its generated modules, one entry per folder under
// src/elements and src/presets that has an index.ts, and testing. `--check` fails when package.json differs.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const entry = (path) => ({ types: `./dist/${path}.d.ts`, default: `./dist/${path}.js` });
const folders = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${dir}/${d.name}/index.ts`))
    .map((d) => d.name)
    .sort();

const exports = { '.': entry('index'), './api': entry('api/index') };
for (const gen of ['connection', 'connectioncontext', 'networkservice', 'registry', 'ipam']) {
  exports[`./api/gen/${gen}`] = entry(`api/gen/${gen}`);
}
for (const kind of ['elements', 'presets']) {
  if (!existsSync(`src/${kind}`)) continue;
  for (const name of folders(`src/${kind}`)) exports[`./${kind}/${name}`] = entry(`${kind}/${name}/index`);
}
exports['./testing'] = entry('testing/index');
if (existsSync('src/testing/sandbox/index.ts')) exports['./testing/sandbox'] = entry('testing/sandbox/index');
exports['./package.json'] = './package.json';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const same = JSON.stringify(pkg.exports) === JSON.stringify(exports);
if (process.argv.includes('--check')) {
  if (!same) console.error('package.json exports are stale: run node scripts/exports.mjs');
  process.exit(same ? 0 : 1);
}
pkg.exports = exports;
writeFileSync('package.json', JSON.stringify(pkg, null, 2) + '\n');
