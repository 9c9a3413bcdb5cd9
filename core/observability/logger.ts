import pino, { type Logger } from 'pino'

export interface LoggerOptions {
  level?: string
  /** Where lines go; tests pass a stream they can read. */
  destination?: pino.DestinationStream
}

/**
 * JSON logs. Secret values never reach a logger: config is redacted by its schema before it is
 * logged, and the paths below catch the usual transport-level leaks.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'switchboard' },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'token', '*.token'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  )
}
