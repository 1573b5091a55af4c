/**
 * A TCP proxy on 127.0.0.1 that adds a fixed latency to every request: each chunk the client
 * sends is forwarded `delayMs` later (order kept per connection). An S3 GET is one chunk, so
 * each GET pays the latency once, like a round trip to a distant region.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

/** A running proxy. */
export interface LatencyProxy {
  readonly endpoint: string
  close(): Promise<void>
}

/** Proxies 127.0.0.1:<random port> to `target` (host:port) with `delayMs` per request. */
export async function startLatencyProxy(
  targetHost: string,
  targetPort: number,
  delayMs: number,
): Promise<LatencyProxy> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: targetHost, port: targetPort })
    sockets.add(client)
    sockets.add(upstream)
    let chain = Promise.resolve()
    client.on('data', (chunk: Buffer) => {
      client.pause()
      chain = chain
        .then(() => new Promise<void>((r) => setTimeout(r, delayMs)))
        .then(() => {
          upstream.write(chunk)
          client.resume()
        })
    })
    upstream.pipe(client)
    const done = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', done).on('error', done)
    upstream.on('close', done).on('error', done)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
