import type { AccountState } from "@tally/domain"

/**
 * The newest state this process has seen committed for each account, for at most `capacity`
 * accounts (least recently used go first). A hint, never the truth: every write based on it is a
 * compare-and-swap that fails if another process moved the account on.
 */
export interface AccountCache {
  readonly get: (accountId: string) => AccountState | undefined
  readonly set: (accountId: string, state: AccountState) => void
  readonly delete: (accountId: string) => void
}

export const make = (capacity: number): AccountCache => {
  // A Map iterates in insertion order, so re-inserting on use keeps the oldest first.
  const states = new Map<string, AccountState>()
  return {
    get: (accountId) => states.get(accountId),
    set: (accountId, state) => {
      states.delete(accountId)
      states.set(accountId, state)
      if (states.size > capacity) states.delete(states.keys().next().value!)
    },
    delete: (accountId) => void states.delete(accountId),
  }
}
