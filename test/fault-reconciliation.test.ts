import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres, PgLedgerStore, PgMigrations } from "@tally/adapters"
import { type AutoTopUpPosting, type Entry, type HoldPosting, Ledger, type Posting } from "@tally/domain"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import * as FaultProxy from "./support/FaultProxy.ts"
import { isRunning, postmasterPid, runningPostmasterPid } from "./support/Postmaster.ts"

/**
 * Writers under faults, then every answer reconciled with what the database holds. Two ledgers
 * (two processes) write through a proxy that cuts connections, cuts them right after or instead of
 * a COMMIT or of the compare-and-swap statement that commits by itself, while their backends are
 * terminated and the server is killed outright and started again.
 * The writes are top-ups, spends, holds with their captures and releases, and on accounts with
 * auto top-up, completions and failures of the requests those debits open. Afterwards: every
 * acknowledged write is there exactly once, as acknowledged (an entry, a hold, a request resolved);
 * nothing is there that nobody asked for (every credit of a request was a completion somebody sent,
 * every request was asked for once and resolved once, by its events); "nothing was written" was true;
 * a write of unknown outcome resolves with its key; no unkeyed write applied twice; the audit is
 * clean (held is what the open holds reserve, at most one request is open); no defect (a 500 over
 * HTTP).
 *
 * TALLY_FAULT_SECONDS sets how long the writers run (default 8).
 */

const runSeconds = Number(process.env.TALLY_FAULT_SECONDS ?? 8)
const clients = 32
const otherAccounts = 50
const faultIntervalMs = 250
const applicationName = "tally-faults"
const startingBalance = 2_500
const ceiling = 5_000
const accounts = ["hot", ...Array.from({ length: otherAccounts }, (_, i) => `acct-${i}`)]
/** Accounts with auto top-up: the hot one and a few others. Spends keep crossing the threshold. */
const autoTopUpAccounts = new Set(accounts.slice(0, 6))
const autoTopUp = { threshold: 2_000, amount: 300, ceiling }
/** The setup's writes carry this reference and no tag: they are nobody's request under faults. */
const setupReference = "setup"

type Request =
  | { readonly op: "topUp"; readonly amount: number; readonly ceiling?: number }
  | { readonly op: "spend"; readonly amount: number; readonly mode: "exact" | "available" }
  | { readonly op: "hold"; readonly amount: number }
  | { readonly op: "capture"; readonly holdId: number; readonly amount: number; readonly final: boolean }
  | { readonly op: "release"; readonly holdId: number }
  | { readonly op: "complete"; readonly requestId: number }
  | { readonly op: "fail"; readonly requestId: number }

type Answer = Posting | HoldPosting | AutoTopUpPosting

interface Attempt {
  readonly tag: string
  readonly accountId: string
  readonly key: string | undefined
  readonly request: Request
  readonly exit: Exit.Exit<Answer, unknown>
}

const ruleRejections = new Set([
  "BalanceAtCeiling",
  "InsufficientCredits",
  "BalanceLimitExceeded",
  "HoldNotFound",
  "HoldNotOpen",
  "AutoTopUpRequestNotFound",
  "AutoTopUpRequestNotOpen",
  "AutoTopUpRequestExpired",
])

/** The entry a write left, if any: a hold placement or release leaves none. */
const entryOf = (value: Answer): Entry | null => value.entry

const resolvesRequest = (request: Request) => request.op === "complete" || request.op === "fail"

