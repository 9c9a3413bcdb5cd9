import { describe, expect, it } from 'vitest'
import type { Part } from '../../core/index.js'
import { cardAttachment, choiceAttachment, fileAttachment, imageAttachment } from './cards.js'
import { decodeActivity } from './inbound.js'
import { activityBytes, renderActivities, textActivities } from './render.js'

describe('Adaptive Cards', () => {
  it('renders a card with postback and link buttons', () => {
    const card = cardAttachment({
      type: 'card',
      title: 'Your order #A-1009',
      body: 'Shipped yesterday',
      actions: [
        { type: 'postback', title: 'Track it', value: 'track:A-1009' },
        { type: 'url', title: 'Invoice', value: 'https://shop.example.com/invoices/A-1009' },
      ],
    })
    expect(card).toEqual({
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: {
        type: 'AdaptiveCard',
        version: '1.5',
        body: [
          { type: 'TextBlock', text: 'Your order #A-1009', wrap: true, weight: 'Bolder', size: 'Medium' },
          { type: 'TextBlock', text: 'Shipped yesterday', wrap: true },
        ],
        actions: [
          { type: 'Action.Submit', title: 'Track it', data: { postback: 'track:A-1009' } },
          { type: 'Action.OpenUrl', title: 'Invoice', url: 'https://shop.example.com/invoices/A-1009' },
        ],
      },
    })
  })

  it('shows a link it cannot open as text instead of a broken button', () => {
    const card = cardAttachment({ type: 'card', title: 'Call us', actions: [{ type: 'url', title: 'Phone', value: 'javascript:alert(1)' }] })
    expect(card.content.actions).toBeUndefined()
    expect(card.content.body.at(-1)).toEqual({ type: 'TextBlock', text: 'Phone: javascript:alert(1)', wrap: true })
  })

  it('renders a choice as one Action.Submit per option', () => {
    const card = choiceAttachment({ type: 'choice', text: 'Which plan?', options: [{ title: 'Basic', value: 'plan:basic' }, { title: 'Pro', value: 'plan:pro' }] })
    expect(card.content.body).toEqual([{ type: 'TextBlock', text: 'Which plan?', wrap: true }])
    expect(card.content.actions).toEqual([
      { type: 'Action.Submit', title: 'Basic', data: { postback: 'plan:basic' } },
      { type: 'Action.Submit', title: 'Pro', data: { postback: 'plan:pro' } },
    ])
  })

  it('renders more options than Teams shows as buttons as a drop-down submitted under the same key', () => {
    const options = Array.from({ length: 8 }, (_, i) => ({ title: `Store ${i + 1}`, value: `store:${i + 1}` }))
    const card = choiceAttachment({ type: 'choice', text: 'Which store?', options })
    expect(card.content.body[1]).toMatchObject({ type: 'Input.ChoiceSet', id: 'postback', choices: options })
    expect(card.content.actions).toEqual([{ type: 'Action.Submit', title: 'OK' }])
  })

  it('puts a card’s extra buttons into rows in the body', () => {
    const actions = Array.from({ length: 8 }, (_, i) => ({ type: 'postback' as const, title: `#${i}`, value: `v${i}` }))
    const card = cardAttachment({ type: 'card', title: 'Many', actions })
    expect(card.content.actions).toBeUndefined()
    expect(card.content.body.filter((e) => e.type === 'ActionSet').map((e) => (e.actions as unknown[]).length)).toEqual([6, 2])
  })

  it('a pressed option comes back, through the inbound side, as the option value', () => {
    const card = choiceAttachment({ type: 'choice', text: 'Which plan?', options: [{ title: 'Pro', value: 'plan:pro' }] })
    const submitted = (card.content.actions![0] as { data: unknown }).data
    const press = {
      type: 'message',
      id: '1',
      serviceUrl: 'https://smba.trafficmanager.net/amer/',
      channelId: 'msteams',
      from: { id: '29:u' },
      recipient: { id: '28:b' },
      conversation: { id: 'a:1' },
      value: submitted,
    }
    expect(decodeActivity(press, { tenant: 't', instance: 'i' })?.activity).toMatchObject({ kind: 'postback', text: 'plan:pro' })
  })

  it('links a file and shows an image from its URL', () => {
    expect(fileAttachment({ type: 'file', url: 'https://files.example.com/docs/return%20form.pdf' }).content).toMatchObject({
      body: [{ type: 'TextBlock', text: '📎 return form.pdf' }],
      actions: [{ type: 'Action.OpenUrl', title: 'Open', url: 'https://files.example.com/docs/return%20form.pdf' }],
    })
    expect(imageAttachment({ type: 'image', url: 'https://cdn.example.com/box.jpg' })).toEqual({ contentType: 'image/jpeg', contentUrl: 'https://cdn.example.com/box.jpg' })
    expect(imageAttachment({ type: 'image', url: 'https://cdn.example.com/x', mime: 'image/gif', name: 'x.gif' })).toEqual({ contentType: 'image/gif', contentUrl: 'https://cdn.example.com/x', name: 'x.gif' })
  })
})

describe('one outbox message as Teams activities', () => {
  it('sends text and each attachment as separate activities, in order', () => {
    const parts: Part[] = [
      { type: 'text', text: 'Here is your order' },
      { type: 'card', title: 'Order #A-1009', actions: [] },
      { type: 'image', url: 'https://cdn.example.com/box.png' },
    ]
    const activities = renderActivities(parts, 40_000)
    expect(activities.map((a) => (a.text ? 'text' : (a.attachments as { contentType: string }[])[0]!.contentType))).toEqual([
      'text',
      'application/vnd.microsoft.card.adaptive',
      'image/png',
    ])
    expect(activities.every((a) => !(a.text && a.attachments))).toBe(true)
  })

  it('sends a card that would exceed maxMessageBytes as its text fallback', () => {
    const card: Part = { type: 'choice', text: 'Pick one', options: Array.from({ length: 5 }, (_, i) => ({ title: `Option ${i} ${'x'.repeat(900)}`, value: `v${i}` })) }
    const activities = renderActivities([card], 8192)
    expect(activities.every((a) => a.attachments === undefined && typeof a.text === 'string')).toBe(true)
    expect(activities.every((a) => activityBytes(a) <= 8192)).toBe(true)
    expect(activities.map((a) => a.text).join('\n')).toContain('1. Option 0')
  })

  it('splits a text whose JSON escaping would exceed the limit, never breaking a surrogate pair', () => {
    const text = `${'"quoted" 🙂\n'.repeat(2000)}`
    const chunks = textActivities(text, 20_000)
    expect(chunks.length).toBeGreaterThan(1)
    for (const chunk of chunks) expect(activityBytes(chunk)).toBeLessThanOrEqual(20_000)
    expect(chunks.map((c) => c.text).join('')).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
    expect(chunks.map((c) => (c.text as string).replace(/\s+/g, '')).join('')).toBe(text.replace(/\s+/g, ''))
  })

  it('sends nothing for an empty text', () => {
    expect(renderActivities([{ type: 'text', text: '  ' }], 40_000)).toEqual([])
  })

  it('keeps a text of maxTextLength (9,000) in one activity under the 40 KB default, even fully escaped', () => {
    expect(activityBytes({ type: 'message', text: '"'.repeat(9000) })).toBeLessThanOrEqual(40_000)
    expect(textActivities('"'.repeat(9000), 40_000)).toHaveLength(1)
  })
})
