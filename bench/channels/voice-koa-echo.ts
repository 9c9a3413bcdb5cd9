import twilio from 'twilio'
import { readBody } from './http.js'
import { serveKoa, setting, WEBHOOK_PATH } from './server-kit.js'

/**
 * The floor for a Twilio voice bot on Koa: the form body parsed, X-Twilio-Signature validated with
 * the twilio package over the URL as configured (this server's own address, never the Host header)
 * and the posted parameters, then TwiML from its VoiceResponse: `<Say>echo: <what was said></Say>`
 * (a greeting on the incoming call) and the next `<Gather>`, whose action counts the turns.
 */
const authToken = setting('BENCH_AUTH_TOKEN')
const accountSid = setting('BENCH_ACCOUNT_SID')

serveKoa(WEBHOOK_PATH.voice, async (ctx) => {
  const params = Object.fromEntries(new URLSearchParams(await readBody(ctx.req)))
  const url = `http://127.0.0.1:${ctx.req.socket.localPort}${ctx.originalUrl}`
  if (params.AccountSid !== accountSid || !twilio.validateRequest(authToken, ctx.get('x-twilio-signature'), url, params)) {
    ctx.status = 403
    return
  }
  const turn = Number(ctx.query.n ?? 0)
  const said = params.SpeechResult ?? params.Digits
  const response = new twilio.twiml.VoiceResponse()
  response.say(said === undefined ? 'Hello, how can I help you?' : `echo: ${said}`)
  response.gather({ input: ['speech', 'dtmf'], action: `${WEBHOOK_PATH.voice}?n=${turn + 1}`, method: 'POST', language: 'en-US', speechTimeout: 'auto' })
  ctx.type = 'text/xml'
  ctx.body = response.toString()
})
