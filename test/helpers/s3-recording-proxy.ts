/**
 * An HTTP proxy on loopback in front of the S3 test server, for `fintech-etl` child processes: it records every
 * request they send (method, decoded path, headers), and can hold the first request that matches a predicate
 * and call back, so a test can kill the child at that exact point of its work (the request never reaches the
 * server) instead of after a guessed delay.
 */
import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** The path, URL-decoded: `/<bucket>/<key>`. */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface S3RecordingProxy {
  endpoint: string;
  requests: ProxiedRequest[];
  /**
   * Holds the next request matching `when` (and every request after it) and calls `then` with it once; the held
   * requests are dropped when the proxy stops or `release` is called.
   */
  holdWhen(when: (request: ProxiedRequest) => boolean, then: (request: ProxiedRequest) => void): void;
  /** Lets requests through again and drops the held ones (the child that sent them is gone). */
  release(): void;
  stop(): Promise<void>;
}

export async function startS3RecordingProxy(target: string): Promise<S3RecordingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let hold:
    | { when: (request: ProxiedRequest) => boolean; then: (request: ProxiedRequest) => void }
    | undefined;
  let holding = false;
  const held: ServerResponse[] = [];

  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const recorded: ProxiedRequest = {
      method: incoming.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.search,
      headers: { ...incoming.headers },
    };
    requests.push(recorded);
    if (!holding && hold?.when(recorded)) {
      holding = true;
      const callback = hold.then;
      hold = undefined;
      callback(recorded);
    }
    if (holding) {
      // Never answered: the test kills the sender.
      incoming.resume();
      held.push(response);
      return;
    }
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    incoming.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    holding = false;
    for (const response of held.splice(0)) response.destroy();
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    holdWhen: (when, then) => {
      hold = { when, then };
    },
    release,
    stop: async () => {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
