import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { Liveness } from './liveness.js'
import type { MessageReceiver } from './receiver.js'
import { watchBot, type BotEvents } from './watch.js'

function watched() {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) })
  const bot = new EventEmitter()
  const received: unknown[] = []
  const receiver = { receive: async (message: unknown) => (received.push(message), 'accepted') } as unknown as MessageReceiver
  const liveness = new Liveness(() => 0, 60_000)
  const undo = watchBot(bot as unknown as BotEvents, { receiver, liveness, log: pino({ level: 'info' }, sink) })
  return { bot, undo, lines, received, liveness }
}

const account = { id: 'wxid_shop', name: () => 'Shop Service' }

describe('listening to a wechaty bot', () => {
  it('logs a login QR code once per code, then only its status changes', () => {
    const { bot, lines, liveness } = watched()
    bot.emit('scan', 'https://login.weixin.qq.com/l/abc', 2)
    bot.emit('scan', 'https://login.weixin.qq.com/l/abc', 2)
    bot.emit('scan', 'https://login.weixin.qq.com/l/abc', 3)
    bot.emit('scan', 'https://login.weixin.qq.com/l/def', 2)
    expect(lines.map(({ msg, qrcode, status }) => ({ msg, qrcode, status }))).toEqual([
      { msg: 'WeChat login needs a QR scan: render qrcode as a QR code and scan it with the account’s phone', qrcode: 'https://login.weixin.qq.com/l/abc', status: 2 },
      { msg: 'WeChat login QR status changed', qrcode: undefined, status: 3 },
      { msg: 'WeChat login needs a QR scan: render qrcode as a QR code and scan it with the account’s phone', qrcode: 'https://login.weixin.qq.com/l/def', status: 2 },
    ])
    expect(liveness.report().detail).toBe('not logged in: QR code waiting for a scan')
  })

  it('follows the account in and out, and keeps the puppet’s errors for the probe', () => {
    const { bot, liveness } = watched()
    bot.emit('login', account)
    expect(liveness.report()).toMatchObject({ ok: true })
    bot.emit('error', new Error('WatchdogAgent reset: lastFood: "{}"'))
    bot.emit('logout', account, 'kicked out by the phone')
    expect(liveness.report()).toEqual({ ok: false, detail: 'logged out: kicked out by the phone' })
  })

  it('hands messages to the receiver, and stops listening when undone', () => {
    const { bot, undo, received } = watched()
    bot.emit('message', { id: 'm1' })
    undo()
    bot.emit('message', { id: 'm2' })
    expect(received).toEqual([{ id: 'm1' }])
    for (const event of ['message', 'scan', 'login', 'logout', 'heartbeat', 'error']) expect(bot.listenerCount(event), event).toBe(0)
  })
})
