import type {
  AccountId,
  BalanceWriteResult,
  IdempotencyKey,
  SpendBody,
  TopUpBody,
  WriteRequest,
  WriteResponse,
} from "@tally/domain"

/**
 * How a write route turns its decoded request into the ledger's and the ledger's result into the
 * API's answer, shared by the `TallyApi` handlers and the hot routes so both answer alike.
 */

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