describe("writes under injected faults, reconciled", () => {
  let serverScope: Scope.Closeable | undefined
  const dataDir = Path.resolve(`.tally-test/faults-${process.pid}`)
  let proxy: FaultProxy.FaultProxy
  let ledgers: Array<ManagedRuntime.ManagedRuntime<Ledger, unknown>> = []
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>

  /** Starts PostgreSQL on the test's data directory and returns its URL. */
  const startServer = async () => {
    const scope = await Effect.runPromise(Scope.make())
    serverScope = scope
    const server = await Effect.runPromise(
      // A crash keeps what the OS holds: fsync may be off, but an acknowledged commit must have
      // reached the OS, so synchronous_commit stays on.
      EmbeddedPostgres.start({ dataDir, settings: { fsync: "off", full_page_writes: "off" } }).pipe(
        Scope.provide(scope),
      ),
    )
    return new URL(Redacted.value(server.url))
  }

  /**
   * Kills the server and all its processes outright, as a crash does; `EmbeddedPostgres` starts it
   * again on its port, as it does under a running service. Resolves once the new server runs.
   */
  const crashAndRestart = async () => {
    const pid = runningPostmasterPid(dataDir)
    process.kill(-pid, "SIGKILL")
    while (isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 20))
    for (
      let next = postmasterPid(dataDir);
      next === undefined || next === pid || !isRunning(next);
      next = postmasterPid(dataDir)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  beforeAll(async () => {
    const url = await startServer()
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
    const proxied = new URL(url)
    proxied.port = String(proxy.port)
    admin = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(proxied.toString()), maxConnections: 1 }))
    await admin.runPromise(PgMigrations.migrate)
    ledgers = [0, 1].map(() =>
      ManagedRuntime.make(
        Ledger.layer.pipe(
          Layer.provide(PgLedgerStore.layer()),
          Layer.provide(PgClient.layer({ url: Redacted.make(proxied.toString()), maxConnections: 8, applicationName })),
        ),
      ),
    )
  }, 120_000)

  afterAll(async () => {
    await Promise.all([...ledgers.map((l) => l.dispose()), admin?.dispose()])
    await proxy?.close()
    if (serverScope !== undefined) await Effect.runPromise(Scope.close(serverScope, Exit.void))
    Fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const terminateBackends = () =>
    admin.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) =>
          sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${applicationName}`,
      ).pipe(Effect.ignore),
    )

  const faults: Array<() => unknown> = [
    () => proxy.cutAll(),
    () => proxy.arm({ deliver: true, match: FaultProxy.isCommit }),
    () => proxy.arm({ deliver: false, match: FaultProxy.isCommit }),
    () => proxy.arm({ deliver: true, match: FaultProxy.isCompareAndSwap }),
    () => proxy.arm({ deliver: false, match: FaultProxy.isCompareAndSwap }),
    () => terminateBackends(),
  ]

  const submit = (
    ledger: Ledger["Service"],
    accountId: string,
    key: string | undefined,
    request: Request,
    tag: string,
  ): Effect.Effect<Answer, unknown> => {
    const common = { accountId, metadata: { tag }, ...(key === undefined ? {} : { idempotencyKey: key }) }
    const keyed = { ...common, idempotencyKey: key ?? tag }
    switch (request.op) {
      case "topUp":
        return ledger.topUp({
          ...common,
          amount: request.amount,
          ...(request.ceiling === undefined ? {} : { ceiling: request.ceiling }),
        })
      case "spend":
        return ledger.spend({ ...common, amount: request.amount, mode: request.mode })
      case "hold":
        return ledger.hold({ ...keyed, amount: request.amount })
      case "capture":
        return ledger.capture({ ...keyed, holdId: request.holdId, amount: request.amount, final: request.final })
      case "release":
        return ledger.release({ accountId, holdId: request.holdId, idempotencyKey: keyed.idempotencyKey })
      case "complete":
        return ledger.completeAutoTopUp({
          accountId,
          requestId: request.requestId,
          paymentReference: keyed.idempotencyKey,
        })
      case "fail":
        return ledger.failAutoTopUp({
          accountId,
          requestId: request.requestId,
          reason: "card_declined",
          ...(key === undefined ? {} : { idempotencyKey: key }),
        })
    }
  }

  /** The open request of an auto top-up account, read before resolving it, as an app reads its event; else none. */
  const openRequest = async (ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>, accountId: string) => {
    if (!autoTopUpAccounts.has(accountId)) return null
    const exit = await ledger.runPromiseExit(Effect.flatMap(Ledger, (l) => l.autoTopUp(accountId)))
    return Exit.isSuccess(exit) ? exit.value.openRequestId : null
  }

  /** Holds acknowledged as placed, per account, for later captures and releases. */
  const placed = new Map<string, Array<number>>()
  const pickRequest = (accountId: string, pick: (n: number) => number, requestId: number | null): Request => {
    const holds = placed.get(accountId) ?? []
    if (requestId !== null && pick(3) === 0) {
      return pick(4) === 0 ? { op: "fail", requestId } : { op: "complete", requestId }
    }
    const roll = pick(10)
    if (roll < 2) return { op: "hold", amount: 1 + pick(50) }
    if (roll < 4 && holds.length > 0) {
      const holdId = holds[pick(holds.length)]!
      return pick(3) === 0
        ? { op: "release", holdId }
        : { op: "capture", holdId, amount: 1 + pick(60), final: pick(2) === 0 }
    }
    return pick(2) === 0
      ? { op: "topUp", amount: 1 + pick(100), ...(pick(2) === 0 ? { ceiling } : {}) }
      : { op: "spend", amount: 1 + pick(100), mode: pick(5) === 0 ? "available" : "exact" }
  }

  test("every acknowledged write exactly once, nothing invented, nothing doubled, no defect", async () => {
    const attempts: Array<Attempt> = []
    const pick = (n: number) => Math.floor(Math.random() * n)
    const deadline = Date.now() + runSeconds * 1000
    let restarts = 0
    let faultsInjected = 0

    // Every account starts mid-way between empty and the ceiling, so writes keep succeeding.
    for (const accountId of accounts) {
      await ledgers[0]!.runPromise(
        Effect.flatMap(Ledger, (l) =>
          l
            .topUp({ accountId, amount: startingBalance, reference: setupReference })
            .pipe(
              Effect.andThen(
                autoTopUpAccounts.has(accountId) ? l.configureAutoTopUp({ accountId, ...autoTopUp }) : Effect.void,
              ),
            ),
        ),
      )
    }

    const chaos = (async () => {
      let tick = 0
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, faultIntervalMs))
        tick++
        if (tick % 12 === 6) {
          await crashAndRestart()
          restarts++
        } else {
          faults[Math.floor(Math.random() * faults.length)]!()
        }
        faultsInjected++
      }
    })()

    const client = async (id: number) => {
      while (Date.now() < deadline) {
        const accountId = pick(2) === 0 ? "hot" : accounts[1 + pick(otherAccounts)]!
        const ledger = ledgers[id % 2]!
        const request = pickRequest(accountId, pick, await openRequest(ledger, accountId))
        // Hold operations and completions always carry a key; the others do two times in three.
        const keyed = ["hold", "capture", "release", "complete"].includes(request.op) || pick(3) !== 0
        const tag = randomUUID()
        const key = keyed ? `k-${tag}` : undefined
        // A few keyed writes are sent twice at once, as a retrying client might.
        const copies = keyed && pick(10) === 0 ? 2 : 1
        await Promise.all(
          Array.from({ length: copies }, async () => {
            const exit = await ledger.runPromiseExit(
              Effect.flatMap(Ledger, (l) => submit(l, accountId, key, request, tag)),
            )
            attempts.push({ tag, accountId, key, request, exit })
            if (request.op === "hold" && Exit.isSuccess(exit) && "hold" in exit.value && !exit.value.replayed) {
              placed.set(accountId, [...(placed.get(accountId) ?? []), exit.value.hold.holdId])
            }
          }),
        )
      }
    }
    await Promise.all([chaos, ...Array.from({ length: clients }, (_, id) => client(id))])

    // Writes of unknown outcome: a retry with the key tells; none may be lost or doubled.
    const unknown = attempts.filter((a) => Exit.isFailure(a.exit) && failureTag(a.exit) === "OutcomeUnknown")
    for (const a of unknown.filter((a) => a.key !== undefined)) {
      const exit = await ledgers[0]!.runPromiseExit(
        Effect.flatMap(Ledger, (l) => submit(l, a.accountId, a.key, a.request, a.tag)),
      )
      attempts.push({ ...a, exit })
      expect(Exit.isSuccess(exit) || ruleRejections.has(failureTag(exit) ?? "")).toBe(true)
    }

    const entries = (await readAllEntries()).filter((entry) => entry.reference !== setupReference)
    const byTag = new Map<string, Array<Entry>>()
    for (const entry of entries.filter((e) => e.metadata.tag !== undefined)) {
      const tag = String(entry.metadata.tag)
      byTag.set(tag, [...(byTag.get(tag) ?? []), entry])
    }
    const asked = new Map<string, Array<Attempt>>()
    for (const a of attempts) asked.set(a.tag, [...(asked.get(a.tag) ?? []), a])

    const defects = attempts.filter((a) => Exit.isFailure(a.exit) && failureTag(a.exit) === undefined)
    expect(defects.map((a) => Cause.pretty((a.exit as Exit.Failure<unknown, unknown>).cause))).toEqual([])

    const doubled = [...byTag].filter(([, list]) => list.length > 1)
    expect(doubled).toEqual([])
    const invented = [...byTag.keys()].filter((tag) => !asked.has(tag))
    expect(invented).toEqual([])

    const holds = await readAllHolds()
    const holdsByTag = new Map<string, Array<StoredHold>>()
    for (const hold of holds) holdsByTag.set(hold.tag, [...(holdsByTag.get(hold.tag) ?? []), hold])
    expect([...holdsByTag].filter(([, list]) => list.length > 1)).toEqual([])
    expect(holds.filter((hold) => !asked.has(hold.tag))).toEqual([])

    for (const [tag, list] of asked) {
      if (resolvesRequest(list[0]!.request)) continue
      const stored = byTag.get(tag)?.[0]
      const storedHold = holdsByTag.get(tag)?.[0]
      for (const a of list) {
        if (Exit.isSuccess(a.exit)) {
          expect(stored ?? null).toEqual(entryOf(a.exit.value))
          if (a.request.op === "hold" && "hold" in a.exit.value) {
            expect(storedHold).toMatchObject({ accountId: a.accountId, holdId: a.exit.value.hold.holdId })
          }
        }
        const failure = failureTag(a.exit)
        if (failure !== undefined && ruleRejections.has(failure)) {
          expect(stored).toBeUndefined()
          expect(storedHold).toBeUndefined()
        }
      }
      // "Nothing was written" must be true: unless another copy of the request succeeded.
      if (list.every((a) => failureTag(a.exit) === "LedgerUnavailable")) {
        expect(stored).toBeUndefined()
        expect(storedHold).toBeUndefined()
      }
    }

    // Requests: each credit was a completion somebody sent, each acknowledged resolution is there.
    const requests = await readAllRequests()
    const requestOf = (accountId: string, requestId: number) =>
      requests.find((r) => r.accountId === accountId && r.requestId === requestId)
    for (const entry of entries.filter((e) => e.metadata.tag === undefined)) {
      const completion = attempts.find((a) => a.request.op === "complete" && a.key === entry.idempotencyKey)
      expect(completion, `credit ${entry.accountId}#${entry.sequence} that no completion asked for`).toBeDefined()
      expect(requestOf(entry.accountId, (completion!.request as { requestId: number }).requestId)).toMatchObject({
        status: "completed",
        paymentReference: entry.idempotencyKey,
        entrySequence: entry.sequence,
      })
    }
    for (const list of asked.values()) {
      const [first] = list
      if (first === undefined || !resolvesRequest(first.request)) continue
      const { requestId } = first.request as { requestId: number }
      const stored = requestOf(first.accountId, requestId)
      const completedByThis = stored?.status === "completed" && stored.paymentReference === first.key
      for (const a of list) {
        if (Exit.isSuccess(a.exit) && "request" in a.exit.value) {
          expect(stored?.status).toBe(a.exit.value.request.status)
          if (first.request.op === "complete") {
            expect(completedByThis).toBe(true)
            const credit = entries.find((e) => e.accountId === a.accountId && e.sequence === stored?.entrySequence)
            expect(credit).toEqual(a.exit.value.entry)
          }
        }
        if (ruleRejections.has(failureTag(a.exit) ?? "")) expect(completedByThis).toBe(false)
      }
      if (list.every((a) => failureTag(a.exit) === "LedgerUnavailable")) expect(completedByThis).toBe(false)
    }
    // Each request was asked for once and resolved at most once, by its events.
    for (const request of requests) {
      expect(request.requested, `request ${request.accountId}/${request.requestId}`).toBe(1)
      expect(request.resolutions, `request ${request.accountId}/${request.requestId}`).toBe(
        request.status === "open" ? 0 : 1,
      )
    }

    const audit = await ledgers[0]!.runPromise(Effect.flatMap(Ledger, (l) => l.audit))
    expect(audit.violations).toEqual([])

    const count = (tag: string) => attempts.filter((a) => failureTag(a.exit) === tag).length
    const report = {
      seconds: runSeconds,
      requests: attempts.length,
      holdOperations: attempts.filter((a) => ["hold", "capture", "release"].includes(a.request.op)).length,
      holdsPlaced: holds.length,
      requestResolutions: attempts.filter((a) => resolvesRequest(a.request)).length,
      autoTopUpRequests: requests.length,
      requestsCompleted: requests.filter((r) => r.status === "completed").length,
      acknowledged: attempts.filter((a) => Exit.isSuccess(a.exit)).length,
      entries: entries.length,
      ruleRejections: attempts.filter((a) => ruleRejections.has(failureTag(a.exit) ?? "")).length,
      ledgerUnavailable: count("LedgerUnavailable"),
      outcomeUnknown: unknown.length,
      defects: defects.length,
      doubled: doubled.length,
      faultsInjected,
      proxyCuts: proxy.cuts(),
      restarts,
    }
    console.log(`fault reconciliation: ${JSON.stringify(report)}`)
    expect(report.acknowledged).toBeGreaterThan(0)
    expect(restarts).toBeGreaterThan(0)
    expect(proxy.cuts()).toBeGreaterThan(0)
  }, 180_000)

  interface StoredRequest {
    readonly accountId: string
    readonly requestId: number
    readonly status: string
    readonly paymentReference: string | null
    readonly entrySequence: number | null
    /** Its `auto_top_up.requested` events, and those that resolved it. */
    readonly requested: number
    readonly resolutions: number
  }

  /** Every auto top-up request in the database, with how many events asked for and resolved it. */
  const readAllRequests = () =>
    admin.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{
          account_id: string
          request_id: bigint
          status: string
          payment_reference: string | null
          entry_sequence: bigint | null
          requested: bigint
          resolutions: bigint
        }>`
          SELECT r.account_id, r.request_id, r.status, r.payment_reference, r.entry_sequence,
                 count(*) FILTER (WHERE e.type = 'auto_top_up.requested') AS requested,
                 count(*) FILTER (WHERE e.type IN ('auto_top_up.completed', 'auto_top_up.failed',
                                                   'auto_top_up.expired')) AS resolutions
          FROM auto_top_up_requests r
          LEFT JOIN events e ON e.account_id = r.account_id
                            AND (e.data->'request'->>'requestId')::bigint = r.request_id
          GROUP BY r.account_id, r.request_id, r.status, r.payment_reference, r.entry_sequence
          ORDER BY r.account_id, r.request_id`,
      ).pipe(
        Effect.map((rows) =>
          rows.map(
            (row): StoredRequest => ({
              accountId: row.account_id,
              requestId: Number(row.request_id),
              status: row.status,
              paymentReference: row.payment_reference,
              entrySequence: row.entry_sequence === null ? null : Number(row.entry_sequence),
              requested: Number(row.requested),
              resolutions: Number(row.resolutions),
            }),
          ),
        ),
      ),
    )

  interface StoredHold {
    readonly accountId: string
    readonly holdId: number
    readonly tag: string
  }

  /** Every hold in the database, with the tag of the request that placed it. */
  const readAllHolds = () =>
    admin.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ account_id: string; hold_id: bigint; tag: string }>`
          SELECT account_id, hold_id, metadata->>'tag' AS tag FROM holds ORDER BY account_id, hold_id`,
      ).pipe(
        Effect.map((rows) =>
          rows.map((row): StoredHold => ({ accountId: row.account_id, holdId: Number(row.hold_id), tag: row.tag })),
        ),
      ),
    )

  /** Every entry of every account the writers used, through the ledger's own paging. */
  const readAllEntries = async () => {
    const all: Array<Entry> = []
    for (const accountId of accounts) {
      let cursor: string | null = null
      do {
        const page: { entries: ReadonlyArray<Entry>; nextCursor: string | null } = await ledgers[0]!.runPromise(
          Effect.flatMap(Ledger, (l) => l.entries({ accountId, limit: 500, ...(cursor === null ? {} : { cursor }) })),
        )
        all.push(...page.entries)
        cursor = page.nextCursor
      } while (cursor !== null)
    }
    return all
  }
})

/** The tag of the error a write failed with; undefined for a success or a defect. */
const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = exit.cause.reasons.find(Cause.isFailReason)?.error
  return (error as { readonly _tag?: string } | undefined)?._tag
}
