/** Shown by `switchboard help` without loading the knowledge base's dependencies. */
export const KB_USAGE = `Usage:
  switchboard kb ingest --tenant ID [--config DIR] [--force] [DIR]
      (re)builds the tenant's knowledge base from DIR (default: the folder its knowledge plugin names)
      with the embedder it configures; skipped when nothing changed unless --force. A running gateway
      picks the new table up within seconds.`
