import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import { waitUntil } from '../contract/wait.js'
import { createFakeTwilio, type FakeTwilio } from '../fakes/twilio.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { tempConfig } from '../kit/tenants.js'

// A phone line with the support desk: asking for a person puts the caller through to the
// team's number with <Dial>; the desk records the handoff without queueing it for the console.
const PUBLIC = 'https://voice.shop.example'
const TEAM_NUMBER = '+14155550100'
let fake: FakeTwilio
let gw: TestGateway
let config: Awaited<ReturnType<typeof tempConfig>>

beforeAll(async () => {
  fake = createFakeTwilio()
  config = await tempConfig({
    shop: stringify({
      id: 'shop',
      channels: [{ id: 'phone', type: 'voice', config: { accountSid: fake.accountSid, authToken: fake.authToken, publicUrl: PUBLIC, handoff: { number: TEAM_NUMBER } } }],
      plugins: [
        { id: 'customers', type: 'customers' },
        { id: 'handoff', type: 'handoff', config: { sweepEverySeconds: 1 } },
        { id: 'ticketing', type: 'ticketing', config: { notifyCustomer: false } },
        { id: 'intent', type: 'intent' },
        { id: 'agent', type: 'agent' },
      ],
    }),
  })
  gw = await startTestGateway({ configDir: config.dir })
}, 60_000)

afterAll(async () => {
  await fake?.close()
  await gw?.close()
  await config?.remove()
})

const call = () =>
  fake.call({ voiceUrl: `${gw.url}/t/shop/phone/incoming`, signatureUrl: `${PUBLIC}/t/shop/phone/incoming`, statusCallback: `${PUBLIC}/t/shop/phone/status` })

describe('a caller who asks for a person', () => {
  it('is put through with <Dial>, recorded as a handoff the phone line holds, and the handoff ends with the call', async () => {
    const caller = call()
    await caller.waitingForInput()
    const heard = await caller.say('I want to talk to a human')
    expect(heard.map((h) => h.text)).toContain('I’m connecting you with a person.')
    expect(caller.dialed).toMatchObject([{ verb: 'Dial', kind: 'number', target: TEAM_NUMBER }])

    const handoffs = gw.gateway.container.resolve(Tokens.Handoffs)
    const [handoff] = await handoffs.list('shop', {})
    expect(handoff).toMatchObject({ channel: 'voice', agentId: 'phone-transfer', reason: 'asked_for_human' })
    // Nobody in the console needs to take it.
    expect(await handoffs.queue('shop')).toEqual([])

    await caller.finished()
    const ended = await waitUntil(async () => {
      const now = await handoffs.get('shop', handoff!.id)
      return now?.state === 'resolved' && now
    }, 'the handoff to end with the call')
    expect(ended).toMatchObject({ endReason: 'call ended' })
  })
})
