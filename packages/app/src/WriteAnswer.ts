import {
  type AccountId,
  type BalanceWriteResult,
  type IdempotencyKey,
  isReplayed,
  type SpendBody,
  type TopUpBody,
  type WriteRequest,
  type WriteResponse,
} from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpEffect, HttpServerResponse } from "effect/http"

/**
 * How a write route turns its decoded request into the ledger's and the ledger's result into the
 * API's answer, shared by the `TallyApi` handlers and the hot routes so both answer alike.
 */

/** Sent on an answer that repeats the stored outcome of an earlier write with the same idempotency key. */
export const markReplayed = HttpEffect.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "idempotent-replayed", "true")),
)

/** A write's refusal answered with `Idempotent-Replayed: true` when it repeats an earlier one. */
export const markReplayedRefusal = <A, E, R>(write: Effect.Effect<A, E, R>) =>
  Effect.tapError(write, (error) => (isReplayed(error) ? markReplayed : Effect.void))

interface KeyHeader {
  readonly "idempotency-key"?: IdempotencyKey
}

export const idempotencyKeyOf = (headers: KeyHeader) =>
  headers["idempotency-key"] === undefined ? {} : { idempotencyKey: headers["idempotency-key"] }

/** The ledger's request for a write: the path's account, the body, and the header's key. */
export function requestOf(
  _tag: "TopUp",
  accountId: AccountId,
  payload: typeof TopUpBody.Type,
  headers: KeyHeader,
): WriteRequest
export function requestOf(
  _tag: "Spend",
  accountId: AccountId,
  payload: typeof SpendBody.Type,
  headers: KeyHeader,
): WriteRequest
export function requestOf(
  _tag: WriteRequest["_tag"],
  accountId: AccountId,
  payload: typeof TopUpBody.Type | typeof SpendBody.Type,
  headers: KeyHeader,
): WriteRequest {
  return { _tag, accountId, ...payload, ...idempotencyKeyOf(headers) } as WriteRequest
}

/** A posted write as the API's `WriteResponse`. */
export const responseOf = (result: Extract<BalanceWriteResult, { _tag: "Posted" }>): WriteResponse => ({
  entry: result.entry,
  balance: result.entry.balanceAfter,
  replayed: result.replayed,
})
