export type Undo = () => void | Promise<void>

/**
 * Owns every side effect something started (route, timer, socket, subscription) together with
 * its undo. Disposing runs the undos in reverse order, once, so stopping or reloading a tenant
 * leaves nothing behind. Modelled on Cordis' `ctx.effect`.
 */
export class Scope {
  readonly #controller = new AbortController()
  readonly #undos: { undo: Undo; label: string }[] = []
  readonly #children = new Set<Scope>()
  #disposing: Promise<void> | undefined

  constructor(
    readonly label: string,
    private readonly onError: (error: unknown, label: string) => void = () => {},
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get disposed(): boolean {
    return this.#disposing !== undefined
  }

  /** Runs `setup` and keeps the undo it returns. */
  async effect(setup: () => Undo | void | Promise<Undo | void>, label = 'effect'): Promise<void> {
    if (this.disposed) throw new Error(`scope ${this.label} is disposed; cannot start ${label}`)
    const undo = await setup()
    if (undo) this.onDispose(undo, label)
  }

  onDispose(undo: Undo, label = 'undo'): void {
    if (this.disposed) {
      void Promise.resolve().then(undo).catch((e) => this.onError(e, label))
      return
    }
    this.#undos.push({ undo, label })
  }

  child(label: string): Scope {
    const child = new Scope(`${this.label}/${label}`, this.onError)
    this.#children.add(child)
    this.onDispose(async () => {
      this.#children.delete(child)
      await child.dispose()
    }, `child:${label}`)
    return child
  }

  /** How many undos are still registered; a leak test asserts it drops to zero. */
  get size(): number {
    return this.#undos.length
  }

  dispose(): Promise<void> {
    this.#disposing ??= this.#runUndos()
    return this.#disposing
  }

  async #runUndos(): Promise<void> {
    this.#controller.abort(new Error(`scope ${this.label} disposed`))
    while (this.#undos.length > 0) {
      const { undo, label } = this.#undos.pop()!
      try {
        await undo()
      } catch (error) {
        this.onError(error, `${this.label}:${label}`)
      }
    }
  }
}
