import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { AccountId } from "./AccountId.ts"
import {
  AccountNotFoundResponse,
  Authorization,
  accountParams,
  BalanceLimitExceededResponse,
  exampleAccountId,
  InsufficientCreditsResponse,
  InvalidRequestResponse,
  idempotencyHeaders,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  RequestValidation,
  readErrors,
  requiredIdempotencyHeaders,
  storeErrors,
  withExample,
  withMessage,
  writeErrors,
} from "./api/ApiSupport.ts"
import {
  AutoTopUpRequestLookup,
  AutoTopUpStatus,
  CompleteAutoTopUpRequest,
  ConfigureAutoTopUpRequest,
  FailAutoTopUpRequest,
} from "./autoTopUp/AutoTopUpCommands.ts"
import {
  AutoTopUpCeilingBelowThreshold,
  AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  AutoTopUpRequestNotOpen,
} from "./autoTopUp/AutoTopUpError.ts"
import { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import { Balance, OverdraftLimit } from "./Credits.ts"
import { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./corrections/CorrectionError.ts"
import { AdjustmentRequest, RefundRequest } from "./corrections/CorrectionRequest.ts"
import { Entry, EntryKind } from "./Entry.ts"
import { EventsRequest } from "./events/EventFeed.ts"
import { LedgerEvent } from "./events/LedgerEvent.ts"
import { GrantsGroup } from "./grants/GrantsApi.ts"
import { AccountSummary, AccountsRequest } from "./history/AccountActivity.ts"
import { Hold, HoldId } from "./holds/Hold.ts"
import { HeldLimitExceeded, HoldExpired, HoldNotFound, HoldNotOpen } from "./holds/HoldError.ts"
import { CaptureRequest, HoldRequest } from "./holds/HoldRequest.ts"
import { OverdraftLimitBelowDebt } from "./LedgerError.ts"
import {
  EntriesRequest,
  EntryFilterFields,
  ExportFormat,
  SearchRequest,
  SettingsRequest,
  SpendRequest,
  TopUpRequest,
} from "./LedgerRequest.ts"
import { Limits } from "./Limits.ts"
import { ConfigureRefillRequest, RefillStatus } from "./refills/RefillCommands.ts"
import * as Examples from "./TallyApiExamples.ts"
import { DeliveriesRequest, WebhookDelivery } from "./webhooks/WebhookDelivery.ts"
import {
  CreatedWebhookEndpoint,
  WebhookEndpoint,
  WebhookEndpointLimitReached,
  WebhookEndpointNotFound,
  WebhookEndpointRequest,
} from "./webhooks/WebhookEndpoint.ts"

export {
  AccountNotFoundResponse,
  Authorization,
  BalanceAtCeilingResponse,
  BalanceLimitExceededResponse,
  IdempotencyConflictResponse,
  InsufficientCreditsResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  RequestValidation,
  Unauthorized,
} from "./api/ApiSupport.ts"

/**
 * The HTTP API of the Tally service, defined once: the server implements it, a typed client is
 * derived from it (`HttpApiClient.make(TallyApi)`), and the OpenAPI document is generated from it.
 * Amounts are JSON integers; every error answers with a JSON body `{ _tag, message, ...values }`.
 */

/** 409: the account's debt already exceeds the requested overdraft limit. */
export const OverdraftLimitBelowDebtResponse = withMessage(OverdraftLimitBelowDebt, 409)
/** 404: the account has no hold with this id. */
export const HoldNotFoundResponse = withMessage(HoldNotFound, 404)
/** 409: the hold was already captured in full, released or expired. */
export const HoldNotOpenResponse = withMessage(HoldNotOpen, 409)
/** 409: the hold's deadline passed; it is released as expired. */
export const HoldExpiredResponse = withMessage(HoldExpired, 409)
/** 409: open holds would reserve more than the largest amount Tally holds exactly (`heldMax`). */
export const HeldLimitExceededResponse = withMessage(HeldLimitExceeded, 409)
/** 404: the account has no entry with this sequence. */
export const EntryNotFoundResponse = withMessage(EntryNotFound, 404)
/** 409: the entry added no credits, so there is nothing to refund. */
export const EntryNotRefundableResponse = withMessage(EntryNotRefundable, 409)
/** 409: the refund asks for more than is left to refund of the entry. */
export const RefundExceedsEntryResponse = withMessage(RefundExceedsEntry, 409)

/** 400: auto top-up settings whose ceiling is below their threshold. */
export const AutoTopUpCeilingBelowThresholdResponse = withMessage(AutoTopUpCeilingBelowThreshold, 400)
/** 404: the account has no auto top-up request with this id. */
export const AutoTopUpRequestNotFoundResponse = withMessage(AutoTopUpRequestNotFound, 404)
/** 409: the request was already completed, failed or expired. */
export const AutoTopUpRequestNotOpenResponse = withMessage(AutoTopUpRequestNotOpen, 409)
/** 409: the request's deadline passed; it is expired. */
export const AutoTopUpRequestExpiredResponse = withMessage(AutoTopUpRequestExpired, 409)

/** 404: no webhook endpoint with that id. */
export const WebhookEndpointNotFoundResponse = withMessage(WebhookEndpointNotFound, 404)
/** 409: as many webhook endpoints as Tally delivers to exist already. */
export const WebhookEndpointLimitReachedResponse = withMessage(WebhookEndpointLimitReached, 409)

/** 503 from `/health`: the database does not answer. */
export class Unhealthy extends Schema.TaggedError<Unhealthy>()(
  "Unhealthy",
  { message: Schema.String, storage: Schema.String, database: Schema.Literal("down") },
  { httpApiStatus: 503 },
) {}

// -----------------------------------------------------------------------------
// Requests and responses
// -----------------------------------------------------------------------------

const holdParams = { accountId: exampleAccountId, holdId: HoldId }

export const TopUpBody = withExample(
  Schema.Struct({
    amount: TopUpRequest.fields.amount,
    ceiling: TopUpRequest.fields.ceiling,
    kind: TopUpRequest.fields.kind,
    reference: TopUpRequest.fields.reference,
    metadata: TopUpRequest.fields.metadata,
    expiresAt: TopUpRequest.fields.expiresAt,
    priority: TopUpRequest.fields.priority,
  }),
  Examples.topUp,
)

export const SpendBody = withExample(
  Schema.Struct({
    amount: SpendRequest.fields.amount,
    mode: SpendRequest.fields.mode,
    reference: SpendRequest.fields.reference,
    metadata: SpendRequest.fields.metadata,
  }),
  Examples.spend,
)

export const HoldBody = withExample(
  Schema.Struct({
    amount: HoldRequest.fields.amount,
    mode: HoldRequest.fields.mode,
    expiresInSeconds: HoldRequest.fields.expiresInSeconds,
    reference: HoldRequest.fields.reference,
    metadata: HoldRequest.fields.metadata,
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
  }),
  Examples.capture,
)

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
  }),
  Examples.adjustment,
)

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
const balancesFields = { balance: Balance, held: Schema.Int, available: Schema.Int }

