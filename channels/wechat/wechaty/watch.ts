import type { Logger } from 'pino'
import type { Liveness } from './liveness.js'
import type { IncomingMessage, MessageReceiver } from './receiver.js'

/** The events of a wechaty bot the channel listens to. */
export interface BotEvents {
  on(event: string, listener: (...args: never[]) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

interface Account {
  readonly id: string
  name(): string
}

/**
 * Listens to the bot: messages go to the receiver, the rest tells the liveness what the account is
 * doing. Returns the undo that removes every listener it added.
 */
export function watchBot(bot: BotEvents, deps: { receiver: MessageReceiver; liveness: Liveness; log: Logger }): () => void {
  const { receiver, liveness, log } = deps
  let shownQrCode: string | undefined
  let scanStatus: number | undefined
  const listeners = {
    message: (message: IncomingMessage) => {
      liveness.alive()
      void receiver.receive(message)
    },
    scan: (qrcode: string, status: number) => {
      liveness.scanning(status)
      // The code is what logs the account in, so it is logged once (a new code when the old expires), never in probes.
      if (qrcode && qrcode !== shownQrCode) {
        shownQrCode = qrcode
        log.info({ qrcode, status }, 'WeChat login needs a QR scan: render qrcode as a QR code and scan it with the account’s phone')
      } else if (status !== scanStatus) log.info({ status }, 'WeChat login QR status changed')
      scanStatus = status
    },
    login: (user: Account) => {
      liveness.loggedIn(user.name())
      log.info({ account: user.id }, 'WeChat account logged in')
    },
    logout: (user: Account, reason?: string) => {
      liveness.loggedOut(reason)
      log.warn({ account: user.id, reason }, 'WeChat account logged out; replies wait until it logs in again')
    },
    heartbeat: () => liveness.alive(),
    error: (error: Error) => {
      liveness.failed(error.message)
      log.warn({ err: error }, 'wechaty reported an error')
    },
  }
  const entries = Object.entries(listeners) as [string, (...args: never[]) => void][]
  for (const [event, listener] of entries) bot.on(event, listener)
  return () => {
    for (const [event, listener] of entries) bot.off(event, listener)
  }
}
