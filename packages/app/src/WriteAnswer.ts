import type { WriteInput, WriteResponse, WriteResult } from "@tally/domain"

/**
 * How a write route turns its request into the ledger's input and the ledger's result into the
 * API's answer, shared by the `TallyApi` handlers and the hot routes so both answer alike.
 */

export const idempotencyKeyOf = (headers: { readonly "idempotency-key"?: string }) =>
  headers["idempotency-key"] === undefined ? {} : { idempotencyKey: headers["idempotency-key"] }

/** The ledger's input for a write: the path's account, the body, and the header's key. */
export const inputOf = <P extends object>(
  _tag: WriteInput["_tag"],
  accountId: string,
  payload: P,
  headers: { readonly "idempotency-key"?: string },
) => ({ _tag, accountId, ...payload, ...idempotencyKeyOf(headers) }) as WriteInput

/** A posted write as the API's `WriteResponse`. */
export const responseOf = (result: Extract<WriteResult, { _tag: "Posted" }>): WriteResponse => ({
  entry: result.entry,
  balance: result.entry.balanceAfter,
  replayed: result.replayed,
})