export const BalanceResponse = withExample(Schema.Struct({ accountId: AccountId, ...balancesFields }), Examples.balance)

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

export const AccountsResponse = withExample(
  Schema.Struct({ accounts: Schema.Array(AccountSummary), nextCursor: Schema.NullOr(Schema.String) }),
  Examples.accounts,
)

export const EntriesResponse = withExample(
  Schema.Struct({ entries: Schema.Array(Entry), nextCursor: Schema.NullOr(Schema.String) }),
  Examples.entries,
)

const entriesQuery = {
  limit: EntriesRequest.fields.limit,
  cursor: EntriesRequest.fields.cursor,
  ...EntryFilterFields,
}

const searchQuery = { accountId: SearchRequest.fields.accountId, ...entriesQuery }

const exportQuery = {
  format: Schema.optionalKey(ExportFormat),
  accountId: SearchRequest.fields.accountId,
  ...EntryFilterFields,
}

/** CSV (`text/csv`, the default) or NDJSON (`application/x-ndjson`), streamed. */
export const ExportBody = HttpApiSchema.StreamUint8Array({ contentType: ["text/csv", "application/x-ndjson"] })

/**
 * An account's entries counted and summed per kind. A sum of many amounts can pass 2^53 - 1, past
 * what a JSON number carries exactly, so `amount` is a decimal string (`"-9007199254740992"`).
 */
