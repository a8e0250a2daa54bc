import { Schema, SchemaTransformation } from "effect"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi,
} from "effect/http-api"
import { AccountId } from "./AccountId.ts"
import { Balance, OverdraftLimit } from "./Credits.ts"
import { Entry } from "./Entry.ts"
import { IdempotencyKey } from "./IdempotencyKey.ts"
import {
  BalanceAtCeiling,
  BalanceLimitExceeded,
  IdempotencyConflict,
  InsufficientCredits,
  InvalidRequest,
  LedgerUnavailable,
  OutcomeUnknown,
  OverdraftLimitBelowDebt,
} from "./LedgerError.ts"
import { EntriesRequest, SettingsRequest, SpendRequest, TopUpRequest } from "./LedgerRequest.ts"

/**
 * The HTTP API of the Tally service, defined once: the server implements it, a typed client is
 * derived from it (`HttpApiClient.make(TallyApi)`), and the OpenAPI document is generated from it.
 * Amounts are JSON integers; every error answers with a JSON body `{ _tag, message, ...values }`.
 */

// -----------------------------------------------------------------------------
// Errors on the wire
// -----------------------------------------------------------------------------

interface ErrorClass extends Schema.Top {
  readonly fields: Schema.Struct.Fields
  new (props: never): { readonly message: string }
}

/**
 * The domain's rule errors compute their `message`; on the wire it is written out, so a caller
 * reads `{ _tag, message, ...values }`. Decoding drops it again and rebuilds the domain error.
 */
const withMessage = <E extends ErrorClass>(error: E, status: number) =>
  Schema.Struct({ ...error.fields, message: Schema.String }).pipe(
    Schema.decodeTo(
      error,
      SchemaTransformation.transform<E["Encoded"], { readonly message: string }>({
        decode: ({ message: _message, ...values }) => values as E["Encoded"],
        encode: (values) => {
          const { _tag, ...props } = values as Record<string, unknown>
          return { ...(values as object), message: new error(props as never).message }
        },
      }),
    ),
    HttpApiSchema.status(status),
  )

/** 409: the balance is already at or above the ceiling; the message says "You already have enough balance". */
export const BalanceAtCeilingResponse = withMessage(BalanceAtCeiling, 409)
/** 409: the spend would take the balance below its floor. */
export const InsufficientCreditsResponse = withMessage(InsufficientCredits, 409)
/** 409: the top-up would carry the balance past the largest balance Tally holds exactly. */
export const BalanceLimitExceededResponse = withMessage(BalanceLimitExceeded, 409)
/** 409: the idempotency key was already used with a different request. */
export const IdempotencyConflictResponse = withMessage(IdempotencyConflict, 409)
/** 409: the account's debt already exceeds the requested overdraft limit. */
export const OverdraftLimitBelowDebtResponse = withMessage(OverdraftLimitBelowDebt, 409)
/** 400: the request failed validation; nothing was written. */
export const InvalidRequestResponse = InvalidRequest.pipe(HttpApiSchema.status(400))
/** 503: the storage did not answer; nothing was written. */
export const LedgerUnavailableResponse = LedgerUnavailable.pipe(HttpApiSchema.status(503))
/** 503: the storage failed while committing, and whether the write landed is not known; retry with its key. */
export const OutcomeUnknownResponse = withMessage(OutcomeUnknown, 503)

/** 401: a token is configured and the request did not carry it. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  { httpApiStatus: 401 },
) {}

/** 503 from `/health`: the database does not answer. */
export class Unhealthy extends Schema.TaggedError<Unhealthy>()(
  "Unhealthy",
  { message: Schema.String, storage: Schema.String, database: Schema.Literal("down") },
  { httpApiStatus: 503 },
) {}

// -----------------------------------------------------------------------------
// Middleware (implemented by the server)
// -----------------------------------------------------------------------------

/** Bearer-token check on every `/v1` route, active when the server has a token configured. */
export class Authorization extends HttpApiMiddleware.Service<Authorization>()("@tally/domain/TallyApi/Authorization", {
  security: { bearer: HttpApiSecurity.bearer },
  error: Unauthorized,
}) {}

/** Turns a request that fails the schemas (path, query, headers, body) into a 400 `InvalidRequest`. */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "@tally/domain/TallyApi/RequestValidation",
  { error: InvalidRequestResponse },
) {}

// -----------------------------------------------------------------------------
// Requests and responses
// -----------------------------------------------------------------------------

const accountParams = { accountId: AccountId }

/** `Idempotency-Key`: a retry with the same key and body answers with the first response. */
const idempotencyHeaders = { "idempotency-key": Schema.optionalKey(IdempotencyKey) }

export const TopUpBody = Schema.Struct({
  amount: TopUpRequest.fields.amount,
  ceiling: TopUpRequest.fields.ceiling,
  kind: TopUpRequest.fields.kind,
  metadata: TopUpRequest.fields.metadata,
})

export const SpendBody = Schema.Struct({
  amount: SpendRequest.fields.amount,
  mode: SpendRequest.fields.mode,
  metadata: SpendRequest.fields.metadata,
})

/** The body of a write's answer; `replayed` travels as a header. */
export const WriteBody = Schema.Struct({ entry: Entry, balance: Balance })

