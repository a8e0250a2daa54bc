import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  BalanceLimitExceededResponse,
  exampleAccountId,
  InsufficientCreditsResponse,
  idempotencyHeaders,
  pathId,
  storeErrors,
  WriteResponse,
  withExample,
  withMessage,
} from "../api/ApiSupport.ts"
import * as Examples from "../TallyApiExamples.ts"
import { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./CorrectionError.ts"
import { AdjustmentRequest, RefundRequest } from "./CorrectionRequest.ts"

/** 404: the account has no entry with this sequence. */
export const EntryNotFoundResponse = withMessage(EntryNotFound, 404)
/** 409: the entry added no credits, so there is nothing to refund. */
export const EntryNotRefundableResponse = withMessage(EntryNotRefundable, 409)
/** 409: the refund asks for more than is left to refund of the entry. */
export const RefundExceedsEntryResponse = withMessage(RefundExceedsEntry, 409)

export const RefundBody = withExample(
  Schema.Struct({
    amount: RefundRequest.fields.amount,
    reason: RefundRequest.fields.reason,
    reference: RefundRequest.fields.reference,
    metadata: RefundRequest.fields.metadata,
  }),
  Examples.refund,
)

export const AdjustmentBody = withExample(
  Schema.Struct({
    amount: AdjustmentRequest.fields.amount,
    reason: AdjustmentRequest.fields.reason,
    actor: AdjustmentRequest.fields.actor,
    force: AdjustmentRequest.fields.force,
    reference: AdjustmentRequest.fields.reference,
    metadata: AdjustmentRequest.fields.metadata,
    member: AdjustmentRequest.fields.member,
  }),
  Examples.adjustment,
)

export class CorrectionsGroup extends HttpApiGroup.make("corrections")
  .add(
    HttpApiEndpoint.post("refund", "/accounts/:accountId/entries/:sequence/refunds", {
      params: { accountId: exampleAccountId, sequence: pathId(RefundRequest.fields.sequence) },
      headers: idempotencyHeaders,
      payload: RefundBody,
      success: WriteResponse,
      error: [
        EntryNotFoundResponse,
        EntryNotRefundableResponse,
        RefundExceedsEntryResponse,
        BalanceLimitExceededResponse,
        ...storeErrors,
      ],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Refund an earlier entry: a debit linked to it (kind refund)",
        description:
          "Of amount, or of everything left to refund of the entry; refunds of one entry never sum past it. The money already went back, so a refund may take the balance below the floor (the entry says overdrawn: true).",
      }),
    ),
    HttpApiEndpoint.post("adjust", "/accounts/:accountId/adjustments", {
      params: accountParams,
      headers: idempotencyHeaders,
      payload: AdjustmentBody,
      success: WriteResponse,
      error: [InsufficientCreditsResponse, BalanceLimitExceededResponse, ...storeErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Add (amount > 0) or remove (amount < 0) credits, with a reason and an actor",
        description: "A removal obeys the floor, on the available balance, unless force is true.",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Corrections", description: "Refunds and adjustments" })) {}
