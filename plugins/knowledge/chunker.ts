/**
 * Splits knowledge files into retrieval-sized chunks. Markdown is cut at headings first (the
 * heading path becomes the chunk's title, so "Pro" under "Plans" reads "Plans › Pro"), then at
 * paragraphs, then at sentences; neighbouring chunks of one section share `overlapChars` so a fact
 * on a boundary is whole in at least one of them. A question/answer pair is always one chunk.
 */

export interface ChunkOptions {
  maxChars: number
  overlapChars: number
}

export interface Chunk {
  /** Heading path joined with ` › `; absent for text above the first heading and for plain text. */
  title?: string
  text: string
}

export interface FaqPair {
  question: string
  answer: string
  /** Where the pair sits (FAQ file title, category), joined into the chunk title. */
  path?: string[]
}

export const TITLE_SEPARATOR = ' › '

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/
const FENCE = /^ {0,3}(`{3,}|~{3,})/
const QUESTION = /^\s*(?:\*\*)?(?:q|question|问|问题)\s*[:：]\s*(?:\*\*)?\s*/i
const ANSWER = /^\s*(?:\*\*)?(?:a|answer|答|回答)\s*[:：]\s*(?:\*\*)?\s*/i
// A sentence ends at . ! ? followed by a space, or right after their full-width forms and ；.
const SENTENCE_END = /(?<=[.!?])\s+|(?<=[。！？；])/u

interface Section {
  path: string[]
  lines: string[]
}

export function chunkMarkdown(content: string, options: ChunkOptions): Chunk[] {
  return sections(stripFrontMatter(content)).flatMap((section) => chunkSection(section, options))
}

/** Plain text: no headings, but blank-line paragraphs and `Q:`/`A:` pairs are honoured. */
export function chunkText(content: string, options: ChunkOptions): Chunk[] {
  return chunkSection({ path: [], lines: content.split(/\r?\n/) }, options)
}

export function chunkFaq(pairs: readonly FaqPair[]): Chunk[] {
  return pairs.map((pair) => withTitle(pair.path ?? [], `Q: ${pair.question.trim()}\nA: ${pair.answer.trim()}`))
}

function stripFrontMatter(content: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/.exec(content)
  return match ? content.slice(match[0].length) : content
}

function sections(content: string): Section[] {
  const out: Section[] = []
  let current: Section = { path: [], lines: [] }
  let fence: string | undefined
  const stack: string[] = []
  for (const line of content.split(/\r?\n/)) {
    const fenceMatch = FENCE.exec(line)
    if (fenceMatch) {
      const marker = fenceMatch[1]!
      if (fence === undefined) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
    }
    const heading = fence === undefined ? HEADING.exec(line) : null
    if (!heading) {
      current.lines.push(line)
      continue
    }
    out.push(current)
    const level = heading[1]!.length
    stack.length = Math.min(stack.length, level - 1)
    stack.push(cleanInline(heading[2]!))
    current = { path: [...stack], lines: [] }
  }
  out.push(current)
  return out
}

const cleanInline = (text: string) => text.replace(/[*_`]+/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim()

function chunkSection(section: Section, options: ChunkOptions): Chunk[] {
  const { prose, pairs } = splitQuestions(section.lines)
  const chunks = packBlocks(blocks(prose), options).map((text) => withTitle(section.path, text))
  return [...chunks, ...chunkFaq(pairs.map((p) => ({ ...p, path: section.path })))]
}

function withTitle(path: readonly string[], text: string): Chunk {
  const title = path.filter(Boolean).join(TITLE_SEPARATOR)
  return title ? { title, text } : { text }
}

