/**
 * A TCP forwarder in the test process: listens on one address (a veth's host end) and pipes each connection to a
 * port on 127.0.0.1. The machine's PostgreSQL and Redis, and the test's S3 server, listen on loopback only, which a
 * process in another network namespace cannot reach; forwarding, rather than rebinding the shared servers, leaves
 * them as every other test uses them. It counts what crossed it, and from where, so a test can show it was used.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpForwarder {
  host: string;
  port: number;
  /** The remote addresses of the connections it accepted. */
  peers: Set<string>;
  /** Bytes it carried, both ways. */
  bytes(): number;
  close(): Promise<void>;
}

export async function startTcpForwarder(host: string, targetPort: number): Promise<TcpForwarder> {
  const sockets = new Set<Socket>();
  const peers = new Set<string>();
  let bytes = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    peers.add(client.remoteAddress ?? '?');
    const target = createConnection({ host: '127.0.0.1', port: targetPort });
    track(client);
    track(target);
    // Either side failing ends both: the other end sees the connection drop, as it would without a forwarder.
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host,
    port,
    peers,
    bytes: () => bytes,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
