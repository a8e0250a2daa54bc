/**
 * Polls each Tally process's `/health` while a scenario runs, and keeps the moments it changed:
 * what a load balancer or an orchestrator in front of Tally would see.
 */

export interface HealthChange {
  readonly url: string
  readonly atMs: number
  /** The HTTP status, or null when the process did not answer. */
  readonly status: number | null
  readonly database: string | null
}

/** How often a load balancer would ask; often enough to see an election of ~10 s several times. */
const pollIntervalMs = 250

export interface HealthWatch {
  /** Stops polling and returns every change, in order, the first answer of each process included. */
  readonly stop: () => Promise<ReadonlyArray<HealthChange>>
}

const probe = async (url: string) => {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) })
    const body = (await response.json().catch(() => null)) as { database?: string } | null
    return { status: response.status, database: body?.database ?? null }
  } catch {
    return { status: null, database: null }
  }
}

export const watchHealth = (urls: ReadonlyArray<string>): HealthWatch => {
  const changes: Array<HealthChange> = []
  let stopping = false
  const watch = async (url: string) => {
    let last: string | undefined
    while (!stopping) {
      const { status, database } = await probe(url)
      const now = `${status}/${database}`
      if (now !== last) changes.push({ url, atMs: Date.now(), status, database })
      last = now
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
    }
  }
  const watching = urls.map(watch)
  return {
    stop: async () => {
      stopping = true
      await Promise.all(watching)
      return changes
    },
  }
}

/** The longest time any process reported the database down, in milliseconds. */
export const longestDownMs = (changes: ReadonlyArray<HealthChange>, untilMs: number) => {
  let longest = 0
  for (const url of new Set(changes.map((change) => change.url))) {
    const mine = changes.filter((change) => change.url === url)
    mine.forEach((change, index) => {
      if (change.status === 200) return
      longest = Math.max(longest, (mine[index + 1]?.atMs ?? untilMs) - change.atMs)
    })
  }
  return longest
}
