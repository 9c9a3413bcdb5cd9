import 'reflect-metadata'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { builtinChannels } from '../../channels/index.js'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import { startGateway } from '../../core/gateway/gateway.js'
import { PluginRegistry } from '../../core/plugin/registry.js'
import { builtinAgents } from '../../plugins/index.js'
import { AdminClient } from '../../test/harness/admin-client.js'
import { ChatClient } from '../../test/harness/ws-client.js'
import { Histogram } from '../ws-chat/histogram.js'

/**
 * The human half of the desk under load: customers on web chat ask for a person at once, a team
 * of agents works the queue through the admin API (take next → reply → resolve), and every step
 * is timed from the side that would notice it — the customer's socket, the agent's HTTP call.
 * Checks as it goes: every customer taken exactly once, VIPs before everyone else, every reply
 * delivered once. Gateway and clients share this process, so the figures include client CPU.
 */
const USAGE = `usage: npm run bench:handoff -- [--customers 300] [--agents 8] [--vip-share 0.2] [--database-url postgres://…]`
const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '300' },
    agents: { type: 'string', default: '8' },
    'vip-share': { type: 'string', default: '0.2' },
    'database-url': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const customers = Number(args.customers)
const agents = Number(args.agents)
const vipShare = Number(args['vip-share'])
if (!(customers >= 1 && customers <= 500 && agents >= 1 && agents <= 200 && vipShare >= 0 && vipShare <= 1)) {
  console.error(USAGE)
  process.exit(2)
}

const TENANT = 'bench'
const ASK = 'I want to talk to a human please'
const vipUser = (i: number) => i < Math.round(customers * vipShare)

async function writeConfig(dir: string): Promise<void> {
  await mkdir(join(dir, 'tenants'), { recursive: true })
  await writeFile(join(dir, 'gateway.yaml'), '{}\n')
  const tenant = {
    id: TENANT,
    locale: 'en',
    limits: { messagesPerMinute: 1_000_000, concurrentTurns: 100_000, openSockets: 100_000 },
    channels: [{ id: 'web', type: 'websocket', config: { rateLimit: { frames: 100_000, perSeconds: 1 }, connectionsPerMinute: 1_000_000 } }],
    plugins: [
      { id: 'customers', type: 'customers' },
      { id: 'handoff', type: 'handoff', config: { rules: [{ pattern: 'human', reason: 'asked_for_human' }], askForRating: false, positionUpdateEverySeconds: 3600 } },
      { id: 'faq', type: 'rules', config: { rules: [{ id: 'any', pattern: '.', reply: 'The bot answers.' }] } },
    ],
  }
  await writeFile(join(dir, 'tenants', `${TENANT}.yaml`), stringify(tenant))
}

const ms = (h: Histogram, p: number) => (h.percentile(p) / 1000).toFixed(1)
const line = (label: string, h: Histogram) => `${label.padEnd(34)}${String(h.total).padStart(6)}   p50 ${ms(h, 50).padStart(7)} ms   p99 ${ms(h, 99).padStart(7)} ms   max ${(h.max / 1000).toFixed(1).padStart(7)} ms`

