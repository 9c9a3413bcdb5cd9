import { describe, expect, it } from 'vitest'
import { parseWebhookJson } from '../../core/index.js'
import { teamsFixtures } from './fixtures/index.js'
import { decodeActivity, htmlToText, postbackValue, stripBotMention } from './inbound.js'

const owner = { tenant: 'acme', instance: 'teams' }
/** As the webhook sees it: bytes parsed by core's webhook JSON parser. */
const decode = (raw: unknown) => decodeActivity(parseWebhookJson(Buffer.from(JSON.stringify(raw))), owner, new Date(0))

describe('a Teams activity, normalised', () => {
  it.each(teamsFixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const decoded = decode(fixture.raw)
    if (fixture.expected === null) expect(decoded).toBeUndefined()
    else expect(decoded?.activity).toMatchObject(fixture.expected)
  })

  it('keeps the activity as raw, with the Teams tenant and the sender’s AAD object id reachable', () => {
    const fixture = teamsFixtures.find((f) => f.name.startsWith('a personal'))!
    const { activity } = decode(fixture.raw)!
    const raw = activity.raw as { channelData: { tenant: { id: string } }; from: { aadObjectId: string } }
    expect(raw.channelData.tenant.id).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47')
    expect(raw.from.aadObjectId).toBe('7faf8ab2-3d56-4244-b585-20c8a42ed2b8')
    expect(activity.conversation).toMatchObject({ tenant: 'acme', channel: 'teams', instance: 'teams', externalId: (fixture.raw as { conversation: { id: string } }).conversation.id })
  })

  it('stores what a later reply needs: serviceUrl, conversation, tenant, bot and user', () => {
    const fixture = teamsFixtures.find((f) => f.name.startsWith('a channel message'))!
    expect(decode(fixture.raw)!.reference).toEqual({
      serviceUrl: 'https://smba.trafficmanager.net/amer/',
      channelId: 'msteams',
      conversation: {
        id: '19:d4f1c0e7a9b24e5f8a6c3b2d1e0f9a8b@thread.skype;messageid=1700000000000',
        conversationType: 'channel',
        isGroup: true,
        tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      },
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      bot: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'Switchboard' },
      user: { id: expect.stringMatching(/^29:/), name: 'Megan Bowen', aadObjectId: '7faf8ab2-3d56-4244-b585-20c8a42ed2b8' },
    })
  })

  it('ignores an activity missing what a reply needs (no id, sender or recipient)', () => {
    const fixture = teamsFixtures.find((f) => f.name.startsWith('a personal'))!
    const raw = fixture.raw as Record<string, unknown>
    for (const field of ['id', 'from', 'recipient', 'conversation']) expect(decode({ ...raw, [field]: undefined })).toBeUndefined()
  })
})

describe('stripping the bot’s mention', () => {
  const bot = '28:bot'
  const mention = (id: string, name: string) => ({ type: 'mention', mentioned: { id, name }, text: `<at>${name}</at>` })

  it.each([
    ['<at>Switchboard</at> hello', [mention(bot, 'Switchboard')], 'hello'],
    ['hello <at>Switchboard</at>', [mention(bot, 'Switchboard')], 'hello'],
    ['ask <at>Switchboard</at> now', [mention(bot, 'Switchboard')], 'ask now'],
    ['<at>Switchboard</at>\u00a0hello', [mention(bot, 'Switchboard')], 'hello'],
    ['<at>Switchboard</at> <at>Switchboard</at> twice', [mention(bot, 'Switchboard')], 'twice'],
    ['line one\n<at>Switchboard</at> line two', [mention(bot, 'Switchboard')], 'line one\nline two'],
  ])('%j → %j', (text, entities, expected) => {
    expect(stripBotMention(text, entities, bot)).toBe(expected)
  })

  it('leaves other people’s mentions as their names', () => {
    expect(stripBotMention('<at>Switchboard</at> ask <at>Adele Vance</at>', [mention(bot, 'Switchboard'), mention('29:adele', 'Adele Vance')], bot)).toBe('ask Adele Vance')
  })

  it('does not strip a mention of someone who shares the bot’s display name', () => {
    expect(stripBotMention('<at>Switchboard</at> hi', [mention('29:impostor', 'Switchboard')], bot)).toBe('Switchboard hi')
  })

  it('treats mention text literally, not as a pattern', () => {
    expect(stripBotMention('<at>S.b (bot)</at> hi', [mention(bot, 'S.b (bot)')], bot)).toBe('hi')
  })
})

describe('postback values', () => {
  it.each([
    [{ postback: 'plan:pro' }, 'plan:pro'],
    ['plain string', 'plain string'],
    [{ order: 'A-1', qty: 2 }, '{"order":"A-1","qty":2}'],
    [{ postback: 42 }, '{"postback":42}'],
  ])('%j → %j', (data, expected) => {
    expect(postbackValue(data)).toBe(expected)
  })
})

describe('HTML to text', () => {
  it.each([
    ['<div>a<br>b</div>', 'a\nb'],
    ['<p>x &lt;y&gt; &amp; &quot;z&quot;</p>', 'x <y> & "z"'],
    ['&#128512; &#x4e2d;', '😀 中'],
    ['&#xd800; &#0;', '\uFFFD \uFFFD'],
    ['<at>Bot</at> hi', '<at>Bot</at> hi'],
  ])('%j → %j', (html, text) => {
    expect(htmlToText(html)).toBe(text)
  })
})
