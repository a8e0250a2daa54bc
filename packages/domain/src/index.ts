/**
 * Everything: the core (also `@tally/domain/core`, which the CLI and the adapters import) and the HTTP
 * API's definition, whose modules load effect's HTTP modules.
 */

export {
  AccountNotFoundResponse,
  Authorization,
  BalanceAtCeilingResponse,
  BalanceLimitExceededResponse,
  EntriesResponse,
  IdempotencyConflictResponse,
  InsufficientCreditsResponse,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  RequestValidation,
  Unauthorized,
  WriteBody,
  WriteResponse,
  writeResponseParts,
} from "./api/ApiSupport.ts"
export * from "./api/LedgerApi.ts"
export * from "./api/SystemApi.ts"
export * from "./autoTopUp/AutoTopUpApi.ts"
export * from "./core.ts"
export * from "./corrections/CorrectionsApi.ts"
export * from "./events/EventsApi.ts"
export * from "./grants/GrantsApi.ts"
export * from "./history/HistoryApi.ts"
export * from "./holds/HoldsApi.ts"
export * from "./pendingCredits/PendingCreditsApi.ts"
export * from "./refills/RefillsApi.ts"
export * from "./runs/RunsApi.ts"
export * from "./TallyApi.ts"
export * from "./wallets/WalletsApi.ts"
export * from "./webhooks/WebhooksApi.ts"
