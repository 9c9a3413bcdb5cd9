import type { InboundActivity, Part, PartOf, TranscriptEntry, TranscriptRepository } from '../../core/index.js'

/** "1", " 2 ", "3." or full-width "１": a user answering a numbered list. */
const NUMBER = /^\s*([0-9０-９]{1,2})\s*[.。、)）]?\s*$/

/** Pure: the option number a reply names, if the whole reply is one. */
export function chosenNumber(text: string): number | undefined {
  const match = NUMBER.exec(text)
  if (!match) return undefined
  const digits = match[1]!.replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
  const n = Number(digits)
  return n >= 1 ? n : undefined
}

/**
 * Pure: the value of option `n` of the choice the bot offered last, when that choice is part of
 * the bot's latest turn (`history` oldest first). WeChat shows choices as numbered text ("1. …"),
 * so a reply "2" means the second option — but only while that list is the last thing the bot
 * said; an older list is no longer what the user is answering.
 */
export function chosenValue(history: readonly Pick<TranscriptEntry, 'direction' | 'turnId' | 'parts'>[], n: number): string | undefined {
  const outbound = history.filter((entry) => entry.direction === 'out')
  const latestTurn = outbound.at(-1)?.turnId
  if (latestTurn === undefined) return undefined
  const choice = outbound
    .filter((entry) => entry.turnId === latestTurn)
    .flatMap((entry) => entry.parts)
    .filter((part: Part): part is PartOf<'choice'> => part.type === 'choice')
    .at(-1)
  return choice?.options[n - 1]?.value
}

/** Transcript entries read to find the list a numbered answer refers to: the bot's latest turn fits. */
const RECENT_MESSAGES = 20

/**
 * A message "2" answering the bot's numbered list becomes that option's value, passed on as a
 * button press would be. Only such a message reads the transcript.
 */
export async function withChosenOption(activity: InboundActivity, transcript: Pick<TranscriptRepository, 'history'>): Promise<InboundActivity> {
  const n = activity.kind === 'message' ? chosenNumber(activity.text) : undefined
  if (n === undefined) return activity
  const value = chosenValue(await transcript.history(activity.tenant, activity.conversation.id, RECENT_MESSAGES), n)
  return value === undefined ? activity : { ...activity, kind: 'postback', text: value, parts: [{ type: 'text', text: value }] }
}
