import { z } from 'zod'

export const LabelledLine = z.object({
  text: z.string().min(1),
  intent: z.string().min(1).optional(),
  sentiment: z.string().min(1).optional(),
})
export type LabelledLine = z.infer<typeof LabelledLine>

export interface DatasetProblem {
  line: number
  message: string
}

/**
 * Pure: JSONL → labelled lines, every bad line reported with its number (a tenant's test file is
 * hand-written; one typo must not hide the others). Blank lines and `//` comments are skipped.
 */
export function parseDataset(text: string): { lines: LabelledLine[]; problems: DatasetProblem[] } {
  const lines: LabelledLine[] = []
  const problems: DatasetProblem[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (!trimmed || trimmed.startsWith('//')) return
    let value: unknown
    try {
      value = JSON.parse(trimmed)
    } catch {
      problems.push({ line, message: 'not valid JSON' })
      return
    }
    const parsed = LabelledLine.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      problems.push({ line, message: `${issue.path.join('.') || 'line'}: ${issue.message}` })
      return
    }
    if (!parsed.data.intent && !parsed.data.sentiment) {
      problems.push({ line, message: 'needs an "intent" or a "sentiment" label' })
      return
    }
    lines.push(parsed.data)
  })
  return { lines, problems }
}
