import type { Known } from "./PgRows.ts"

/**
 * The newest state this process has seen committed for each account, with its version, for at most
 * `capacity` accounts (least recently used go first). A hint, never the truth: every write based on it
 * is a compare-and-swap on the version, which fails if another process moved the account on.
 */
export interface AccountCache {
  readonly get: (accountId: string) => Known | undefined
  readonly set: (accountId: string, known: Known) => void
  readonly delete: (accountId: string) => void
}

export const make = (capacity: number): AccountCache => {
  // A Map iterates in insertion order, so re-inserting on use keeps the oldest first.
  const states = new Map<string, Known>()
  return {
    get: (accountId) => states.get(accountId),
    set: (accountId, known) => {
      states.delete(accountId)
      states.set(accountId, known)
      if (states.size > capacity) states.delete(states.keys().next().value!)
    },
    delete: (accountId) => void states.delete(accountId),
  }
}
