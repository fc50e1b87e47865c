import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Mechanism } from '../../api/gen/connection.js';
import { Code, isStatusError } from '../../chain/errors.js';
import {
  canonicalIp,
  Cls,
  CommonParam,
  evenVni,
  formatBoolParam,
  formatUintParam,
  generateRandomVni,
  isNoop,
  KernelParam,
  kernelMechanism,
  noopMechanism,
  parseBoolParam,
  parseCidr,
  parseUintParam,
  toKernel,
  toVxlan,
  vxlanMechanism,
  VxlanParam,
} from './index.js';
const isRangeError = (e: unknown): boolean => e instanceof RangeError;

/** Encodes and decodes, so the keys checked are the ones on the wire. */
const wire = (m: Mechanism): Mechanism => Mechanism.decode(Mechanism.encode(m).finish());

// ---------------------------------------------------------------------------------------------------------
const encodings = suite('mechanisms: Go parameter encodings');

encodings('parseUint: decimal below 2^bits, leading zeros fine, anything else 0', () => {
  const cases: [string | undefined, number, number][] = [
    ['4789', 16, 4789],
    ['65535', 16, 65535],
    ['65536', 16, 0],
    ['007', 16, 7],
    ['', 16, 0],
    [undefined, 16, 0],
    ['+1', 16, 0],
    ['-1', 16, 0],
    ['1.0', 16, 0],
    [' 1', 16, 0],
    ['0x10', 16, 0],
    ['16777215', 24, 16777215],
    ['16777216', 24, 0],
    ['4095', 12, 4095],
    ['4096', 12, 0],
    ['4294967295', 32, 4294967295],
    ['4294967296', 32, 0],
    ['99999999999999999999999', 32, 0],
  ];
  for (const [text, bits, expected] of cases)
    assert.is(parseUintParam(text, bits), expected, `${text}/${bits}`);
});

encodings('formatUint: plain decimal; out of range is a RangeError', () => {
  assert.is(formatUintParam(0, 16), '0');
  assert.is(formatUintParam(4789, 16), '4789');
  assert.throws(() => formatUintParam(65536, 16), isRangeError);
  assert.throws(() => formatUintParam(-1, 16), isRangeError);
  assert.throws(() => formatUintParam(1.5, 16), isRangeError);
});

encodings('bools: Go ParseBool true forms, everything else false; written as true/false', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.ok(parseBoolParam(t), t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False', 'yes', 'tRUE', '', undefined]) {
    assert.not.ok(parseBoolParam(f), String(f));
  }
  assert.is(formatBoolParam(true), 'true');
  assert.is(formatBoolParam(false), 'false');
});

