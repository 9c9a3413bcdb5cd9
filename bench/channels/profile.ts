import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'

export interface CpuProfile {
  nodes: unknown[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/**
 * A CPU profile of the gateway taken through its inspector (it runs with --inspect on a random
 * local port: Node 20 refuses --cpu-prof in NODE_OPTIONS, and the harness spawns the binary itself).
 */
export async function startProfiling(inspectorUrl: string, intervalUs = 500): Promise<{ stop(): Promise<CpuProfile> }> {
  const socket = new WebSocket(inspectorUrl)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  let nextId = 0
  const pending = new Map<number, (result: unknown) => void>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown }
    if (message.id !== undefined) pending.get(message.id)?.(message.result)
  })
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId
      pending.set(id, resolve)
      socket.send(JSON.stringify({ id, method, params }))
    })
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', { interval: intervalUs })
  await post('Profiler.start')
  return {
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile }
      socket.close()
      return profile
    },
  }
}

/**
 * Keeps only the samples inside the measured windows (the profile also spans warm-ups and the
 * time the baselines ran), so ws-chat's profile-summary divides the windows' CPU by their
 * replies. Profile timestamps and the load child's window edges are both CLOCK_MONOTONIC µs.
 */
export function writeWindows(profile: CpuProfile, windows: { fromUs: number; toUs: number }[], file: string): string {
  const samples: number[] = []
  // profile-summary charges sample i with timeDeltas[i + 1]: each kept sample's own duration goes there.
  const deltas: number[] = [0]
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (!windows.some((w) => at >= w.fromUs && at < w.toUs)) return
    samples.push(id)
    deltas.push(profile.timeDeltas[i + 1] ?? 0)
  })
  const total = deltas.reduce((a, b) => a + b, 0)
  writeFileSync(file, JSON.stringify({ ...profile, samples, timeDeltas: deltas, endTime: profile.startTime + total }))
  return file
}
