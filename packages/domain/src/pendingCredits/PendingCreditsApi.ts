import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  BalanceAtCeilingResponse,
  BalanceLimitExceededResponse,
  balancesFields,
  exampleAccountId,
  InvalidRequestResponse,
  idempotencyHeaders,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  pathId,
  readErrors,
  storeErrors,
  withExample,
  withMessage,
} from "../api/ApiSupport.ts"
import { Entry } from "../Entry.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { Limits } from "../Limits.ts"
import { PendingCredit, PendingCreditId } from "./PendingCredit.ts"
import {
  PendingCreditExpired,
  PendingCreditMetadataInvalid,
  PendingCreditNotFound,
  PendingCreditNotPending,
} from "./PendingCreditError.ts"
import { ActivateCreditRequest, PendingCreditRequest, PendingCreditsRequest } from "./PendingCreditRequest.ts"

/** 404: the account has no pending credit with this id. */
export const PendingCreditNotFoundResponse = withMessage(PendingCreditNotFound, 404)
/** 409: the pending credit was already activated, voided or expired. */
export const PendingCreditNotPendingResponse = withMessage(PendingCreditNotPending, 409)
/** 409: the pending credit's deadline passed; it is expired. */
export const PendingCreditExpiredResponse = withMessage(PendingCreditExpired, 409)
/** 400: the activation's metadata over the credit's is more than an entry may carry. */
export const PendingCreditMetadataInvalidResponse = withMessage(PendingCreditMetadataInvalid, 400)

const pendingCreditExample = {
  accountId: "acct_123",
  pendingCreditId: 1,
  status: "pending",
  kind: "top-up",
  amount: 2000,
  ceiling: null,
  reference: "checkout-7",
  metadata: { checkout: "cs_7" },
  grantExpiresAt: null,
  grantPriority: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-01-01T01:00:00.000Z",
  resolvedAt: null,
  entrySequence: null,
}

const creditParams = { accountId: exampleAccountId, pendingCreditId: pathId(PendingCreditId) }

/** Recording a pending credit requires the key: its id is known only from the answer. */
const requiredKeyHeaders = {
  "idempotency-key": withExample(IdempotencyKey, "checkout-7").pipe(
    Schema.annotateKey({ messageMissingKey: "an Idempotency-Key header is required to record a pending credit" }),
  ),
}

export const PendingCreditBody = withExample(
  Schema.Struct({
    amount: PendingCreditRequest.fields.amount,
    kind: PendingCreditRequest.fields.kind,
    ceiling: PendingCreditRequest.fields.ceiling,
    expiresInSeconds: PendingCreditRequest.fields.expiresInSeconds,
    grantExpiresAt: PendingCreditRequest.fields.grantExpiresAt,
    grantPriority: PendingCreditRequest.fields.grantPriority,
    reference: PendingCreditRequest.fields.reference,
    metadata: PendingCreditRequest.fields.metadata,
  }),
  { amount: 2000, reference: "checkout-7", metadata: { checkout: "cs_7" } },
)

export const ActivateCreditBody = withExample(Schema.Struct({ metadata: ActivateCreditRequest.fields.metadata }), {
  metadata: { payment: "pi_7" },
})

const PendingCreditBodyOut = withExample(
  Schema.Struct({ pendingCredit: PendingCredit, entry: Schema.NullOr(Entry), ...balancesFields }),
  { pendingCredit: pendingCreditExample, entry: null, balance: 0, held: 0, available: 0 },
)

/**
 * A pending credit operation's answer: the credit as it left it, an activation's entry (null
 * otherwise), and the account's credits after it. A replay carries `Idempotent-Replayed: true`.
 */
export const PendingCreditResponse = Schema.Struct({
  pendingCredit: PendingCredit,
  entry: Schema.NullOr(Entry),
  ...balancesFields,
  replayed: Schema.Boolean,
}).pipe(
  HttpApiSchema.encodeToWithHeaders(
    { body: PendingCreditBodyOut, headers: { "idempotent-replayed": Schema.optionalKey(Schema.Literal("true")) } },
    {
      decode: ({ body, headers }) => ({ ...body, replayed: headers["idempotent-replayed"] === "true" }),
      encode: ({ replayed, ...body }) => ({
        body,
        headers: replayed ? { "idempotent-replayed": "true" as const } : {},
      }),
    },
  ),
)
export type PendingCreditResponse = typeof PendingCreditResponse.Type

