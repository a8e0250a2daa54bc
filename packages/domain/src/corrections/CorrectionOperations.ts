import * as Effect from "effect/Effect"
import type { BalanceLimitExceeded, InsufficientCredits } from "../LedgerError.ts"
import { validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { asPosting, iso, ledgerWrites, type Posting, type WriteError } from "../LedgerWrites.ts"
import type { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./CorrectionError.ts"
import { AdjustmentRequest, RefundRequest } from "./CorrectionRequest.ts"
import { adjust, refund } from "./CorrectionSteps.ts"

export type RefundRejection = EntryNotFound | EntryNotRefundable | RefundExceedsEntry | BalanceLimitExceeded
export type AdjustmentRejection = InsufficientCredits | BalanceLimitExceeded

export interface CorrectionOperations {
  readonly refund: (request: typeof RefundRequest.Encoded) => Effect.Effect<Posting, WriteError<RefundRejection>>
  readonly adjust: (
    request: typeof AdjustmentRequest.Encoded,
  ) => Effect.Effect<Posting, WriteError<AdjustmentRejection>>
}

export const correctionOperations = (store: LedgerStore["Service"]): CorrectionOperations => {
  const { commit } = ledgerWrites(store)
  return {
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
  }
}