export const TotalsResponse = withExample(
  Schema.Struct({
    accountId: AccountId,
    totals: Schema.Array(
      Schema.Struct({
        kind: EntryKind,
        entries: Schema.Int,
        amount: Schema.BigInt.annotate({
          description: "The kind's amounts summed, as a decimal string: exact at any size",
        }),
      }),
    ),
  }),
  Examples.totals,
)

const totalsQuery = { from: EntryFilterFields.from, to: EntryFilterFields.to, reference: EntryFilterFields.reference }

export const ExpireHoldsResponse = withExample(Schema.Struct({ expired: Schema.Int }), Examples.expired)

export const OpenHoldsResponse = withExample(Schema.Struct({ holds: Schema.Array(Hold) }), Examples.openHolds)

export const SettingsBody = withExample(
  Schema.Struct({ overdraftLimit: SettingsRequest.fields.overdraftLimit }),
  Examples.settings,
)

export const SettingsResponse = withExample(
  Schema.Struct({ accountId: AccountId, overdraftLimit: OverdraftLimit }),
  Examples.settingsState,
)

export const AuditResponse = withExample(
  Schema.Struct({
    accountsChecked: Schema.Int,
    entriesChecked: Schema.Int,
    violations: Schema.Array(
      Schema.Struct({ accountId: Schema.String, sequence: Schema.NullOr(Schema.Int), problem: Schema.String }),
    ),
  }),
  Examples.audit,
)

export const HealthResponse = withExample(
  Schema.Struct({
    status: Schema.Literal("ok"),
    storage: Schema.String,
    database: Schema.Literal("up"),
  }),
  Examples.health,
)

// -----------------------------------------------------------------------------
// Endpoints
// -----------------------------------------------------------------------------

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
          'mode "exact" (default) spends all of amount or answers 409 InsufficientCredits; "available" takes what the floor leaves. Spends act on the available balance (balance - held).',
      }),
    ),
    HttpApiEndpoint.get("accounts", "/accounts", {
      query: AccountsRequest.fields,
      success: AccountsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Accounts by last activity (their newest entry), newest first, one page at a time (for operators)",
        description:
          "prefix: only ids that start with it. Accounts without entries are not listed. An account active again between two pages moves to the top of a fresh first page.",
      }),
    ),
    HttpApiEndpoint.get("balance", "/accounts/:accountId/balance", {
      params: accountParams,
      success: BalanceResponse,
      error: [AccountNotFoundResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's balance, what its open holds reserve of it (held), and what is available",
        description:
          "An account nothing was ever written to (no entry, hold or settings) answers 404 AccountNotFound, so a mistyped id is not read as an empty account.",
      }),
    ),
    HttpApiEndpoint.get("entries", "/accounts/:accountId/entries", {
      params: accountParams,
      query: entriesQuery,
      success: EntriesResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's entries, newest first, one page at a time",
        description:
          "Filters: kind; from (included) and to (excluded), ISO-8601 times with an offset; reference, as set on writes.",
      }),
    ),
    HttpApiEndpoint.get("totals", "/accounts/:accountId/totals", {
      params: accountParams,
      query: totalsQuery,
      success: TotalsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's entries counted and summed per kind, over a time range and for a reference",
      }),
    ),
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

