/**
 * English valence, -4 (furious) … 4 (delighted), on VADER's scale. Tuned for customer service:
 * words that merely describe a problem ("error", "wrong", "missing") are mild, so a plain problem
 * report reads neutral; evaluation and emotion ("terrible", "annoying", "love") carry the weight.
 * Words that are neutral in service talk ("help", "please", "like", "care", "free") are left out.
 * Multi-word entries are matched as phrases before single words.
 */
export const EN_LEXICON: Readonly<Record<string, number>> = {
  // praise and thanks
  thanks: 1.5, 'thanks for': 1.5, 'thank you for': 1.6, 'thx for': 1.5, 'thanks again': 1.8, thank: 1.5, thx: 1.5, thnx: 1.5, ty: 1.2, thankyou: 1.5, cheers: 1.5, 'thank you': 1.6,
  'thanks a lot': 2.2, 'thanks a million': 2.6, 'thanks so much': 2.4, 'thank you so much': 2.5, 'many thanks': 2.0,
  'thank you very much': 2.4, 'thanks in advance': 1.0, 'thank you in advance': 1.0, tia: 0.8, 'much appreciated': 2.2, appreciate: 2.0, appreciated: 2.0, grateful: 2.4,
  great: 3.0, good: 1.9, nice: 1.8, lovely: 2.5, excellent: 3.2, amazing: 3.2, awesome: 3.1, fantastic: 3.3,
  wonderful: 3.1, brilliant: 2.9, perfect: 2.7, superb: 3.1, outstanding: 3.2, fabulous: 3.0, fab: 2.5, sweet: 1.8,
  cool: 0.9, fine: 0.4, ok: 0.3, okay: 0.3, alright: 0.3, decent: 1.0, solid: 0.8, impressive: 2.5, incredible: 2.8,
  love: 3.0, loved: 3.0, loving: 2.8, adore: 3.0, enjoy: 2.2, enjoyed: 2.2, happy: 2.7, glad: 2.0, pleased: 2.3,
  delighted: 3.2, satisfied: 2.0, thrilled: 3.0, excited: 2.2, helpful: 2.0, 'super helpful': 2.8, useful: 1.6,
  friendly: 2.1, kind: 1.8, polite: 1.6, patient: 1.5, patience: 1.2, professional: 1.5, quick: 0.3, fast: 0.6,
  efficient: 1.6, easy: 1.2, easier: 0.5, smooth: 1.2, reliable: 1.6, recommended: 1.0, 'highly recommend': 2.6, 'would recommend': 2.0, 'definitely recommend': 2.6, 'strongly recommend': 2.4, 'i recommend': 1.6, best: 2.5, favourite: 1.8,
  favorite: 1.8, beautiful: 2.6, gorgeous: 2.8, cute: 1.8, fun: 2.0, funny: 1.8, interesting: 0.8, lol: 0.8, haha: 1.2,
  hahaha: 1.5, yay: 2.4, wow: 1.5, hope: 0.6, hoping: 0.5, welcome: 1.0, bless: 1.8, star: 1.0, legend: 2.2,
  'well done': 2.4, 'good job': 2.4, 'great job': 2.8, 'no problem': 0.8, 'no worries': 0.8, 'all good': 1.0,
  'works now': 1.6, 'working again': 1.6, 'works again': 1.6, 'back to normal': 1.4, 'back online': 1.2, 'fixed now': 1.6, 'all fixed': 1.8, 'that fixed it': 2.0, 'fixed it': 1.6, solved: 1.6, resolved: 1.4, sorted: 1.0, worth: 0.5,
  success: 1.5, successful: 1.5, win: 1.5, 'over the moon': 3.2, 'top notch': 3.0, 'spot on': 2.2, 'life saver': 3.0,
  lifesaver: 3.0, loves: 3.0, enjoys: 2.2, enjoying: 2.2, likes: 0, thanked: 1.0, thanking: 1.5, helped: 1.2,
  // greetings use "good" without judging anything
  'good morning': 0, 'good afternoon': 0, 'good evening': 0, 'good night': 0, goodnight: 0, 'good day': 0.3,
  'hi again': 0, 'hello again': 0, 'me again': 0, 'log in again': 0, 'sign in again': 0, 'try again': 0, 'send it again': 0,
  'do it again': 0, 'order again': 0, 'buy again': 0, 'again please': 0, 'best way': 0, 'the best way': 0,
  'good luck': 0.8, 'as good as': 0, 'for good': 0, 'no good': -2.0, please: 0,
  // anger and frustration
  angry: -3.0, furious: -3.6, mad: -2.4, livid: -3.6, annoyed: -2.2, annoying: -2.2, annoys: -2.0, annoy: -2.0, angrier: -3.0, angrily: -2.8, irritated: -2.2, irritating: -2.3,
  frustrated: -2.4, frustrating: -2.4, frustration: -2.2, frustrates: -2.2, disappoints: -2.4, disappointingly: -2.5, upset: -2.2, pissed: -3.0, 'pissed off': -3.3,
  'fed up': -2.6, 'sick of': -2.6, 'sick and tired': -3.0, 'had enough': -2.5, 'done with': -1.6, outraged: -3.5,
  disgusted: -3.2, disgusting: -3.2, appalled: -3.2, appalling: -3.2, shocked: -2.0, shocking: -2.6, hate: -3.0,
  hated: -3.0, hates: -3.0, despise: -3.3, sad: -2.0, unhappy: -2.4, disappointed: -2.5, disappointing: -2.5,
  disappointment: -2.5, dissatisfied: -2.4, dissatisfaction: -2.4, unimpressed: -2.0, worried: -1.5, worry: -1.0,
  stressed: -1.8, stressful: -2.0, confused: -0.8, confusing: -1.0, impatient: -1.2, ugh: -1.8, argh: -2.0,
  wtf: -3.0, stupid: -2.4, dumb: -2.0, idiotic: -2.6, damn: -2.0, hell: -1.6, crap: -2.6, crappy: -2.8, shit: -3.0, shitty: -3.2, bullshit: -3.2,
  // judgements of the service or product
  bad: -2.5, terrible: -3.0, awful: -3.0, horrible: -3.0, horrendous: -3.3, dreadful: -3.0, atrocious: -3.4,
  worst: -3.1, worse: -2.2, poor: -2.0, poorly: -2.0, rubbish: -2.6, garbage: -2.8, junk: -2.5, trash: -2.6,
  useless: -2.6, pathetic: -3.0, ridiculous: -2.5, absurd: -2.3, unacceptable: -2.8, outrageous: -3.0,
  disgrace: -3.0, disgraceful: -3.1, shameful: -2.8, shame: -2.0, incompetent: -2.8, incompetence: -2.8,
  unprofessional: -2.5, rude: -2.5, rudely: -2.5, arrogant: -2.5, lazy: -2.2, careless: -2.0, clueless: -2.2,
  unhelpful: -2.3, unreliable: -2.2, unfair: -2.2, nightmare: -2.9, mess: -2.0, messy: -1.5, chaos: -2.0,
  joke: -1.0, 'a joke': -2.4, 'tell me a joke': 0, 'tell a joke': 0, 'tell me another joke': 0, 'a good joke': 0, 'any jokes': 0, 'know a joke': 0, 'know any jokes': 0, scam: -3.2, scammed: -3.2, scammer: -3.3, fraud: -3.2, fraudulent: -3.2,
  cheat: -2.8, cheated: -2.8, cheating: -2.8, lie: -2.3, lied: -2.5, lies: -2.5, liar: -3.0, lying: -2.5,
  'rip off': -2.8, 'ripped off': -3.0, ripoff: -2.8, robbery: -3.0, extortion: -3.0, overpriced: -2.0,
  'waste of time': -2.6, 'waste of money': -2.8, wasted: -2.0, waste: -1.8, 'never again': -2.5,
  'not ok': -2.0, 'not okay': -2.0, 'not acceptable': -2.6, 'not good enough': -2.4, 'not happy': -2.2,
  'let down': -2.2, 'messed up': -2.2, 'screwed up': -2.6, 'fell apart': -1.8, 'falling apart': -1.8,
  'piece of junk': -3.0, 'nobody cares': -2.5, "doesn't care": -2.0, "don't care": -2.0, 'no one cares': -2.5,
  'nobody helps': -2.2, 'stop the bot': -1.3, 'stop the robot': -1.3, 'enough with the bot': -1.5, 'no more bots': -1.3, 'no more bot': -1.3, 'not another bot': -1.1, 'no one helps': -2.2, nobody: -1.2, 'no one': -0.8, ignored: -2.0, ignoring: -2.0,
  ignore: -1.4, excuse: -1.2, excuses: -1.4, complain: -1.6, complaint: -1.6, complaining: -1.6, complaints: -1.6,
  sue: -2.0, lawyer: -1.2, 'report you': -2.0, dreadfully: -3.0, filthy: -2.8, dirty: -2.0, cold: -0.4, ruined: -2.6,
  ruin: -2.4, ruins: -2.4, ruining: -2.5, wasting: -2.0, hating: -3.0, hopeless: -2.6, regret: -1.3, regretting: -1.3, regrets: -1.3, sucks: -3.0, suck: -2.8, fail: -0.6, failure: -1.6, failed: -0.6,
  failing: -0.8, lousy: -2.6, mediocre: -1.5, cheap: -0.3, flimsy: -1.6, 'cheaply made': -2.0, misleading: -2.4,
  'false advertising': -2.6, deceived: -2.8, deceptive: -2.8, cancelled: 0, hurt: -1.6, harm: -1.8, dangerous: -2.2,
  unbelievable: -1.2, insane: -1.8, crazy: -1.2, problem: -0.3, problems: -0.4, issue: -0.2, issues: -0.3,
  trouble: -0.8, headache: -1.6, pain: -1.6, painful: -2.0, 'pain in the': -2.4, hassle: -1.6, disaster: -3.0,
  'still waiting': -1.5, "still haven't": -1.2, "still hasn't": -1.2, 'still no': -1.2, 'still not': -1.0,
  'yet again': -1.8, 'once again': -1.2, 'never arrived': -1.6, 'never came': -1.5, 'never received': -1.6,
  'never heard back': -1.8, 'no response': -1.5, 'no reply': -1.5, 'on hold for': -1.5, overcharged: -1.6,
  accident: -0.3, unfortunately: -1.0, sadly: -1.2, sorry: 0, struggling: -1.4, struggle: -1.2, hard: -0.4,
  difficult: -0.8, impossible: -1.5, tired: -1.2, waiting: -0.3,
}

