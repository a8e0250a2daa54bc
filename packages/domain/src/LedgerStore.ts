import { Context, type Effect } from "effect"
import type { AccountId } from "./AccountId.ts"
import type { AccountState } from "./AccountState.ts"
import type { AccountHistory } from "./Audit.ts"
import type { Entry, EntryKind } from "./Entry.ts"
import type { LedgerEvent } from "./events/LedgerEvent.ts"
import type { IdempotencyKey } from "./IdempotencyKey.ts"
import type { LedgerUnavailable, StoreError } from "./LedgerError.ts"
import type { Step } from "./Posting.ts"

export interface EntriesQuery {
  readonly limit: number
  /** Only entries with a lower sequence: the keyset cursor. */
  readonly beforeSequence?: number
  readonly kind?: EntryKind
}

/**
 * The storage port. An adapter holds no rule: `transact` gives a pure step exclusive access to one
 * account's committed state (and the record of the write's idempotency key), then persists the
 * step's transition atomically, or nothing. A step may run more than once (a retry); it is pure.
 * `transact` fails with `LedgerUnavailable` only when nothing was written, with `OutcomeUnknown` when
 * it cannot tell, and with `InvalidRequest` when the storage refuses the operation's data.
 */
export class LedgerStore extends Context.Service<
  LedgerStore,
  {
    readonly transact: <A>(
      accountId: AccountId,
      idempotencyKey: IdempotencyKey | undefined,
      step: Step<A>,
    ) => Effect.Effect<A, StoreError>
    /** The committed state; an account never written to reads as `newAccountState`. */
    readonly account: (accountId: AccountId) => Effect.Effect<AccountState, LedgerUnavailable>
    /** Entries newest first. */
    readonly entries: (
      accountId: AccountId,
      query: EntriesQuery,
    ) => Effect.Effect<ReadonlyArray<Entry>, LedgerUnavailable>
    /** Up to `accountsMax` accounts with ids after `afterAccountId`, in id order, each with its history. */
    readonly histories: (
      afterAccountId: AccountId | undefined,
      accountsMax: number,
    ) => Effect.Effect<ReadonlyArray<AccountHistory>, LedgerUnavailable>
    /**
     * Up to `limit` events after the event whose id is `afterId` (0: from the first), in feed order,
     * or undefined when no event has that id. Feed order is commit order: an event never appears
     * before one that a reader has already read, even when its transaction committed late.
     */
    readonly events: (
      afterId: number,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<LedgerEvent> | undefined, LedgerUnavailable>
  }
>()("@tally/domain/LedgerStore") {}
