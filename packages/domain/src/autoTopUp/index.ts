export * from "./AfterDebit.ts"
export * from "./AutoTopUpAudit.ts"
export * from "./AutoTopUpCommands.ts"
export * from "./AutoTopUpError.ts"
export type {
  AutoTopUpOperations,
  AutoTopUpPosting,
  CompleteAutoTopUpRejection,
  FailAutoTopUpRejection,
} from "./AutoTopUpOperations.ts"
export * from "./AutoTopUpRequest.ts"
export * from "./AutoTopUpSettings.ts"
export * from "./RequestOpening.ts"
export * from "./RequestResolution.ts"