/**
 * Problem reports: what went wrong, without saying how the customer feels. Mild on their own (a
 * plain "the app crashes when I open settings" stays neutral), several symptoms count barely more
 * than the worst one, and a problem is what lets EN_CUES ("keeps", "again", "for a week") count.
 */
export const EN_PROBLEMS: Readonly<Record<string, number>> = {
  // damage
  broken: -1.6, broke: -1.4, damaged: -1.6, defective: -1.6, faulty: -1.0, cracked: -1.4, smashed: -1.8,
  shattered: -1.8, torn: -1.2, stained: -1.2, ripped: -1.2, dented: -1.2, leaking: -1.0,
  // devices and apps
  crash: -0.6, crashes: -0.6, crashing: -0.6, crashed: -0.6, freezing: -0.6, freezes: -0.6, frozen: -0.5, glitch: -0.6,
  glitching: -0.7, glitchy: -0.8, buggy: -1.2, bug: -0.4, error: -0.4, errors: -0.5, stuck: -0.6, laggy: -0.7, lagging: -0.6,
  offline: -0.7, 'goes offline': -0.8, 'going offline': -0.8, 'went offline': -0.8, disconnect: -0.6, disconnects: -0.8,
  disconnecting: -0.8, disconnected: -0.7, 'drops out': -0.7, 'dropping out': -0.7, dropping: -0.5, drops: -0.5,
  'shuts down': -0.7, 'shuts off': -0.7, 'shutting down': -0.6, 'turns off': -0.5, restarts: -0.6, reboots: -0.6,
  rebooting: -0.6, restarting: -0.5, unresponsive: -0.9, 'not responding': -0.8, unusable: -1.2, dead: -1.0, died: -1.0,
  'black screen': -0.8, 'blank screen': -0.8, 'force closes': -0.7, 'times out': -0.5, 'timed out': -0.5,
  'kicks me out': -0.7, 'kicked me out': -0.7, 'not working': -0.8, "doesn't work": -0.8, "won't work": -0.8,
  'stopped working': -1.1, stopped: -0.5, 'not charging': -0.8, "won't charge": -0.8, "doesn't charge": -0.8,
  'stopped charging': -1.0, fails: -0.6, fail: -0.6, failed: -0.6, failing: -0.8, failure: -1.6,
  // orders and money
  wrong: -0.5, missing: -0.6, lost: -1.0, late: -0.8, delayed: -0.6, delay: -0.6, slow: -0.8, slowly: -0.6,
  declined: -0.5, rejected: -0.8, invalid: -0.3, locked: -0.3, overcharged: -1.6, 'never got': -1.2,
  'charged twice': -1.3, 'charged me twice': -1.3, 'double charged': -1.3, 'billed twice': -1.3, 'billed me twice': -1.3,
  'charged again': -1.0, 'extra charge': -0.6, 'unexpected charge': -1.2, 'charged unexpectedly': -1.2,
  'surprise charge': -1.2, 'never authorised': -0.6, 'never authorized': -0.6, 'price went up': -0.5,
  'raised the price': -0.5, 'raised my price': -0.5, 'price increase': -0.4, 'price hike': -0.8, hiked: -0.6,
}

