// Wire-contract tests for proto/*.proto and the generated code in src/api/gen.
//
// 1. Our five .proto files, compiled by buf without source info, must give
//    FileDescriptorProtos equal to the ones the Go NSM API v1.15.0 registers
//    (fixture: ../shared/fixtures/nsm-api-v1.15.0.binpb beside the checkout).
// 2. A few hand-encoded messages pin the generated encoder/decoder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { equals, fromBinary, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, PathSegment, State } from './gen/connection.js';

const FILES = [
  'connectioncontext.proto',
  'connection.proto',
  'networkservice.proto',
  'registry.proto',
  'ipam.proto',
] as const;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixturePath = fileURLToPath(new URL('../../../shared/fixtures/nsm-api-v1.15.0.binpb', import.meta.url));

/** Compiles proto/ with the repo's buf binary, offline, and returns our five descriptors. */
function buildOurs(): Map<string, FileDescriptorProto> {
  const dir = mkdtempSync(join(tmpdir(), 'nsm-descriptors-'));
  try {
    const out = join(dir, 'ours.binpb');
    const res = spawnSync(
      join(repoRoot, 'node_modules', '.bin', 'buf'),
      ['build', 'proto', '--exclude-source-info', '-o', out],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, BUF_CACHE_DIR: join(dir, 'cache') },
      },
    );
    if (res.error) throw res.error;
    assert.is(res.status, 0, `buf build failed:\n${res.stderr}`);
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(out));
    return byName(set.file.filter((f) => !f.name.startsWith('google/protobuf/')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function byName(files: FileDescriptorProto[]): Map<string, FileDescriptorProto> {
  return new Map(files.map((f) => [f.name, f]));
}

/** First difference between two JSON values, as a readable path (names added where present). */
function firstDiff(a: JsonValue | undefined, b: JsonValue | undefined, path: string): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDiff(a[i], b[i], `${path}[${i}]${label(a[i] ?? b[i])}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff(a[key], b[key], `${path}.${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  return `${path}: ours=${JSON.stringify(a)} fixture=${JSON.stringify(b)}`;
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function label(v: JsonValue | undefined): string {
  if (!isObject(v)) return '';
  const name = v['name'];
  return typeof name === 'string' ? `(${name})` : '';
}

test('proto/ compiles to the Go-registered NSM API v1.15.0 descriptors', () => {
  if (!existsSync(fixturePath)) {
    console.log(`skipped: NSM v1.15.0 descriptor fixture not found at ${fixturePath}`);
    return;
  }
  const fixture = byName(fromBinary(FileDescriptorSetSchema, readFileSync(fixturePath)).file);
  const ours = buildOurs();
  assert.equal([...ours.keys()].sort(), [...FILES].sort(), 'our file names');

  const problems: string[] = [];
  for (const name of FILES) {
    const want = fixture.get(name);
    const got = ours.get(name);
    if (want === undefined || got === undefined) {
      problems.push(`${name}: missing from ${want === undefined ? 'fixture' : 'our build'}`);
      continue;
    }
    if (!equals(FileDescriptorProtoSchema, got, want)) {
      const diff = firstDiff(
        toJson(FileDescriptorProtoSchema, got),
        toJson(FileDescriptorProtoSchema, want),
        name,
      );
      problems.push(diff ?? `${name}: not equal (no JSON difference found)`);
      continue;
    }
    // Equal descriptors must also re-serialise to the same bytes (unknown fields ignored).
    const opts = { writeUnknownFields: false };
    const gotBytes = toBinary(FileDescriptorProtoSchema, got, opts);
    const wantBytes = toBinary(FileDescriptorProtoSchema, want, opts);
    if (!Buffer.from(gotBytes).equals(Buffer.from(wantBytes))) {
      problems.push(
        `${name}: equal descriptors but different bytes (${gotBytes.length} vs ${wantBytes.length})`,
      );
    }
  }
  assert.ok(problems.length === 0, `descriptor mismatch:\n  ${problems.join('\n  ')}`);
});

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('generated code encodes and decodes canonical proto3', () => {
  // Connection{id:"a", state:DOWN}: field 1 (string) then field 9 (varint).
  const conn = Connection.fromPartial({ id: 'a', state: State.DOWN });
  assert.is(hex(Connection.encode(conn).finish()), '0a01614801');
  assert.equal(Connection.decode(Buffer.from('0a01614801', 'hex')), conn);

  // PathSegment{name:"x", expires:{seconds:1700000000, nanos:123456789}}, hand-encoded.
  // Field 4 is a Timestamp of 11 bytes: seconds (field 1) and nanos (field 2) as varints.
  const wire = '0a0178' + '220b' + '0880e2cfaa06' + '10959aef3a';
  const seg = PathSegment.decode(Buffer.from(wire, 'hex'));
  assert.is(seg.name, 'x');
  assert.is(seg.expires?.seconds, 1700000000);
  assert.is(seg.expires?.nanos, 123456789); // no ms truncation (useDate=false)
  assert.is(hex(PathSegment.encode(seg).finish()), wire);
});

test('unknown fields from newer peers survive decode + encode', () => {
  // Connection{id:"a"} plus an unknown field 100 (string "z"): tag (100<<3|2) = 0xa2 0x06.
  const wire = '0a0161' + 'a206017a';
  assert.is(hex(Connection.encode(Connection.decode(Buffer.from(wire, 'hex'))).finish()), wire);
});

test.run();
