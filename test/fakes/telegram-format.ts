/**
 * Text formatting as the Bot API checks it. The parsers follow tdlib's `parse_markdown_v2`,
 * `parse_markdown` and `parse_html` (td/telegram/MessageEntity.cpp) step by step, so the fake
 * rejects exactly what Telegram rejects, with the same words; JavaScript strings are UTF-16, so
 * entity offsets come out in the units Telegram uses. Error strings not taken from tdlib were
 * checked against the live API by other projects' tests; the few guesses are marked.
 */

export interface TgEntity {
  type: string
  offset: number
  length: number
  url?: string
  language?: string
  custom_emoji_id?: string
  user?: unknown
}

export interface Formatted {
  text: string
  entities: TgEntity[]
}

/** A Bot API error: `code` is both the HTTP status and `error_code`. */
export class TelegramApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description)
  }
}

export const badRequest = (what: string) => new TelegramApiError(400, `Bad Request: ${what}`)
const cantParse = (what: string) => badRequest(`can't parse entities: ${what}`)

/** tdlib's `is_space`; the end of the text counts as one, like its trailing NUL. */
const isSpace = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\0'
const byteOffset = (text: string, index: number) => Buffer.byteLength(text.slice(0, index), 'utf8')
const escapable = (c: string | undefined) => c !== undefined && c.charCodeAt(0) > 0 && c.charCodeAt(0) <= 126
// tdlib's order: by offset, longer first, then by a fixed type priority.
const PRIORITY: Record<string, number> = { blockquote: 0, expandable_blockquote: 0, pre: 11, code: 20, text_link: 49, text_mention: 49, bold: 90, italic: 91, underline: 92, strikethrough: 93, spoiler: 94, custom_emoji: 99 }
const bySpan = (a: TgEntity, b: TgEntity) => a.offset - b.offset || b.length - a.length || (PRIORITY[a.type] ?? 50) - (PRIORITY[b.type] ?? 50)

/** The names tdlib uses in "Can't find end of … entity". */
const TD_NAMES: Record<string, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  code: 'Code',
  pre: 'Pre',
  text_link: 'TextUrl',
  custom_emoji: 'CustomEmoji',
  blockquote: 'BlockQuote',
}

function entity(type: string, offset: number, length: number, argument = ''): TgEntity {
  const e: TgEntity = { type, offset, length }
  if (type === 'text_link') e.url = argument
  if (type === 'pre' && argument) e.language = argument
  if (type === 'custom_emoji') e.custom_emoji_id = argument
  return e
}

/** Why Telegram refuses a link, in its words, or undefined when it takes it. */
export function linkProblem(url: string): string | undefined {
  if (url.trim() === '') return 'URL host is empty'
  if (/\s/.test(url)) return 'Wrong HTTP URL'
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'tg' || scheme === 'ton') return undefined
  if (scheme && scheme !== 'http' && scheme !== 'https') return 'Unsupported URL protocol'
  let host: string
  try {
    host = new URL(scheme ? url : `http://${url}`).hostname
  } catch {
    return 'Wrong HTTP URL'
  }
  // Telegram wants a real domain (with a top-level domain) or an IPv4 address; "localhost" fails.
  const ok = /^(\d{1,3}\.){3}\d{1,3}$/.test(host) || /\.(xn--[a-z0-9-]+|[a-z]{2,})$/i.test(host)
  return ok ? undefined : 'Wrong HTTP URL'
}

