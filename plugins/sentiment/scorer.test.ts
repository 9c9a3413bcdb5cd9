import { describe, expect, it } from 'vitest'
import { SentimentScorer } from './scorer.js'

const scorer = new SentimentScorer()
const score = (text: string) => scorer.score(text)
// The plugin's default thresholds.
const label = (text: string) => {
  const s = score(text)
  return s <= -0.25 ? 'negative' : s >= 0.25 ? 'positive' : 'neutral'
}

describe('sentiment scores', () => {
  it('reads plain questions and requests as neutral', () => {
    for (const text of ['how do I reset my password', 'where is my order?', '我的账号登录不了', '请问你们几点开门', '帮我查一下物流', 'can you recommend a laptop', '麻烦帮我看一下']) {
      expect(label(text), text).toBe('neutral')
    }
  })

  it('hears anger and praise in both languages', () => {
    expect(label('this is the worst service ever')).toBe('negative')
    expect(label('你们的服务太差了，我要投诉')).toBe('negative')
    expect(label('thank you so much, you were great')).toBe('positive')
    expect(label('非常感谢，服务很好')).toBe('positive')
  })

  it('flips negated words, more for "not good" than for "not bad"', () => {
    expect(score('good')).toBeGreaterThan(0)
    expect(score('not good')).toBeLessThan(-0.25)
    expect(score('not bad')).toBeGreaterThan(0)
    expect(score('not bad')).toBeLessThan(score('good'))
    expect(label("that's not ok")).toBe('negative')
    expect(label('不满意')).toBe('negative')
    expect(label('不是很好')).toBe('negative')
    expect(label("I don't hate it")).not.toBe('negative')
  })

  it('knows "没有问题" and "不好意思" are not complaints', () => {
    expect(label('没有问题')).not.toBe('negative')
    expect(label('没问题，谢谢')).toBe('positive')
    expect(label('不好意思，打扰一下')).toBe('neutral')
    expect(label('差不多就行')).toBe('neutral')
    expect(label('这两款价格差多少')).toBe('neutral')
  })

  it('scales by degree words', () => {
    expect(score('very annoying')).toBeLessThan(score('annoying'))
    expect(score('a bit annoying')).toBeGreaterThan(score('annoying'))
    expect(score('太慢了')).toBeLessThan(score('慢'))
    expect(score('有点慢')).toBeGreaterThan(score('慢'))
    expect(score('非常满意')).toBeGreaterThan(score('满意'))
  })

  it('reads emoji, emoticons, exclamations and shouting', () => {
    expect(label('ok 😡')).toBe('negative')
    expect(label('好的🙂👍')).toBe('positive')
    expect(label('thanks :)')).toBe('positive')
    expect(label('my order is late :(')).toBe('negative')
    expect(score('this is bad!!!')).toBeLessThan(score('this is bad'))
    expect(score('this is BAD')).toBeLessThan(score('this is bad'))
    expect(score('see https://example.com/a:/b')).toBe(0)
  })

  it('weighs what comes after "but" more', () => {
    expect(label('the app looks nice but it is useless')).toBe('negative')
    expect(label('delivery was slow, but the staff were lovely and helpful')).toBe('positive')
    expect(label('东西不错，但是客服态度太差了')).toBe('negative')
  })

  it('keeps problem reports calm unless the customer is upset', () => {
    expect(label('the app crashes when I open settings')).toBe('neutral')
    expect(label('the app keeps crashing and it is driving me crazy, so frustrating')).toBe('negative')
    expect(label('how do I return a faulty item?')).toBe('neutral')
    expect(label('the vase arrived smashed')).toBe('negative')
  })

  it('hears a problem report turn into a grievance when it keeps happening or drags on', () => {
    for (const text of [
      'my camera keeps going offline',
      'the doorbell disconnects from wifi every few hours',
      'my earbuds stopped working again',
      "speaker still won't pair with my phone",
      'why does my thermostat keep disconnecting??',
      'I have tried three times and it still will not connect',
      '摄像头又离线了',
      'app老是闪退，根本用不了',
      '音箱一直连不上，找半天了',
      '路由器每隔几个小时就掉线',
      '付款一直失败',
    ]) {
      expect(label(text), text).toBe('negative')
    }
  })

  it('reads billing, delivery and callback grievances as negative', () => {
    for (const text of [
      'You charged me twice for the same order',
      'I got charged after downgrading to the free plan',
      'I downgraded to basic but you still billed me for premium',
      'you charged my card without asking',
      'my card keeps getting declined',
      '你们扣了我两次钱',
      '取消了会员还在扣费，乱扣费',
      'the tracking says delivered but I never received it',
      '显示签收但我根本没收到',
      "Order 5521 hasn't shipped and it's been 6 days",
      '下单都三天了还没发货',
      "it's been 10 days, where is my refund?",
      '退款都一个星期了还没到账',
      'No one ever called me back',
      '说好给我回电话，到现在都没打',
      'you raised the price without any notice',
      '涨价也不通知一声，不厚道',
    ]) {
      expect(label(text), text).toBe('negative')
    }
  })

  it('keeps questions and requests about the same topics neutral', () => {
    for (const text of [
      'how long do refunds take?',
      'can you check my order status',
      'can you send the code again?',
      'is the blue one still available?',
      "my package hasn't arrived yet, when should I expect it?",
      'the app says my session timed out, how do I log in again?',
      'I was charged $20 for shipping, is that right?',
      'Why was my card charged twice this month?',
      'where is my order? I placed it this morning',
      '退款一般多久到账？',
      '还没收到货，帮我查一下到哪了',
      '我不想退货了，换个颜色可以吗',
      '我又来了，想问个问题',
      '好久没来了，有新品吗',
      '每次登录都要输验证码吗',
    ]) {
      expect(label(text), text).toBe('neutral')
    }
  })

  it('keeps a persistent problem report mildly negative, well above the escalation thresholds', () => {
    for (const text of ['my camera keeps going offline', '摄像头又离线了', 'my order still has not shipped after 5 days', 'the app crashes again every time I open it']) {
      expect(score(text), text).toBeLessThanOrEqual(-0.25)
      expect(score(text), text).toBeGreaterThan(-0.6)
    }
  })

  it('hears an insistent demand for a person, not a plain request for one', () => {
    for (const text of ['REPRESENTATIVE', 'I want a HUMAN', '人工！人工！人工！', 'agent agent agent', 'let me talk to a real person!!!', 'stop the bot and get me a person', '别让机器人回复了']) {
      expect(label(text), text).toBe('negative')
    }
    for (const text of ['can I speak to a human please', '转人工', '请帮我转人工客服', '人工客服在吗？我要转人工']) {
      expect(label(text), text).toBe('neutral')
    }
  })

  it('reads thanks closing a request as politeness, and thanks for help as praise', () => {
    for (const text of ['can you check my order status, thanks', 'please cancel my subscription, thank you', '请帮我查一下物流，谢谢', '能帮忙催一下发货吗，谢谢', '帮我改一下地址谢谢🙏', 'I need a copy of my invoice, thanks in advance']) {
      expect(label(text), text).toBe('neutral')
    }
    for (const text of ['thanks, that solved it', 'thank you!', '谢谢', '好的，谢谢你帮我解决', 'thanks for checking, appreciate it']) {
      expect(label(text), text).toBe('positive')
    }
  })

  it('does not take the good thing asked for as praise', () => {
    for (const text of ['recommend a good pizza place', 'can you suggest a nice gift for my mum?', '推荐一部好看的电影', '有没有好用的充电宝推荐', 'tell me a joke', '讲个笑话', 'what is the best way to reset my router']) {
      expect(label(text), text).toBe('neutral')
    }
    expect(label('I highly recommend your shop, great service')).toBe('positive')
    expect(label('三周了都没答复，你们公司真是个笑话')).toBe('negative')
  })

  it('hears a friendly greeting', () => {
    for (const text of ['Hey there 👋', '哈喽～', '你好呀～', 'hi there~']) expect(label(text), text).toBe('positive')
    for (const text of ['hello', '你好', '哈喽，有人在线吗']) expect(label(text), text).toBe('neutral')
  })

  it('lets what broke outweigh the praise before "until"', () => {
    for (const text of [
      "Everything worked great until the last update, now the app won't even open",
      'I loved this speaker until it stopped charging after two weeks',
      'The product was amazing up until last week when it just died',
      '本来用得好好的，更新后就一直闪退',
      '一直用得很好，直到上周突然连不上了',
    ]) {
      expect(label(text), text).toBe('negative')
    }
    expect(label('how long until my refund arrives?')).toBe('neutral')
    expect(label('it was crashing before but the update fixed it, thanks!')).toBe('positive')
    expect(label('之前一直连不上，现在好了，谢谢')).toBe('positive')
  })

  it('reads mild regret with a polite request as neutral', () => {
    expect(label('刚续费就后悔了，可以退钱吗')).toBe('neutral')
    expect(label('I regret buying this, can I get a refund?')).toBe('neutral')
    expect(label('买了真后悔，质量太差了')).toBe('negative')
  })

  it('reads Chinese typed straight after an English word', () => {
    expect(label('app老是闪退')).toBe('negative')
    expect(label('order还没发货，都五天了')).toBe('negative')
  })

  it('stays within [-1, 1] however hard the customer shouts', () => {
    const s = score('TERRIBLE TERRIBLE AWFUL WORST 😡😡😡 !!!!!! 垃圾垃圾垃圾')
    expect(s).toBeGreaterThanOrEqual(-1)
    expect(s).toBeLessThan(-0.9)
  })

  it('adds the tenant’s own words', () => {
    const custom = new SentimentScorer({ 'moneybook glitch': -3, 白给: 2.5 })
    expect(custom.score('another moneybook glitch')).toBeLessThan(-0.5)
    expect(custom.score('这价格简直白给')).toBeGreaterThan(0.5)
  })
})
