import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { stringify } from 'yaml'
import { freePort, startGatewayProcess, type GatewayProcess } from '../../test/harness/gateway-process.js'
import { tempConfig } from '../../test/kit/tenants.js'
import type { Identity, Platform, SinkUrls, TeamsIdentity, TelegramIdentity, VoiceIdentity, WeChatIdentity } from './messages.js'

export const TENANT = 'bench'
const INSTANCE = { telegram: 'tg', teams: 'teams', wechat: 'wx', voice: 'phone' } as const
/** WeChat's second instance: the same account with passive replies on. */
const PASSIVE_INSTANCE = 'wx-passive'
/** Where each channel serves its webhook, relative to /t/<tenant>/<instance>. */
const CHANNEL_PATH = { telegram: '/webhook', teams: '/messages', wechat: '/callback', voice: '/incoming' } as const

/**
 * The governor's defaults model the platforms' real send limits (Telegram: 1/s per chat, 30/s per
 * bot; Teams: 7/s per thread, 50/s per app; WeChat, our own pace: 5/s per user, 50/s per app) and
 * would cap the benchmark at 30–50 msg/s. The bench
 * measures the gateway's own cost, so every budget is raised far above what one process can send.
 */
export const RAISED = { points: 1_000_000, seconds: 1 }
const LIMITS = {
  telegram: { chat: RAISED, group: RAISED, bot: RAISED },
  teams: { perThread: [RAISED], perApp: [RAISED] },
  wechat: { user: RAISED, app: RAISED },
}

export interface GatewayOptions {
  platform: Platform
  identity: Identity
  sink: SinkUrls
  databaseUrl: string | undefined
  logLevel: string
  /** Pins the process (and its threads) to this CPU after start. */
  cpu: number | undefined
  /** Starts it with --inspect on a random local port, for a CPU profile of the measured windows. */
  inspect: boolean
}

export interface Gateway {
  process: GatewayProcess
  pid: number
  path: string
  /** WeChat: the same account on a second instance that answers with passive replies. */
  passivePath: string | undefined
  /** The inspector's WebSocket URL, with `inspect`. */
  inspectorUrl: string | undefined
  close(): Promise<void>
}

/** The real `switchboard start` in its own process: one tenant, one channel (WeChat: two instances of it), the rules agent echoing. */
export async function startSwitchboard(options: GatewayOptions): Promise<Gateway> {
  const { platform } = options
  // Twilio signs the URL it requests, so the voice channel's publicUrl must name the port before it listens.
  const port = await freePort()
  const channels: { id: string; type: Platform; config: Record<string, unknown> }[] = [{ id: INSTANCE[platform], type: platform, config: channelConfig(options, port) }]
  if (platform === 'wechat') channels.push({ id: PASSIVE_INSTANCE, type: platform, config: { ...channels[0]!.config, passiveReplyWaitMs: PASSIVE_WAIT_MS } })
  const tenant = stringify({
    id: TENANT,
    channels,
    plugins: [{ id: 'rules', type: 'rules', config: { rules: [{ id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' }] } }],
  })
  const folder = await tempConfig({ [TENANT]: tenant })
  const known = new Set(gatewayPids())
  const nodeOptions = options.inspect ? `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() : undefined
  const gateway = await startGatewayProcess({
    configDir: folder.dir,
    port,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    env: { LOG_LEVEL: options.logLevel, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
  }).catch(async (error: Error) => {
    await folder.remove()
    throw error
  })
  const pid = gatewayPids().find((p) => !known.has(p))
  if (pid === undefined) throw new Error('cannot find the gateway process')
  // Threads created later inherit the main thread's affinity.
  if (options.cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(options.cpu), String(pid)], { stdio: 'ignore' })
  // Killed with us even when we exit without awaiting (an 'exit' handler cannot await close()).
  const killer = () => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  process.once('exit', killer)
  return {
    process: gateway,
    pid,
    path: `/t/${TENANT}/${INSTANCE[platform]}${CHANNEL_PATH[platform]}`,
    passivePath: platform === 'wechat' ? `/t/${TENANT}/${PASSIVE_INSTANCE}${CHANNEL_PATH.wechat}` : undefined,
    // Node prints "Debugger listening on ws://…" to stderr, which the harness keeps.
    inspectorUrl: /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(gateway.output())?.[0],
    async close() {
      process.off('exit', killer)
      await gateway.close()
      await folder.remove()
    },
  }
}

/** The passive row's wait for the answer; the channel's default, well within WeChat's 5 s. */
const PASSIVE_WAIT_MS = 1500

function channelConfig({ platform, identity, sink }: GatewayOptions, port: number): Record<string, unknown> {
  switch (platform) {
    case 'telegram': {
      const { botToken, secret } = identity as TelegramIdentity
      return { botToken, webhookSecret: secret, apiRoot: sink.base, limits: LIMITS.telegram }
    }
    case 'teams': {
      const { appId, appPassword } = identity as TeamsIdentity
      return { appId, appPassword, openIdMetadataUrl: sink.openIdMetadataUrl, tokenUrl: sink.tokenUrl, serviceUrls: [sink.serviceUrl], limits: LIMITS.teams }
    }
    case 'wechat': {
      const { appId, appSecret, token, encodingAESKey } = identity as WeChatIdentity
      // Passive replies off: the answer goes through custom/send, the same work as the bare echo's.
      return { transport: 'official-account', appId, appSecret, token, encodingAESKey, encryption: 'safe', apiRoot: sink.base, passiveReplyWaitMs: 0, limits: LIMITS.wechat }
    }
    case 'voice': {
      const { accountSid, authToken } = identity as VoiceIdentity
      return { accountSid, authToken, publicUrl: `http://127.0.0.1:${port}`, language: 'en-US' }
    }
  }
}

/** Our own children running bin/switchboard.js (startGatewayProcess does not expose the pid). */
function gatewayPids(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('switchboard.js')) pids.push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  return pids
}

/** Whether the build registers a channel type yet (a channel may still be being written). */
export function channelAvailable(platform: Platform): string | undefined {
  try {
    const registry = readFileSync(new URL('../../channels/index.ts', import.meta.url), 'utf8')
    if (!registry.includes(`./${platform}/index.js`)) return `channels/index.ts does not register the ${platform} channel yet`
    readFileSync(new URL(`../../channels/${platform}/index.ts`, import.meta.url))
    return undefined
  } catch {
    return `channels/${platform}/index.ts does not exist yet`
  }
}
