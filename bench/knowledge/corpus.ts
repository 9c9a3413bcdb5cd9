import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mulberry32 } from '../../plugins/intent/model.js'

/**
 * A synthetic knowledge folder that behaves like a real one under BM25 and hashing: words follow
 * a Zipf distribution over a vocabulary of shop words plus a long tail of made-up ones, and about
 * half the sections are Chinese (common characters, also Zipf-distributed), some mixed.
 */

/** Reproducible corpora: the intent model's seeded generator. */
export const rng = mulberry32

const SHOP_WORDS =
  'order orders delivery shipping parcel refund return invoice vat plan plans subscription price prices hub camera sensor plug bulb thermostat siren account password login email app device devices firmware update warranty discount voucher payment paypal card bank transfer business company customer support chat hours week month year days minutes warehouse address tracking label box battery wifi zigbee matter thread alexa google apple home automation energy report family member user users role security backup code phone sms reset lock unlock door window motion light colour white schedule scene room holiday office shop rental history video recording cloud storage clip night vision audio install setup pairing reset factory settings replace replacement defect broken damaged lost courier dhl express standard free cost costs fee fees tax net gross credit debit sepa klarna checkout basket cart coupon promotion bundle kit starter pro basic trial cancel upgrade downgrade renew renewal term terms privacy data delete export profile notification alert'.split(
    ' ',
  )
const STOP = 'the a to and of in for is on you your with it can we be this that are or if as at by from our an will not have'.split(' ')
const SYLLABLES = 'ka ri to mo la ne su vi po de an el or us im ex tra pro con ter bel mar fin gal dor sen vol'.split(' ')
const ZH_COMMON =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质受'
const ZH_SHOP = '订单配送物流退款退货发票增值税套餐订阅价格网关摄像头传感器插座灯泡温控器警报账号密码登录邮箱验证码设备固件升级保修优惠支付银行公司客户服务时间仓库地址包裹快递免费运费费用试用取消续费隐私数据删除通知'

export interface Vocabulary {
  english: string[]
  chinese: string[]
}

export function vocabulary(random: () => number): Vocabulary {
  const tail = Array.from({ length: 6000 }, () => {
    const n = 2 + Math.floor(random() * 3)
    return Array.from({ length: n }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join('')
  })
  return { english: [...new Set([...SHOP_WORDS, ...tail])], chinese: [...new Set([...ZH_SHOP, ...ZH_COMMON])] }
}

/** Index drawn with probability ∝ 1/(rank+1)^s, by inverse transform on a precomputed table. */
function zipf(size: number, s = 1.05): (random: () => number) => number {
  const cumulative = new Float64Array(size)
  let sum = 0
  for (let i = 0; i < size; i++) cumulative[i] = sum += 1 / Math.pow(i + 1, s)
  return (random) => {
    const target = random() * sum
    let lo = 0
    let hi = size - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < target) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export function textMaker(vocab: Vocabulary, random: () => number) {
  const pickEn = zipf(vocab.english.length)
  const pickZh = zipf(vocab.chinese.length, 0.9)
  const englishSentence = () => {
    const words = Array.from({ length: 8 + Math.floor(random() * 12) }, (_, i) =>
      i % 3 === 1 ? STOP[Math.floor(random() * STOP.length)]! : vocab.english[pickEn(random)]!,
    )
    return words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.'
  }
  const chineseSentence = () => Array.from({ length: 12 + Math.floor(random() * 20) }, () => vocab.chinese[pickZh(random)]!).join('') + '。'
  return {
    english: (chars: number) => fill(chars, englishSentence, ' '),
    chinese: (chars: number) => fill(chars, chineseSentence, ''),
    queryEn: () => Array.from({ length: 2 + Math.floor(random() * 4) }, () => vocab.english[pickEn(random)]!).join(' '),
    queryZh: () => Array.from({ length: 4 + Math.floor(random() * 8) }, () => vocab.chinese[pickZh(random)]!).join(''),
  }
}

function fill(chars: number, sentence: () => string, separator: string): string {
  let out = ''
  while (out.length < chars) out += (out ? separator : '') + sentence()
  return out
}

/**
 * Writes `chunks` sections of 250–750 characters into files of 200 sections each; with the default
 * maxChars (800) every section becomes one chunk.
 */
export async function writeCorpus(folder: string, chunks: number, seed = 42): Promise<void> {
  const random = rng(seed)
  const make = textMaker(vocabulary(random), random)
  const perFile = 200
  await mkdir(folder, { recursive: true })
  for (let file = 0; file * perFile < chunks; file++) {
    const lines = [`# Handbook part ${file}`, '']
    for (let i = 0; i < perFile && file * perFile + i < chunks; i++) {
      const kind = random()
      const size = 250 + Math.floor(random() * 500)
      lines.push(`## Topic ${file}.${i}`, '')
      if (kind < 0.45) lines.push(make.english(size))
      else if (kind < 0.9) lines.push(make.chinese(Math.floor(size / 2)))
      else lines.push(make.english(Math.floor(size / 2)), '', make.chinese(Math.floor(size / 4)))
      lines.push('')
    }
    await writeFile(join(folder, `part-${String(file).padStart(4, '0')}.md`), lines.join('\n'))
  }
}
