import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  BalanceLimitExceededResponse,
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
import { Limits } from "../Limits.ts"
import * as Examples from "../TallyApiExamples.ts"
import {
  AutoTopUpRequestLookup,
  AutoTopUpStatus,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  FailAutoTopUpRequest,
} from "./AutoTopUpCommands.ts"
import {
  AutoTopUpCeilingBelowThreshold,
  AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  AutoTopUpRequestNotOpen,
} from "./AutoTopUpError.ts"
import { AutoTopUpRequest } from "./AutoTopUpRequest.ts"

/** 400: auto top-up settings whose ceiling is below their threshold. */
export const AutoTopUpCeilingBelowThresholdResponse = withMessage(AutoTopUpCeilingBelowThreshold, 400)
/** 404: the account has no auto top-up request with this id. */
export const AutoTopUpRequestNotFoundResponse = withMessage(AutoTopUpRequestNotFound, 404)
/** 409: the request was already completed, failed or expired. */
export const AutoTopUpRequestNotOpenResponse = withMessage(AutoTopUpRequestNotOpen, 409)
/** 409: the request's deadline passed; it is expired. */
export const AutoTopUpRequestExpiredResponse = withMessage(AutoTopUpRequestExpired, 409)

export const AutoTopUpBody = withExample(
  Schema.Struct({
    threshold: ConfigureAutoTopUpRequest.fields.threshold,
    amount: ConfigureAutoTopUpRequest.fields.amount,
    ceiling: ConfigureAutoTopUpRequest.fields.ceiling,
    enabled: ConfigureAutoTopUpRequest.fields.enabled,
  }),
  Examples.autoTopUp,
)

export const CompleteAutoTopUpBody = withExample(
  Schema.Struct({
    paymentReference: CompleteAutoTopUpRequest.fields.paymentReference,
    expiresAt: CompleteAutoTopUpRequest.fields.expiresAt,
    priority: CompleteAutoTopUpRequest.fields.priority,
  }),
  Examples.completeAutoTopUp,
)

export const FailAutoTopUpBody = withExample(
  Schema.Struct({ reason: FailAutoTopUpRequest.fields.reason }),
  Examples.failAutoTopUp,
)

const AutoTopUpPostingBody = withExample(
  Schema.Struct({ request: AutoTopUpRequest, entry: Schema.NullOr(Entry) }),
  Examples.autoTopUpPosting,
)

/**
 * A completion's or a failure's answer: the request as it left it, and a completion's `top-up` entry
 * (null otherwise). A replay carries `Idempotent-Replayed: true`.
 */
export const AutoTopUpPostingResponse = Schema.Struct({
  request: AutoTopUpRequest,
  entry: Schema.NullOr(Entry),
  replayed: Schema.Boolean,
}).pipe(
  HttpApiSchema.encodeToWithHeaders(
    { body: AutoTopUpPostingBody, headers: { "idempotent-replayed": Schema.optionalKey(Schema.Literal("true")) } },
    {
      decode: ({ body, headers }) => ({ ...body, replayed: headers["idempotent-replayed"] === "true" }),
      encode: ({ replayed, ...body }) => ({
        body,
        headers: replayed ? { "idempotent-replayed": "true" as const } : {},
      }),
    },
  ),
)
export type AutoTopUpPostingResponse = typeof AutoTopUpPostingResponse.Type

export const ExpireAutoTopUpsResponse = withExample(Schema.Struct({ expired: Schema.Int }), Examples.expired)

const requestParams = {
  accountId: exampleAccountId,
  requestId: pathId(AutoTopUpRequestLookup.fields.requestId),
}

export class AutoTopUpGroup extends HttpApiGroup.make("autoTopUp")
  .add(
    HttpApiEndpoint.get("autoTopUp", "/accounts/:accountId/auto-top-up", {
      params: accountParams,
      success: withExample(AutoTopUpStatus, Examples.autoTopUpStatus),
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's auto top-up: threshold, amount, ceiling, whether it is on, the open request",
      }),
    ),
    HttpApiEndpoint.put("configureAutoTopUp", "/accounts/:accountId/auto-top-up", {
      params: accountParams,
      payload: AutoTopUpBody,
      success: withExample(AutoTopUpStatus, Examples.autoTopUpStatus),
      error: [AutoTopUpCeilingBelowThresholdResponse, OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Set the account's auto top-up (the origin's auto_top_up: threshold, amount)",
        description:
          "When a spend, hold or capture leaves the available balance below threshold, Tally opens one request for amount (clamped so that the balance never passes ceiling) and emits auto_top_up.requested. enabled (default true) false keeps the settings and asks for nothing.",
      }),
    ),
    HttpApiEndpoint.get("autoTopUpRequest", "/accounts/:accountId/auto-top-up/requests/:requestId", {
      params: requestParams,
      success: withExample(AutoTopUpRequest, Examples.autoTopUpRequest),
      error: [AutoTopUpRequestNotFoundResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "An auto top-up request as it stands" })),
    HttpApiEndpoint.post("completeAutoTopUp", "/accounts/:accountId/auto-top-up/requests/:requestId/complete", {
      params: requestParams,
      payload: CompleteAutoTopUpBody,
      success: AutoTopUpPostingResponse,
      error: [
        AutoTopUpRequestNotFoundResponse,
        AutoTopUpRequestNotOpenResponse,
        AutoTopUpRequestExpiredResponse,
        BalanceLimitExceededResponse,
        ...storeErrors,
      ],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The payment was taken: credit the request's amount in full as a top-up entry",
        description:
          "paymentReference (your payment provider's id of the charge) is the idempotency key: completing again with it answers the first completion.",
      }),
    ),
    HttpApiEndpoint.post("failAutoTopUp", "/accounts/:accountId/auto-top-up/requests/:requestId/fail", {
      params: requestParams,
      headers: idempotencyHeaders,
      payload: FailAutoTopUpBody,
      success: AutoTopUpPostingResponse,
      error: [
        AutoTopUpRequestNotFoundResponse,
        AutoTopUpRequestNotOpenResponse,
        AutoTopUpRequestExpiredResponse,
        ...storeErrors,
      ],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The payment failed: nothing is credited",
        description: `After ${Limits.autoTopUpConsecutiveFailuresMax} failures in a row auto top-up is switched off (auto_top_up.disabled) until it is set again.`,
      }),
    ),
    HttpApiEndpoint.post("expireAutoTopUps", "/auto-top-ups/expire", {
      success: ExpireAutoTopUpsResponse,
      error: [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Expire every open auto top-up request past its deadline (the service also does it on a schedule)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({ title: "Auto top-up", description: "Requests for credits when a balance runs low" }),
  ) {}
