/**
 * `@tally/adapters/memory`: the in-memory storage alone. Importing it loads neither the PostgreSQL
 * driver nor the embedded server, which the package's index (`@tally/adapters`) also exports.
 */
export * as MemoryEventLog from "./MemoryEventLog.ts"
export * as MemoryLedger from "./MemoryLedger.ts"
export * as MemoryLedgerStore from "./MemoryLedgerStore.ts"
export * as MemoryWebhookStore from "./MemoryWebhookStore.ts"
