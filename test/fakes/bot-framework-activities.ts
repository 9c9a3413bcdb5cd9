import { randomBytes, randomUUID } from 'node:crypto'

export type ConversationType = 'personal' | 'groupChat' | 'channel'

export interface ChannelAccount {
  id: string
  name?: string
  aadObjectId?: string
  role?: string
}

export interface TeamsConversation {
  id: string
  conversationType: ConversationType
  tenantId: string
  isGroup?: boolean
  name?: string
}

/** An activity as Teams posts it to a bot; loose on purpose so tests can break it. */
export interface TeamsActivity {
  type: string
  id: string
  timestamp: string
  localTimestamp: string
  serviceUrl: string
  channelId: string
  from: ChannelAccount
  recipient: ChannelAccount
  conversation: TeamsConversation
  channelData: Record<string, unknown>
  locale?: string
  text?: string
  textFormat?: string
  attachments?: unknown[]
  entities?: unknown[]
  value?: unknown
  name?: string
  replyToId?: string
  membersAdded?: ChannelAccount[]
  membersRemoved?: ChannelAccount[]
  reactionsAdded?: Array<{ type: string }>
  reactionsRemoved?: Array<{ type: string }>
  action?: string
  [field: string]: unknown
}

/** Where an activity happens; every builder takes these. */
export interface ActivityPlace {
  /** Default: the sender's 1:1 chat with the bot, or the fake's default group chat / channel thread. */
  conversationId?: string
  /** Default 'personal', or whatever `conversationId` was made as. */
  conversationType?: ConversationType
  /** Default the fake's one user, Megan Bowen. */
  from?: Partial<ChannelAccount>
  /** Default the fake's tenant. */
  tenantId?: string
  /** Default a fresh id, unique in the fake. */
  id?: string
  /** Default the fake's serviceUrl; set it to play a token/activity serviceUrl mismatch. */
  serviceUrl?: string
  /** Default 'msteams'. */
  channelId?: string
}

export interface MessageOptions extends ActivityPlace {
  text?: string
  /** Prefix the text with `<at>Bot</at>` and add the mention entity; default on outside personal chats, as Teams only delivers mentions there. */
  mention?: boolean
  /** A card submit (Action.Submit) puts its data here, usually with no text. */
  value?: unknown
  attachments?: unknown[]
  replyToId?: string
  locale?: string
}

interface Context {
  serviceUrl: string
  appId: string
  botName: string
  tenantId: string
  /** Lets the connector accept sends to a conversation once Teams has shown it to the bot. */
  know(conversationId: string, type: ConversationType, tenantId: string): void
  typeOf(conversationId: string): ConversationType | undefined
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const b64 = (bytes: number) => randomBytes(bytes).toString('base64url')

let lastMessageId = 0
/** Teams message ids are epoch milliseconds; these stay unique and increasing across the process. */
export function nextMessageId(): string {
  lastMessageId = Math.max(lastMessageId + 1, Date.now())
  return String(lastMessageId)
}

export const newUser = (name: string): ChannelAccount => ({ id: `29:1${b64(60)}`, name, aadObjectId: randomUUID() })
export const personalConversationId = () => `a:1${b64(96)}`
export const groupChatId = () => `19:${hex(16)}@thread.v2`
export const channelThreadId = (channel: string, rootMessageId: string) => `${channel};messageid=${rootMessageId}`

/**
 * Builds activities shaped like the ones Teams sends: ids, timestamps, tenant in both places,
 * clientInfo entity, mention markup, and conversation ids with the `:`, `;` and `@` that trip
 * up URL building.
 */
export class TeamsActivities {
  /** Megan Bowen, who sends everything unless told otherwise. */
  readonly user: ChannelAccount = newUser('Megan Bowen')
  /** The bot, as Teams addresses it. */
  readonly bot: ChannelAccount
  readonly team: { id: string; name: string }
  readonly channel: { id: string; name: string }
  private readonly personal = new Map<string, string>()
  private readonly others = new Map<string, ChannelAccount>()
  private defaultGroupChat: string | undefined
  private defaultChannelThread: string | undefined

  constructor(private readonly context: Context) {
    this.bot = { id: `28:${context.appId}`, name: context.botName }
    const general = `19:${hex(16)}@thread.skype`
    // The General channel's id is the team's id.
    this.team = { id: general, name: 'Customer Care' }
    this.channel = { id: general, name: 'General' }
  }

  /** The 1:1 conversation between `user` and the bot: one per pair, as in Teams. */
  personalConversationWith(user: ChannelAccount = this.user): string {
    let id = this.personal.get(user.id)
    if (!id) {
      id = personalConversationId()
      this.personal.set(user.id, id)
    }
    this.context.know(id, 'personal', this.context.tenantId)
    return id
  }

  /** A fresh group chat the bot is in. */
  newGroupChat(): string {
    const id = groupChatId()
    this.context.know(id, 'groupChat', this.context.tenantId)
    return id
  }

  /** A fresh thread in the team's General channel, as the conversation id of replies in it. */
  newChannelThread(): string {
    const id = channelThreadId(this.channel.id, this.nextId())
    this.context.know(id, 'channel', this.context.tenantId)
    return id
  }

