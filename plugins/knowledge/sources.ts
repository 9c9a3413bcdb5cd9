import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { sbError } from '../../core/errors.js'

export type SourceKind = 'markdown' | 'text' | 'faq-yaml' | 'faq-json'

export interface SourceFile {
  /** Relative to the knowledge folder, with forward slashes on every OS. */
  path: string
  kind: SourceKind
  content: string
  /** sha256 of the bytes read (after the size cap). */
  sha256: string
  truncated: boolean
}

export interface SkippedFile {
  path: string
  reason: string
}

export interface ReadSourcesOptions {
  /** Bytes read per file; the rest is dropped with a warning. */
  maxFileBytes: number
}

export interface KnowledgeLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

export function kindOf(path: string): SourceKind | undefined {
  const lower = path.toLowerCase()
  if (/\.faq\.ya?ml$/.test(lower)) return 'faq-yaml'
  if (lower.endsWith('.faq.json')) return 'faq-json'
  if (lower.endsWith('.md') || lower.endsWith('.markdown')) return 'markdown'
  if (lower.endsWith('.txt')) return 'text'
  return undefined
}

/**
 * Every usable file under the folder, sorted by path so the fingerprint and chunk order do not
 * depend on the file system. Unusable ones (unknown type, binary, empty, symlink) are reported,
 * not fatal: one stray PDF must not keep a tenant from starting.
 */
export async function readSources(folder: string, options: ReadSourcesOptions, log?: KnowledgeLog): Promise<{ files: SourceFile[]; skipped: SkippedFile[] }> {
  const info = await stat(folder).catch(() => undefined)
  if (!info) throw sbError('SB_ERR_CONFIG_NOT_FOUND', `knowledge folder ${folder} does not exist`, [{ path: folder, message: 'does not exist' }])
  if (!info.isDirectory()) throw sbError('SB_ERR_CONFIG_INVALID', `knowledge folder ${folder} is not a folder`, [{ path: folder, message: 'not a folder' }])

  const files: SourceFile[] = []
  const skipped: SkippedFile[] = []
  const skip = (path: string, reason: string, level: 'info' | 'warn' | 'debug' = 'info') => {
    skipped.push({ path, reason })
    log?.[level]({ file: path, reason }, 'knowledge file skipped')
  }
  for (const entry of await walk(folder)) {
    const path = relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/')
    if (!entry.isFile()) {
      skip(path, entry.isSymbolicLink() ? 'symbolic links are not followed' : 'not a regular file')
      continue
    }
    const kind = kindOf(path)
    if (!kind) {
      skip(path, 'unsupported file type (use .md, .txt, .faq.yaml or .faq.json)')
      continue
    }
    const read = await readCapped(join(folder, path), options.maxFileBytes)
    if (read.binary) {
      skip(path, 'binary content', 'warn')
      continue
    }
    if (!read.text.trim()) {
      skip(path, 'empty', 'debug')
      continue
    }
    if (read.truncated) log?.warn({ file: path, maxFileBytes: options.maxFileBytes }, 'knowledge file is larger than maxFileBytes; only its beginning is used')
    files.push({ path, kind, content: read.text, sha256: read.sha256, truncated: read.truncated })
  }
  return { files, skipped }
}

async function walk(folder: string): Promise<Dirent[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => !relative(folder, join(e.parentPath, e.name)).split(sep).some((part) => part.startsWith('.')))
    // Regular files only: a symlink could lead the ingest out of the tenant's folder.
    .filter((e) => e.isFile())
    .sort((a, b) => (join(a.parentPath, a.name) < join(b.parentPath, b.name) ? -1 : 1))
}

async function readCapped(file: string, maxBytes: number): Promise<{ text: string; sha256: string; truncated: boolean; binary: boolean }> {
  // Read no more than the cap (plus one byte to know it was cut): a stray multi-gigabyte file
  // must not take the process's memory with it.
  const handle = await open(file, 'r')
  let bytes: Buffer
  try {
    const buffer = Buffer.alloc(maxBytes + 1)
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0)
    bytes = buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  const truncated = bytes.length > maxBytes
  if (truncated) {
    // Back up to the first byte of a UTF-8 character so the cut does not look like binary.
    let cut = maxBytes
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--
    bytes = bytes.subarray(0, cut)
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (bytes.subarray(0, 8192).includes(0)) return { text: '', sha256, truncated, binary: true }
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    return { text, sha256, truncated, binary: false }
  } catch {
    return { text: '', sha256, truncated, binary: true }
  }
}
