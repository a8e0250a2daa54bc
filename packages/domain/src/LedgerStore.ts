import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { AccountId } from "./AccountId.ts"
import type { AccountState } from "./AccountState.ts"
import type { AccountHistory, AuditedAccount, AuditPosition } from "./Audit.ts"
import type { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import type { Entry, EntryKind } from "./Entry.ts"
import type { LedgerEvent } from "./events/LedgerEvent.ts"
import type { Grant } from "./grants/Grant.ts"
import type { AccountPosition, AccountSummary } from "./history/AccountActivity.ts"
import type { Hold, HoldId } from "./holds/Hold.ts"
import type { IdempotencyKey } from "./IdempotencyKey.ts"
import type { LedgerUnavailable, StoreError } from "./LedgerError.ts"
import type { Step } from "./Posting.ts"
import type { PendingCredit, PendingCreditStatus } from "./pendingCredits/PendingCredit.ts"
import type { Run, RunsQuery } from "./runs/Run.ts"

/**
 * What a write touches: its account, and the rows the store loads for its step under the account's
 * exclusive access. A new kind of row a write reads joins here, and in `AccountSnapshot` and
 * `Transition`.
 */
export interface WriteTarget {
  readonly accountId: AccountId
  /** Its key's record, if the key was used before. */
  readonly idempotencyKey?: IdempotencyKey | undefined
  /** The hold it captures, releases or expires. */
  readonly holdId?: HoldId | undefined
  /** The entry it refunds, with what refunds already returned of it. */
  readonly refundOf?: number | undefined
  /** The auto top-up request it completes, fails or expires. */
  readonly autoTopUpRequestId?: number | undefined
  /** The pending credit it activates, voids or expires. */
  readonly pendingCreditId?: number | undefined
  /** It records a pending credit: the snapshot counts the account's pending credits (`pendingCreditsOpened`). */
  readonly opensPendingCredit?: boolean | undefined
}

/** Filters of history; times are ISO-8601, `from` included and `to` excluded. */
export interface EntryFilter {
  readonly kind?: EntryKind | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly reference?: string | undefined
  /** Only entries that name this member of the wallet. */
  readonly member?: string | undefined
}

/** Totals' filters, and `groupBy: "member"` for a total per member and kind. */
export interface TotalsQuery extends EntryFilter {
  readonly groupBy?: "member" | undefined
}

export interface EntriesQuery extends EntryFilter {
  readonly limit: number
  /** Only entries with a lower sequence: the keyset cursor. */
  readonly beforeSequence?: number | undefined
}

/** Where a ledger-wide page ends: entries come newest first, by time, then account id and sequence. */
export interface LedgerPosition {
  readonly createdAt: string
  readonly accountId: string
  readonly sequence: number
}

export interface SearchQuery extends EntryFilter {
  readonly accountId?: AccountId | undefined
  readonly limit: number
  /** Only entries after this position in the order above. */
  readonly after?: LedgerPosition | undefined
}

export interface ExportQuery extends EntryFilter {
  readonly accountId?: AccountId | undefined
}

/** Accounts with entries, newest activity first (see `AccountPosition`). */
export interface AccountsQuery {
  /** Only ids that start with it. */
  readonly prefix?: string | undefined
  readonly limit: number
  /** Only accounts after this position in that order. */
  readonly after?: AccountPosition | undefined
}

export interface KindTotal {
  /** Grouped by member: the member (null: entries that name none); absent otherwise. */
  readonly member?: string | null
  readonly kind: EntryKind
  /** How many entries of the kind matched. */
  readonly entries: number
  /**
   * Their signed amounts summed, exactly: a sum of many safe integers can pass 2^53 - 1, so it is a
   * bigint (a decimal string in JSON).
   */
  readonly amount: bigint
}

/** A hold whose deadline has passed and that is still open. */
export interface DueHold {
  readonly accountId: AccountId
  readonly holdId: HoldId
}

/** An auto top-up request whose deadline has passed and that is still open. */
export interface DueAutoTopUpRequest {
  readonly accountId: AccountId
  readonly requestId: number
}

/** A pending credit whose deadline has passed and that is still pending. */
export interface DuePendingCredit {
  readonly accountId: AccountId
  readonly pendingCreditId: number
}

/** A page of an account's pending credits: newest first, ids below `beforeId`, of one status if given. */
export interface PendingCreditsQuery {
  readonly status?: PendingCreditStatus | undefined
  readonly limit: number
  readonly beforeId?: number | undefined
}

/**
 * The storage port. An adapter holds no rule: `transact` gives a pure step exclusive access to one
 * account's committed state and the rows the write names (`WriteTarget`), then persists the step's
 * transition atomically, or nothing. A step may run more than once (a retry); it is pure.
 * `transact` fails with `LedgerUnavailable` only when nothing was written, with `OutcomeUnknown` when
 * it cannot tell, and with `InvalidRequest` when the storage refuses the operation's data.
 */
export class LedgerStore extends Context.Service<
  LedgerStore,
  {
    /**
     * The version of the port the adapter was written for, as a number written out (9 for this one;
     * not `storagePortVersion`, which follows the installed `@tally/domain`). The `Ledger` refuses
     * another (`StoragePortMismatch`, naming what changed since).
     */
    readonly portVersion: number
    readonly transact: <A>(target: WriteTarget, step: Step<A>) => Effect.Effect<A, StoreError>
    /** The committed state; an account never written to reads as `newAccountState`. */
    readonly account: (accountId: AccountId) => Effect.Effect<AccountState, LedgerUnavailable>
    /** An account's entries newest first. */
    readonly entries: (
      accountId: AccountId,
      query: EntriesQuery,
    ) => Effect.Effect<ReadonlyArray<Entry>, LedgerUnavailable>
    readonly hold: (accountId: AccountId, holdId: HoldId) => Effect.Effect<Hold | undefined, LedgerUnavailable>
    /** Up to `limit` of an account's open holds, oldest first. */
    readonly openHolds: (accountId: AccountId, limit: number) => Effect.Effect<ReadonlyArray<Hold>, LedgerUnavailable>
    /** Up to `limit` open holds whose deadline is at or before `now` (ISO-8601), earliest first. */
    readonly dueHolds: (now: string, limit: number) => Effect.Effect<ReadonlyArray<DueHold>, LedgerUnavailable>
    readonly autoTopUpRequest: (
      accountId: AccountId,
      requestId: number,
    ) => Effect.Effect<AutoTopUpRequest | undefined, LedgerUnavailable>
    /** Up to `limit` open auto top-up requests whose deadline is at or before `now` (ISO-8601), earliest first. */
    readonly dueAutoTopUpRequests: (
      now: string,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<DueAutoTopUpRequest>, LedgerUnavailable>
    readonly pendingCredit: (
      accountId: AccountId,
      pendingCreditId: number,
    ) => Effect.Effect<PendingCredit | undefined, LedgerUnavailable>
    readonly pendingCredits: (
      accountId: AccountId,
      query: PendingCreditsQuery,
    ) => Effect.Effect<ReadonlyArray<PendingCredit>, LedgerUnavailable>
    /** Up to `limit` pending credits whose deadline is at or before `now` (ISO-8601), earliest first. */
    readonly duePendingCredits: (
      now: string,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<DuePendingCredit>, LedgerUnavailable>
    /**
     * Up to `limit` accounts whose refill is due at `nowMs` (`refillDueAtMs` at or before it), earliest
     * first. The refill's own rule decides again under the account's exclusive access.
     */
    readonly dueRefills: (nowMs: number, limit: number) => Effect.Effect<ReadonlyArray<AccountId>, LedgerUnavailable>
    /**
     * Up to `limit` of an account's grants (every grant a transition named, live, spent and expired),
     * newest first, with ids below `beforeGrantId`.
     */
    readonly grants: (
      accountId: AccountId,
      limit: number,
      beforeGrantId: number | undefined,
    ) => Effect.Effect<ReadonlyArray<Grant>, LedgerUnavailable>
    /**
     * Up to `limit` accounts with a live grant whose expiry is at or before `nowMs` (`grantsDueAtMs`),
     * soonest first. The expiry's own rule decides again under the account's exclusive access.
     */
    readonly dueGrants: (nowMs: number, limit: number) => Effect.Effect<ReadonlyArray<AccountId>, LedgerUnavailable>
    /**
     * Up to `limit` accounts with a live grant never warned of (`warnedAt` null) whose expiry is at or
     * before `untilMs` (`expiringGrantAccountsOf`), soonest first: the `grant.expiring` sweep's accounts.
     * The warning's own rule decides again under the account's exclusive access.
     */
    readonly expiringGrants: (
      untilMs: number,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<AccountId>, LedgerUnavailable>
    /** An account's entries summed per kind, or per member and kind (members in id order, null first). */
    readonly totals: (
      accountId: AccountId,
      query: TotalsQuery,
    ) => Effect.Effect<ReadonlyArray<KindTotal>, LedgerUnavailable>
    /**
     * Up to `limit` of an account's runs (its entries grouped by reference), newest first by their
     * newest entry, each whole: its total and counts cover every entry the filters keep (see `runsOf`).
     */
    readonly runs: (accountId: AccountId, query: RunsQuery) => Effect.Effect<ReadonlyArray<Run>, LedgerUnavailable>
    /** Entries across accounts, newest first (see `LedgerPosition`). */
    readonly search: (query: SearchQuery) => Effect.Effect<ReadonlyArray<Entry>, LedgerUnavailable>
    /** Accounts that have entries, newest activity first: the operators' listing. */
    readonly accounts: (query: AccountsQuery) => Effect.Effect<ReadonlyArray<AccountSummary>, LedgerUnavailable>
    /**
     * Every matching entry, oldest first (the ledger-wide order; one account's in sequence order), read
     * as it is consumed rather than all at once, and holding no resource while its reader is slow:
     * every entry written before the export began is read once, and one written meanwhile may be.
     */
    readonly exportEntries: (query: ExportQuery) => Stream.Stream<Entry, LedgerUnavailable>
    /**
     * The audit's accounts: up to `accountsMax` accounts with ids after `afterAccountId`, in id order,
     * without their entries, each read as of one moment (`AuditedAccount`).
     */
    readonly auditAccounts: (
      afterAccountId: AccountId | undefined,
      accountsMax: number,
    ) => Effect.Effect<ReadonlyArray<AuditedAccount>, LedgerUnavailable>
    /**
     * The audit's entries: up to `limit` entries after `after` in (account id, sequence) order, of
     * accounts with ids up to `throughAccountId`. A keyset page: memory stays bounded whatever one
     * account holds.
     */
    readonly auditEntries: (
      after: AuditPosition,
      throughAccountId: AccountId,
      limit: number,
    ) => Effect.Effect<ReadonlyArray<Entry>, LedgerUnavailable>
    /**
     * Up to `accountsMax` accounts with ids after `afterAccountId`, in id order, each with its whole
     * history: what `scanningQueries` reads for a store without indexes of its own.
     */
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
