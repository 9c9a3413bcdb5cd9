/**
 * What the desk itself says to customers, in their language: Chinese for a `zh…` locale, English
 * otherwise. One place, so the same event reads the same on every channel.
 */
const isChinese = (lang: string | null | undefined): boolean => (lang ?? '').toLowerCase().startsWith('zh')

export function ticketOpened(lang: string | null | undefined, reference: string, subject: string): string {
  return isChinese(lang) ? `我们已为您创建工单 ${reference}：${subject}。处理进展会及时告知您。` : `We've opened ticket ${reference} for you: ${subject}. We'll keep you posted.`
}
