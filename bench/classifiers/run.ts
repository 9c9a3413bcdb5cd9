import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { container } from 'tsyringe'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import { BuiltinIntentClassifier } from '../../plugins/intent/classifier.js'
import intentPlugin from '../../plugins/intent/index.js'
import { IntentConfig } from '../../plugins/intent/manifest.js'
import { detectLanguage } from '../../plugins/language/text.js'
import sentimentPlugin from '../../plugins/sentiment/index.js'
import { SentimentConfig } from '../../plugins/sentiment/manifest.js'
import { SentimentScorer } from '../../plugins/sentiment/scorer.js'

/**
 * Classifier throughput: how long the intent model takes to train at plugin setup, and how many
 * messages per second the intent classifier, the sentiment scorer and both inbound middlewares
 * together get through on one core. Messages are the dev set's, so the mix of Chinese, English
 * and lengths is realistic.
 *
 *   node --import tsx bench/classifiers/run.ts [--seconds 2] [--retrains 10]
 */
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, retrains: { type: 'string', default: '10' } } })
const seconds = Number(args.seconds)
const retrains = Number(args.retrains)

const messages = readFileSync(new URL('../../test/fixtures/eval/dev.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { text: string }).text)
const byLanguage = { en: messages.filter((m) => detectLanguage(m) === 'en'), zh: messages.filter((m) => detectLanguage(m) === 'zh') }

const tenantIntents = IntentConfig.parse({
  intents: [
    { name: 'store_hours', examples: ['what time do you open', 'are you open on sundays', '几点开门', '周末营业吗'] },
    { name: 'billing', examples: ['moneybook statement', 'moneybook points deducted', 'moneybook balance wrong'] },
  ],
}).intents

const time = (fn: () => void) => {
  const start = performance.now()
  fn()
  return performance.now() - start
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// Training: the first run pays for loading data and JIT warm-up, as the first tenant at boot does.
const firstTrain = time(() => BuiltinIntentClassifier.train([]))
const trains = Array.from({ length: retrains }, () => time(() => BuiltinIntentClassifier.train([])))
const tenantTrains = Array.from({ length: retrains }, () => time(() => BuiltinIntentClassifier.train(tenantIntents)))
const scorerBuilds = Array.from({ length: retrains }, () => time(() => new SentimentScorer()))

/** Calls `fn` over the corpus round-robin for `seconds`; messages per second. */
async function throughput(corpus: string[], fn: (text: string) => unknown | Promise<unknown>): Promise<number> {
  for (const m of corpus) await fn(m)
  let n = 0
  const start = performance.now()
  const until = start + seconds * 1000
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) await fn(corpus[n++ % corpus.length]!)
  }
  return n / ((performance.now() - start) / 1000)
}

const classifier = BuiltinIntentClassifier.train([])
const scorer = new SentimentScorer()
const scope = container.createChildContainer()
const intent = await intentPlugin.setup(agentContext(IntentConfig.parse({}), { id: 'intent', container: scope }))
const sentiment = await sentimentPlugin.setup(agentContext(SentimentConfig.parse({}), { id: 'sentiment', container: scope }))
const pipeline = async (text: string) => {
  const turn = turnFor(text)
  await intent.inbound!(turn, () => sentiment.inbound!(turn, async () => {}))
}

const rows: { measure: string; all: number; en: number; zh: number }[] = []
for (const [measure, fn] of [
  ['intent classify', (t: string) => classifier.classify(t)],
  ['sentiment score', (t: string) => scorer.score(t)],
  ['both middlewares', pipeline],
] as const) {
  rows.push({ measure, all: await throughput(messages, fn), en: await throughput(byLanguage.en, fn), zh: await throughput(byLanguage.zh, fn) })
}

const ms = (x: number) => `${x.toFixed(1)} ms`
const rate = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')

console.log(`classifier bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${messages.length} messages (${byLanguage.en.length} en, ${byLanguage.zh.length} zh), ${seconds}s per measure\n`)
const trainWidths = [34, 10]
console.log(pad(['setup', 'time'], trainWidths))
console.log(pad(['intent train, first (cold)', ms(firstTrain)], trainWidths))
console.log(pad([`intent train, median of ${retrains}`, ms(median(trains))], trainWidths))
console.log(pad([`intent train + tenant intents`, ms(median(tenantTrains))], trainWidths))
console.log(pad(['sentiment lexicon build', ms(median(scorerBuilds))], trainWidths))
console.log()
const widths = [18, 12, 12, 12]
console.log(pad(['messages/s', 'all', 'en', 'zh'], widths))
for (const r of rows) console.log(pad([r.measure, rate(r.all), rate(r.en), rate(r.zh)], widths))
