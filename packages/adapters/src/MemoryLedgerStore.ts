import {
  type AccountHistory,
  type AccountId,
  type AccountState,
  type Entry,
  type IdempotencyRecord,
  LedgerStore,
  newAccountState,
} from "@tally/domain"
import { Effect, Layer, Option } from "effect"
import * as MemoryEventLog from "./MemoryEventLog.ts"

interface Account {
  state: AccountState
  /** entries[i] has sequence i + 1. */
  readonly entries: Array<Entry>
  readonly keys: Map<string, IdempotencyRecord>
}

/**
 * Storage in process memory. A step reads, decides and persists in one synchronous run, which
 * JavaScript never interleaves with another fiber's: exclusive access per account without a lock,
 * and no contention across accounts. Its events go to the process's `MemoryEventLog` when there is
 * one (the webhook store reads it too), else to a log of its own.
 */
export const make = Effect.gen(function* () {
  const log = Option.getOrElse(yield* Effect.serviceOption(MemoryEventLog.MemoryEventLog), MemoryEventLog.make)
  const accounts = new Map<AccountId, Account>()

  const accountOf = (accountId: AccountId): Account => {
    let account = accounts.get(accountId)
    if (account === undefined) {
      account = { state: newAccountState, entries: [], keys: new Map() }
      accounts.set(accountId, account)
    }
    return account
  }

  return LedgerStore.of({
    transact: (accountId, idempotencyKey, step) =>
      Effect.sync(() => {
        const existing = accounts.get(accountId)
        const state = existing?.state ?? newAccountState
        const prior = idempotencyKey === undefined ? undefined : existing?.keys.get(idempotencyKey)
        const transition = step({ state, prior })
        if (transition.state === undefined && transition.record === undefined) return transition.result
        const account = existing ?? accountOf(accountId)
        if (transition.entry !== undefined) account.entries.push(transition.entry)
        if (transition.record !== undefined) account.keys.set(transition.record.key, transition.record)
        if (transition.state !== undefined) account.state = transition.state
        return transition.result
      }),

    account: (accountId) => Effect.sync(() => accounts.get(accountId)?.state ?? newAccountState),

    entries: (accountId, { limit, beforeSequence, kind }) =>
      Effect.sync(() => {
        const entries = accounts.get(accountId)?.entries ?? []
        const page: Array<Entry> = []
        for (
          let i = Math.min(entries.length, (beforeSequence ?? Infinity) - 1) - 1;
          i >= 0 && page.length < limit;
          i--
        ) {
          const entry = entries[i]!
          if (kind === undefined || entry.kind === kind) page.push(entry)
        }
        return page
      }),

    histories: (afterAccountId, accountsMax) =>
      Effect.sync(() =>
        [...accounts.keys()]
          .filter((id) => afterAccountId === undefined || id > afterAccountId)
          .sort()
          .slice(0, accountsMax)
          .map((accountId): AccountHistory => {
            const { state, entries } = accounts.get(accountId)!
            return { accountId, state, entries: [...entries] }
          }),
      ),

    events: (afterId, limit) => Effect.sync(() => log.read(afterId, limit)),
  })
})

export const layer = Layer.effect(LedgerStore, make)
