interface Prefix {
  origin: string
  path: string
}

/**
 * The connector URLs replies may be sent to. An activity names its own `serviceUrl`, and replies
 * carry the bot's bearer token there, so a forged or stolen-token activity must not be able to
 * point it at another host. Entries are prefixes: same scheme, host and port, and the path
 * starting with the entry's path.
 */
export class ServiceUrlAllowlist {
  readonly #prefixes: Prefix[]

  constructor(entries: readonly string[]) {
    this.#prefixes = entries.map((entry) => {
      const url = new URL(entry)
      return { origin: url.origin, path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/` }
    })
  }

  allows(serviceUrl: string): boolean {
    if (!URL.canParse(serviceUrl)) return false
    const url = new URL(serviceUrl)
    if (url.username || url.password || url.search || url.hash) return false
    const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`
    return this.#prefixes.some((p) => p.origin === url.origin && path.startsWith(p.path))
  }
}