export const PendingCreditsResponse = withExample(
  Schema.Struct({ pendingCredits: Schema.Array(PendingCredit), nextCursor: Schema.NullOr(Schema.String) }),
  { pendingCredits: [pendingCreditExample], nextCursor: null },
)

export const ExpirePendingCreditsResponse = withExample(Schema.Struct({ expired: Schema.Int }), { expired: 0 })

/** `/v1/accounts/{accountId}/pending-credits`: credits recorded before they count, then activated, voided or expired. */
export class PendingCreditsGroup extends HttpApiGroup.make("pendingCredits")
  .add(
    HttpApiEndpoint.post("recordPendingCredit", "/accounts/:accountId/pending-credits", {
      params: accountParams,
      headers: requiredKeyHeaders,
      payload: PendingCreditBody,
      success: PendingCreditResponse,
      error: storeErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Record a credit that does not count yet (a checkout started; the Idempotency-Key header is required)",
        description: `It counts in neither balance nor available until activated. kind "top-up" (default) or "grant"; ceiling applies at activation; expiresInSeconds (default ${Limits.pendingCreditExpiresInSecondsDefault}, at most ${Limits.pendingCreditExpiresInSecondsMax}) is its deadline, after which it expires unactivated; grantExpiresAt/grantPriority make the credit a grant when it activates.`,
      }),
    ),
    HttpApiEndpoint.get("pendingCredits", "/accounts/:accountId/pending-credits", {
      params: accountParams,
      query: {
        status: PendingCreditsRequest.fields.status,
        limit: PendingCreditsRequest.fields.limit,
        cursor: PendingCreditsRequest.fields.cursor,
      },
      success: PendingCreditsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({ summary: "The account's pending credits, newest first, optionally of one status" }),
    ),
    HttpApiEndpoint.get("getPendingCredit", "/accounts/:accountId/pending-credits/:pendingCreditId", {
      params: creditParams,
      success: withExample(PendingCredit, pendingCreditExample),
      error: [PendingCreditNotFoundResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "A pending credit as it stands" })),
    HttpApiEndpoint.post("activateCredit", "/accounts/:accountId/pending-credits/:pendingCreditId/activate", {
      params: creditParams,
      headers: idempotencyHeaders,
      payload: ActivateCreditBody,
      success: PendingCreditResponse,
      error: [
        PendingCreditNotFoundResponse,
        PendingCreditNotPendingResponse,
        PendingCreditExpiredResponse,
        PendingCreditMetadataInvalidResponse,
        BalanceAtCeilingResponse,
        BalanceLimitExceededResponse,
        ...storeErrors,
      ],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The payment was confirmed: credit it, with its metadata over the pending credit's",
        description:
          "Decided on the balance now as a top-up of its amount under its ceiling: Applied, Clamped onto the ceiling, or 409 BalanceAtCeiling (the credit stays pending: void it, or activate it later).",
      }),
    ),
    HttpApiEndpoint.post("voidCredit", "/accounts/:accountId/pending-credits/:pendingCreditId/void", {
      params: creditParams,
      headers: idempotencyHeaders,
      success: PendingCreditResponse,
      error: [PendingCreditNotFoundResponse, PendingCreditNotPendingResponse, ...storeErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The payment failed: credit nothing",
        description: "A pending credit past its deadline resolves as expired rather than voided.",
      }),
    ),
    HttpApiEndpoint.post("expirePendingCredits", "/pending-credits/expire", {
      success: ExpirePendingCreditsResponse,
      error: [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Expire every pending credit past its deadline (the service also does it every second)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({ title: "Pending credits", description: "Credits that count once a payment is confirmed" }),
  ) {}