export const EventsResponse = withExample(
  Schema.Struct({
    events: Schema.Array(LedgerEvent),
    /** Pass it as `after` to read on. */
    next: Schema.Int,
  }),
  Examples.events,
)

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("events", "/events", {
      query: { after: EventsRequest.fields.after, limit: EventsRequest.fields.limit, wait: EventsRequest.fields.wait },
      success: EventsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The event feed after an event id, oldest first; wait= seconds long-polls for the next event",
        description:
          "Every event once, in commit order: an event written by a transaction that commits late comes after those already read, never skipped. Pass the answer's next as after to read on.",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Events", description: "The feed of what happened to accounts" })) {}

const endpointParams = { endpointId: withExample(DeliveriesRequest.fields.endpointId, Examples.webhookEndpointId) }

export const WebhookEndpointsResponse = withExample(
  Schema.Struct({ endpoints: Schema.Array(WebhookEndpoint) }),
  Examples.webhookEndpoints,
)
export const WebhookDeletedResponse = withExample(
  Schema.Struct({ id: Schema.String, deleted: Schema.Literal(true) }),
  Examples.webhookDeleted,
)
export const WebhookDeliveriesResponse = withExample(
  Schema.Struct({ deliveries: Schema.Array(WebhookDelivery) }),
  Examples.webhookDeliveries,
)

export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("createWebhook", "/webhooks", {
      payload: withExample(WebhookEndpointRequest, Examples.webhookEndpointRequest),
      success: withExample(CreatedWebhookEndpoint, Examples.createdWebhookEndpoint),
      error: [WebhookEndpointLimitReachedResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Add a webhook endpoint; the answer shows its signing secret, once",
        description:
          "Events that follow in the feed are posted to the URL, signed with Tally-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>, and retried with exponential backoff until a 2xx answer.",
      }),
    ),
    HttpApiEndpoint.get("listWebhooks", "/webhooks", {
      success: WebhookEndpointsResponse,
      error: LedgerUnavailableResponse,
    }).annotateMerge(OpenApi.annotations({ summary: "The webhook endpoints (without their secrets)" })),
    HttpApiEndpoint.delete("deleteWebhook", "/webhooks/:endpointId", {
      params: endpointParams,
      success: WebhookDeletedResponse,
      error: [WebhookEndpointNotFoundResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "Remove a webhook endpoint and its deliveries" })),
    HttpApiEndpoint.get("webhookDeliveries", "/webhooks/:endpointId/deliveries", {
      params: endpointParams,
      query: { limit: DeliveriesRequest.fields.limit },
      success: WebhookDeliveriesResponse,
      error: [WebhookEndpointNotFoundResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({ summary: "An endpoint's deliveries, newest event first, with every attempt" }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Webhooks", description: "Events pushed to your endpoints" })) {}

export class HoldsGroup extends HttpApiGroup.make("holds")
  .add(
    HttpApiEndpoint.post("hold", "/accounts/:accountId/holds", {
      params: accountParams,
      headers: requiredIdempotencyHeaders,
      payload: HoldBody,
      success: HoldResponse,
      error: [InsufficientCreditsResponse, HeldLimitExceededResponse, ...storeErrors],
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

export class CorrectionsGroup extends HttpApiGroup.make("corrections")
  .add(
    HttpApiEndpoint.post("refund", "/accounts/:accountId/entries/:sequence/refunds", {
      params: { accountId: exampleAccountId, sequence: RefundRequest.fields.sequence },
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

export class HistoryGroup extends HttpApiGroup.make("history")
  .add(
    HttpApiEndpoint.get("search", "/entries", {
      query: searchQuery,
      success: EntriesResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Entries across accounts, newest first, one page at a time (for operators)",
        description: "The same filters as an account's entries, and accountId.",
      }),
    ),
    HttpApiEndpoint.get("export", "/entries/export", {
      query: exportQuery,
      success: ExportBody,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Every matching entry, oldest first, streamed as CSV (format=csv, the default) or NDJSON",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "History", description: "Search and export across accounts" })) {}

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
  requestId: AutoTopUpRequestLookup.fields.requestId,
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

export const RefillBody = withExample(
  Schema.Struct({
    amount: ConfigureRefillRequest.fields.amount,
    ceiling: ConfigureRefillRequest.fields.ceiling,
    schedule: ConfigureRefillRequest.fields.schedule,
    enabled: ConfigureRefillRequest.fields.enabled,
    expiresAfter: ConfigureRefillRequest.fields.expiresAfter,
  }),
  Examples.refill,
)

export const RunRefillsResponse = withExample(
  Schema.Struct({ refilled: Schema.Int, atCeiling: Schema.Int }),
  Examples.refillRun,
)

export class RefillsGroup extends HttpApiGroup.make("refills")
  .add(
    HttpApiEndpoint.get("refill", "/accounts/:accountId/refill", {
      params: accountParams,
      success: withExample(RefillStatus, Examples.refillStatus),
      error: readErrors,
    }).annotateMerge(OpenApi.annotations({ summary: "The account's periodic refill and when it is next due" })),
    HttpApiEndpoint.put("configureRefill", "/accounts/:accountId/refill", {
      params: accountParams,
      payload: RefillBody,
      success: withExample(RefillStatus, Examples.refillStatus),
      error: [OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Set the account's periodic refill: amount up to ceiling, daily, weekly or monthly",
        description:
          'schedule: {"period":"daily"}, {"period":"weekly","weekday":1..7} or {"period":"monthly","dayOfMonth":1..31}, at midnight UTC. Each period once, as a grant with the ceiling.',
      }),
    ),
    HttpApiEndpoint.post("runDueRefills", "/refills/run", {
      success: RunRefillsResponse,
      error: [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary:
          "Run every refill that is due now, once per account and period (the service also does it on a schedule)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({ title: "Refills", description: "Credits granted each period, up to a value" }),
  ) {}

/**
 * Effect declares the scheme as "Bearer"; OpenAPI's examples and Scalar's request builder expect the
 * registered lower-case name, and Scalar fell back to `Basic username:password` without it. The service
 * reads the header either way (see `Authorization`).
 */
const bearerAsOpenApiSpellsIt = (spec: Record<string, unknown>): Record<string, unknown> => {
  const components = (spec.components ?? {}) as Record<string, Record<string, unknown> | undefined>
  return {
    ...spec,
    components: {
      ...components,
      securitySchemes: {
        ...components.securitySchemes,
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "TALLY_API_TOKEN",
          description: "Required on every /v1 route when the service runs with TALLY_API_TOKEN set",
        },
      },
    },
  }
}

/**
 * Integer path parameters travel as strings, and the document describes that string without the
 * integer's examples: the docs page would send an empty id. Each gets the example of its integer.
 */
const integerPathExamples = (spec: Record<string, unknown>): Record<string, unknown> => {
  const examples: Record<string, string> = { holdId: "1", sequence: "1", requestId: "1" }
  type Operation = {
    readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string; readonly schema: object }>
  }
  const paths = spec.paths as Record<string, Record<string, Operation>>
  const withExamples = (operation: Operation): Operation => ({
    ...operation,
    ...(operation.parameters === undefined
      ? {}
      : {
          parameters: operation.parameters.map((parameter) =>
            parameter.in === "path" && examples[parameter.name] !== undefined
              ? { ...parameter, schema: { ...parameter.schema, examples: [examples[parameter.name]] } }
              : parameter,
          ),
        }),
  })
  return {
    ...spec,
    paths: Object.fromEntries(
      Object.entries(paths).map(([path, methods]) => [
        path,
        Object.fromEntries(Object.entries(methods).map(([method, operation]) => [method, withExamples(operation)])),
      ]),
    ),
  }
}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: HealthResponse, error: Unhealthy }).annotateMerge(
      OpenApi.annotations({ summary: "Whether the service and its database answer" }),
    ),
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "The service's health" })) {}

export class TallyApi extends HttpApi.make("tally")
  .add(LedgerGroup)
  .add(EventsGroup)
  .add(WebhooksGroup)
  .add(HoldsGroup)
  .add(CorrectionsGroup)
  .add(HistoryGroup)
  .add(AutoTopUpGroup)
  .add(RefillsGroup)
  .add(GrantsGroup)
  .add(SystemGroup)
  .middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error" })
  .annotateMerge(
    OpenApi.annotations({
      title: "Tally",
      version: "0.1.0",
      description:
        "A credit ledger. Amounts are integer credits (JSON integers). Writes accept an Idempotency-Key header; a replay answers with the first response and Idempotent-Replayed: true. Rule rejections answer 409 with { _tag, message, ...values }.",
      transform: (spec) => integerPathExamples(bearerAsOpenApiSpellsIt(spec)),
    }),
  ) {}
