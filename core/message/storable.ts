/**
 * Text PostgreSQL can store: a lone surrogate or NUL is legal in a JS string and in JSON, but
 * text and jsonb columns refuse it — an accepted message that cannot be stored would be retried
 * by its platform forever. Both become U+FFFD.
 */
export const storableText = (text: string): string => text.toWellFormed().replaceAll('\u0000', '\uFFFD')

/** `storableText` applied to every string and key of parsed JSON. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value)
  if (Array.isArray(value)) return value.map(storableJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    // defineProperty: an own '__proto__' key (JSON.parse makes those) must stay a key, not become the prototype.
    for (const [key, inner] of Object.entries(value))
      Object.defineProperty(out, storableText(key), { value: storableJson(inner), enumerable: true, writable: true, configurable: true })
    return out
  }
  return value
}
