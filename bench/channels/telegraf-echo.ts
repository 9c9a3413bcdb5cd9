import { Telegraf } from 'telegraf'
import { keepAliveAgent, readBody } from './http.js'
import { secretMatches, serveKoa, setting, WEBHOOK_PATH } from './server-kit.js'

/**
 * The SDK's own echo bot (notes/deps.md §4, variant A): telegraf inside Koa, the update handed to
 * `bot.handleUpdate`, the reply sent over HTTP (`webhookReply: false`) before the webhook answers.
 */
const secret = setting('BENCH_SECRET')
const botToken = setting('BENCH_BOT_TOKEN')
const agent = keepAliveAgent()
const bot = new Telegraf(botToken, { telegram: { apiRoot: setting('BENCH_API_ROOT'), webhookReply: false, agent } })
// telegraf drops a given agent when apiRoot is http:// (it expects its own https one); put it back.
bot.telegram.options.agent = agent
// Preset, so the bot makes no getMe call.
bot.botInfo = { id: Number(botToken.split(':')[0]), is_bot: true, first_name: 'Bench', username: 'bench_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }
bot.on('text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`))

serveKoa(WEBHOOK_PATH.telegram, async (ctx) => {
  if (!secretMatches(ctx.get('x-telegram-bot-api-secret-token') || undefined, secret)) {
    ctx.status = 403
    return
  }
  await bot.handleUpdate(JSON.parse(await readBody(ctx.req)))
  ctx.status = 200
})
