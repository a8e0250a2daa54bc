/** `@tally/adapters/postgres`: the PostgreSQL storage (`@effect/sql-pg`), its migrations and its commit machinery. */
export * as AccountCache from "./AccountCache.ts"
export * as GroupCommit from "./GroupCommit.ts"
export * as PgDeadline from "./PgDeadline.ts"
export * as PgEvents from "./PgEvents.ts"
export * as PgLedger from "./PgLedger.ts"
export * as PgLedgerStore from "./PgLedgerStore.ts"
export * as PgMigrations from "./PgMigrations.ts"
export * as PgWebhookStore from "./PgWebhookStore.ts"
