import * as Effect from "effect/Effect"
import type { AccountBalances } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import { decodeCursor, encodeCursor } from "../EntryCursor.ts"
import {
  type BalanceAtCeiling,
  type BalanceLimitExceeded,
  InvalidRequest,
  type StoreError,
  validateRequest as validate,
} from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { iso, ledgerWrites, type ReadError, unexpected, type WriteError } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import type { WriteResult } from "../Posting.ts"
import type { PendingCredit } from "./PendingCredit.ts"
import {
  type PendingCreditExpired,
  type PendingCreditMetadataInvalid,
  PendingCreditNotFound,
  type PendingCreditNotPending,
} from "./PendingCreditError.ts"
import {
  ActivateCreditRequest,
  PendingCreditLookup,
  PendingCreditRequest,
  PendingCreditsRequest,
  VoidCreditRequest,
} from "./PendingCreditRequest.ts"
import * as PendingCreditSteps from "./PendingCreditSteps.ts"

/** A pending credit operation's answer: the credit as it left it, an activation's entry, the account's credits after it. */
export interface PendingCreditPosting {
  readonly pendingCredit: PendingCredit
  readonly entry: Entry | null
  readonly balances: AccountBalances
  readonly replayed: boolean
}

export type VoidCreditRejection = PendingCreditNotFound | PendingCreditNotPending
export type ActivateCreditRejection =
  | VoidCreditRejection
  | PendingCreditExpired
  | PendingCreditMetadataInvalid
  | BalanceAtCeiling
  | BalanceLimitExceeded

export interface PendingCreditPage {
  readonly pendingCredits: ReadonlyArray<PendingCredit>
  readonly nextCursor: string | null
}

export interface PendingCreditOperations {
  /** Records a credit that does not count until activated; the idempotency key is required. */
  readonly recordPendingCredit: (
    request: typeof PendingCreditRequest.Encoded,
  ) => Effect.Effect<PendingCreditPosting, WriteError<never>>
  /** The payment was confirmed: credits it under its ceiling, on the balance as it stands now. */
  readonly activateCredit: (
    request: typeof ActivateCreditRequest.Encoded,
  ) => Effect.Effect<PendingCreditPosting, WriteError<ActivateCreditRejection>>
  /** The payment failed: nothing is credited. */
  readonly voidCredit: (
    request: typeof VoidCreditRequest.Encoded,
  ) => Effect.Effect<PendingCreditPosting, WriteError<VoidCreditRejection>>
  readonly getPendingCredit: (
    request: typeof PendingCreditLookup.Encoded,
  ) => Effect.Effect<PendingCredit, PendingCreditNotFound | ReadError>
  /** An account's pending credits, newest first, optionally of one status. */
  readonly pendingCredits: (
    request: typeof PendingCreditsRequest.Encoded,
  ) => Effect.Effect<PendingCreditPage, ReadError>
  /** Expires every pending credit past its deadline; the service runs it on a schedule. */
  readonly expirePendingCredits: Effect.Effect<{ readonly expired: number }, StoreError>
}

const asPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<PendingCreditPosting> =>
  result._tag === "PendingCreditChanged"
    ? Effect.succeed({
        pendingCredit: result.pendingCredit,
        entry: result.entry,
        balances: result.balances,
        replayed: result.replayed,
      })
    : unexpected(result)

export const pendingCreditOperations = (store: LedgerStore["Service"]): PendingCreditOperations => {
  const { commit, sweep } = ledgerWrites(store)
  return {
    recordPendingCredit: (input) =>
      validate(PendingCreditRequest)(input).pipe(
        Effect.flatMap((request) =>
          commit<never>(
            { accountId: request.accountId, idempotencyKey: request.idempotencyKey, opensPendingCredit: true },
            (now) => PendingCreditSteps.open(request, now),
          ),
        ),
        Effect.flatMap(asPosting),
      ),
    activateCredit: (input) =>
      validate(ActivateCreditRequest)(input).pipe(
        Effect.flatMap((request) =>
          commit<ActivateCreditRejection>(request, (now) => PendingCreditSteps.activate(request, now)),
        ),
        Effect.flatMap(asPosting),
      ),
    voidCredit: (input) =>
      validate(VoidCreditRequest)(input).pipe(
        Effect.flatMap((request) =>
          commit<VoidCreditRejection>(request, (now) => PendingCreditSteps.voidCredit(request, now)),
        ),
        Effect.flatMap(asPosting),
      ),
    getPendingCredit: (input) =>
      validate(PendingCreditLookup)(input).pipe(
        Effect.flatMap(({ accountId, pendingCreditId }) =>
          store
            .pendingCredit(accountId, pendingCreditId)
            .pipe(
              Effect.flatMap((credit) =>
                credit === undefined
                  ? Effect.fail(new PendingCreditNotFound({ accountId, pendingCreditId }))
                  : Effect.succeed(credit),
              ),
            ),
        ),
      ),
    pendingCredits: Effect.fn("Ledger.pendingCredits")(function* (input) {
      const request = yield* validate(PendingCreditsRequest)(input)
      const { accountId, status, cursor, limit = Limits.entriesPageSizeDefault } = request
      const scope = { accountId, filter: { list: "pending-credits", ...(status === undefined ? {} : { status }) } }
      const beforeId = cursor === undefined ? undefined : decodeCursor(cursor, scope)
      if (beforeId instanceof InvalidRequest) return yield* beforeId
      const rows = yield* store.pendingCredits(accountId, { status, limit: limit + 1, beforeId })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        pendingCredits: page,
        nextCursor: rows.length > limit && last ? encodeCursor(last.pendingCreditId, scope) : null,
      }
    }),
    expirePendingCredits: sweep(
      (now) => store.duePendingCredits(iso(now), Limits.sweepPageSizeMax),
      ({ accountId, pendingCreditId }, now) =>
        store.transact({ accountId, pendingCreditId }, PendingCreditSteps.expire(now)),
      (expired) => expired,
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map((results) => ({ expired: results.filter(Boolean).length })),
      Effect.withSpan("Ledger.expirePendingCredits"),
    ),
  }
}
