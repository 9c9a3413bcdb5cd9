import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { repoRoot } from './children.js'

/**
 * Where a server's CPU went during the measured window, from a V8 .cpuprofile: self time by area
 * (package, repo folder, node internals, GC), the functions with the most self time, and the most
 * expensive call-tree entries including their callees.
 * Standalone: `node --import tsx bench/ws-chat/profile-summary.ts <file.cpuprofile> [top]`.
 */

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export function summarizeProfile(file: string, top = 25, messages?: number, unit = 'msg'): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)

  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const areas = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    // V8 attributes each delta to the following sample; the next delta is this sample's duration.
    const dt = profile.timeDeltas[i + 1] ?? 0
    total += dt
    const node = byId.get(id)!
    add(self, label(node), dt)
    add(areas, area(node), dt)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!)
      // Count a recursive function once per sample.
      if (seen.has(key)) continue
      seen.add(key)
      add(inclusive, key, dt)
    }
  })

  const busy = total - (areas.get('(idle)') ?? 0)
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`
  const us = (v: number) => (messages ? `${(v / messages).toFixed(1).padStart(7)} µs/${unit}` : '')
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, v]) => `  ${pct(v)} ${us(v)}  ${key}`)
  return [
    `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * busy) / total).toFixed(0)} % busy${messages ? `, ${messages} × ${unit} → ${(busy / messages).toFixed(1)} µs busy per ${unit}` : ''}`,
    'self time by area:',
    ...rows(areas, 20),
    `self time, top ${top} functions:`,
    ...rows(self, top),
    `inclusive time (function and its callees), top ${top}:`,
    ...rows(
      new Map([...inclusive].filter(([key]) => !key.startsWith('(root)'))),
      top,
    ),
  ].join('\n')
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value)
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const name = functionName || '(anonymous)'
  if (!url) return name
  return `${name}  ${shortUrl(url)}:${lineNumber + 1}`
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '')
  const modules = path.lastIndexOf('/node_modules/')
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length)
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length) : path
}

/** A package, a repo folder, a node: module family, or one of V8's pseudo-frames. */
function area(node: ProfileNode): string {
  const { functionName, url } = node.callFrame
  if (!url) return functionName.startsWith('(') ? functionName : '(native / builtins)'
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  if (url.startsWith('wasm://')) return 'wasm (PGlite)'
  const path = url.replace(/^file:\/\//, '')
  const modules = path.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const parts = path.slice(modules + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  if (path.startsWith(repoRoot)) return path.slice(repoRoot.length).split('/').slice(0, 2).join('/')
  return path
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2)
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]')
    process.exit(2)
  }
  console.log(summarizeProfile(file, Number(top ?? 25)))
}
