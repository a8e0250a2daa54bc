export * as Arbitraries from "./Arbitraries.ts"
export { EventAppender, eventFeedContract } from "./EventFeedContract.ts"
export { ledgerContract } from "./LedgerContract.ts"
export { webhookStoreContract } from "./WebhookStoreContract.ts"