/** Lines from a `Q:` to the next `Q:` (or the end) are one pair; everything else stays prose. */
function splitQuestions(lines: string[]): { prose: string[]; pairs: FaqPair[] } {
  const prose: string[] = []
  const pairs: FaqPair[] = []
  let open: { question: string[]; answer: string[] | undefined } | undefined
  const close = () => {
    if (open?.answer && open.answer.join('').trim()) pairs.push({ question: open.question.join(' ').trim(), answer: open.answer.join('\n').trim() })
    else if (open) prose.push(...open.question, ...(open.answer ?? []))
    open = undefined
  }
  for (const line of lines) {
    if (QUESTION.test(line)) {
      close()
      open = { question: [line.replace(QUESTION, '')], answer: undefined }
    } else if (open && ANSWER.test(line) && !open.answer) {
      open.answer = [line.replace(ANSWER, '')]
    } else if (open?.answer) {
      open.answer.push(line)
    } else if (open) {
      if (line.trim()) open.question.push(line.trim())
    } else prose.push(line)
  }
  close()
  return { prose, pairs }
}

/** Blank-line separated paragraphs; a fenced code block stays one block. */
function blocks(lines: string[]): string[] {
  const out: string[] = []
  let current: string[] = []
  let fenced = false
  const flush = () => {
    const text = current.join('\n').trim()
    if (text) out.push(text)
    current = []
  }
  for (const line of lines) {
    if (FENCE.test(line)) fenced = !fenced
    if (!fenced && line.trim() === '') flush()
    else current.push(line)
  }
  flush()
  return out
}

/** Greedy packing of paragraphs into chunks of at most maxChars, each starting with the previous one's tail. */
export function packBlocks(paragraphs: readonly string[], { maxChars, overlapChars }: ChunkOptions): string[] {
  // Pieces of a split paragraph leave room for the overlap, so consecutive chunks really share text.
  const pieceMax = Math.max(1, maxChars - overlapChars - 2)
  const pieces = paragraphs.flatMap((p) => (p.length <= maxChars ? [p] : splitLong(p, pieceMax)))
  const out: string[] = []
  let current = ''
  for (const piece of pieces) {
    const joined = current ? `${current}\n\n${piece}` : piece
    if (joined.length <= maxChars) {
      current = joined
      continue
    }
    out.push(current)
    const tail = overlapTail(current, Math.min(overlapChars, maxChars - piece.length - 2))
    current = tail ? `${tail}\n\n${piece}` : piece
  }
  if (current) out.push(current)
  return out
}

/** A paragraph longer than a chunk: cut at sentence ends, and a sentence longer than a chunk at spaces (or anywhere, for CJK). */
function splitLong(paragraph: string, maxChars: number): string[] {
  const out: string[] = []
  let current = ''
  for (const sentence of paragraph.split(SENTENCE_END).filter((s) => s.trim())) {
    for (const part of sentence.length <= maxChars ? [sentence] : hardSplit(sentence, maxChars)) {
      const joined = current ? joinSentences(current, part) : part
      if (joined.length <= maxChars) current = joined
      else {
        if (current) out.push(current)
        current = part
      }
    }
  }
  if (current) out.push(current)
  return out
}

const joinSentences = (a: string, b: string) => (/[。！？；]$/u.test(a) ? a + b : `${a} ${b}`)

function hardSplit(text: string, maxChars: number): string[] {
  const out: string[] = []
  let rest = text
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars)
    const cut = space > maxChars / 2 ? space : maxChars
    out.push(rest.slice(0, cut).trim())
    rest = rest.slice(cut).trim()
  }
  if (rest) out.push(rest)
  return out
}

/** The last ≤ `chars` characters of a chunk, starting at a sentence or word boundary when there is one. */
export function overlapTail(text: string, chars: number): string {
  if (chars <= 0 || !text) return ''
  if (text.length <= chars) return text
  const tail = text.slice(-chars)
  const sentence = /[.!?。！？；]\s*/gu
  let start = -1
  for (let m = sentence.exec(tail); m; m = sentence.exec(tail)) {
    if (m.index + m[0].length < tail.length) {
      start = m.index + m[0].length
      break
    }
  }
  if (start < 0) {
    const space = tail.search(/\s/)
    start = space >= 0 && space < tail.length - 1 ? space + 1 : 0
  }
  return tail.slice(start).trim()
}
