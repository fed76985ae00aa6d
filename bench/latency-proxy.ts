import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy that holds every request for `delayMs` before forwarding it: it stands
 * for the network round trip to a real KMS endpoint, which moto on the same machine does not
 * have. Used by benchmarks only, and always reported with the delay it added.
 */
export interface LatencyProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLatencyProxy(targetUrl: string, delayMs: number): Promise<LatencyProxy> {
  const target = new URL(targetUrl);
  if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(target.hostname)) throw new Error(`the latency proxy only forwards to loopback, not ${target.hostname}`);
  const server: Server = createServer((incoming, outgoing) => {
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => {
      setTimeout(() => {
        const forwarded = request(
          { hostname: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
          (response) => {
            outgoing.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(outgoing);
          },
        );
        forwarded.on('error', () => {
          outgoing.writeHead(502);
          outgoing.end();
        });
        forwarded.end(Buffer.concat(body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
