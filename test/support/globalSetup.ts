import { EmbeddedPostgres } from "@tally/adapters"
import { Effect, Exit, Redacted, Scope } from "effect"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server URL every test file may create its own databases on. */
    postgresUrl: string
  }
}

/**
 * One PostgreSQL server for the whole run: `DATABASE_URL` when set, else a throwaway embedded
 * server. Durability is switched off on the throwaway one only; it changes no locking semantics.
 */
export default async function setup(project: TestProject) {
  const fromEnvironment = process.env.DATABASE_URL
  if (fromEnvironment !== undefined && fromEnvironment !== "") {
    project.provide("postgresUrl", fromEnvironment)
    return
  }
  const scope = await Effect.runPromise(Scope.make())
  const server = await Effect.runPromise(
    EmbeddedPostgres.start({
      dataDir: `.tally-test/pg-${process.pid}`,
      throwaway: true,
      settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" },
    }).pipe(Scope.provide(scope)),
  )
  project.provide("postgresUrl", Redacted.value(server.url))
  return () => Effect.runPromise(Scope.close(scope, Exit.void))
}
