import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Entry } from "./Entry.ts"
import type {
  IdempotencyConflict,
  InvalidRequest,
  LedgerUnavailable,
  RuleRejection,
  StoreError,
} from "./LedgerError.ts"
import type { LedgerStore, WriteTarget } from "./LedgerStore.ts"
import type { Step, WriteResult } from "./Posting.ts"
import { asReplayed } from "./ReplayedRefusal.ts"

/** An applied write: its entry, and whether this call replayed an earlier one with the same key. */
export interface Posting {
  readonly entry: Entry
  readonly replayed: boolean
}

/** How a write fails: the rules it can break (`Rejection`), a reused key, the storage. */
export type WriteError<Rejection extends RuleRejection = RuleRejection> = Rejection | IdempotencyConflict | StoreError

/** How a read fails: a malformed request, or the storage. */
export type ReadError = InvalidRequest | LedgerUnavailable

/** A time as the ledger records it. */
export const iso = (nowMs: number) => new Date(nowMs).toISOString()

/** The store answered a write with an outcome its step cannot produce: a bug, never a caller's error. */
export const unexpected = (result: WriteResult) => Effect.die(new Error(`unexpected write outcome ${result._tag}`))

/** A write that posts an entry, as its feature's operation answers it. */
export const asPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<Posting> =>
  result._tag === "Posted" ? Effect.succeed({ entry: result.entry, replayed: result.replayed }) : unexpected(result)

/**
 * How every feature's operations write: through the store's exclusive access to one account, at the
 * `Clock`'s time, so each feature's file needs only the store.
 */
export const ledgerWrites = (store: LedgerStore["Service"]) => {
  /** Runs a write's step at the current time. */
  const transact = (target: WriteTarget, step: (nowMs: number) => Step<WriteResult>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => store.transact(target, step(now)))

  /**
   * As `transact`, and a rule's refusal fails the effect with its error, marked (`isReplayed`) when it
   * repeats the stored refusal of an earlier write with the same key. Each step refuses only with its
   * own rules' errors (`Rejection`), and a key replays only the same kind of write, so the refusal is
   * narrowed to them.
   */
  const commit = <Rejection extends RuleRejection>(target: WriteTarget, step: (nowMs: number) => Step<WriteResult>) =>
    transact(target, step).pipe(
      Effect.flatMap((result) =>
        result._tag === "Refused"
          ? Effect.fail((result.replayed ? asReplayed(result.error) : result.error) as Rejection | IdempotencyConflict)
          : Effect.succeed(result),
      ),
    )

  /**
   * A sweep: what is due, a page at a time, each through the same locked path as every write, so it
   * races the other writes safely. Ends when a page comes back short or changes nothing.
   */
  const sweep = <T, R>(
    due: (nowMs: number) => Effect.Effect<ReadonlyArray<T>, StoreError>,
    write: (item: T, nowMs: number) => Effect.Effect<R, StoreError>,
    changed: (result: R) => boolean,
    page: { readonly size: number; readonly concurrency: number },
  ) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const all: Array<R> = []
      while (true) {
        const items = yield* due(now)
        const results = yield* Effect.forEach(items, (item) => write(item, now), { concurrency: page.concurrency })
        all.push(...results)
        if (items.length < page.size || !results.some(changed)) return all
      }
    })

  return { transact, commit, sweep }
}