  message(options: MessageOptions = {}): TeamsActivity {
    const base = this.base('message', options)
    const mention = options.mention ?? base.conversation.conversationType !== 'personal'
    const tag = `<at>${this.bot.name}</at>`
    const entities: unknown[] = [clientInfo(options.locale)]
    let text = options.text
    if (mention) {
      text = text === undefined ? tag : `${tag} ${text}`
      entities.unshift({ type: 'mention', mentioned: { ...this.bot }, text: tag })
    }
    return {
      ...base,
      ...(text !== undefined ? { text, textFormat: 'plain' } : {}),
      ...(options.attachments ? { attachments: options.attachments } : {}),
      ...(options.value !== undefined ? { value: options.value } : {}),
      ...(options.replyToId ? { replyToId: options.replyToId } : {}),
      entities,
      locale: options.locale ?? 'en-US',
    }
  }

  /** Members joined; by default the bot itself, which is what "the app was installed" looks like. */
  conversationUpdate(options: ActivityPlace & { membersAdded?: ChannelAccount[]; membersRemoved?: ChannelAccount[] } = {}): TeamsActivity {
    const base = this.base('conversationUpdate', options, 'f:')
    const membersRemoved = options.membersRemoved
    const membersAdded = options.membersAdded ?? (membersRemoved ? undefined : [{ id: this.bot.id }])
    const eventType = base.conversation.conversationType === 'channel' ? (membersRemoved ? 'teamMemberRemoved' : 'teamMemberAdded') : undefined
    return {
      ...base,
      ...(membersAdded ? { membersAdded } : {}),
      ...(membersRemoved ? { membersRemoved } : {}),
      channelData: { ...base.channelData, ...(eventType ? { eventType } : {}) },
    }
  }

  /** E.g. `adaptiveCard/action`, `task/fetch`, `composeExtension/query`; the HTTP response body is the answer. */
  invoke(options: ActivityPlace & { name: string; value?: unknown }): TeamsActivity {
    return { ...this.base('invoke', options, 'f:'), name: options.name, value: options.value ?? {}, locale: 'en-US', entities: [clientInfo()] }
  }

  messageReaction(options: ActivityPlace & { replyToId: string; reactionsAdded?: Array<{ type: string }>; reactionsRemoved?: Array<{ type: string }> }): TeamsActivity {
    const reactionsAdded = options.reactionsAdded ?? (options.reactionsRemoved ? undefined : [{ type: 'like' }])
    return {
      ...this.base('messageReaction', options, 'f:'),
      replyToId: options.replyToId,
      ...(reactionsAdded ? { reactionsAdded } : {}),
      ...(options.reactionsRemoved ? { reactionsRemoved: options.reactionsRemoved } : {}),
    }
  }

  installationUpdate(options: ActivityPlace & { action?: 'add' | 'remove' } = {}): TeamsActivity {
    return { ...this.base('installationUpdate', options, 'f:'), action: options.action ?? 'add' }
  }

  /** A type the bot has never heard of; it must still be acknowledged. */
  unknown(options: ActivityPlace & { type?: string } = {}): TeamsActivity {
    return this.base(options.type ?? 'meetingPollVote', options, 'f:')
  }

  /** Someone else in the tenant, the same account every time for the same name. */
  userNamed(name: string): ChannelAccount {
    if (name === this.user.name) return this.user
    let user = this.others.get(name)
    if (!user) {
      user = newUser(name)
      this.others.set(name, user)
    }
    return user
  }

  private sender(from: Partial<ChannelAccount> | undefined): ChannelAccount {
    if (!from) return this.user
    if (from.id) return { ...from, id: from.id }
    return { ...this.userNamed(from.name ?? this.user.name!), ...from }
  }

  private nextId(): string {
    return nextMessageId()
  }

  private base(type: string, place: ActivityPlace, idPrefix = ''): TeamsActivity {
    const from = this.sender(place.from)
    const tenantId = place.tenantId ?? this.context.tenantId
    const conversationType = place.conversationType ?? (place.conversationId ? this.context.typeOf(place.conversationId) : undefined) ?? 'personal'
    const conversationId = place.conversationId ?? this.defaultConversation(conversationType, from)
    this.context.know(conversationId, conversationType, tenantId)
    const conversation: TeamsConversation = {
      ...(conversationType === 'personal' ? {} : { isGroup: true }),
      conversationType,
      tenantId,
      id: conversationId,
      ...(conversationType === 'groupChat' ? { name: 'Support escalation' } : {}),
    }
    const channelData: Record<string, unknown> =
      conversationType === 'channel'
        ? { teamsChannelId: this.channel.id, teamsTeamId: this.team.id, channel: { ...this.channel }, team: { ...this.team }, tenant: { id: tenantId } }
        : { tenant: { id: tenantId } }
    const now = new Date()
    return {
      type,
      id: place.id ?? `${idPrefix}${this.nextId()}`,
      timestamp: now.toISOString(),
      localTimestamp: localTimestamp(now),
      serviceUrl: place.serviceUrl ?? this.context.serviceUrl,
      channelId: place.channelId ?? 'msteams',
      from,
      recipient: { ...this.bot },
      conversation,
      channelData,
    }
  }

  private defaultConversation(type: ConversationType, from: ChannelAccount): string {
    if (type === 'personal') return this.personalConversationWith(from)
    if (type === 'groupChat') return (this.defaultGroupChat ??= this.newGroupChat())
    return (this.defaultChannelThread ??= this.newChannelThread())
  }
}

const clientInfo = (locale = 'en-US') => ({ type: 'clientInfo', locale, country: 'US', platform: 'Web', timezone: 'America/Los_Angeles' })

/** Teams sends the user's wall-clock time with its offset; a fixed -07:00 is realistic enough. */
function localTimestamp(now: Date): string {
  const local = new Date(now.getTime() - 7 * 3600_000).toISOString().replace('Z', '')
  return `${local}-07:00`
}
