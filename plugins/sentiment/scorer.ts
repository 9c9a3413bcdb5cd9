import { Lexicon } from './lexicon/index.js'
import { tokenize, type Token } from './tokens.js'

// VADER's constants: they turn a sum of word valences into a score that feels right to people.
const NORMALISE_ALPHA = 15
const EXCLAMATION_BOOST = 0.292
const SHOUT_BOOST = 1.5
/** "not good" is nearly as bad as "bad"; "not bad" is only mildly good. */
const NEGATE_POSITIVE = -0.7
const NEGATE_NEGATIVE = -0.4
const SCOPE = 3
const BEFORE_CONTRAST = 0.5
/** "Everything worked great until…": the praise only sets up what broke. */
const BEFORE_UNTIL = 0.25
const AFTER_CONTRAST = 1.5
/** A question about a problem ("how do I return a faulty item?") is not itself upset. */
const QUESTION_DAMPING = 0.6
/** …but "can you check why it keeps going offline?" still reports a persistent failure. */
const CUE_QUESTION_DAMPING = 0.8
/** A second or third symptom adds this share of its valence: a problem report is one problem. */
const EXTRA_SYMPTOM = 0.3
/** Persistence and grievance cues ("keeps", "again", "for a week") count at most this many times. */
const MAX_CUES = 2
/** A duration in a problem report ("都一个星期了", "it's been 5 days") is a cue. */
const DURATION_CUE = -0.8
/** "Worked fine until…" in a problem report says it used to work: a regression, a cue. */
const UNTIL_CUE = -0.8
/** "Where is my refund? It's been two weeks": chasing something overdue is a problem report. */
const CHASE = /\bwhere(?:'s|’s| is|s| are)\b|到底在哪|在哪|到哪了|怎么还没|[款货单递裹钱]呢/i
const CHASE_SYMPTOM = -0.7
/** Grievances that need two parts: charged after cancelling, changed without notice. */
const GRIEVANCE = -1.3
/** "Thanks" closing a request is politeness, not delight. */
const POLITE_IN_REQUEST = 0.2
/** Shouting or repeating the demand for a person. */
const INSISTENT_HUMAN = -1.5
/** "哈喽～", "hi~". */
const PLAYFUL_GREETING = 1.1

const QUESTION_START = /^\s*(how|what|where|when|why|which|who|can|could|do|does|is|are|will|would|should|may)\b/i
const ZH_QUESTION = /[吗嘛呢]\s*[?？]?\s*$|怎么|如何|能不能|可不可以|是否|多少|哪里|哪个|为什么|为啥/
/** Asking why something failed is a complaint in question form: its cues are not damped. */
const WHY = /^\s*why\b|为什么|为啥|怎么又|怎么老是|怎么总是/i

const NUMBER = String.raw`(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|couple of)`
const DURATION = new RegExp(
  [
    String.raw`\b(?:it'?s|it has|its) been\b`,
    String.raw`\b${NUMBER}\s+(?:full\s+)?(?:days?|weeks?|months?)\s+(?:now|later|already|ago)\b`,
    String.raw`\b(?:over|more than|almost|nearly|after)\s+${NUMBER}\s+(?:days?|weeks?|months?)\b`,
    String.raw`\b(?:\d+|three|four|five|six|several|multiple|many) times\b`,
    // 三次, 好几遍: tried again and again ("两次" is usually the double charge itself) ("两次" is the double charge itself)
    String.raw`[三四五六七八九十几好多\d]+[次遍回]`,
    // 三天了, 一个星期了, 都半个月了, 都这么久了
    String.raw`[一二两三四五六七八九十几半好多\d]+个?多?(?:天|星期|周|礼拜|月|小时|钟头)了`,
    String.raw`都(?:已经)?(?:[一二两三四五六七八九十几半好多\d]+个?多?(?:天|星期|周|礼拜|月|小时|钟头)|这么久|那么久)`,
  ].join('|'),
  'i',
)
const GRIEVANCES = [
  // charged after cancelling or downgrading
  /\b(?:charg|bill|debit|took|tak)\w*\b.*\b(?:after|since|though|despite|when)\b.*\b(?:cancel|downgrad|unsubscrib)/i,
  /\b(?:cancel|downgrad|unsubscrib)\w*\b.*\b(?:still|again|but|yet)\b.*\b(?:charg|bill|debit|took|tak)/i,
  /(?:取消|降级|退订|注销|关闭|关掉|关了)[^。！？!?]*?(?:还|又|照样|依然|仍然|竟然|居然)[^。！？!?]{0,6}扣/,
  // changed or charged without a word
  /\bwithout (?:(?:any|prior|advance|my|our|a|an|even|so much as) )*(?:notice|warning|telling|asking|permission|consent|authori[sz]ation|notification|informing|letting)/i,
]
/** Cheap test before GRIEVANCES: every one of them needs one of these. */
const GRIEVANCE_HINT = /cancel|downgrad|unsubscrib|without|取消|降级|退订|注销|关/i
const PLAYFUL = /^\s*(?:hi+|hey+|hello+|hiya|heya|yo|morning|good morning)\b[^.?!？！]{0,15}[~～]|(?:哈喽|嗨|你好|您好|早上好|早安)[呀啊哇吖哦]?\s*[~～]|(?:哈喽|嗨|你好)[呀吖哇]/i

/** Words between a negator and the thing that should happen that make it a wish, not a failure: "不想退", "don't want it shipped". */
const VOLITION = new Set(['want', 'wanna', 'need', 'like', 'plan', 'mind', '想', '要', '打算', '需要', '用', '必', '必要'])
/** "Nobody called back", "没人联系我": the call that should have come did not. */
const NOBODY = new Set(['nobody', 'no one', 'noone', 'no body', '没人', '没有人'])
/** Negators that give an order ("别发货", "不要退款") rather than report a failure. */
const IMPERATIVE = new Set(['别', '不要', '不用'])

const CLAUSE = /[^,.;:，。；：、…~～!！?？\n]+([,.;:，。；：、…~～!！?？\n]*)/g
const THANKS = /thank|thx|thnx|\bty\b|cheers|\btia\b|谢|感谢|🙏/i
const REQUEST =
  /\b(?:can|could|would|will|may) (?:you|u|i|we|someone|somebody|anyone)\b|\b(?:please|pls|plz|kindly)\b|\bi(?:'d| would)? (?:like|need|want)\b|\bhelp me\b|\blet me know\b|\b(?:send|check|cancel|change|update|reset|transfer|connect|refund|give|tell|show|find|look|chase)\b|请|麻烦|帮我|帮忙|能不能|可不可以|可以|能否|需要|我要|我想|给我|催|查|看看|一下|[吗呢]/i

/**
 * Lexicon-based sentiment for Chinese and English: word valences with negation, degree words,
 * contrast ("but"/"但是" makes the second half count more), emoji and emoticons, exclamation and
 * shouting, squashed into [-1, 1]. On top of the words: a problem report turns negative when the
 * customer says it keeps happening or has dragged on ("keeps going offline", "都一个星期了还没到账"),
 * a shouted or repeated demand for a person is upset, thanks closing a request is only polite, and
 * positive words describing a wish ("recommend a good book") are not praise.
 */
export class SentimentScorer {
  readonly #lexicon: Lexicon

  constructor(extraWords: Readonly<Record<string, number>> = {}) {
    this.#lexicon = new Lexicon(extraWords)
  }

  score(text: string): number {
    const tokens = tokenize(text, this.#lexicon)
    const insist = tokens.some((t) => t.kind === 'break' && t.insist)
    const question = !insist && (tokens.some((t) => t.kind === 'break' && t.question) || QUESTION_START.test(text) || ZH_QUESTION.test(text))
    const contrastAt = tokens.findIndex((t) => t.kind === 'word' && t.role?.kind === 'contrast')
    const contrast = contrastAt >= 0 ? tokens[contrastAt]! : undefined
    const beforeContrast = contrast?.kind === 'word' && contrast.role?.kind === 'contrast' && contrast.role.until ? BEFORE_UNTIL : BEFORE_CONTRAST
    const allShouted = tokens.filter((t) => t.kind === 'word').every((t) => t.kind === 'word' && t.shouted)
    const polite = tokens.some((t) => (t.kind === 'word' && t.role?.kind === 'valence' && t.role.polite) || (t.kind === 'emoji' && t.polite))
    const request = polite && isRequest(text)

    let sum = 0
    let cues = 0
    let cueValue = 0
    let humans = 0
    let repeatedHuman = false
    let shoutedHuman = false
    const humanWords = new Set<string>()
    let clause = 0
    let seekClause = -1
    const symptoms: number[] = []
    tokens.forEach((token, i) => {
      if (token.kind === 'break') {
        clause++
        return
      }
      if (token.kind === 'word' && token.role) {
        const role = token.role
        if (role.kind === 'seek') seekClause = clause
        else if (role.kind === 'human') {
          humans++
          shoutedHuman ||= token.shouted === true
          repeatedHuman ||= humanWords.has(token.text)
          humanWords.add(token.text)
        } else if (role.kind === 'cue' || (role.kind === 'contrast' && role.until)) {
          cues++
          cueValue += role.kind === 'cue' ? role.value : UNTIL_CUE
        }
      }
      let value = valenceAt(tokens, i)
      if (value === 0) return
      if (value > 0 && seekClause === clause) return
      if (request && ((token.kind === 'word' && token.role?.kind === 'valence' && token.role.polite) || (token.kind === 'emoji' && token.polite))) value *= POLITE_IN_REQUEST
      if (token.kind === 'word' && token.shouted && !allShouted) value *= SHOUT_BOOST
      if (question && value < 0 && token.kind === 'word') value *= QUESTION_DAMPING
      if (contrastAt >= 0 && i !== contrastAt) value *= i < contrastAt ? beforeContrast : AFTER_CONTRAST
      const problem = token.kind === 'word' && (token.role?.kind === 'function' || (token.role?.kind === 'valence' && token.role.problem))
      if (problem && value < 0) symptoms.push(value)
      else sum += value
    })

    if (GRIEVANCE_HINT.test(text)) for (const grievance of GRIEVANCES) if (grievance.test(text)) symptoms.push(GRIEVANCE)
    // The duration only matters in a problem report or when chasing something.
    const overdue = (symptoms.length > 0 || CHASE.test(text)) && DURATION.test(text)
    if (overdue && CHASE.test(text)) symptoms.push(CHASE_SYMPTOM)
    if (symptoms.length > 0) {
      symptoms.sort((a, b) => a - b)
      sum += symptoms.reduce((total, s, k) => total + (k === 0 ? s : s * EXTRA_SYMPTOM), 0)
      if (overdue) {
        cues++
        cueValue += DURATION_CUE
      }
      if (cues > 0) {
        const capped = (cueValue / cues) * Math.min(cues, MAX_CUES)
        sum += question && !WHY.test(text) ? capped * CUE_QUESTION_DAMPING : capped
      }
    }

    const exclamations = tokens.filter((t) => t.kind === 'break' && (t.exclamation || t.insist)).length
    if (humans > 0 && (shoutedHuman || repeatedHuman || humans >= 3 || (humans >= 2 && exclamations > 0) || (text.match(/[!！]/g)?.length ?? 0) >= 2)) {
      sum += INSISTENT_HUMAN
    }
    if (/[~～呀吖哇]/.test(text) && PLAYFUL.test(text)) sum += PLAYFUL_GREETING
    if (sum !== 0) sum += Math.sign(sum) * EXCLAMATION_BOOST * Math.min(exclamations, 4)
    const score = sum / Math.sqrt(sum * sum + NORMALISE_ALPHA)
    return Math.round(Math.max(-1, Math.min(1, score)) * 1000) / 1000
  }
}

/** The valence token `i` contributes once the words before it (same clause, three back) are applied. */
function valenceAt(tokens: readonly Token[], i: number): number {
  const token = tokens[i]!
  if (token.kind === 'emoji') return token.value
  if (token.kind !== 'word') return 0
  if (token.role?.kind === 'function') return failureAt(tokens, i, token.role.value)
  if (token.role?.kind !== 'valence') return 0
  if (token.role.degree !== undefined && isValence(tokens[i + 1])) return 0
  let value = token.role.value
  let negated = false
  for (let j = i - 1; j >= 0 && j >= i - SCOPE; j--) {
    const before = tokens[j]!
    if (before.kind !== 'word') break
    const role = before.role
    if (role?.kind === 'valence' && role.degree !== undefined && j === i - 1) value *= role.degree
    else if (role?.kind === 'valence' || role?.kind === 'contrast') break
    else if (role?.kind === 'degree') value *= role.value
    else if (role?.kind === 'negator') negated = !negated
  }
  if (negated) value *= value > 0 ? NEGATE_POSITIVE : NEGATE_NEGATIVE
  return value
}

/**
 * Something that should happen is a problem when a negator describes it not happening ("hasn't
 * arrived", "还没发货", "根本没收到"); a wish or an order ("不想退", "别发货") is not.
 */
function failureAt(tokens: readonly Token[], i: number, failure: number): number {
  let negated = false
  let degree = 1
  for (let j = i - 1; j >= 0 && j >= i - SCOPE; j--) {
    const before = tokens[j]!
    if (before.kind !== 'word') break
    const role = before.role
    if (role?.kind === 'negator' || NOBODY.has(before.text)) {
      if (IMPERATIVE.has(before.text)) return 0
      negated = !negated
    } else if (role?.kind === 'degree') degree *= role.value
    else if (role) break
    else if (VOLITION.has(before.text)) return 0
  }
  return negated ? failure * degree : 0
}

/** Whether the message asks for something apart from its thanks: "请帮我查一下，谢谢", "can you check my order, thanks". */
function isRequest(text: string): boolean {
  for (const match of text.matchAll(CLAUSE)) {
    const clause = match[0].slice(0, match[0].length - match[1]!.length)
    const thanks = clause.search(THANKS)
    // In the thanks' own clause only what comes before it asks: "谢谢你帮我解决" thanks for help given.
    const asking = thanks < 0 ? clause : clause.slice(0, thanks)
    if (REQUEST.test(asking) || (thanks < 0 && /[?？]/.test(match[1]!))) return true
  }
  return false
}

const isValence = (token: Token | undefined) => token?.kind === 'word' && token.role?.kind === 'valence' && token.role.value !== 0
