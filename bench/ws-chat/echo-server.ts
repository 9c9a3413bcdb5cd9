import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { failed, report, serveControl } from './server-control.js'

/**
 * The baseline: a bare `ws` server that echoes every frame, configured like the gateway's web-chat
 * socket server (no compression, no client tracking, same frame limit) so the difference between
 * the two rows is the gateway's own work.
 */
const server = createServer((_request, response) => response.writeHead(404).end())
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 65_536 })
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => ws.terminate())
})
server.on('error', failed)
server.listen(0, '127.0.0.1', 4096, () => {
  report({ type: 'ready', port: (server.address() as AddressInfo).port, pid: process.pid, path: '/echo' })
})
serveControl(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})
