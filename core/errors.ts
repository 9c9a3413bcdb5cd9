/**
 * Every error Switchboard raises on purpose has a stable SB_ERR_* code and the HTTP status it
 * maps to. Operators alert on codes, clients branch on them (web-chat error frames carry them), so
 * codes never change meaning once shipped.
 */
export const errorCodes = {
  SB_ERR_CONFIG_INVALID: { status: 500, summary: 'configuration is invalid' },
  SB_ERR_CONFIG_NOT_FOUND: { status: 500, summary: 'configuration file or folder not found' },
  SB_ERR_PLUGIN_START_FAILED: { status: 500, summary: 'a plugin failed to start' },
  SB_ERR_NOT_FOUND: { status: 404, summary: 'not found' },
  SB_ERR_FRAME_INVALID: { status: 400, summary: 'the frame is not valid JSON or not a known frame' },
  SB_ERR_TEXT_TOO_LONG: { status: 413, summary: 'the message text exceeds the length limit' },
  SB_ERR_AUTH_REQUIRED: { status: 401, summary: 'credentials are required' },
  SB_ERR_AUTH_INVALID: { status: 401, summary: 'the credentials are invalid' },
  SB_ERR_AUTH_EXPIRED: { status: 401, summary: 'the credentials have expired' },
  SB_ERR_FORBIDDEN: { status: 403, summary: 'the principal lacks the permission this needs' },
  SB_ERR_BODY_INVALID: { status: 400, summary: 'the request body or parameters are not valid' },
  SB_ERR_BODY_TOO_LARGE: { status: 413, summary: 'the request body is too large' },
  SB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the request body must be application/json' },
  SB_ERR_CONFLICT: { status: 409, summary: 'the resource already exists or is in another state' },
  SB_ERR_INVALID_TRANSITION: { status: 409, summary: 'that status change is not allowed from the current status' },
  SB_ERR_ALREADY_TAKEN: { status: 409, summary: 'another agent has already taken this conversation' },
  SB_ERR_HANDOFF_ENDED: { status: 409, summary: 'the conversation is no longer with a human agent' },
  SB_ERR_HANDOFF_DISABLED: { status: 409, summary: 'handoff to human agents is not enabled for this tenant' },
  SB_ERR_CHANNEL_UNAVAILABLE: { status: 503, summary: 'the customer’s channel is not running; try again shortly' },
  SB_ERR_TENANT_CONFIG_REJECTED: { status: 422, summary: 'the tenant configuration is invalid; the running one is unchanged' },
  SB_ERR_ORIGIN_FORBIDDEN: { status: 403, summary: 'the page origin is not allowed for this tenant' },
  SB_ERR_RATE_LIMITED: { status: 429, summary: 'too many requests; slow down' },
  SB_ERR_SHUTTING_DOWN: { status: 503, summary: 'the gateway is shutting down' },
  SB_ERR_IDP_UNAVAILABLE: { status: 503, summary: 'the identity provider cannot be reached; try again shortly' },
  SB_ERR_STORE_UNAVAILABLE: { status: 503, summary: 'the data store is unavailable' },
  SB_ERR_TURN_FAILED: { status: 500, summary: 'the turn could not be completed' },
  SB_ERR_INTERNAL: { status: 500, summary: 'internal error' },
} as const satisfies Record<string, { status: number; summary: string }>

export type ErrorCode = keyof typeof errorCodes

export interface ErrorDetail {
  /** Where the problem is, e.g. `tenants/demo.yaml: channels[0].config.allowedOrigins[1]`. */
  path?: string
  message: string
}

export class SwitchboardError extends Error {
  readonly status: number
  /** For a passing condition (rate limit, shutdown): when trying again makes sense. */
  retryAfterMs?: number
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: readonly ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message ?? errorCodes[code].summary, options)
    this.name = 'SwitchboardError'
    this.status = errorCodes[code].status
  }

  /** A user mistake (bad config, bad input) is reported without a stack trace. */
  get isUserError(): boolean {
    return this.status < 500 || this.code.startsWith('SB_ERR_CONFIG')
  }

  toJSON() {
    return { code: this.code, message: this.message, ...(this.details.length ? { details: this.details } : {}) }
  }
}

export const sbError = (code: ErrorCode, message?: string, details?: ErrorDetail[], cause?: unknown) =>
  new SwitchboardError(code, message, details, cause === undefined ? undefined : { cause })

export const isSwitchboardError = (e: unknown): e is SwitchboardError => e instanceof SwitchboardError