/**
 * Things that should happen ("connect", "arrive", "refund"). Negated, they are a problem report
 * of the given valence: "won't connect", "hasn't arrived", "never called back".
 */
export const EN_FUNCTIONS: Readonly<Record<string, number>> = Object.fromEntries(
  [
    'work', 'works', 'working', 'connect', 'connects', 'connecting', 'pair', 'pairs', 'pairing', 'load', 'loads', 'loading',
    'open', 'opens', 'opening', 'start', 'starts', 'starting', 'boot', 'boots', 'turn on', 'turns on', 'turning on',
    'power on', 'respond', 'responds', 'sync', 'syncs', 'syncing', 'arrive', 'arrived', 'receive', 'received', 'receiving',
    'ship', 'shipped', 'dispatched', 'delivered', 'refunded', 'show up', 'shown up', 'showed up', 'go through',
    'went through', 'call back', 'called back', 'call me back', 'called me back', 'get back', 'got back', 'reply',
    'replied', 'responded', 'answered', 'fixed', 'log in', 'login', 'sign in', 'call', 'calls', 'called', 'calling',
  ].map((w) => [w, -0.7]),
)

/**
 * Persistence and grievance: harmless alone ("can you send it again?", "is it still on sale?"),
 * but in a problem report they are what makes it a complaint ("it keeps going offline").
 */
