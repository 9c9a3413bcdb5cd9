import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import pino from 'pino'
import { parseDataset } from '../evaluation/dataset.js'
import { openTenantClassifiers } from '../evaluation/classifiers.js'
import { formatTable, round4, score } from '../evaluation/score.js'
import { sbError } from '../errors.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { CliUsageError, parseFlags, tenantFlag, type CliIo } from './cli-args.js'
import { configDirOf, loadCliTenant } from './cli-database.js'

export const EVAL_USAGE = `Usage:
  switchboard eval --tenant ID [--config DIR] FILE.jsonl
      runs the tenant's classifiers (its intent and sentiment plugins, as configured) over a labelled
      file, one JSON object per line: {"text": "…", "intent": "…", "sentiment": "negative|neutral|positive"}
      prints per-class precision and recall, and as its last line
      {"n": …, "intentAccuracy": …, "sentimentAccuracy": …} (null where the file has no such labels)`

export async function evalCommand(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { tenant: { type: 'string' }, config: { type: 'string', short: 'c' } }, EVAL_USAGE, true)
  const tenantId = tenantFlag(values.tenant, EVAL_USAGE, true)
  if (positionals.length !== 1) throw new CliUsageError(positionals.length === 0 ? 'missing the labelled file (JSONL)' : `one file only, got ${positionals.length}`, EVAL_USAGE)
  const file = resolve(positionals[0]!)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw sbError('SB_ERR_CONFIG_INVALID', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const dataset = parseDataset(text)
  if (dataset.problems.length > 0) {
    throw sbError(
      'SB_ERR_CONFIG_INVALID',
      `${file} has ${dataset.problems.length} bad line${dataset.problems.length === 1 ? '' : 's'}`,
      dataset.problems.slice(0, 20).map((p) => ({ path: `${positionals[0]}:${p.line}`, message: p.message })),
    )
  }
  if (dataset.lines.length === 0) throw sbError('SB_ERR_CONFIG_INVALID', `${file} has no labelled lines`)

  const { tenant, gateway } = await loadCliTenant(configDirOf(values.config, io.env), tenantId, registry, io)
  const classifiers = await openTenantClassifiers(tenant, gateway, pino({ level: io.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)))
  const intents: { expected: string; predicted: string | undefined }[] = []
  const sentiments: { expected: string; predicted: string | undefined }[] = []
  try {
    for (const line of dataset.lines) {
      const got = await classifiers.classify(line.text)
      if (line.intent) intents.push({ expected: line.intent, predicted: got.intent })
      if (line.sentiment) sentiments.push({ expected: line.sentiment, predicted: got.sentiment })
    }
  } finally {
    await classifiers.close()
  }
  const intentScores = intents.length ? score(intents) : undefined
  const sentimentScores = sentiments.length ? score(sentiments) : undefined
  io.out(`tenant ${tenant.id}: ${dataset.lines.length} lines through ${classifiers.plugins.join(' → ')}`)
  if (intentScores) io.out(['', ...formatTable('intent', intentScores)].join('\n'))
  if (sentimentScores) io.out(['', ...formatTable('sentiment', sentimentScores)].join('\n'))
  io.out('')
  io.out(
    JSON.stringify({
      n: dataset.lines.length,
      intentAccuracy: intentScores ? round4(intentScores.accuracy) : null,
      sentimentAccuracy: sentimentScores ? round4(sentimentScores.accuracy) : null,
    }),
  )
  return 0
}
