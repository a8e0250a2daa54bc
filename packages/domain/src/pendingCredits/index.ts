export * from "./PendingCredit.ts"
export * from "./PendingCreditAudit.ts"
export * from "./PendingCreditError.ts"
export * from "./PendingCreditEvents.ts"
export type {
  ActivateCreditRejection,
  PendingCreditOperations,
  PendingCreditPage,
  PendingCreditPosting,
  VoidCreditRejection,
} from "./PendingCreditOperations.ts"
export * from "./PendingCreditQueries.ts"
export * from "./PendingCreditRequest.ts"
export * from "./PendingCreditRules.ts"
