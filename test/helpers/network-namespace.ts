/**
 * Linux network namespaces for tests that put a process on a network of its own (`ip netns`): each namespace gets
 * one veth pair, its host end in this machine's namespace and its other end inside, on a /30 of its own, so a
 * process started with `ip netns exec` reaches this machine only at `hostAddress`, over a link the test can cut
 * (`ip link set <host end> down`) and restore. Needs root (CAP_NET_ADMIN); `networkNamespaceSkipReason` says
 * when the kernel refuses, which is a capability of the machine, not a service, so it skips in CI too.
 */
import { spawnSync } from 'node:child_process';

export interface NetworkNamespace {
  name: string;
  /** The host end of the veth pair (this machine's side of the link). */
  hostLink: string;
  /** The address of this machine as seen from inside the namespace. */
  hostAddress: string;
  /** The namespace's own address. */
  address: string;
  /** `ip link set <host end> down`: nothing crosses the link until `restore`. */
  cut(): void;
  restore(): void;
  /** Deletes the namespace (and with it both ends of its veth pair); safe to call twice. */
  remove(): void;
}

function ip(args: string[]): { ok: boolean; stderr: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: result.status === 0, stderr: (result.stderr ?? result.error?.message ?? '').trim() };
}

function mustIp(args: string[]): void {
  const result = ip(args);
  if (!result.ok) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

/** Undefined when namespaces can be created here; else why not (also printed, as the reason the tests skip). */
export function networkNamespaceSkipReason(): string | undefined {
  const probe = `fintech-probe-${process.pid}`;
  const added = ip(['netns', 'add', probe]);
  if (added.ok) {
    ip(['netns', 'delete', probe]);
    return undefined;
  }
  const message =
    `network namespaces cannot be created here (ip netns add: ${added.stderr || 'failed'}); ` +
    'they need root or CAP_NET_ADMIN';
  console.warn(`skipping the network namespace tests: ${message}`);
  return message;
}

/**
 * Namespace `index` (0 to 3) of this test process: its names carry the pid, and its /30 lies in 10.240.0.0/16 at
 * a slot taken from the pid, so test processes running at once never share a name or a subnet.
 */
export function createNetworkNamespace(index: number): NetworkNamespace {
  if (!(Number.isInteger(index) && index >= 0 && index < 4))
    throw new Error(`namespace index ${index} is not 0 to 3`);
  const name = `fintech-${process.pid}-${index}`;
  // Interface names are at most 15 characters.
  const hostLink = `fe${process.pid}h${index}`;
  const innerLink = `fe${process.pid}n${index}`;
  const slot = process.pid % 4096;
  const base = `10.240.${slot >> 4}.`;
  const last = (slot & 15) * 16 + index * 4;
  const hostAddress = `${base}${last + 1}`;
  const address = `${base}${last + 2}`;
  // A namespace a crashed earlier process of the same pid left behind goes first.
  ip(['netns', 'delete', name]);
  ip(['link', 'delete', hostLink]);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    ip(['netns', 'delete', name]);
    ip(['link', 'delete', hostLink]);
  };
  try {
    mustIp(['netns', 'add', name]);
    mustIp(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', innerLink]);
    mustIp(['link', 'set', innerLink, 'netns', name]);
    mustIp(['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    mustIp(['link', 'set', hostLink, 'up']);
    mustIp(['-n', name, 'addr', 'add', `${address}/30`, 'dev', innerLink]);
    mustIp(['-n', name, 'link', 'set', innerLink, 'up']);
    mustIp(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    name,
    hostLink,
    hostAddress,
    address,
    cut: () => mustIp(['link', 'set', hostLink, 'down']),
    restore: () => mustIp(['link', 'set', hostLink, 'up']),
    remove,
  };
}
