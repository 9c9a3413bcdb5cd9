import { z } from 'zod'
import { sbError } from '../../core/index.js'

/**
 * Where a call stands, carried in the URLs the TwiML sends Twilio to, so any replica (or this one
 * after a restart) can answer the next request without remembering anything. Twilio signs the URL
 * it requests, so these values come back exactly as written.
 */
export interface Step {
  /** The last reply seq the caller has heard. */
  after: number
  /** The number of the caller's next utterance; `${CallSid}:${n}` is its inbox id. */
  n: number
  /** Unclear utterances in a row. */
  low?: number
  /** Silent answers in a row. */
  quiet?: number
  /** The seq of the reply whose choice the keypad answers. */
  menu?: number
}

/** A return for an answer that was not ready: the turn to look for and how many fillers were said. */
export interface Pickup extends Step {
  turn: string
  try: number
}

export type Route = '/incoming' | '/turn' | '/pickup' | '/dial' | '/status'

/** Absolute URLs of a channel instance's routes, on its public base URL. */
export class CallUrls {
  /** @param publicPath a route's public URL: the configured base plus the instance path. */
  constructor(private readonly publicPath: (route: Route) => string) {}

  incoming(): string {
    return this.publicPath('/incoming')
  }

  status(): string {
    return this.publicPath('/status')
  }

  turn(step: Step): string {
    return this.#with('/turn', stepQuery(step))
  }

  pickup(pickup: Pickup): string {
    return this.#with('/pickup', [...stepQuery(pickup), ['turn', pickup.turn], ['try', String(pickup.try)]])
  }

  dial(step: Step): string {
    return this.#with('/dial', stepQuery(step))
  }

  #with(route: Route, query: [string, string][]): string {
    return `${this.publicPath(route)}?${new URLSearchParams(query).toString()}`
  }
}

/** Always in the same order, so the same step is always the same URL (and the same signature). */
function stepQuery(step: Step): [string, string][] {
  const query: [string, string][] = [
    ['after', String(step.after)],
    ['n', String(step.n)],
  ]
  if (step.low) query.push(['low', String(step.low)])
  if (step.quiet) query.push(['quiet', String(step.quiet)])
  if (step.menu !== undefined) query.push(['menu', String(step.menu)])
  return query
}

const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().max(max))

const StepQuery = z
  .object({
    after: count(1e9),
    n: count(1e6).pipe(z.number().min(1)),
    low: count(100).optional(),
    quiet: count(100).optional(),
    menu: count(1e9).pipe(z.number().min(1)).optional(),
  })
  .strict()

const PickupQuery = StepQuery.extend({
  turn: z.string().regex(/^t_[\w-]{1,64}$/, 'a turn id'),
  try: count(100).pipe(z.number().min(1)),
}).strict()

type Query = Record<string, string | string[] | undefined>

/** The step a turn or dial URL carries; 400 when it is not a URL this channel wrote. */
export const stepOf = (query: Query): Step => parse(StepQuery, query)

export const pickupOf = (query: Query): Pickup => parse(PickupQuery, query)

function parse<T>(schema: z.ZodType<T>, query: Query): T {
  const parsed = schema.safeParse(query)
  if (parsed.success) return parsed.data
  const details = parsed.error.issues.slice(0, 5).map((issue) => ({ path: ['query', ...issue.path].join('.'), message: issue.message }))
  throw sbError('SB_ERR_BODY_INVALID', 'the URL is not one this channel wrote into its TwiML', details)
}
