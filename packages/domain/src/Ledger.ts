import { Clock, Context, Effect, Layer, type Stream } from "effect"
import { AccountId } from "./AccountId.ts"
import { AccountNotFound } from "./AccountNotFound.ts"
import { type AccountBalances, type AccountSettings, accountWritten, balancesOf } from "./AccountState.ts"
import { type AccountAudit, type AuditPosition, type AuditReport, accountAudit, type Violation } from "./Audit.ts"
import {
  AutoTopUpRequestLookup,
  type AutoTopUpStatus,
  autoTopUpStatus,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  FailAutoTopUpRequest,
} from "./autoTopUp/AutoTopUpCommands.ts"
import {
  type AutoTopUpCeilingBelowThreshold,
  type AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  type AutoTopUpRequestNotOpen,
} from "./autoTopUp/AutoTopUpError.ts"
import type { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import * as AutoTopUpSteps from "./autoTopUp/AutoTopUpSteps.ts"
import type { Balance } from "./Credits.ts"
import type { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./corrections/CorrectionError.ts"
import { AdjustmentRequest, RefundRequest } from "./corrections/CorrectionRequest.ts"
import { adjust, refund } from "./corrections/CorrectionSteps.ts"
import type { Entry } from "./Entry.ts"
import { decodeCursor, encodeCursor } from "./EntryCursor.ts"
import { type EventPage, EventsRequest, readEvents } from "./events/EventFeed.ts"
import { type GrantOperations, grantOperations } from "./grants/GrantOperations.ts"
import {
  type AccountSummary,
  AccountsRequest,
  decodeAccountCursor,
  encodeAccountCursor,
} from "./history/AccountActivity.ts"
import { decodeLedgerCursor, encodeLedgerCursor } from "./history/LedgerCursor.ts"
import type { Hold } from "./holds/Hold.ts"
import type { HeldLimitExceeded, HoldExpired, HoldNotOpen } from "./holds/HoldError.ts"
import { HoldNotFound } from "./holds/HoldError.ts"
import { CaptureRequest, HoldLookup, HoldRequest, ReleaseRequest } from "./holds/HoldRequest.ts"
import { capture, expire, place, release } from "./holds/HoldSteps.ts"
import {
  type BalanceAtCeiling,
  type BalanceLimitExceeded,
  type IdempotencyConflict,
  type InsufficientCredits,
  InvalidRequest,
  type LedgerUnavailable,
  type OverdraftLimitBelowDebt,
  type RuleRejection,
  type StoreError,
  validateRequest,
} from "./LedgerError.ts"
import {
  EntriesRequest,
  ExportRequest,
  SearchRequest,
  SettingsRequest,
  SpendRequest,
  TopUpRequest,
  TotalsRequest,
  type WriteRequest,
} from "./LedgerRequest.ts"
import { type KindTotal, LedgerStore } from "./LedgerStore.ts"
import { iso, ledgerWrites, unexpected } from "./LedgerWrites.ts"
import { Limits } from "./Limits.ts"
import { configure, post, type WriteResult } from "./Posting.ts"
import { ConfigureRefillRequest, type RefillRun, type RefillStatus, refillStatus } from "./refills/RefillCommands.ts"
import * as RefillSteps from "./refills/RefillSteps.ts"

/** An applied write: its entry, and whether this call replayed an earlier one with the same key. */
export interface Posting {
  readonly entry: Entry
  readonly replayed: boolean
}

/** A hold operation's answer: the hold as it left it, a capture's entry, the account's credits after it. */
export interface HoldPosting {
  readonly hold: Hold
  readonly entry: Entry | null
  readonly balances: AccountBalances
  readonly replayed: boolean
}

export interface AccountsPage {
  readonly accounts: ReadonlyArray<AccountSummary>
  readonly nextCursor: string | null
}

export interface EntryPage {
  readonly entries: ReadonlyArray<Entry>
  readonly nextCursor: string | null
}

/** How a write fails: the rules it can break (`Rejection`), a reused key, the storage. */
export type WriteError<Rejection extends RuleRejection = RuleRejection> = Rejection | IdempotencyConflict | StoreError

/** What a top-up or a spend can break: one type for both, so code may pick either in one expression. */
export type BalanceRejection = BalanceAtCeiling | InsufficientCredits | BalanceLimitExceeded

/** What `writeDecoded` answers: a top-up or a spend posts its entry, or its balance rules refuse it. */
export type BalanceWriteResult =
  | { readonly _tag: "Posted"; readonly entry: Entry; readonly replayed: boolean }
  | { readonly _tag: "Refused"; readonly error: BalanceRejection | IdempotencyConflict; readonly replayed: boolean }
export type HoldRejection = InsufficientCredits | HeldLimitExceeded
export type CaptureRejection = HoldNotFound | HoldNotOpen | HoldExpired | InsufficientCredits | BalanceLimitExceeded
export type ReleaseRejection = HoldNotFound | HoldNotOpen
export type RefundRejection = EntryNotFound | EntryNotRefundable | RefundExceedsEntry | BalanceLimitExceeded
export type AdjustmentRejection = InsufficientCredits | BalanceLimitExceeded
export type FailAutoTopUpRejection = AutoTopUpRequestNotFound | AutoTopUpRequestNotOpen | AutoTopUpRequestExpired
export type CompleteAutoTopUpRejection = FailAutoTopUpRejection | BalanceLimitExceeded

/** An auto top-up request as a completion or failure left it, a completion's entry, and whether it replays. */
export interface AutoTopUpPosting {
  readonly request: AutoTopUpRequest
  readonly entry: Entry | null
  readonly replayed: boolean
}

type ReadError = InvalidRequest | LedgerUnavailable

/** Accounts per page of the audit's scan, so memory stays bounded on large ledgers. */
const auditPageAccounts = 200
/** Entries per page of the audit's scan, so memory stays bounded whatever one account holds. */
const auditPageEntries = 5_000

const validate = validateRequest

const asPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<Posting> =>
  result._tag === "Posted" ? Effect.succeed({ entry: result.entry, replayed: result.replayed }) : unexpected(result)

const asAutoTopUpPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<AutoTopUpPosting> =>
  result._tag === "AutoTopUpChanged"
    ? Effect.succeed({ request: result.request, entry: result.entry, replayed: result.replayed })
    : unexpected(result)

const asHoldPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<HoldPosting> =>
  result._tag === "HoldChanged"
    ? Effect.succeed({ hold: result.hold, entry: result.entry, balances: result.balances, replayed: result.replayed })
    : unexpected(result)

/**
 * The ledger: validates requests, lets the pure core decide under the store's exclusive access to
 * the account, and reports the outcome as an entry, a hold or a typed error. Time comes from the
 * `Clock` service, so tests control it.
 */
export class Ledger extends Context.Service<
  Ledger,
  {
    readonly topUp: (request: typeof TopUpRequest.Encoded) => Effect.Effect<Posting, WriteError<BalanceRejection>>
    readonly spend: (request: typeof SpendRequest.Encoded) => Effect.Effect<Posting, WriteError<BalanceRejection>>
    /**
     * A top-up or spend already decoded with the domain's schemas (its branded values say so), as the
     * HTTP API's schemas decode it: nothing is validated twice. Its rule refusal is a value, not a
     * failure, so the caller also learns whether the refusal replays an earlier write with the same
     * key (HTTP answers it with `Idempotent-Replayed: true`).
     */
    readonly writeDecoded: (request: WriteRequest) => Effect.Effect<BalanceWriteResult, StoreError>
    /** Reserve credits; every hold operation needs an idempotency key. */
    readonly hold: (request: typeof HoldRequest.Encoded) => Effect.Effect<HoldPosting, WriteError<HoldRejection>>
    readonly capture: (
      request: typeof CaptureRequest.Encoded,
    ) => Effect.Effect<HoldPosting, WriteError<CaptureRejection>>
    readonly release: (
      request: typeof ReleaseRequest.Encoded,
    ) => Effect.Effect<HoldPosting, WriteError<ReleaseRejection>>
    /** Releases every hold whose deadline has passed; the service runs it on a schedule. */
    readonly expireHolds: Effect.Effect<{ readonly expired: number }, StoreError>
    readonly getHold: (request: typeof HoldLookup.Encoded) => Effect.Effect<Hold, HoldNotFound | ReadError>
    /** An account's open holds, oldest first, at most `Limits.openHoldsListedMax`. */
    readonly openHolds: (accountId: string) => Effect.Effect<ReadonlyArray<Hold>, ReadError>
    readonly refund: (request: typeof RefundRequest.Encoded) => Effect.Effect<Posting, WriteError<RefundRejection>>
    readonly adjust: (
      request: typeof AdjustmentRequest.Encoded,
    ) => Effect.Effect<Posting, WriteError<AdjustmentRejection>>
    readonly balance: (accountId: string) => Effect.Effect<Balance, ReadError>
    /** The balance, what open holds reserve of it, and what is available. */
    readonly balances: (accountId: string) => Effect.Effect<AccountBalances, ReadError>
    /** `balances`, for an account something was written to: the HTTP API tells a mistyped id from an empty account. */
    readonly writtenBalances: (accountId: string) => Effect.Effect<AccountBalances, AccountNotFound | ReadError>
    readonly entries: (request: typeof EntriesRequest.Encoded) => Effect.Effect<EntryPage, ReadError>
    readonly totals: (request: typeof TotalsRequest.Encoded) => Effect.Effect<ReadonlyArray<KindTotal>, ReadError>
    /** Accounts that have entries, newest activity first, optionally those whose id starts with a prefix. */
    readonly accounts: (request: typeof AccountsRequest.Encoded) => Effect.Effect<AccountsPage, ReadError>
    /** Entries across accounts, newest first: the operators' search. */
    readonly search: (request: typeof SearchRequest.Encoded) => Effect.Effect<EntryPage, ReadError>
    /** Every matching entry, oldest first, as a stream read while it is consumed. */
    readonly exportEntries: (
      request: typeof ExportRequest.Encoded,
    ) => Effect.Effect<Stream.Stream<Entry, LedgerUnavailable>, InvalidRequest>
    readonly settings: (accountId: string) => Effect.Effect<AccountSettings, ReadError>
    readonly updateSettings: (
      request: typeof SettingsRequest.Encoded,
    ) => Effect.Effect<AccountSettings, OverdraftLimitBelowDebt | StoreError>
    readonly audit: Effect.Effect<AuditReport, LedgerUnavailable>
    /** An account's auto top-up settings and where it stands. */
    readonly autoTopUp: (accountId: string) => Effect.Effect<AutoTopUpStatus, ReadError>
    readonly configureAutoTopUp: (
      request: typeof ConfigureAutoTopUpRequest.Encoded,
    ) => Effect.Effect<AutoTopUpStatus, AutoTopUpCeilingBelowThreshold | StoreError>
    readonly getAutoTopUpRequest: (
      request: typeof AutoTopUpRequestLookup.Encoded,
    ) => Effect.Effect<AutoTopUpRequest, AutoTopUpRequestNotFound | ReadError>
    /** The app took the payment: credits the request in full, keyed by the payment reference. */
    readonly completeAutoTopUp: (
      request: typeof CompleteAutoTopUpRequest.Encoded,
    ) => Effect.Effect<AutoTopUpPosting, WriteError<CompleteAutoTopUpRejection>>
    /** The app could not take the payment: nothing is credited. */
    readonly failAutoTopUp: (
      request: typeof FailAutoTopUpRequest.Encoded,
    ) => Effect.Effect<AutoTopUpPosting, WriteError<FailAutoTopUpRejection>>
    /** Expires every open auto top-up request past its deadline; the service runs it on a schedule. */
    readonly expireAutoTopUps: Effect.Effect<{ readonly expired: number }, StoreError>
    /** An account's periodic refill settings and where they stand. */
    readonly refill: (accountId: string) => Effect.Effect<RefillStatus, ReadError>
    readonly configureRefill: (
      request: typeof ConfigureRefillRequest.Encoded,
    ) => Effect.Effect<RefillStatus, StoreError>
    /** Runs every refill that is due now, once per account and period; the service runs it on a schedule. */
    readonly runDueRefills: Effect.Effect<RefillRun, StoreError>
    /** The event feed after an event id, waiting up to `wait` seconds for one (long-poll). */
    readonly events: (
      request: typeof EventsRequest.Encoded,
    ) => Effect.Effect<EventPage, InvalidRequest | LedgerUnavailable>
  } & GrantOperations
>()("@tally/domain/Ledger") {
  static readonly make = Effect.gen(function* () {
    const store = yield* LedgerStore

    const { transact, commit, sweep } = ledgerWrites(store)

    // `post` only posts entries and refuses by the balance rules, and a key replays only what it posted.
    const writeDecoded = (request: WriteRequest) =>
      transact(request, (now) => post(request, iso(now))) as Effect.Effect<BalanceWriteResult, StoreError>

    const validAccountId = validate(AccountId)

    const entries = Effect.fn("Ledger.entries")(function* (input: typeof EntriesRequest.Encoded) {
      const {
        accountId,
        cursor,
        limit = Limits.entriesPageSizeDefault,
        ...filter
      } = yield* validate(EntriesRequest)(input)
      const scope = { accountId, filter }
      const beforeSequence = cursor === undefined ? undefined : decodeCursor(cursor, scope)
      if (beforeSequence instanceof InvalidRequest) return yield* beforeSequence
      const rows = yield* store.entries(accountId, { ...filter, limit: limit + 1, beforeSequence })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: rows.length > limit && last ? encodeCursor(last.sequence, scope) : null }
    })

    const search = Effect.fn("Ledger.search")(function* (input: typeof SearchRequest.Encoded) {
      const { cursor, limit = Limits.entriesPageSizeDefault, ...filter } = yield* validate(SearchRequest)(input)
      const after = cursor === undefined ? undefined : decodeLedgerCursor(cursor)
      if (after instanceof InvalidRequest) return yield* after
      const rows = yield* store.search({ ...filter, limit: limit + 1, after })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: rows.length > limit && last ? encodeLedgerCursor(last) : null }
    })

    const accounts = Effect.fn("Ledger.accounts")(function* (input: typeof AccountsRequest.Encoded) {
      const { cursor, limit = Limits.accountsPageSizeDefault, prefix } = yield* validate(AccountsRequest)(input)
      const after = cursor === undefined ? undefined : decodeAccountCursor(cursor)
      if (after instanceof InvalidRequest) return yield* after
      const rows = yield* store.accounts({ prefix, limit: limit + 1, after })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { accounts: page, nextCursor: rows.length > limit && last ? encodeAccountCursor(last) : null }
    })

    const expireHolds = sweep(
      (now) => store.dueHolds(iso(now), Limits.holdsExpiredPerPassMax),
      ({ accountId, holdId }, now) => store.transact({ accountId, holdId }, expire(now)),
      (expired) => expired,
      { size: Limits.holdsExpiredPerPassMax, concurrency: Limits.holdsExpiringConcurrentlyMax },
    ).pipe(
      Effect.map((results) => ({ expired: results.filter(Boolean).length })),
      Effect.withSpan("Ledger.expireHolds"),
    )

    const expireAutoTopUps = sweep(
      (now) => store.dueAutoTopUpRequests(iso(now), Limits.sweepPageSizeMax),
      ({ accountId, requestId }, now) =>
        store.transact({ accountId, autoTopUpRequestId: requestId }, AutoTopUpSteps.expire(now)),
      (expired) => expired,
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map((results) => ({ expired: results.filter(Boolean).length })),
      Effect.withSpan("Ledger.expireAutoTopUps"),
    )

    const runDueRefills = sweep(
      (now) => store.dueRefills(now, Limits.sweepPageSizeMax),
      (accountId, now) => store.transact({ accountId }, RefillSteps.refill(accountId, now)),
      (outcome) => outcome._tag !== "NotDue",
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map(
        (outcomes): RefillRun => ({
          refilled: outcomes.filter((o) => o._tag === "Refilled").length,
          atCeiling: outcomes.filter((o) => o._tag === "AtCeiling").length,
        }),
      ),
      Effect.withSpan("Ledger.runDueRefills"),
    )

    /**
     * Every account, a page of accounts at a time; each page's entries in keyset pages of bounded
     * size, folded into their accounts' audits as they come.
     */
    const audit = Effect.gen(function* () {
      const violations: Array<Violation> = []
      let accountsChecked = 0
      let entriesChecked = 0
      let after: AccountId | undefined
      while (true) {
        const accounts = yield* store.auditAccounts(after, auditPageAccounts)
        const last = accounts[accounts.length - 1]
        if (last === undefined) return { accountsChecked, entriesChecked, violations }
        const audits = new Map<string, AccountAudit>(
          accounts.map((account) => [account.accountId, accountAudit(account)]),
        )
        // Past every sequence: the first page starts after the previous page's last account.
        let position: AuditPosition = { accountId: after ?? "", sequence: Limits.balanceMax }
        while (true) {
          const entries = yield* store.auditEntries(position, last.accountId, auditPageEntries)
          for (const entry of entries) if (audits.get(entry.accountId)?.add(entry)) entriesChecked += 1
          const end = entries[entries.length - 1]
          if (end === undefined || entries.length < auditPageEntries) break
          position = { accountId: end.accountId, sequence: end.sequence }
        }
        for (const account of audits.values()) violations.push(...account.finish())
        accountsChecked += accounts.length
        if (accounts.length < auditPageAccounts) return { accountsChecked, entriesChecked, violations }
        after = last.accountId
      }
    }).pipe(Effect.withSpan("Ledger.audit"))

    return Ledger.of({
      ...grantOperations(store),
      topUp: (input) =>
        validate(TopUpRequest)(input).pipe(
          Effect.flatMap((request) =>
            commit<BalanceRejection>(request, (now) => post({ _tag: "TopUp", ...request }, iso(now))),
          ),
          Effect.flatMap(asPosting),
        ),
      spend: (input) =>
        validate(SpendRequest)(input).pipe(
          Effect.flatMap((request) =>
            commit<BalanceRejection>(request, (now) => post({ _tag: "Spend", ...request }, iso(now))),
          ),
          Effect.flatMap(asPosting),
        ),
      writeDecoded,
      hold: (input) =>
        validate(HoldRequest)(input).pipe(
          Effect.flatMap((request) => commit<HoldRejection>(request, (now) => place(request, now))),
          Effect.flatMap(asHoldPosting),
        ),
      capture: (input) =>
        validate(CaptureRequest)(input).pipe(
          Effect.flatMap((request) => commit<CaptureRejection>(request, (now) => capture(request, now))),
          Effect.flatMap(asHoldPosting),
        ),
      release: (input) =>
        validate(ReleaseRequest)(input).pipe(
          Effect.flatMap((request) => commit<ReleaseRejection>(request, (now) => release(request, now))),
          Effect.flatMap(asHoldPosting),
        ),
      expireHolds,
      getHold: (input) =>
        validate(HoldLookup)(input).pipe(
          Effect.flatMap(({ accountId, holdId }) =>
            store
              .hold(accountId, holdId)
              .pipe(
                Effect.flatMap((hold) =>
                  hold === undefined ? Effect.fail(new HoldNotFound({ accountId, holdId })) : Effect.succeed(hold),
                ),
              ),
          ),
        ),
      openHolds: (accountId) =>
        validAccountId(accountId).pipe(Effect.flatMap((id) => store.openHolds(id, Limits.openHoldsListedMax))),
      refund: (input) =>
        validate(RefundRequest)(input).pipe(
          Effect.flatMap((request) =>
            commit<RefundRejection>({ ...request, refundOf: request.sequence }, (now) => refund(request, iso(now))),
          ),
          Effect.flatMap(asPosting),
        ),
      adjust: (input) =>
        validate(AdjustmentRequest)(input).pipe(
          Effect.flatMap((request) => commit<AdjustmentRejection>(request, (now) => adjust(request, iso(now)))),
          Effect.flatMap(asPosting),
        ),
      balance: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap(store.account),
          Effect.map((state) => state.balance),
        ),
      balances: (accountId) => validAccountId(accountId).pipe(Effect.flatMap(store.account), Effect.map(balancesOf)),
      writtenBalances: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap(store.account),
          Effect.flatMap((state) =>
            accountWritten(state) ? Effect.succeed(balancesOf(state)) : Effect.fail(new AccountNotFound({ accountId })),
          ),
        ),
      entries,
      totals: (input) =>
        validate(TotalsRequest)(input).pipe(
          Effect.flatMap(({ accountId, ...filter }) => store.totals(accountId, filter)),
        ),
      accounts,
      search,
      exportEntries: (input) => validate(ExportRequest)(input).pipe(Effect.map(store.exportEntries)),
      settings: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap(store.account),
          Effect.map(({ overdraftLimit }) => ({ overdraftLimit })),
        ),
      updateSettings: (input) =>
        validate(SettingsRequest)(input).pipe(
          Effect.flatMap((request) => store.transact(request, configure(request))),
          Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result))),
        ),
      audit,
      autoTopUp: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap((id) => Effect.map(store.account(id), (state) => autoTopUpStatus(id, state.autoTopUp))),
        ),
      configureAutoTopUp: (input) =>
        validate(ConfigureAutoTopUpRequest)(input).pipe(
          Effect.flatMap((request) => store.transact(request, AutoTopUpSteps.configure(request))),
          Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result))),
        ),
      getAutoTopUpRequest: (input) =>
        validate(AutoTopUpRequestLookup)(input).pipe(
          Effect.flatMap(({ accountId, requestId }) =>
            store
              .autoTopUpRequest(accountId, requestId)
              .pipe(
                Effect.flatMap((request) =>
                  request === undefined
                    ? Effect.fail(new AutoTopUpRequestNotFound({ accountId, requestId }))
                    : Effect.succeed(request),
                ),
              ),
          ),
        ),
      completeAutoTopUp: (input) =>
        validate(CompleteAutoTopUpRequest)(input).pipe(
          Effect.flatMap((request) =>
            commit<CompleteAutoTopUpRejection>(
              {
                accountId: request.accountId,
                idempotencyKey: request.paymentReference,
                autoTopUpRequestId: request.requestId,
              },
              (now) => AutoTopUpSteps.complete(request, now),
            ),
          ),
          Effect.flatMap(asAutoTopUpPosting),
        ),
      failAutoTopUp: (input) =>
        validate(FailAutoTopUpRequest)(input).pipe(
          Effect.flatMap((request) =>
            commit<FailAutoTopUpRejection>({ ...request, autoTopUpRequestId: request.requestId }, (now) =>
              AutoTopUpSteps.fail(request, now),
            ),
          ),
          Effect.flatMap(asAutoTopUpPosting),
        ),
      expireAutoTopUps,
      refill: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap((id) =>
            Effect.flatMap(store.account(id), (state) =>
              Effect.map(Clock.currentTimeMillis, (now) => refillStatus(id, state.refill, now)),
            ),
          ),
        ),
      configureRefill: (input) =>
        validate(ConfigureRefillRequest)(input).pipe(
          Effect.flatMap((request) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              store.transact(request, RefillSteps.configure(request, now)),
            ),
          ),
        ),
      runDueRefills,
      events: (input) =>
        validate(EventsRequest)(input).pipe(
          Effect.flatMap((request) => readEvents(store, request)),
          Effect.withSpan("Ledger.events"),
        ),
    })
  })

  static readonly layer = Layer.effect(Ledger, Ledger.make)
}