/** The link as Telegram stores it ("grammy.dev" → "http://grammy.dev/"), or '' if refused. */
export function checkedLink(url: string): string {
  if (linkProblem(url)) return ''
  if (/^(tg|ton):\/\//i.test(url)) return url
  // Only the scheme and the root path are added; the rest stays as written (no percent-encoding).
  const full = /^https?:\/\//i.test(url) ? url : `http://${url}`
  return full.replace(/^(https?:\/\/[^/?#]+)(?=[?#]|$)/i, '$1/')
}

/**
 * MarkdownV2 as of tdlib 1.8.x / Bot API 7+: `>` opens a blockquote at a line start (also after
 * `\r` or an opening `*`), and `||` right before the quote's end makes it expandable.
 */
export function parseMarkdownV2(input: string): Formatted {
  let out = ''
  const entities: TgEntity[] = []
  const stack: Array<{ type: string; offset: number; index: number; argument: string }> = []
  let haveQuote = false
  let canStartQuote = true
  const reserved = (c: string) => cantParse(`Character '${c}' is reserved and must be escaped with the preceding '\\'`)
  const noEnd = (open: { type: string; index: number; argument: string }) =>
    cantParse(`Can't find end of ${open.type === 'pre' && open.argument ? 'PreCode' : TD_NAMES[open.type]} entity at byte offset ${byteOffset(input, open.index)}`)
  const readUrl = (from: number): [string, number] => {
    let url = ''
    let i = from
    while (i < input.length && input[i] !== ')') {
      if (input[i] === '\\' && escapable(input[i + 1])) {
        url += input[i + 1]
        i += 2
      } else url += input[i++]
    }
    return [url, i]
  }

  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    const next = input[i + 1]
    if (c === '\\' && escapable(next)) {
      out += next
      i++
      if (next !== '\r') canStartQuote = next === '\n'
      continue
    }
    const top = stack.at(-1)
    const special = top?.type === 'code' || top?.type === 'pre' ? '`' : '_*[]()~`>#+-=|{}.!\n'
    if (!special.includes(c)) {
      out += c
      if (c !== '\r') canStartQuote = false
      continue
    }

    let isEnd = false
    if (top) {
      if (haveQuote && c === '\n' && next !== '>') isEnd = true
      else if (top.type === 'bold') isEnd = c === '*'
      else if (top.type === 'italic') isEnd = c === '_' && next !== '_'
      else if (top.type === 'code') isEnd = c === '`'
      else if (top.type === 'pre') isEnd = c === '`' && next === '`' && input[i + 2] === '`'
      else if (top.type === 'text_link' || top.type === 'custom_emoji') isEnd = c === ']'
      else if (top.type === 'underline') isEnd = c === '_' && next === '_'
      else if (top.type === 'strikethrough') isEnd = c === '~'
      else if (top.type === 'spoiler') isEnd = c === '|' && next === '|'
    }

    if (!isEnd) {
      const index = i
      let type: string
      let argument = ''
      switch (c) {
        case '_':
          type = next === '_' ? 'underline' : 'italic'
          if (next === '_') i++
          break
        case '*':
          type = 'bold'
          break
        case '~':
          type = 'strikethrough'
          break
        case '|':
          if (next !== '|') throw reserved(c)
          i++
          type = 'spoiler'
          break
        case '[':
          type = 'text_link'
          break
        case '`':
          if (next === '`' && input[i + 2] === '`') {
            i += 3
            type = 'pre'
            let languageEnd = i
            while (!isSpace(input[languageEnd]) && input[languageEnd] !== '`') languageEnd++
            if (i !== languageEnd && languageEnd < input.length && input[languageEnd] !== '`') {
              argument = input.slice(i, languageEnd)
              i = languageEnd
            }
            if (input[i] === '\n' || input[i] === '\r') {
              i += (input[i + 1] === '\n' || input[i + 1] === '\r') && input[i] !== input[i + 1] ? 2 : 1
            }
            i--
          } else type = 'code'
          break
        case '!':
          if (next !== '[') throw reserved(c)
          i++
          type = 'custom_emoji'
          break
        case '\n':
          out += '\n'
          canStartQuote = true
          continue
        case '>':
          if (!canStartQuote) throw reserved(c)
          if (haveQuote) continue
          type = 'blockquote'
          haveQuote = true
          break
        default:
          throw reserved(c)
      }
      stack.push({ type, offset: out.length, index, argument })
      continue
    }

    let open = stack.pop()!
    let type = open.type
    if (c === '\n' && type !== 'blockquote') {
      // `||` just before the quote's last line break marks the quote expandable.
      const expandMark = type === 'spoiler' && (open.index === i - 2 || (open.index === i - 3 && out.endsWith('\r')))
      if (!expandMark) throw noEnd(open)
      open = stack.pop()!
      if (open.type !== 'blockquote') throw noEnd(open)
      type = 'expandable_blockquote'
    }
    let skip = out.length === open.offset
    let argument = open.argument
    switch (type) {
      case 'underline':
      case 'spoiler':
        i++
        break
      case 'pre':
        i += 2
        break
      case 'text_link': {
        let url = out.slice(open.offset)
        if (next === '(') {
          const urlBegin = i + 2
          ;[url, i] = readUrl(urlBegin)
          if (input[i] !== ')') throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(input, urlBegin)}`)
        }
        argument = checkedLink(url)
        skip ||= argument === ''
        break
      }
      case 'custom_emoji': {
        if (next !== '(') throw cantParse('Custom emoji entity must contain a tg://emoji URL')
        const urlBegin = i + 2
        let url: string
        ;[url, i] = readUrl(urlBegin)
        if (input[i] !== ')') throw cantParse(`Can't find end of a custom emoji URL at byte offset ${byteOffset(input, urlBegin)}`)
        argument = /^tg:\/\/emoji\/?\?(?:.*&)?id=([1-9]\d*)(?:[&#]|$)/i.exec(url)?.[1] ?? ''
        // Guess: tdlib words a malformed tg://emoji link in several ways; this is one of them.
        if (!argument) throw cantParse('Custom emoji URL must have an emoji identifier')
        break
      }
      case 'blockquote':
      case 'expandable_blockquote':
        haveQuote = false
        out += '\n'
        canStartQuote = true
        skip = false
        break
    }
    if (!skip) entities.push(entity(type, open.offset, out.length - open.offset, argument))
  }

  if (haveQuote) {
    let type = 'blockquote'
    if (stack.at(-1)?.type === 'spoiler' && stack.at(-1)!.index === input.length - 2) {
      stack.pop()
      type = 'expandable_blockquote'
    }
    if (stack.at(-1)?.type === 'blockquote') {
      const open = stack.pop()!
      if (out.length > open.offset) entities.push(entity(type, open.offset, out.length - open.offset))
    }
  }
  if (stack.length > 0) throw noEnd(stack.at(-1)!)
  return { text: out, entities: entities.sort(bySpan) }
}

/** Legacy Markdown: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ```` and `[text](url)`, no nesting. */
export function parseMarkdown(input: string): Formatted {
  let out = ''
  const entities: TgEntity[] = []
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (c === '\\' && '_*`['.includes(input[i + 1] ?? '\0')) {
      out += input[++i]
      continue
    }
    if (!'_*`['.includes(c)) {
      out += c
      continue
    }
    const begin = i++
    const endCharacter = c === '[' ? ']' : c
    let isPre = false
    let language = ''
    if (c === '`' && input[i] === '`' && input[i + 1] === '`') {
      i += 2
      isPre = true
      let languageEnd = i
      while (!isSpace(input[languageEnd]) && input[languageEnd] !== '`') languageEnd++
      if (i !== languageEnd && languageEnd < input.length && input[languageEnd] !== '`') {
        language = input.slice(i, languageEnd)
        i = languageEnd
      }
      if (input[i] === '\n' || input[i] === '\r') {
        i += (input[i + 1] === '\n' || input[i + 1] === '\r') && input[i] !== input[i + 1] ? 2 : 1
      }
    }
    const offset = out.length
    while (i < input.length && (input[i] !== endCharacter || (isPre && !(input[i + 1] === '`' && input[i + 2] === '`')))) out += input[i++]
    if (i === input.length) throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(input, begin)}`)
    const length = out.length - offset
    if (length > 0) {
      if (c === '_') entities.push(entity('italic', offset, length))
      else if (c === '*') entities.push(entity('bold', offset, length))
      else if (c === '`') entities.push(isPre ? entity('pre', offset, length, language) : entity('code', offset, length))
      else {
        let url = out.slice(offset)
        if (input[i + 1] === '(') {
          url = ''
          for (i += 2; i < input.length && input[i] !== ')'; i++) url += input[i]
        }
        const link = checkedLink(url)
        if (link) entities.push(entity('text_link', offset, length, link))
      }
    }
    if (isPre) i += 2
  }
  return { text: out, entities: entities.sort(bySpan) }
}

const HTML_TAGS = new Set(['a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins', 'tg-spoiler', 'tg-emoji', 'span', 'pre', 'code', 'blockquote'])
const HTML_TYPES: Record<string, string> = { b: 'bold', strong: 'bold', i: 'italic', em: 'italic', s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', u: 'underline', ins: 'underline', 'tg-spoiler': 'spoiler', span: 'spoiler' }

/**
 * tdlib decodes only `&lt;` `&gt;` `&amp;` `&quot;` and numeric references. Anything else,
 * including a bare `&`, stays literal text: Telegram does not reject "AT&T".
 */
function decodeHtmlEntity(text: string, pos: number): { char: string; end: number } | undefined {
  let end = pos + 1
  let code = 0
  if (text[end] === '#') {
    end++
    if (text[end] === 'x') {
      end++
      while (/^[0-9a-f]$/i.test(text[end] ?? '')) code = code * 16 + parseInt(text[end++]!, 16)
    } else {
      while (/^\d$/.test(text[end] ?? '')) code = code * 10 + Number(text[end++])
    }
    if (code === 0 || code >= 0x10ffff || end - pos >= 10) return undefined
  } else {
    while (/^[a-z]$/i.test(text[end] ?? '')) end++
    const named = ({ lt: '<', gt: '>', amp: '&', quot: '"' } as Record<string, string>)[text.slice(pos + 1, end)]
    if (!named) return undefined
    code = named.charCodeAt(0)
  }
  if (text[end] === ';') end++
  return { char: String.fromCodePoint(code), end }
}

/** Telegram's HTML subset. An unescaped `<` that does not start an allowed tag is an error. */
export function parseHtml(input: string): Formatted {
  let out = ''
  const entities: TgEntity[] = []
  const stack: Array<{ tag: string; argument: string; offset: number; expandable: boolean }> = []
  const at = (index: number) => byteOffset(input, index)
  let decodedSurrogate = false

  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (c === '&') {
      const decoded = decodeHtmlEntity(input, i)
      if (decoded) {
        out += decoded.char
        decodedSurrogate ||= /[\uD800-\uDFFF]/.test(decoded.char) && decoded.char.length === 1
        i = decoded.end - 1
        continue
      }
    }
    if (c !== '<') {
      out += c
      continue
    }

    const begin = i++
    if (input[i] !== '/') {
      while (!isSpace(input[i]) && input[i] !== '>') i++
      if (i >= input.length) throw cantParse(`Unclosed start tag at byte offset ${at(begin)}`)
      const tag = input.slice(begin + 1, i).toLowerCase()
      if (!HTML_TAGS.has(tag)) throw cantParse(`Unsupported start tag "${tag}" at byte offset ${at(begin)}`)
      let argument = ''
      let expandable = false
      while (input[i] !== '>') {
        while (i < input.length && isSpace(input[i])) i++
        if (input[i] === '>') break
        const nameBegin = i
        while (!isSpace(input[i]) && !'=>/"\''.includes(input[i]!)) i++
        const name = input.slice(nameBegin, i)
        if (name === '') throw cantParse(`Empty attribute name in the tag "${tag}" at byte offset ${at(begin)}`)
        while (i < input.length && isSpace(input[i])) i++
        // Attributes without a value are allowed; only `<blockquote expandable>` means something.
        if (name === 'expandable' && tag === 'blockquote') expandable = true
        if (input[i] !== '=') {
          if (i >= input.length) throw cantParse(`Unclosed start tag "${tag}" at byte offset ${at(begin)}`)
          continue
        }
        i++
        while (i < input.length && isSpace(input[i])) i++
        if (i >= input.length) throw cantParse(`Unclosed start tag "${tag}" at byte offset ${at(begin)}`)
        let value = ''
        if (input[i] !== "'" && input[i] !== '"') {
          const tokenBegin = i
          while (/^[a-z0-9.-]$/i.test(input[i] ?? '')) i++
          value = input.slice(tokenBegin, i).toLowerCase()
          if (!isSpace(input[i]) && input[i] !== '>') throw cantParse(`Unexpected end of name token at byte offset ${at(tokenBegin)}`)
        } else {
          const quote = input[i++]
          while (i < input.length && input[i] !== quote) {
            const decoded = input[i] === '&' ? decodeHtmlEntity(input, i) : undefined
            if (decoded) {
              value += decoded.char
              i = decoded.end
            } else value += input[i++]
          }
          if (input[i] === quote) i++
        }
        if (i >= input.length) throw cantParse(`Unclosed start tag at byte offset ${at(begin)}`)
        if (tag === 'a' && name === 'href') argument = value
        else if (tag === 'code' && name === 'class' && value.startsWith('language-')) argument = value.slice(9)
        else if (tag === 'span' && name === 'class' && value.startsWith('tg-')) argument = value.slice(3)
        else if (tag === 'tg-emoji' && name === 'emoji-id') argument = value
      }
      if (tag === 'span' && argument !== 'spoiler') throw cantParse(`Tag "span" must have class "tg-spoiler" at byte offset ${at(begin)}`)
      stack.push({ tag, argument, offset: out.length, expandable })
      continue
    }

    if (stack.length === 0) throw cantParse(`Unexpected end tag at byte offset ${at(begin)}`)
    while (!isSpace(input[i]) && input[i] !== '>') i++
    const endTag = input.slice(begin + 2, i).toLowerCase()
    while (i < input.length && isSpace(input[i])) i++
    if (input[i] !== '>') throw cantParse(`Unclosed end tag at byte offset ${at(begin)}`)
    const open = stack.pop()!
    if (endTag && endTag !== open.tag) throw cantParse(`Unmatched end tag at byte offset ${at(begin)}, expected "</${open.tag}>", found "</${endTag}>"`)
    const length = out.length - open.offset
    if (length <= 0) continue
    const last = entities.at(-1)
    const sameSpan = last !== undefined && last.offset === open.offset && last.length === length
    if (HTML_TYPES[open.tag]) entities.push(entity(HTML_TYPES[open.tag]!, open.offset, length))
    else if (open.tag === 'tg-emoji') {
      if (!/^[1-9]\d{0,18}$/.test(open.argument) || BigInt(open.argument) > 0x7fffffffffffffffn) throw cantParse('Invalid custom emoji identifier specified')
      entities.push(entity('custom_emoji', open.offset, length, open.argument))
    } else if (open.tag === 'a') {
      const link = checkedLink(open.argument || out.slice(open.offset))
      if (link) entities.push(entity('text_link', open.offset, length, link))
    } else if (open.tag === 'pre') {
      if (sameSpan && last.type === 'code' && last.language) last.type = 'pre'
      else entities.push(entity('pre', open.offset, length))
    } else if (open.tag === 'code') {
      if (sameSpan && last.type === 'pre' && open.argument) last.language = open.argument
      else entities.push({ ...entity('code', open.offset, length), ...(open.argument ? { language: open.argument } : {}) })
    } else entities.push(entity(open.expandable ? 'expandable_blockquote' : 'blockquote', open.offset, length))
  }
  if (stack.length > 0) throw cantParse(`Can't find end tag corresponding to start tag "${stack.at(-1)!.tag}"`)
  // A code entity keeps its language only to become `pre` with one.
  for (const e of entities) if (e.type === 'code') delete e.language
  if (decodedSurrogate && !out.isWellFormed())
    throw cantParse('Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units')
  return { text: out, entities: entities.sort(bySpan) }
}

/** Applies `parse_mode` (case-insensitive, as Telegram); without one the text is taken literally. */
export function parseText(text: string, parseMode: string | undefined): Formatted {
  switch ((parseMode ?? '').toLowerCase()) {
    case '':
    case 'none':
      return { text, entities: [] }
    case 'markdownv2':
      return parseMarkdownV2(text)
    case 'markdown':
      return parseMarkdown(text)
    case 'html':
      return parseHtml(text)
    default:
      throw badRequest('unsupported parse_mode')
  }
}

const ENTITY_TYPES = new Set([
  'mention', 'hashtag', 'cashtag', 'bot_command', 'url', 'email', 'phone_number', 'bold', 'italic', 'underline', 'strikethrough',
  'spoiler', 'blockquote', 'expandable_blockquote', 'code', 'pre', 'text_link', 'text_mention', 'custom_emoji',
])

/** Explicit `entities` / `caption_entities`, checked against the text in UTF-16 units. */
export function checkEntities(raw: unknown, text: string): TgEntity[] {
  if (!Array.isArray(raw)) throw badRequest("can't parse entities JSON object")
  const entities: TgEntity[] = []
  for (const item of raw as unknown[]) {
    const e = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    const fail = (why: string) => badRequest(`can't parse MessageEntity: ${why}`)
    if (typeof e.type !== 'string' || !ENTITY_TYPES.has(e.type)) throw fail('Unsupported type specified')
    for (const field of ['offset', 'length'])
      if (!Number.isInteger(e[field])) throw fail(e[field] === undefined ? `Can't find field "${field}"` : `Field "${field}" must be of type Number`)
    const { offset, length } = e as { offset: number; length: number }
    if (e.type === 'text_link' && typeof e.url !== 'string') throw fail(`Can't find field "url"`)
    if (e.type === 'text_mention' && typeof e.user !== 'object') throw fail(`Can't find field "user"`)
    if (e.type === 'custom_emoji' && e.custom_emoji_id === undefined) throw fail(`Can't find field "custom_emoji_id"`)
    if (offset < 0) throw badRequest(`receive an entity with incorrect offset ${offset}`)
    // Guess: the wording for a negative length mirrors the verified one for the offset.
    if (length < 0) throw badRequest(`receive an entity with incorrect length ${length}`)
    if (offset > text.length) throw badRequest(`entity begins after the end of the text at UTF-16 offset ${offset}`)
    if (offset + length > text.length)
      throw badRequest(`entity beginning at UTF-16 offset ${offset} ends after the end of the text at UTF-16 offset ${offset + length}`)
    if (e.type === 'text_link') {
      const problem = linkProblem(e.url as string)
      if (problem) throw badRequest(`entity URL '${e.url as string}' is invalid: ${problem}`)
    }
    if (length === 0) continue
    const kept: TgEntity = { type: e.type, offset, length }
    if (e.type === 'text_link') kept.url = checkedLink(e.url as string)
    if (e.type === 'pre' && typeof e.language === 'string' && e.language) kept.language = e.language
    if (e.type === 'custom_emoji') kept.custom_emoji_id = String(e.custom_emoji_id)
    if (e.type === 'text_mention') kept.user = e.user
    entities.push(kept)
  }
  return entities.sort(bySpan)
}

/** Telegram trims whitespace around a message; entities shrink with it and vanish when empty. */
export function trimFormatted({ text, entities }: Formatted): Formatted {
  // ASCII whitespace only: a leading no-break space is the usual way to keep an indent.
  const start = /^[ \t\r\n\v\f]*/.exec(text)![0].length
  const trimmed = text.slice(start).replace(/[ \t\r\n\v\f]+$/, '')
  const kept: TgEntity[] = []
  for (const e of entities) {
    const from = Math.max(0, e.offset - start)
    const to = Math.min(trimmed.length, e.offset + e.length - start)
    if (to > from) kept.push({ ...e, offset: from, length: to - from })
  }
  return { text: trimmed, entities: kept }
}

const INLINE_ACTIONS = ['callback_data', 'url', 'switch_inline_query', 'switch_inline_query_current_chat', 'switch_inline_query_chosen_chat', 'web_app', 'login_url', 'callback_game', 'pay', 'copy_text']

/** `reply_markup`: inline keyboards are checked button by button; other markups only by shape. */
export function checkReplyMarkup(markup: unknown): void {
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup)) throw badRequest("can't parse reply keyboard markup JSON object")
  const m = markup as Record<string, unknown>
  for (const flag of ['force_reply', 'remove_keyboard', 'selective', 'resize_keyboard', 'one_time_keyboard', 'is_persistent'])
    if (m[flag] !== undefined && typeof m[flag] !== 'boolean') throw badRequest(`field "${flag}" must be of type Boolean`)
  if (m.keyboard !== undefined && !Array.isArray(m.keyboard)) throw badRequest('field "keyboard" must be of type Array')
  if (m.inline_keyboard === undefined) return
  if (!Array.isArray(m.inline_keyboard)) throw badRequest('field "inline_keyboard" must be of type Array')
  for (const row of m.inline_keyboard as unknown[]) {
    // Guess: a row that is not an array reuses the keyboard's wording.
    if (!Array.isArray(row)) throw badRequest('field "inline_keyboard" must be of type Array')
    for (const item of row as unknown[]) {
      const button = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
      const fail = (why: string) => badRequest(`can't parse inline keyboard button: ${why}`)
      if (button.text === undefined) throw fail(`Can't find field "text"`)
      if (typeof button.text !== 'string') throw fail(`Field "text" must be of type String`)
      // Empty or blank labels are refused by Telegram's servers, not by the Bot API layer.
      if (button.text.trim() === '') throw badRequest('BUTTON_TEXT_INVALID')
      const data = button.callback_data
      if (!INLINE_ACTIONS.some((action) => button[action] !== undefined && !(action === 'callback_data' && data === '')))
        throw fail('Text buttons are unallowed in the inline keyboard')
      if (typeof data === 'string' && Buffer.byteLength(data, 'utf8') > 64) throw badRequest('BUTTON_DATA_INVALID')
      if (typeof button.url === 'string') {
        const problem = linkProblem(button.url)
        if (problem) throw badRequest(`inline keyboard button URL '${button.url}' is invalid: ${problem}`)
      }
    }
  }
}