export const EN_CUES: Readonly<Record<string, number>> = Object.fromEntries(
  [
    'keep', 'keeps', 'kept', 'again', 'still', 'constantly', 'continuously', 'repeatedly', 'randomly', 'suddenly',
    'anymore', 'any more', 'all the time', 'over and over', 'again and again', 'every time', 'every single time',
    'every few hours', 'every few minutes', 'every few days', 'every couple of', 'every hour', 'every day', 'every night',
    'every morning', 'every other day', 'multiple times', 'several times', 'many times', 'so many times', 'three times',
    'twice now', 'third time', 'second time', 'for days', 'for weeks', 'for hours', 'for ages', 'for a week',
    'days later', 'weeks later', 'a week later', 'already', 'promised', 'since the update', 'after the update',
    'since the last update', 'after the last update', 'after the latest update', 'since updating', 'after updating',
    'says delivered', 'shows delivered', 'marked delivered', 'marked as delivered', 'showing delivered',
    // praise that only sets up a breakdown: "worked fine until…"
    'worked fine', 'worked great', 'worked perfectly', 'worked well', 'was working', 'was working fine',
    'was fine', 'used to work', 'at all',
  ].map((w) => [w, -0.8]),
)

/** Asking for a person: neutral, unless shouted or repeated ("REPRESENTATIVE", "agent agent agent"). */
export const EN_HUMAN: readonly string[] = [
  'human', 'humans', 'representative', 'rep', 'agent', 'operator', 'real person', 'live person', 'real human', 'live agent',
  'human agent', 'someone real', 'manager', 'supervisor',
]

