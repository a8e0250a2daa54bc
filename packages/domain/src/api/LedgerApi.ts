import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { OverdraftLimit } from "../Credits.ts"
import { EntryKind } from "../Entry.ts"
import { ExpiresNext } from "../grants/Expiry.ts"
import { AccountSummary, AccountsRequest } from "../history/AccountActivity.ts"
import { OverdraftLimitBelowDebt } from "../LedgerError.ts"
import { EntryFilterFields, SettingsRequest, SpendRequest, TopUpRequest, TotalsGroupBy } from "../LedgerRequest.ts"
import * as Examples from "../TallyApiExamples.ts"
import { MemberLimitExceededResponse } from "../wallets/WalletsApi.ts"
import {
  AccountNotFoundResponse,
  Authorization,
  accountParams,
  balancesFields,
  EntriesResponse,
  entriesQuery,
  idempotencyHeaders,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  readErrors,
  WriteResponse,
  withExample,
  withMessage,
  writeErrors,
} from "./ApiSupport.ts"

/** 409: the account's debt already exceeds the requested overdraft limit. */
export const OverdraftLimitBelowDebtResponse = withMessage(OverdraftLimitBelowDebt, 409)

export const TopUpBody = withExample(
  Schema.Struct({
    amount: TopUpRequest.fields.amount,
    ceiling: TopUpRequest.fields.ceiling,
    kind: TopUpRequest.fields.kind,
    reference: TopUpRequest.fields.reference,
    metadata: TopUpRequest.fields.metadata,
    expiresAt: TopUpRequest.fields.expiresAt,
    priority: TopUpRequest.fields.priority,
    member: TopUpRequest.fields.member,
  }),
  Examples.topUp,
)

export const SpendBody = withExample(
  Schema.Struct({
    amount: SpendRequest.fields.amount,
    mode: SpendRequest.fields.mode,
    reference: SpendRequest.fields.reference,
    metadata: SpendRequest.fields.metadata,
    member: SpendRequest.fields.member,
  }),
  Examples.spend,
)

export const BalanceResponse = withExample(
  Schema.Struct({ accountId: AccountId, ...balancesFields, expiresNext: ExpiresNext }),
  Examples.balance,
)

export const AccountsResponse = withExample(
  Schema.Struct({ accounts: Schema.Array(AccountSummary), nextCursor: Schema.NullOr(Schema.String) }),
  Examples.accounts,
)

/**
 * An account's entries counted and summed per kind. A sum of many amounts can pass 2^53 - 1, past
 * what a JSON number carries exactly, so `amount` is a decimal string (`"-9007199254740992"`).
 */
export const TotalsResponse = withExample(
  Schema.Struct({
    accountId: AccountId,
    totals: Schema.Array(
      Schema.Struct({
        /** With `groupBy=member`: the member, null for entries that name none. */
        member: Schema.optionalKey(Schema.NullOr(Schema.String)),
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

const totalsQuery = {
  from: EntryFilterFields.from,
  to: EntryFilterFields.to,
  reference: EntryFilterFields.reference,
  member: EntryFilterFields.member,
  groupBy: Schema.optionalKey(TotalsGroupBy),
}

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

export class LedgerGroup extends HttpApiGroup.make("ledger")
  .add(
    HttpApiEndpoint.post("topUp", "/accounts/:accountId/top-ups", {
      params: accountParams,
      headers: idempotencyHeaders,
      payload: TopUpBody,
      success: WriteResponse,
      // A top-up never counts against a member's limit; the ledger's write answers share one error type.
      error: [...writeErrors, MemberLimitExceededResponse],
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
      error: [...writeErrors, MemberLimitExceededResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Spend credits as usage",
        description:
          'mode "exact" (default) spends all of amount or answers 409 InsufficientCredits; "available" takes what the floor leaves. Spends act on the available balance (balance - held). member names the wallet member who spends: over its limit, 409 MemberLimitExceeded.',
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
          "An account nothing was ever written to (no entry, hold, pending credit or settings other than the defaults) answers 404 AccountNotFound, so a mistyped id is not read as an empty account.",
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
          "Filters: kind; from (included) and to (excluded), ISO-8601 times with an offset or dates (midnight UTC); reference and member, as set on writes.",
      }),
    ),
    HttpApiEndpoint.get("totals", "/accounts/:accountId/totals", {
      params: accountParams,
      query: totalsQuery,
      success: TotalsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary:
          "The account's entries counted and summed per kind, over a time range, for a reference or a member; groupBy=member: per member and kind",
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
