export * from "./AccountId.ts"
export * from "./AccountNotFound.ts"
export * from "./AccountState.ts"
export * from "./Audit.ts"
export type { AuditOperations } from "./AuditOperations.ts"
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
export * as AutoTopUpSteps from "./autoTopUp/AutoTopUpSteps.ts"
export * from "./autoTopUp/index.ts"
export type { BalanceAnswer, BalanceOperations, BalanceRejection, BalanceWriteResult } from "./BalanceOperations.ts"
export * from "./Credits.ts"
export * from "./corrections/Adjustment.ts"
export * from "./corrections/CorrectionError.ts"
export type { AdjustmentRejection, CorrectionOperations, RefundRejection } from "./corrections/CorrectionOperations.ts"
export * from "./corrections/CorrectionRequest.ts"
export * as CorrectionSteps from "./corrections/CorrectionSteps.ts"
export * from "./corrections/CorrectionsApi.ts"
export * from "./corrections/Refund.ts"
export * from "./Decision.ts"
export * from "./Entry.ts"
export * from "./EntryCursor.ts"
export * from "./events/index.ts"
export * from "./grants/index.ts"
export * from "./history/AccountActivity.ts"
export * from "./history/EntryCsv.ts"
export * from "./history/EntryExport.ts"
export * from "./history/EntryOrder.ts"
export * from "./history/HistoryApi.ts"
export type { AccountsPage, EntryPage, HistoryOperations } from "./history/HistoryOperations.ts"
export * from "./history/Instant.ts"
export * from "./history/LedgerCursor.ts"
export * from "./history/MemoryQueries.ts"
export * from "./history/Reference.ts"
export * from "./history/ScanningQueries.ts"
export * from "./holds/CaptureHold.ts"
export * from "./holds/Hold.ts"
export * from "./holds/HoldError.ts"
export type {
  CaptureRejection,
  HoldOperations,
  HoldPosting,
  HoldRejection,
  ReleaseRejection,
} from "./holds/HoldOperations.ts"
export * from "./holds/HoldRequest.ts"
export * as HoldSteps from "./holds/HoldSteps.ts"
export * from "./holds/HoldsApi.ts"
export * from "./holds/PlaceHold.ts"
export * from "./holds/ReleaseHold.ts"
export * from "./IdempotencyKey.ts"
export * from "./Ledger.ts"
export * from "./LedgerError.ts"
export * from "./LedgerRequest.ts"
export * from "./LedgerStore.ts"
export type { Posting, ReadError, WriteError } from "./LedgerWrites.ts"
export * from "./Limits.ts"
export * from "./Metadata.ts"
export * from "./Posting.ts"
export * from "./pendingCredits/index.ts"
export * as PendingCreditSteps from "./pendingCredits/PendingCreditSteps.ts"
export * from "./ReplayedRefusal.ts"
export * from "./ResolveOnce.ts"
export * from "./refills/index.ts"
export * as RefillSteps from "./refills/RefillSteps.ts"
export * from "./runs/Run.ts"
export * from "./runs/RunCsv.ts"
export * from "./runs/RunsApi.ts"
export * from "./runs/RunsOperations.ts"
export * from "./runs/RunsRequest.ts"
export * from "./Spend.ts"
export * from "./StoragePort.ts"
export * from "./TallyApi.ts"
export * from "./TopUp.ts"
export * from "./wallets/index.ts"
export * from "./webhooks/index.ts"