/**
 * Words that ask for something: a positive word after them in the same clause describes what is
 * wanted ("recommend a good pizza place"), not how the customer feels.
 */
export const EN_SEEK: readonly string[] = [
  'recommend', 'recommendation', 'recommendations', 'suggest', 'suggestion', 'suggestions', 'looking for', 'look for',
  'searching for', 'find me', 'tell me', 'know any', 'know a', 'whats the best', 'what is the best', 'which is the best',
  'which is better', 'which one is best', 'any good',
]

/** Thanks that is only politeness when it closes a request ("can you check my order, thanks"). */
export const EN_POLITE: readonly string[] = [
  'thanks', 'thank', 'thx', 'thnx', 'ty', 'thankyou', 'cheers', 'thank you', 'thanks a lot', 'many thanks', 'thanks so much',
  'thank you so much', 'thank you very much', 'much appreciated', 'thanks in advance', 'thank you in advance', 'tia',
]

/** Words that flip what follows (within three words and the same clause). */
export const EN_NEGATORS: ReadonlySet<string> = new Set(
  "not no never none nothing nowhere neither nor without hardly barely cannot cant dont doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt couldnt havent hasnt hadnt aint".split(' '),
)

/** Degree words: how much they scale the word they precede. */
export const EN_DEGREE: Readonly<Record<string, number>> = {
  very: 1.3, really: 1.3, so: 1.3, too: 1.25, extremely: 1.6, incredibly: 1.5, absolutely: 1.5, totally: 1.4,
  completely: 1.5, utterly: 1.6, super: 1.4, truly: 1.3, highly: 1.3, such: 1.25, most: 1.3, quite: 1.1,
  pretty: 1.1, seriously: 1.4, terribly: 1.4, insanely: 1.5, ridiculously: 1.5, beyond: 1.4, especially: 1.2,
  deeply: 1.4, genuinely: 1.3, honestly: 1.1, fucking: 1.6, bloody: 1.4, way: 1.2,
  'a bit': 0.6, 'a little': 0.6, 'a little bit': 0.5, slightly: 0.5, somewhat: 0.6, 'kind of': 0.6, 'sort of': 0.6,
  kinda: 0.6, sorta: 0.6, fairly: 0.8, rather: 0.9, marginally: 0.5, mildly: 0.5,
}

/** Clause joiners after which the customer's real point usually comes. */
export const EN_CONTRAST: ReadonlySet<string> = new Set(['but', 'however', 'nevertheless', 'although'])

/** "Worked great until…": what comes before is only the set-up for what broke. */
export const EN_UNTIL: ReadonlySet<string> = new Set(['until', 'till', 'til', 'up until'])