encodings('IPs print as Go net.IP.String()', () => {
  const cases: [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::', 'fe80::'],
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::1.2.3.4', '::102:304'],
    ['FD00::A', 'fd00::a'],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['256.1.1.1', undefined],
    ['fe80::1%eth0', undefined],
    ['[::1]', undefined],
    ['1.2.3.4/32', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) assert.is(canonicalIp(text), expected, text);
});

encodings('CIDRs parse like Go net.ParseCIDR', () => {
  const v4 = parseCidr('192.168.3.4/16');
  assert.is(v4?.ip.family, 4);
  assert.is(v4?.bits, 16);
  assert.is(v4?.network, 0xc0a80000n);
  assert.is(parseCidr('10.0.0.0/010')?.bits, 10);
  assert.is(parseCidr('fd00::/8')?.network, 0xfdn << 120n);
  for (const bad of [
    '10.0.0.0/33',
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/+8',
    'fe80::/129',
    '01.0.0.0/8',
    'x/8',
  ]) {
    assert.is(parseCidr(bad), undefined, bad);
  }
});

encodings.run();

// ---------------------------------------------------------------------------------------------------------
const keys = suite('mechanisms: parameter keys on the wire');

keys('KERNEL keys', () => {
  const m = kernelMechanism({
    netnsUrl: 'file:///proc/42/ns/net',
    interfaceName: 'nsm-1',
    deviceTokenId: 'tok',
    supportsVlan: true,
    vlan: 100,
    routeLocalNet: false,
    iptables4NatTemplate: ['-A a', '-A b'],
  });
  const decoded = wire(m);
  assert.is(decoded.cls, 'LOCAL');
  assert.is(decoded.type, 'KERNEL');
  assert.equal(decoded.parameters, {
    inodeURL: 'file:///proc/42/ns/net',
    name: 'nsm-1',
    tokenID: 'tok',
    supportsVlan: 'true',
    vlan: '100',
    routeLocalNet: 'false',
    IPTables4NatTemplate: '-A a;-A b',
  });
  const view = toKernel(decoded)!;
  assert.is(view.netnsUrl, 'file:///proc/42/ns/net');
  assert.is(view.interfaceName, 'nsm-1');
  assert.is(view.vlan, 100);
  assert.ok(view.supportsVlan);
  assert.not.ok(view.routeLocalNet);
  assert.equal(view.iptables4NatTemplate, ['-A a', '-A b']);
  assert.not.ok(view.isPciDevice);
  assert.is(view.pciAddress, '');
  assert.is(KernelParam.NETNS_INODE, 'netnsInode');
  assert.is(KernelParam.PCI_ADDRESS, 'pciAddress');
});

keys('KERNEL getters read Go defaults for missing or bad values', () => {
  const view = toKernel(
    Mechanism.fromPartial({ type: 'KERNEL', parameters: { vlan: '4096', supportsVlan: 'yes' } }),
  )!;
  assert.is(view.vlan, 0);
  assert.not.ok(view.supportsVlan);
  assert.is(view.netnsUrl, '');
  assert.is(view.iptables4NatTemplate, undefined);
  assert.is(toKernel(Mechanism.fromPartial({ type: 'VXLAN' })), undefined);
  assert.is(toKernel(undefined), undefined);
});

keys('VXLAN keys and encodings', () => {
  const m = vxlanMechanism({
    srcIp: '::ffff:10.0.0.1',
    dstIp: '2001:0db8::0001',
    srcPort: 4789,
    dstPort: 4790,
    vni: 16777215,
    mtu: 1450,
  });
  const decoded = wire(m);
  assert.is(decoded.cls, 'REMOTE');
  assert.is(decoded.type, 'VXLAN');
  assert.equal(decoded.parameters, {
    src_ip: '10.0.0.1',
    dst_ip: '2001:db8::1',
    src_port: '4789',
    dst_port: '4790',
    vni: '16777215',
    MTU: '1450',
  });
  const view = toVxlan(decoded)!;
  assert.is(view.srcIp, '10.0.0.1');
  assert.is(view.dstIp, '2001:db8::1');
  assert.is(view.srcPort, 4789);
  assert.is(view.dstPort, 4790);
  assert.is(view.vni, 16777215);
  assert.is(view.mtu, 1450);
  assert.throws(() => (view.vni = 1 << 24), isRangeError);
  assert.throws(() => (view.srcIp = 'not-an-ip'), isRangeError);
  assert.is(VxlanParam.SRC_ORIGINAL_IP, 'orig_src_ip');
  assert.is(VxlanParam.DST_ORIGINAL_IP, 'orig_dst_ip');
  assert.is(CommonParam.INODE_URL, 'inodeURL');
});

keys('NOOP has no parameters', () => {
  const decoded = wire(noopMechanism());
  assert.equal(decoded.parameters, {});
  assert.is(decoded.cls, Cls.LOCAL);
  assert.ok(isNoop(decoded));
  assert.not.ok(isNoop(kernelMechanism()));
});

keys.run();

// ---------------------------------------------------------------------------------------------------------
const parity = suite('mechanisms: VNI parity');

// The 16 cases of the Go API's EvenVNI table test.
const evenVniTable: [Record<string, string>, boolean][] = [
  [{ orig_src_ip: '172.18.0.1', orig_dst_ip: '172.18.0.2' }, true],
  [{ src_ip: '172.18.0.1', dst_ip: '172.18.0.2' }, true],
  [
    { orig_src_ip: '172.28.0.1', orig_dst_ip: '172.28.0.2', src_ip: '172.18.0.2', dst_ip: '172.18.0.1' },
    true,
  ],
  [
    { orig_src_ip: '172.28.0.1', orig_dst_ip: '172.28.0.2', src_ip: '172.18.0.1', dst_ip: '172.18.0.2' },
    true,
  ],
  [{ orig_src_ip: 'fd00::1', orig_dst_ip: 'fd00::2' }, true],
  [{ src_ip: 'fd00::1', dst_ip: 'fd00::2' }, true],
  [{ orig_src_ip: 'fd00::1', orig_dst_ip: 'fd00::2', src_ip: 'fd00:1::1', dst_ip: 'fd00:1::2' }, true],
  [{ orig_src_ip: 'fd00::1', orig_dst_ip: 'fd00::2', src_ip: 'fd00:1::2', dst_ip: 'fd00:1::1' }, true],
  [{ orig_src_ip: '172.18.0.2', orig_dst_ip: '172.18.0.1' }, false],
  [{ src_ip: '172.18.0.2', dst_ip: '172.18.0.1' }, false],
  [
    { orig_src_ip: '172.28.0.2', orig_dst_ip: '172.28.0.1', src_ip: '172.18.0.2', dst_ip: '172.18.0.1' },
    false,
  ],
  [
    { orig_src_ip: '172.28.0.2', orig_dst_ip: '172.28.0.1', src_ip: '172.18.0.1', dst_ip: '172.18.0.2' },
    false,
  ],
  [{ orig_src_ip: 'fd00::2', orig_dst_ip: 'fd00::1' }, false],
  [{ src_ip: 'fd00::2', dst_ip: 'fd00::1' }, false],
  [{ orig_src_ip: 'fd00::2', orig_dst_ip: 'fd00::1', src_ip: 'fd00:1::2', dst_ip: 'fd00:1::1' }, false],
  [{ orig_src_ip: 'fd00::2', orig_dst_ip: 'fd00::1', src_ip: 'fd00:1::1', dst_ip: 'fd00:1::2' }, false],
];

parity('EvenVNI: the Go API table', () => {
  assert.is(evenVniTable.length, 16);
  for (const [parameters, expected] of evenVniTable) {
    const m = Mechanism.fromPartial({ type: 'VXLAN', parameters });
    assert.is(evenVni(m), expected, JSON.stringify(parameters));
    assert.is(toVxlan(m)!.evenVni(), expected);
  }
});

parity('EvenVNI: unparsable source is even, unparsable destination odd; equal is even', () => {
  const m = (parameters: Record<string, string>): Mechanism =>
    Mechanism.fromPartial({ type: 'VXLAN', parameters });
  assert.ok(evenVni(m({})));
  assert.not.ok(evenVni(m({ src_ip: '10.0.0.1' })));
  assert.ok(evenVni(m({ src_ip: '10.0.0.1', dst_ip: '10.0.0.1' })));
  // A present orig_src_ip wins even when empty: it does not parse, so even.
  assert.ok(evenVni(m({ orig_src_ip: '', src_ip: '10.0.0.9', dst_ip: '10.0.0.1' })));
  // In Go's 16-byte order IPv4 is ::ffff:a.b.c.d: after ::1, before fd00::.
  assert.not.ok(evenVni(m({ src_ip: '10.0.0.1', dst_ip: '::1' })));
  assert.ok(evenVni(m({ src_ip: '10.0.0.1', dst_ip: 'fd00::1' })));
  assert.ok(evenVni(m({ src_ip: '::1', dst_ip: '10.0.0.1' })));
});

parity('GenerateRandomVNI: parity and 24-bit mask; both IPs required', () => {
  const even = Mechanism.fromPartial({
    type: 'VXLAN',
    parameters: { src_ip: '10.0.0.1', dst_ip: '10.0.0.2' },
  });
  const odd = Mechanism.fromPartial({
    type: 'VXLAN',
    parameters: { src_ip: '10.0.0.2', dst_ip: '10.0.0.1' },
  });
  for (const r of [0, 1, 0x7fffff, 0x800000, 0xffffffff, 12345678]) {
    assert.is(
      generateRandomVni(even, () => r),
      (2 * r) % 0x1000000,
    );
    assert.is(
      generateRandomVni(odd, () => r),
      (2 * r + 1) % 0x1000000,
    );
  }
  assert.is(
    generateRandomVni(even, () => 0xffffffff),
    0xfffffe,
  );
  assert.is(
    generateRandomVni(odd, () => 0xffffffff),
    0xffffff,
  );
  for (let i = 0; i < 100; i++) {
    const vni = generateRandomVni(odd);
    assert.ok(vni % 2 === 1 && vni < 1 << 24);
  }
  try {
    generateRandomVni(Mechanism.fromPartial({ type: 'VXLAN', parameters: { dst_ip: '10.0.0.2' } }));
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'MECHANISMS_VXLAN_NO_IPS');
  }
});

parity.run();