/** A write's answer as its body and its headers. */
export const writeResponseParts = ({ replayed, ...body }: typeof WriteBody.Type & { readonly replayed: boolean }) => ({
  body,
  headers: replayed ? { "idempotent-replayed": "true" as const } : {},
})

/**
 * An applied write: the entry with its decision, and the balance after it. A replay of an earlier
 * write with the same idempotency key carries `replayed: true`, sent as `Idempotent-Replayed: true`.
 */
export const WriteResponse = Schema.Struct({ entry: Entry, balance: Balance, replayed: Schema.Boolean }).pipe(
  HttpApiSchema.encodeToWithHeaders(
    { body: WriteBody, headers: { "idempotent-replayed": Schema.optionalKey(Schema.Literal("true")) } },
    {
      decode: ({ body, headers }) => ({ ...body, replayed: headers["idempotent-replayed"] === "true" }),
      encode: writeResponseParts,
    },
  ),
)
export type WriteResponse = typeof WriteResponse.Type

export const BalanceResponse = Schema.Struct({ accountId: AccountId, balance: Balance })

export const EntriesResponse = Schema.Struct({ entries: Schema.Array(Entry), nextCursor: Schema.NullOr(Schema.String) })

const entriesQuery = {
  limit: EntriesRequest.fields.limit,
  cursor: EntriesRequest.fields.cursor,
  kind: EntriesRequest.fields.kind,
}

export const SettingsBody = Schema.Struct({ overdraftLimit: SettingsRequest.fields.overdraftLimit })

export const SettingsResponse = Schema.Struct({ accountId: AccountId, overdraftLimit: OverdraftLimit })

export const AuditResponse = Schema.Struct({
  accountsChecked: Schema.Int,
  entriesChecked: Schema.Int,
  violations: Schema.Array(
    Schema.Struct({ accountId: Schema.String, sequence: Schema.NullOr(Schema.Int), problem: Schema.String }),
  ),
})

export const HealthResponse = Schema.Struct({
  status: Schema.Literal("ok"),
  storage: Schema.String,
  database: Schema.Literal("up"),
})

// -----------------------------------------------------------------------------
// Endpoints
// -----------------------------------------------------------------------------

const writeErrors = [
  BalanceAtCeilingResponse,
  InsufficientCreditsResponse,
  BalanceLimitExceededResponse,
  IdempotencyConflictResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
] as const

const readErrors = [InvalidRequestResponse, LedgerUnavailableResponse] as const

export class LedgerGroup extends HttpApiGroup.make("ledger")
  .add(
    HttpApiEndpoint.post("topUp", "/accounts/:accountId/top-ups", {
      params: accountParams,
      headers: idempotencyHeaders,
      payload: TopUpBody,
      success: WriteResponse,
      error: writeErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Add credits, optionally capped by a ceiling",
        description:
          "Applied in full, Clamped to the ceiling, or rejected with 409 BalanceAtCeiling when the balance is already at or above the ceiling.",
      }),
    ),
    HttpApiEndpoint.post("spend", "/accounts/:accountId/spends", {
      params: accountParams,
      headers: idempotencyHeaders,
      payload: SpendBody,
      success: WriteResponse,
      error: writeErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Spend credits as usage",
        description:
          'mode "exact" (default) spends all of amount or answers 409 InsufficientCredits; "available" takes what the floor leaves.',
      }),
    ),
    HttpApiEndpoint.get("balance", "/accounts/:accountId/balance", {
      params: accountParams,
      success: BalanceResponse,
      error: readErrors,
    }).annotateMerge(OpenApi.annotations({ summary: "The account's balance (0 for an account never written to)" })),
    HttpApiEndpoint.get("entries", "/accounts/:accountId/entries", {
      params: accountParams,
      query: entriesQuery,
      success: EntriesResponse,
      error: readErrors,
    }).annotateMerge(OpenApi.annotations({ summary: "The account's entries, newest first, one page at a time" })),
    HttpApiEndpoint.get("settings", "/accounts/:accountId/settings", {
      params: accountParams,
      success: SettingsResponse,
      error: readErrors,
    }).annotateMerge(OpenApi.annotations({ summary: "The account's settings" })),
    HttpApiEndpoint.put("updateSettings", "/accounts/:accountId/settings", {
      params: accountParams,
      payload: SettingsBody,
      success: SettingsResponse,
      error: [OverdraftLimitBelowDebtResponse, OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "Change the account's overdraft limit" })),
    HttpApiEndpoint.get("audit", "/audit", {
      success: AuditResponse,
      error: LedgerUnavailableResponse,
    }).annotateMerge(
      OpenApi.annotations({ summary: "Recompute every account's chain of running balances and report violations" }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Ledger", description: "Accounts, balances and entries" })) {}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true }).add(
  HttpApiEndpoint.get("health", "/health", { success: HealthResponse, error: Unhealthy }).annotateMerge(
    OpenApi.annotations({ summary: "Whether the service and its database answer" }),
  ),
) {}

export class TallyApi extends HttpApi.make("tally")
  .add(LedgerGroup)
  .add(SystemGroup)
  .middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error" })
  .annotateMerge(
    OpenApi.annotations({
      title: "Tally",
      version: "0.1.0",
      description:
        "A credit ledger. Amounts are integer credits (JSON integers). Writes accept an Idempotency-Key header; a replay answers with the first response and Idempotent-Replayed: true. Rule rejections answer 409 with { _tag, message, ...values }.",
    }),
  ) {}
