import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A proxy in front of a local endpoint that can hold requests: a test lets a command reach a
 * known point (its first KMS call), does something there (sends SIGINT), then lets it go on.
 * Deterministic where timing a signal against a fast local backend is not.
 */
export interface HeldEndpoint {
  readonly url: string;
  /** Resolves when a request arrives while held. */
  readonly firstHeldRequest: Promise<void>;
  /** Forwards the held requests, and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

export async function heldEndpoint(target: string): Promise<HeldEndpoint> {
  const upstream = new URL(target);
  let released = false;
  const waiting: Array<() => void> = [];
  let arrived: () => void = () => undefined;
  const firstHeldRequest = new Promise<void>((resolve) => (arrived = resolve));
  const forward = (incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse) => {
    const proxied = request(
      { hostname: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    proxied.on('error', () => outgoing.destroy());
    proxied.end(body);
  };
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const send = () => forward(incoming, Buffer.concat(chunks), outgoing);
      if (released) return send();
      waiting.push(send);
      arrived();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firstHeldRequest,
    release() {
      released = true;
      for (const send of waiting.splice(0)) send();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
