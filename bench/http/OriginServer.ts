import { createServer } from "node:http"
import { PgClient } from "@effect/sql-pg"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { operate } from "../OriginStatement.ts"
import { echoRequestId, json, parseWrite, rejectionTag, stopOnSigterm } from "./Routes.ts"

/**
 * The origin platform's service, rebuilt for the bench only: node:http, and each write one
 * single statement (`OriginStatement.operate`) over a pool of 10 connections, the pool the issue's
 * measurements gave it. Its tables are created and seeded by the bench (`Baseline.create`, `seed`).
 * Started by `Launcher.benchServer` with `DATABASE_URL` and `PORT`, as plain JavaScript.
 */

const poolConnections = 10

const runtime = ManagedRuntime.make(
  PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL ?? ""), maxConnections: poolConnections }),
)
const sql = await runtime.runPromise(SqlClient.SqlClient)

const server = createServer(async (request, response) => {
  echoRequestId(request, response)
  if (request.url === "/health") return json(response, 200, { status: "ok" })
  const write = await parseWrite(request)
  if ("status" in write)
    return json(response, write.status, { _tag: write.status === 404 ? "NotFound" : "InvalidRequest" })
  const delta = write.kind === "top-up" ? write.amount : -write.amount
  try {
    const [row] = await Effect.runPromise(operate(sql, write.accountId, delta, write.ceiling))
    if (row === undefined) return json(response, 409, { _tag: rejectionTag(write) })
    const balance = Number(row.running_balance)
    json(response, 200, { entry: { amount: Number(row.amount), balanceAfter: balance }, balance })
  } catch {
    json(response, 503, { _tag: "LedgerUnavailable" })
  }
})

server.listen(Number(process.env.PORT), "127.0.0.1")
stopOnSigterm(async () => {
  server.close()
  server.closeIdleConnections()
  await runtime.dispose()
})
