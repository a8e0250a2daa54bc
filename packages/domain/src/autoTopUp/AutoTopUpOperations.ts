import * as Effect from "effect/Effect"
import { AccountId } from "../AccountId.ts"
import type { Entry } from "../Entry.ts"
import { type BalanceLimitExceeded, type StoreError, validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { iso, ledgerWrites, type ReadError, unexpected, type WriteError } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import type { WriteResult } from "../Posting.ts"
import {
  AutoTopUpRequestLookup,
  type AutoTopUpStatus,
  autoTopUpStatus,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  FailAutoTopUpRequest,
} from "./AutoTopUpCommands.ts"
import {
  type AutoTopUpCeilingBelowThreshold,
  type AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  type AutoTopUpRequestNotOpen,
} from "./AutoTopUpError.ts"
import type { AutoTopUpRequest } from "./AutoTopUpRequest.ts"
import * as AutoTopUpSteps from "./AutoTopUpSteps.ts"

export type FailAutoTopUpRejection = AutoTopUpRequestNotFound | AutoTopUpRequestNotOpen | AutoTopUpRequestExpired
export type CompleteAutoTopUpRejection = FailAutoTopUpRejection | BalanceLimitExceeded

/** An auto top-up request as a completion or failure left it, a completion's entry, and whether it replays. */
export interface AutoTopUpPosting {
  readonly request: AutoTopUpRequest
  readonly entry: Entry | null
  readonly replayed: boolean
}

export interface AutoTopUpOperations {
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
}

const asAutoTopUpPosting = (result: Exclude<WriteResult, { _tag: "Refused" }>): Effect.Effect<AutoTopUpPosting> =>
  result._tag === "AutoTopUpChanged"
    ? Effect.succeed({ request: result.request, entry: result.entry, replayed: result.replayed })
    : unexpected(result)

export const autoTopUpOperations = (store: LedgerStore["Service"]): AutoTopUpOperations => {
  const { commit, sweep } = ledgerWrites(store)
  const validAccountId = validate(AccountId)
  return {
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
    expireAutoTopUps: sweep(
      (now) => store.dueAutoTopUpRequests(iso(now), Limits.sweepPageSizeMax),
      ({ accountId, requestId }, now) =>
        store.transact({ accountId, autoTopUpRequestId: requestId }, AutoTopUpSteps.expire(now)),
      (expired) => expired,
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map((results) => ({ expired: results.filter(Boolean).length })),
      Effect.withSpan("Ledger.expireAutoTopUps"),
    ),
  }
}
