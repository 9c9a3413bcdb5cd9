import type { Language } from './language.js'

type Phrase = Record<Language, string>

/**
 * What the built-in provider says when it is not quoting the knowledge base. Short, polite and
 * honest: it never claims to have done something it cannot do (look up an order, issue a refund).
 */
export const phrases = {
  greeting: { en: 'Hello! How can I help you today?', zh: '您好！请问有什么可以帮您？' },
  goodbye: { en: 'Thank you for contacting us. Have a great day!', zh: '感谢您的咨询，祝您生活愉快！' },
  thanks: { en: "You're welcome! Is there anything else I can help with?", zh: '不客气！还有什么可以帮您的吗？' },
  clarify: {
    en: "I'm not sure I understood. Could you tell me a bit more? For example:",
    zh: '抱歉，我还没完全理解您的问题。能再具体说明一下吗？比如：',
  },
  notFound: {
    en: "I couldn't find that in our help articles, and I'd rather not guess. Would you like me to connect you with a colleague?",
    zh: '抱歉，我在帮助文档中没有找到相关信息，不想随意猜测。需要为您转接人工客服吗？',
  },
  unsure: {
    en: "I'm not certain this fully answers your question. Would you like to talk to a colleague?",
    zh: '我不确定以上信息是否完全解答了您的问题。需要为您转接人工客服吗？',
  },
  escalate: {
    en: "I'm sorry about this. I'm passing your conversation to a human colleague, who will reply here as soon as possible.",
    zh: '非常抱歉给您带来不便。我正在为您转接人工客服，同事会尽快在这里回复您。',
  },
  escalateHuman: {
    en: "Of course — I'm connecting you with a human colleague, who will reply here as soon as possible.",
    zh: '好的，正在为您转接人工客服，同事会尽快在这里回复您。',
  },
  stillEscalated: {
    en: 'A colleague has been notified and will reply here shortly. Anything you add now will be passed on.',
    zh: '已通知人工客服，同事会尽快回复您。您现在补充的信息也会一并转达。',
  },
  sources: { en: 'Source', zh: '来源' },
  talkToHuman: { en: 'Talk to a person', zh: '转人工客服' },
} satisfies Record<string, Phrase>

/** A lead-in that shows the answer was understood, per intent; nothing for the rest. */
export const leadIns: Partial<Record<string, Phrase>> = {
  product_inquiry: { en: "Here's what I found:", zh: '以下信息供您参考：' },
  order_status: { en: "Here's how to check on your order:", zh: '关于订单查询，以下信息供您参考：' },
  refund_request: { en: "Here's how returns and refunds work:", zh: '关于退货和退款，以下信息供您参考：' },
  billing: { en: "Here's what I found about billing and invoices:", zh: '关于账单和发票，以下信息供您参考：' },
  technical_support: { en: "Here's what should help:", zh: '以下方法应该能帮到您：' },
  complaint: { en: "I'm sorry to hear that. Here's what I found:", zh: '很抱歉给您带来不好的体验。以下信息供您参考：' },
}

/**
 * When the knowledge base has nothing on a confident intent, the next step the customer can take
 * (rather than a dead end).
 */
export const intentFallbacks: Partial<Record<string, Phrase>> = {
  order_status: {
    en: 'You can follow your order under "My orders" or with the tracking link in your shipping email. If it looks stuck, send me your order number and I can pass it to a colleague.',
    zh: '您可以在"我的订单"中或通过发货邮件里的物流链接查看订单状态。如果订单长时间没有更新，请把订单号发给我，我会转交同事处理。',
  },
  refund_request: {
    en: 'Refunds start from "My orders" → "Return an item". If something went wrong with a refund, tell me the order number and I will pass it to a colleague.',
    zh: '您可以在"我的订单"→"申请退货"中发起退款。如果退款遇到问题，请告诉我订单号，我会转交同事处理。',
  },
  billing: {
    en: 'Invoices and payment details are under "Account" → "Billing". For a charge you do not recognise, I can connect you with a colleague.',
    zh: '发票和付款信息可在"账户"→"账单"中查看。如有不明扣款，我可以为您转接人工客服。',
  },
  technical_support: {
    en: 'Please try signing out and in again and updating the app. If the problem stays, describe what you see (an error message helps) and I will pass it on.',
    zh: '请先尝试退出后重新登录，并将应用更新到最新版本。如果问题仍然存在，请描述您看到的情况（最好附上错误提示），我会转交技术同事。',
  },
}

/** Suggestions offered when the question was unclear: what most customers come for. */
export const suggestions: { title: Phrase; value: Phrase }[] = [
  { title: { en: 'Prices and plans', zh: '产品价格和套餐' }, value: { en: 'What are your prices?', zh: '你们的产品价格是多少？' } },
  { title: { en: 'Where is my order?', zh: '我的订单在哪里？' }, value: { en: 'Where is my order?', zh: '我的订单在哪里？' } },
  { title: { en: 'Returns and refunds', zh: '退货和退款' }, value: { en: 'How do I return an item?', zh: '怎么申请退货退款？' } },
  { title: { en: 'Login problems', zh: '账号登录问题' }, value: { en: "I can't log in to my account", zh: '我的账号登录不了' } },
]
