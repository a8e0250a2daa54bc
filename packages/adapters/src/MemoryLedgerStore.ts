import {
  type AccountHistory,
  type AccountId,
  type AccountState,
  type AutoTopUpRequest,
  accountsPageOf,
  auditedAccountOf,
  dueAutoTopUpRequestsOf,
  dueGrantAccountsOf,
  dueHoldsOf,
  duePendingCreditsOf,
  dueRefillsOf,
  type Entry,
  expiringGrantAccountsOf,
  exportOf,
  type Grant,
  grantsPageOf,
  type Hold,
  type IdempotencyRecord,
  LedgerStore,
  matchesFilter,
  newAccountState,
  newestFirst,
  openHoldsOf,
  type PendingCredit,
  pendingCreditsPageOf,
  runsOf,
  searchOf,
  storagePortVersion,
  summaryOf,
  totalsOf,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as MemoryEventLog from "./MemoryEventLog.ts"

interface Account {
  state: AccountState
  /** entries[i] has sequence i + 1. */
  readonly entries: Array<Entry>
  readonly keys: Map<string, IdempotencyRecord>
  readonly holds: Map<number, Hold>
  /** Credits refunded so far of an entry, by its sequence. */
  readonly refunded: Map<number, number>
  readonly autoTopUpRequests: Map<number, AutoTopUpRequest>
  /** The refill periods settled, by their start (ISO-8601): each once. */
  readonly refills: Set<string>
  /** Every grant it ever had, by id. */
  readonly grants: Map<number, Grant>
  readonly pendingCredits: Map<number, PendingCredit>
}

/**
 * Storage in process memory. A step reads, decides and persists in one synchronous run, which
 * JavaScript never interleaves with another fiber's: exclusive access per account without a lock,
 * and no contention across accounts. History queries scan; this store is for tests and small runs. Its
 * events go to the process's `MemoryEventLog` when there is one (the webhook store reads it too), else
 * to a log of its own.
 */
export const make = Effect.gen(function* () {
  const log = Option.getOrElse(yield* Effect.serviceOption(MemoryEventLog.MemoryEventLog), MemoryEventLog.make)
  const accounts = new Map<AccountId, Account>()

  /** Account ids in order, after `afterAccountId` (or from it, `inclusive`). */
  const idsAfter = (afterAccountId: string | undefined, inclusive = false) =>
    [...accounts.keys()]
      .filter((id) => afterAccountId === undefined || id > afterAccountId || (inclusive && id === afterAccountId))
      .sort()

  const accountOf = (accountId: AccountId): Account => {
    let account = accounts.get(accountId)
    if (account === undefined) {
      account = {
        state: newAccountState,
        entries: [],
        keys: new Map(),
        holds: new Map(),
        refunded: new Map(),
        autoTopUpRequests: new Map(),
        refills: new Set(),
        grants: new Map(),
        pendingCredits: new Map(),
      }
      accounts.set(accountId, account)
    }
    return account
  }

  /** Every entry, newest first across accounts. */
  const allEntries = () => newestFirst([...accounts.values()].flatMap((account) => account.entries))

  return LedgerStore.of({
    portVersion: storagePortVersion,
    transact: (
      { accountId, idempotencyKey, holdId, refundOf, autoTopUpRequestId, pendingCreditId, opensPendingCredit },
      step,
    ) =>
      Effect.sync(() => {
        const existing = accounts.get(accountId)
        const target = refundOf === undefined ? undefined : existing?.entries[refundOf - 1]
        const transition = step({
          state: existing?.state ?? newAccountState,
          prior: idempotencyKey === undefined ? undefined : existing?.keys.get(idempotencyKey),
          hold: holdId === undefined ? undefined : existing?.holds.get(holdId),
          refundTarget:
            target === undefined
              ? undefined
              : { entry: target, refunded: existing?.refunded.get(target.sequence) ?? 0 },
          autoTopUpRequest:
            autoTopUpRequestId === undefined ? undefined : existing?.autoTopUpRequests.get(autoTopUpRequestId),
          pendingCredit: pendingCreditId === undefined ? undefined : existing?.pendingCredits.get(pendingCreditId),
          pendingCreditsOpened: opensPendingCredit === true ? (existing?.pendingCredits.size ?? 0) : undefined,
        })
        const { state, entry, record, hold, result } = transition
        if (state === undefined && record === undefined && hold === undefined) return result
        const account = existing ?? accountOf(accountId)
        const { autoTopUpRequest, refill, events, grants, pendingCredit } = transition
        // What the storage guarantees besides the rules, as PostgreSQL's constraints do: a step that
        // would break it is a bug, and nothing of it is written.
        if (refill !== undefined && account.refills.has(refill.periodStart)) {
          throw new Error(`refill period ${refill.periodStart} of ${accountId} settled twice`)
        }
        if (entry !== undefined) {
          account.entries.push(entry)
          if (entry.refundOf !== null) {
            account.refunded.set(entry.refundOf, (account.refunded.get(entry.refundOf) ?? 0) - entry.amount)
          }
        }
        if (record !== undefined) account.keys.set(record.key, record)
        if (hold !== undefined) account.holds.set(hold.holdId, hold)
        if (autoTopUpRequest !== undefined) account.autoTopUpRequests.set(autoTopUpRequest.requestId, autoTopUpRequest)
        if (refill !== undefined) account.refills.add(refill.periodStart)
        if (grants !== undefined) for (const grant of grants) account.grants.set(grant.grantId, grant)
        if (pendingCredit !== undefined) account.pendingCredits.set(pendingCredit.pendingCreditId, pendingCredit)
        if (events !== undefined && events.length > 0) log.append(events)
        if (state !== undefined) account.state = state
        return result
      }),

    account: (accountId) => Effect.sync(() => accounts.get(accountId)?.state ?? newAccountState),

    entries: (accountId, { limit, beforeSequence, ...filter }) =>
      Effect.sync(() => {
        const entries = accounts.get(accountId)?.entries ?? []
        const page: Array<Entry> = []
        for (
          let i = Math.min(entries.length, (beforeSequence ?? Infinity) - 1) - 1;
          i >= 0 && page.length < limit;
          i--
        ) {
          const entry = entries[i]!
          if (matchesFilter(entry, filter)) page.push(entry)
        }
        return page
      }),

    hold: (accountId, holdId) => Effect.sync(() => accounts.get(accountId)?.holds.get(holdId)),

    openHolds: (accountId, limit) =>
      Effect.sync(() => openHoldsOf(accounts.get(accountId)?.holds.values() ?? [], limit)),

    dueHolds: (now, limit) =>
      Effect.sync(() =>
        dueHoldsOf(
          [...accounts.values()].flatMap((account) => [...account.holds.values()]),
          now,
          limit,
        ),
      ),

    autoTopUpRequest: (accountId, requestId) =>
      Effect.sync(() => accounts.get(accountId)?.autoTopUpRequests.get(requestId)),

    dueAutoTopUpRequests: (now, limit) =>
      Effect.sync(() =>
        dueAutoTopUpRequestsOf(
          [...accounts.values()].flatMap((account) => [...account.autoTopUpRequests.values()]),
          now,
          limit,
        ),
      ),

    pendingCredit: (accountId, pendingCreditId) =>
      Effect.sync(() => accounts.get(accountId)?.pendingCredits.get(pendingCreditId)),

    pendingCredits: (accountId, query) =>
      Effect.sync(() => pendingCreditsPageOf(accounts.get(accountId)?.pendingCredits.values() ?? [], query)),

    duePendingCredits: (now, limit) =>
      Effect.sync(() =>
        duePendingCreditsOf(
          [...accounts.values()].flatMap((account) => [...account.pendingCredits.values()]),
          now,
          limit,
        ),
      ),

    dueRefills: (nowMs, limit) =>
      Effect.sync(() =>
        dueRefillsOf(
          [...accounts].map(([accountId, account]) => ({ accountId, state: account.state })),
          nowMs,
          limit,
        ),
      ),

    grants: (accountId, limit, beforeGrantId) =>
      Effect.sync(() => grantsPageOf(accounts.get(accountId)?.grants.values() ?? [], limit, beforeGrantId)),

    dueGrants: (nowMs, limit) =>
      Effect.sync(() =>
        dueGrantAccountsOf(
          [...accounts].map(([accountId, account]) => ({ accountId, state: account.state })),
          nowMs,
          limit,
        ),
      ),

    expiringGrants: (untilMs, limit) =>
      Effect.sync(() =>
        expiringGrantAccountsOf(
          [...accounts].map(([accountId, account]) => ({ accountId, state: account.state })),
          untilMs,
          limit,
        ),
      ),

    totals: (accountId, filter) => Effect.sync(() => totalsOf(accounts.get(accountId)?.entries ?? [], filter)),

    runs: (accountId, query) => Effect.sync(() => runsOf(accounts.get(accountId)?.entries ?? [], query)),

    accounts: (query) =>
      Effect.sync(() =>
        accountsPageOf(
          [...accounts].flatMap(([accountId, { state, entries }]) => summaryOf(accountId, state, entries.at(-1)) ?? []),
          query,
        ),
      ),

    search: (query) => Effect.sync(() => searchOf(allEntries(), query)),

    exportEntries: (query) => Stream.suspend(() => Stream.fromIterable(exportOf(allEntries(), query))),

    auditAccounts: (afterAccountId, accountsMax) =>
      Effect.sync(() =>
        idsAfter(afterAccountId)
          .slice(0, accountsMax)
          .map((accountId) => {
            const { state, entries, holds, autoTopUpRequests, pendingCredits } = accounts.get(accountId)!
            return auditedAccountOf({
              accountId,
              state,
              entries,
              holds: [...holds.values()],
              autoTopUpRequests: [...autoTopUpRequests.values()],
              pendingCredits: [...pendingCredits.values()],
            })
          }),
      ),

    auditEntries: (after, throughAccountId, limit) =>
      Effect.sync(() => {
        const page: Array<Entry> = []
        for (const accountId of idsAfter(after.accountId, true)) {
          if (accountId > throughAccountId || page.length === limit) break
          const { entries } = accounts.get(accountId)!
          // entries[i] has sequence i + 1: the entries after `after.sequence` start at that index.
          const from = accountId === after.accountId ? after.sequence : 0
          for (let i = from; i < entries.length && page.length < limit; i++) page.push(entries[i]!)
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
            const { state, entries, holds, autoTopUpRequests, pendingCredits } = accounts.get(accountId)!
            return {
              accountId,
              state,
              entries: [...entries],
              holds: [...holds.values()],
              autoTopUpRequests: [...autoTopUpRequests.values()],
              pendingCredits: [...pendingCredits.values()],
            }
          }),
      ),

    events: (afterId, limit) => Effect.sync(() => log.read(afterId, limit)),
  })
})

export const layer = Layer.effect(LedgerStore, make)