async function main() {
  const configDir = await mkdtemp(join(tmpdir(), 'sb-bench-handoff-'))
  const dataDir = await mkdtemp(join(tmpdir(), 'sb-bench-handoff-data-'))
  await writeConfig(configDir)
  const env: NodeJS.ProcessEnv = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', SWITCHBOARD_DATA_DIR: dataDir, ...(args['database-url'] ? { DATABASE_URL: args['database-url'] } : {}) }
  const gateway = await startGateway({ configDir, registry: new PluginRegistry({ channels: builtinChannels, agents: builtinAgents }), env })
  const base = `http://127.0.0.1:${gateway.port}`
  const admin = new AdminClient(base)
  const keys = gateway.container.resolve(ApiKeyStore)
  const agentKeys = await Promise.all(Array.from({ length: agents }, (_, i) => keys.create(TENANT, { name: `agent-${i}`, role: 'agent', createdBy: 'bench' }).then((k) => k.key)))

  const enqueue = new Histogram()
  const take = new Histogram()
  const delivered = new Histogram()
  const resolve = new Histogram()
  const clients = new Map<string, ChatClient>()
  try {
    // 1. Everyone connects and says hello (which makes them a customer); an admin marks the VIPs;
    //    then everyone asks for a person at the same moment.
    const users = Array.from({ length: customers }, (_, i) => (vipUser(i) ? `vip-${i}` : `guest-${i}`))
    const adminKey = (await keys.create(TENANT, { name: 'bench-admin', role: 'tenant-admin', createdBy: 'bench' })).key
    await Promise.all(
      users.map(async (user) => {
        const client = new ChatClient(`ws://127.0.0.1:${gateway.port}/t/${TENANT}/ws`)
        const welcome = await client.connect()
        clients.set(welcome.conversation_id as string, client)
        await client.say('hello')
        await client.reply()
        if (!user.startsWith('vip-')) return
        const desk = await admin.get(`/tenants/${TENANT}/conversations/${String(welcome.conversation_id)}/desk`, { key: adminKey })
        const vip = await admin.request('PATCH', `/tenants/${TENANT}/customers/${String(desk.body.customer.id)}`, { key: adminKey, body: { vipLevel: 2 } })
        if (vip.status !== 200) throw new Error(`marking a VIP: ${vip.status} ${vip.text}`)
      }),
    )
    const asked = performance.now()
    await Promise.all(
      [...clients.values()].map(async (client) => {
        const started = performance.now()
        await client.say(ASK)
        await client.next((f) => f.type === 'message' && /in line|connecting/i.test(String(f.text)), 60_000)
        enqueue.record((performance.now() - started) * 1000)
      }),
    )
    const queuedIn = (performance.now() - asked) / 1000
    const queue = await admin.get(`/tenants/${TENANT}/handoffs/queue?limit=500`, { key: agentKeys[0] })
    if (queue.status !== 200 || queue.body.queue.length !== customers) throw new Error(`expected ${customers} queued, got ${queue.status} ${JSON.stringify(queue.body).slice(0, 200)}`)

    // 2. The agents work the queue until it is empty, each taking the next in line.
    const servedOrder: number[] = []
    const taken = new Set<string>()
    let duplicates = 0
    const worked = performance.now()
    await Promise.all(
      agentKeys.map(async (key, a) => {
        for (;;) {
          let started = performance.now()
          const next = await admin.post(`/tenants/${TENANT}/handoffs/take`, { key, body: {} })
          if (next.status !== 200) throw new Error(`take: ${next.status} ${next.text}`)
          const handoff = next.body.handoff as { id: string; conversationId: string; vipLevel: number } | null
          if (!handoff) return
          take.record((performance.now() - started) * 1000)
          if (taken.has(handoff.id)) duplicates++
          taken.add(handoff.id)
          servedOrder.push(handoff.vipLevel)
          const text = `Hello, this is agent ${a} for ${handoff.id}`
          started = performance.now()
          const reply = await admin.post(`/tenants/${TENANT}/handoffs/${handoff.id}/reply`, { key, body: { text } })
          if (reply.status !== 201) throw new Error(`reply: ${reply.status} ${reply.text}`)
          await clients.get(handoff.conversationId)!.next((f) => f.type === 'message' && f.text === text, 30_000)
          delivered.record((performance.now() - started) * 1000)
          started = performance.now()
          const done = await admin.post(`/tenants/${TENANT}/handoffs/${handoff.id}/resolve`, { key, body: {} })
          if (done.status !== 200) throw new Error(`resolve: ${done.status} ${done.text}`)
          resolve.record((performance.now() - started) * 1000)
        }
      }),
    )
    const workedIn = (performance.now() - worked) / 1000
    const inversions = servedOrder.reduce((n, level, i) => n + (servedOrder.slice(0, i).some((earlier) => earlier < level) ? 1 : 0), 0)
    const received = [...clients.values()].reduce((n, c) => n + c.messages.filter((m) => m.text.startsWith('Hello, this is agent')).length, 0)

    console.log(`handoff benchmark — ${customers} customers (${users.filter((_, i) => vipUser(i)).length} VIP), ${agents} agents (node ${process.version}, ${availableParallelism()} cores, ${gateway.config.gateway.storage.databaseUrl ? 'PostgreSQL' : 'PGlite'})`)
    console.log(line('ask → told place (all at once)', enqueue))
    console.log(line('take next (HTTP)', take))
    console.log(line('agent reply → on customer socket', delivered))
    console.log(line('resolve (HTTP)', resolve))
    console.log(`queued ${customers} in ${queuedIn.toFixed(2)} s (${(customers / queuedIn).toFixed(0)}/s); worked the queue in ${workedIn.toFixed(2)} s (${(customers / workedIn).toFixed(0)} handoffs/s)`)
    console.log(`taken ${taken.size}/${customers}, duplicates ${duplicates}, VIP order inversions ${inversions}, agent replies received ${received}/${customers}`)
    if (taken.size !== customers || duplicates > 0 || inversions > 0 || received !== customers) process.exitCode = 1
  } finally {
    for (const client of clients.values()) client.close()
    await gateway.close()
    await rm(configDir, { recursive: true, force: true })
    await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
