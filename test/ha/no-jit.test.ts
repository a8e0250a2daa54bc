import { PgClient } from "@effect/sql-pg"
import { PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { expect, inject, it } from "vitest"
import { haCluster } from "./HaCluster.ts"

/**
 * Before PostgreSQL 18 a scan switched off (`enable_seqscan`, one of the store's session settings) is
 * priced at ten billion, so a plan that still needs one passes `jit_above_cost` and is compiled, with
 * inlining and optimisation, at every execution: the webhook dispatcher's listing of endpoints, which
 * no index orders, cost PostgreSQL 15 about 27 ms of CPU per listing. The store's sessions switch JIT
 * off (`PgLedgerStore.sessionParameters`). This runs on the HA suite's PostgreSQL 15 (Debian's, built
 * with LLVM), where the hazard is real: the same listing is compiled in a session that leaves JIT on.
 */
const cluster = haCluster(inject("haDir"))
const listing = "SELECT id, url, created_at FROM webhook_endpoints ORDER BY created_at, id"

interface Explained {
  readonly "QUERY PLAN": ReadonlyArray<{ readonly JIT?: { readonly Functions: number } }>
}

/** What `EXPLAIN ANALYZE` says the listing's execution compiled, in a session started with these settings. */
const compiledIn = (startupParameters: Record<string, string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* PgMigrations.migrate
    const [explained] = yield* sql.unsafe<Explained>(`EXPLAIN (ANALYZE, FORMAT JSON) ${listing}`)
    return explained!["QUERY PLAN"][0]!.JIT
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(cluster.databaseUrl), maxConnections: 1, startupParameters })),
    Effect.runPromise,
  )

it("compiles nothing in the store's sessions, where a scan switched off gets compiled otherwise", async () => {
  await cluster.heal()
  expect((await compiledIn({ ...PgLedgerStore.sessionParameters, jit: "on" }))?.Functions).toBeGreaterThan(0)
  expect(await compiledIn(PgLedgerStore.sessionParameters)).toBeUndefined()
})
