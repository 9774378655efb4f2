/**
 * A real S3-protocol server (fauxqs) on a free loopback port, started in-process by the test, plus an S3 client
 * that records every request it sends (method, path, query, headers) so tests can assert what went over the
 * wire, such as the server-side encryption headers fauxqs itself ignores.
 */
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/types';
import { startFauxqs } from 'fauxqs';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** A client on the server (path style, dummy credentials) recording into `requests`. */
  client(): S3Client;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startS3TestServer(): Promise<S3TestServer> {
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const bucket = `lake-${randomBytes(4).toString('hex')}`;
  server.createBucket(bucket);
  const requests: RecordedRequest[] = [];
  const clients: S3Client[] = [];
  return {
    endpoint: server.address,
    bucket,
    requests,
    client() {
      const client = new S3Client({
        endpoint: server.address,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as HttpRequest;
          requests.push({
            method: request.method,
            path: request.path,
            query: { ...(request.query ?? {}) },
            headers: Object.fromEntries(
              Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]),
            ),
          });
          return next(args);
        },
        { step: 'finalizeRequest', name: 'recordRequests' },
      );
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await server.stop();
    },
  };
}
