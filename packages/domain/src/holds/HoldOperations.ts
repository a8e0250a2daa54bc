import * as Effect from "effect/Effect"
import { AccountId } from "../AccountId.ts"
import type { AccountBalances } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import type { BalanceLimitExceeded, InsufficientCredits, StoreError } from "../LedgerError.ts"
import { validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { iso, ledgerWrites, type ReadError, unexpected, type WriteError } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import type { WriteResult } from "../Posting.ts"
import type { MemberLimitExceeded } from "../wallets/MemberLimitExceeded.ts"
import type { Hold } from "./Hold.ts"
import { type HeldLimitExceeded, type HoldExpired, HoldNotFound, type HoldNotOpen } from "./HoldError.ts"
import { CaptureRequest, HoldLookup, HoldRequest, ReleaseRequest } from "./HoldRequest.ts"
import { capture, expire, place, release } from "./HoldSteps.ts"

/** A hold operation's answer: the hold as it left it, a capture's entry, the account's credits after it. */
export interface HoldPosting {
  readonly hold: Hold
  readonly entry: Entry | null
  readonly balances: AccountBalances
  readonly replayed: boolean
}

export type HoldRejection = InsufficientCredits | HeldLimitExceeded | MemberLimitExceeded
export type CaptureRejection =
  | HoldNotFound
  | HoldNotOpen
  | HoldExpired
  | InsufficientCredits
  | BalanceLimitExceeded
  | MemberLimitExceeded
export type ReleaseRejection = HoldNotFound | HoldNotOpen

export interface HoldOperations {
  /** Reserve credits; every hold operation needs an idempotency key. */
  readonly hold: (request: typeof HoldRequest.Encoded) => Effect.Effect<HoldPosting, WriteError<HoldRejection>>
  readonly capture: (request: typeof CaptureRequest.Encoded) => Effect.Effect<HoldPosting, WriteError<CaptureRejection>>
  readonly release: (request: typeof ReleaseRequest.Encoded) => Effect.Effect<HoldPosting, WriteError<ReleaseRejection>>
  /** Releases every hold whose deadline has passed; the service runs it on a schedule. */
  readonly expireHolds: Effect.Effect<{ readonly expired: number }, StoreError>
  readonly getHold: (request: typeof HoldLookup.Encoded) => Effect.Effect<Hold, HoldNotFound | ReadError>
  /** An account's open holds, oldest first, at most `Limits.openHoldsListedMax`. */
  readonly openHolds: (accountId: string) => Effect.Effect<ReadonlyArray<Hold>, ReadError>
}

const asHoldPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<HoldPosting> =>
  result._tag === "HoldChanged"
    ? Effect.succeed({ hold: result.hold, entry: result.entry, balances: result.balances, replayed: result.replayed })
    : unexpected(result)

export const holdOperations = (store: LedgerStore["Service"]): HoldOperations => {
  const { commit, sweep } = ledgerWrites(store)
  const validAccountId = validate(AccountId)
  return {
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
    expireHolds: sweep(
      (now) => store.dueHolds(iso(now), Limits.holdsExpiredPerPassMax),
      ({ accountId, holdId }, now) => store.transact({ accountId, holdId }, expire(now)),
      (expired) => expired,
      { size: Limits.holdsExpiredPerPassMax, concurrency: Limits.holdsExpiringConcurrentlyMax },
    ).pipe(
      Effect.map((results) => ({ expired: results.filter(Boolean).length })),
      Effect.withSpan("Ledger.expireHolds"),
    ),
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
  }
}
