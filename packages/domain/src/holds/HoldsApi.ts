import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  BalanceLimitExceededResponse,
  balancesFields,
  exampleAccountId,
  InsufficientCreditsResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  pathId,
  readErrors,
  requiredIdempotencyHeaders,
  storeErrors,
  withExample,
  withMessage,
} from "../api/ApiSupport.ts"
import { Entry } from "../Entry.ts"
import { Limits } from "../Limits.ts"
import * as Examples from "../TallyApiExamples.ts"
import { MemberLimitExceededResponse } from "../wallets/WalletsApi.ts"
import { Hold, HoldId } from "./Hold.ts"
import { HeldLimitExceeded, HoldExpired, HoldNotFound, HoldNotOpen } from "./HoldError.ts"
import { CaptureRequest, HoldRequest } from "./HoldRequest.ts"

/** 404: the account has no hold with this id. */
export const HoldNotFoundResponse = withMessage(HoldNotFound, 404)
/** 409: the hold was already captured in full, released or expired. */
export const HoldNotOpenResponse = withMessage(HoldNotOpen, 409)
/** 409: the hold's deadline passed; it is released as expired. */
export const HoldExpiredResponse = withMessage(HoldExpired, 409)
/** 409: open holds would reserve more than the largest amount Tally holds exactly (`heldMax`). */
export const HeldLimitExceededResponse = withMessage(HeldLimitExceeded, 409)

const holdParams = { accountId: exampleAccountId, holdId: pathId(HoldId) }

export const HoldBody = withExample(
  Schema.Struct({
    amount: HoldRequest.fields.amount,
    mode: HoldRequest.fields.mode,
    expiresInSeconds: HoldRequest.fields.expiresInSeconds,
    reference: HoldRequest.fields.reference,
    metadata: HoldRequest.fields.metadata,
    member: HoldRequest.fields.member,
  }),
  Examples.hold,
)

export const CaptureBody = withExample(
  Schema.Struct({
    amount: CaptureRequest.fields.amount,
    final: CaptureRequest.fields.final,
    allowDebt: CaptureRequest.fields.allowDebt,
    reference: CaptureRequest.fields.reference,
    metadata: CaptureRequest.fields.metadata,
    member: CaptureRequest.fields.member,
  }),
  Examples.capture,
)

const HoldBodyOut = withExample(
  Schema.Struct({ hold: Hold, entry: Schema.NullOr(Entry), ...balancesFields }),
  Examples.holdWrite,
)

/**
 * A hold operation's answer: the hold as it left it, a capture's entry (null otherwise), and the
 * account's credits after it. A replay carries `Idempotent-Replayed: true`.
 */
export const HoldResponse = Schema.Struct({
  hold: Hold,
  entry: Schema.NullOr(Entry),
  ...balancesFields,
  replayed: Schema.Boolean,
}).pipe(
  HttpApiSchema.encodeToWithHeaders(
    { body: HoldBodyOut, headers: { "idempotent-replayed": Schema.optionalKey(Schema.Literal("true")) } },
    {
      decode: ({ body, headers }) => ({ ...body, replayed: headers["idempotent-replayed"] === "true" }),
      encode: ({ replayed, ...body }) => ({
        body,
        headers: replayed ? { "idempotent-replayed": "true" as const } : {},
      }),
    },
  ),
)
export type HoldResponse = typeof HoldResponse.Type

export const ExpireHoldsResponse = withExample(Schema.Struct({ expired: Schema.Int }), Examples.expired)

export const OpenHoldsResponse = withExample(Schema.Struct({ holds: Schema.Array(Hold) }), Examples.openHolds)

export class HoldsGroup extends HttpApiGroup.make("holds")
  .add(
    HttpApiEndpoint.post("hold", "/accounts/:accountId/holds", {
      params: accountParams,
      headers: requiredIdempotencyHeaders,
      payload: HoldBody,
      success: HoldResponse,
      error: [InsufficientCreditsResponse, HeldLimitExceededResponse, MemberLimitExceededResponse, ...storeErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Reserve credits before a run (the Idempotency-Key header is required)",
        description:
          'The credits stay in the balance but leave available. mode "exact" (default) or "available"; expiresInSeconds sets a deadline after which the hold cannot be captured and is released as expired.',
      }),
    ),
    HttpApiEndpoint.get("openHolds", "/accounts/:accountId/holds", {
      params: accountParams,
      success: OpenHoldsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: `The account's open holds, oldest first (at most ${Limits.openHoldsListedMax})`,
      }),
    ),
    HttpApiEndpoint.get("getHold", "/accounts/:accountId/holds/:holdId", {
      params: holdParams,
      success: withExample(Hold, Examples.holdState),
      error: [HoldNotFoundResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "A hold as it stands" })),
    HttpApiEndpoint.post("capture", "/accounts/:accountId/holds/:holdId/captures", {
      params: holdParams,
      headers: requiredIdempotencyHeaders,
      payload: CaptureBody,
      success: HoldResponse,
      error: [
        HoldNotFoundResponse,
        HoldNotOpenResponse,
        HoldExpiredResponse,
        InsufficientCreditsResponse,
        BalanceLimitExceededResponse,
        MemberLimitExceededResponse,
        ...storeErrors,
      ],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Settle part or all of a hold as usage (the Idempotency-Key header is required)",
        description:
          "Without amount, what the hold still reserves. final (default true) releases what the capture leaves; final: false keeps the hold open for more captures. An amount beyond the hold takes the excess from the available balance, or fails whole with 409 InsufficientCredits unless allowDebt is true.",
      }),
    ),
    HttpApiEndpoint.post("release", "/accounts/:accountId/holds/:holdId/release", {
      params: holdParams,
      headers: requiredIdempotencyHeaders,
      success: HoldResponse,
      error: [HoldNotFoundResponse, HoldNotOpenResponse, ...storeErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Free what a hold still reserves (the Idempotency-Key header is required)",
        description: "A hold past its deadline resolves as expired rather than released.",
      }),
    ),
    HttpApiEndpoint.post("expireHolds", "/holds/expire", {
      success: ExpireHoldsResponse,
      error: [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Release every open hold whose deadline has passed (the service also does it every second)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Holds", description: "Reserve, capture, release, expire" })) {}
