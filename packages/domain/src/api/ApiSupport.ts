import { HttpApiMiddleware, HttpApiSchema, HttpApiSecurity } from "effect/http-api"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { AccountId } from "../AccountId.ts"
import { AccountNotFound } from "../AccountNotFound.ts"
import { Balance } from "../Credits.ts"
import { Entry } from "../Entry.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import {
  BalanceAtCeiling,
  BalanceLimitExceeded,
  IdempotencyConflict,
  InsufficientCredits,
  InvalidRequest,
  LedgerUnavailable,
  OutcomeUnknown,
} from "../LedgerError.ts"
import { EntriesRequest, EntryFilterFields } from "../LedgerRequest.ts"
import * as Examples from "../TallyApiExamples.ts"

/**
 * What every group of the HTTP API shares: errors on the wire, the middleware the server
 * implements, examples, and the parameters and headers many endpoints take.
 */

interface ErrorClass extends Schema.Top {
  readonly fields: Schema.Struct.Fields
  new (props: never): { readonly message: string }
}

/**
 * The domain's rule errors compute their `message`; on the wire it is written out, so a caller
 * reads `{ _tag, message, ...values }`. Decoding drops it again and rebuilds the domain error.
 */
export const withMessage = <E extends ErrorClass>(error: E, status: number) =>
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
/**
 * 409: the write would carry the balance past the largest balance Tally holds exactly, or a debit
 * allowed past the floor would take the balance or the available balance below the smallest.
 */
export const BalanceLimitExceededResponse = withMessage(BalanceLimitExceeded, 409)
/** 409: the idempotency key was already used with a different request. */
export const IdempotencyConflictResponse = withMessage(IdempotencyConflict, 409)
export const AccountNotFoundResponse = withMessage(AccountNotFound, 404)
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

/** The example the API reference shows for a schema, and builds its requests from (see TallyApiExamples). */
export const withExample = <S extends Schema.Top>(schema: S, example: unknown): S =>
  schema.annotate({ examples: [example as S["Type"]] }) as S

export const exampleAccountId = withExample(AccountId, Examples.accountId)

export const accountParams = { accountId: exampleAccountId }

/**
 * A path's numeric id as digits alone, no leading zero: read as a number, `1.0`, `01` and `1e0` would
 * all name id 1, so one resource would answer to many paths.
 */
export const pathId = <S extends Schema.Codec<number, number>>(id: S) =>
  Schema.String.check(
    Schema.isPattern(/^[1-9][0-9]*$/, { expected: "a positive integer written in digits, such as 12" }),
  ).pipe(Schema.decodeTo(id, SchemaTransformation.numberFromString))

/** `Idempotency-Key`: a retry with the same key and body answers with the first response. */
export const idempotencyHeaders = {
  "idempotency-key": Schema.optionalKey(withExample(IdempotencyKey, Examples.idempotencyKey)),
}

/** Hold operations require the key: a hold's id is known only from the answer. */
export const requiredIdempotencyHeaders = {
  "idempotency-key": withExample(IdempotencyKey, Examples.holdIdempotencyKey).pipe(
    Schema.annotateKey({ messageMissingKey: "an Idempotency-Key header is required on every hold operation" }),
  ),
}

export const writeErrors = [
  BalanceAtCeilingResponse,
  InsufficientCreditsResponse,
  BalanceLimitExceededResponse,
  IdempotencyConflictResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
] as const

export const readErrors = [InvalidRequestResponse, LedgerUnavailableResponse] as const

export const storeErrors = [
  IdempotencyConflictResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
] as const

/** The body of a write's answer; `replayed` travels as a header. */
export const WriteBody = withExample(Schema.Struct({ entry: Entry, balance: Balance }), Examples.write)

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

/** An account's credits: `available` (`balance - held`) is what spends and holds may use. */
export const balancesFields = { balance: Balance, held: Schema.Int, available: Schema.Int }

export const EntriesResponse = withExample(
  Schema.Struct({ entries: Schema.Array(Entry), nextCursor: Schema.NullOr(Schema.String) }),
  Examples.entries,
)

export const entriesQuery = {
  limit: EntriesRequest.fields.limit,
  cursor: EntriesRequest.fields.cursor,
  ...EntryFilterFields,
}
