import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Adapters from "@tally/adapters"
import {
  type AccountId,
  type AccountState,
  type Amount,
  type Balance,
  Ledger,
  newAccountState,
  post,
  type Step,
  type WriteResult,
} from "@tally/domain"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import * as Database from "./Database.ts"

/**
 * What grants cost a spend, in the library. (1) The pure step of a spend on an account without grants,
 * side by side with the same step as `--baseline` (a git revision, default `main`) decides it: the
 * baseline's domain is extracted with `git archive` and loaded in this process, and the two run in
 * alternating rounds so both meet the same machine load. (2) The step, and a spend through `Ledger` on
 * the memory store, on an account with 0, 1, 10 and 100 live grants. (3) The same on PostgreSQL
 * (`DATABASE_URL`, or an embedded server with durable settings): spends one after another through
 * `Ledger` on `PgLedgerStore`, on an account without grants side by side with the baseline's own
 * domain and adapters (extracted likewise, each on a database it migrated), in alternating rounds,
 * then on accounts with 1, 10 and 100 live grants.
 *
 *   node --import tsx bench/grants.ts [--baseline main] [--rounds 5] [--ms 400] [--pg-ms 2000]
 */

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]!
}
const baseline = argument("baseline", "main")
const rounds = Number(argument("rounds", "5"))
const roundMs = Number(argument("ms", "400"))
const pgRoundMs = Number(argument("pg-ms", "2000"))

const repoRoot = Path.resolve(import.meta.dirname, "..")
// Under node_modules, so the baseline's imports of `effect` resolve to this checkout's copy.
const baselineDir = Path.join(repoRoot, "node_modules", ".cache", `tally-baseline-${baseline.replace(/\W/g, "-")}`)
Fs.rmSync(baselineDir, { recursive: true, force: true })
Fs.mkdirSync(baselineDir, { recursive: true })
ChildProcess.execSync(
  `git archive ${baseline} packages/domain/src packages/domain/package.json packages/adapters/src | tar -x -C ${baselineDir}`,
  { cwd: repoRoot },
)
// The baseline's adapters import its own domain; everything else resolves to this checkout's copies.
const baselineModules = Path.join(baselineDir, "packages/adapters/node_modules")
for (const [name, target] of [
  ["@tally/domain", Path.join(baselineDir, "packages/domain")],
  ["@effect/sql-pg", Fs.realpathSync(Path.join(repoRoot, "packages/adapters/node_modules/@effect/sql-pg"))],
  ["effect", Fs.realpathSync(Path.join(repoRoot, "packages/adapters/node_modules/effect"))],
] as const) {
  Fs.mkdirSync(Path.dirname(Path.join(baselineModules, name)), { recursive: true })
  Fs.symlinkSync(target, Path.join(baselineModules, name))
}
const Base: typeof import("@tally/domain") = await import(Path.join(baselineDir, "packages/domain/src/index.ts"))
const BaseAdapters: typeof import("@tally/adapters") = await import(
  Path.join(baselineDir, "packages/adapters/src/index.ts")
)

const accountId = "bench" as AccountId
const createdAt = "2026-01-01T00:00:00.000Z"

/** Spends of 1 decided one after another on a state, each on the state the previous left: steps per second. */
const stepsPerSecond = (state: AccountState, spend: (state: AccountState) => AccountState) => {
  let current = state
  let steps = 0
  const startedMs = performance.now()
  while (performance.now() - startedMs < roundMs) {
    for (let i = 0; i < 1_000; i++) current = spend(current)
    steps += 1_000
  }
  return steps / ((performance.now() - startedMs) / 1000)
}

const request = { _tag: "Spend" as const, accountId, amount: 1 as Amount }
const spendWith =
  (postOf: (request: never, createdAt: string) => Step<WriteResult>) =>
  (state: AccountState): AccountState =>
    postOf(request as never, createdAt)({ state, prior: undefined }).state ?? state

const funded = { ...newAccountState, balance: 1_000_000_000_000 as Balance }
const baseFunded = { ...Base.newAccountState, balance: 1_000_000_000_000 } as unknown as AccountState

/** An account with `count` live grants, each far larger than the bench spends. */
const withGrants = (count: number): AccountState => {
  let state = funded
  for (let i = 0; i < count; i++) {
    const credit = post(
      {
        _tag: "TopUp",
        accountId,
        amount: 1_000_000_000 as Amount,
        priority: i % 10,
        expiresAt: `2099-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00Z`,
      } as never,
      createdAt,
    )({ state, prior: undefined })
    state = credit.state!
  }
  return state
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`

// (1) Without grants, side by side with the baseline.
const baseRates: Array<number> = []
const ownRates: Array<number> = []
for (let round = 0; round < rounds; round++) {
  baseRates.push(stepsPerSecond(baseFunded, spendWith(Base.post as never)))
  ownRates.push(stepsPerSecond(funded, spendWith(post as never)))
}
console.log(`spend step, account without grants (${rounds} alternating rounds of ${roundMs} ms, median):`)
console.log(`  ${baseline}: ${rate(median(baseRates))}   this checkout: ${rate(median(ownRates))}`)
console.log(`  this checkout / ${baseline}: ${(median(ownRates) / median(baseRates)).toFixed(3)}`)

// (2) Across live grants: the step, and a spend through the Ledger on the memory store.
const runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(Adapters.MemoryLedgerStore.layer)))
console.log("spend across live grants (median of rounds; the first pass, on 0 grants, warms up and is not printed):")
for (const [pass, count] of [0, 0, 1, 10, 100].entries()) {
  const state = withGrants(count)
  const steps = median(Array.from({ length: rounds }, () => stepsPerSecond(state, spendWith(post as never))))
  const ledgerAccount = `bench-${pass}-${count}`
  await runtime.runPromise(
    Effect.flatMap(Ledger, (l) =>
      Effect.gen(function* () {
        yield* l.topUp({ accountId: ledgerAccount, amount: 1_000_000_000_000 })
        for (let i = 0; i < count; i++)
          yield* l.topUp({ accountId: ledgerAccount, amount: 1_000_000_000, priority: i % 10 })
      }),
    ),
  )
  const spendsPerSecond = median(
    await Promise.all(
      Array.from({ length: 1 }, async () => {
        const results: Array<number> = []
        for (let round = 0; round < rounds; round++) {
          const startedMs = performance.now()
          let spends = 0
          while (performance.now() - startedMs < roundMs) {
            await runtime.runPromise(
              Effect.flatMap(Ledger, (l) =>
                Effect.repeat(l.spend({ accountId: ledgerAccount, amount: 1 }), { times: 99 }),
              ),
            )
            spends += 100
          }
          results.push(spends / ((performance.now() - startedMs) / 1000))
        }
        return median(results)
      }),
    ),
  )
  if (pass === 0) continue
  console.log(
    `  ${String(count).padStart(3)} live grants: step ${rate(steps)}   Ledger on memory ${rate(spendsPerSecond)}`,
  )
}
await runtime.dispose()

// (3) On PostgreSQL: spends one after another (each its own commit) through the Ledger.
type LedgerOn = {
  readonly run: <A>(body: (l: Ledger["Service"]) => Effect.Effect<A, unknown>) => Promise<A>
  readonly dispose: () => Promise<void>
}
/** A ledger of `domain` on `adapters`' PostgreSQL store, on a database they migrated: the baseline's or this checkout's. */
const ledgerOn = async (
  url: string,
  adapters: typeof import("@tally/adapters"),
  domain: typeof import("@tally/domain"),
): Promise<LedgerOn> => {
  await Effect.runPromise(adapters.PgMigrations.migrate.pipe(Effect.provide(Database.pool(url, 1))))
  const store = adapters.PgLedgerStore.layer(adapters.PgLedgerStore.defaults).pipe(
    Layer.provide(Database.storePool(url, 4)),
  )
  // The baseline's Ledger is its own service: typed as this checkout's, which it matches in what the bench calls.
  const runtime = ManagedRuntime.make(
    domain.Ledger.layer.pipe(Layer.provide(store)) as never,
  ) as ManagedRuntime.ManagedRuntime<Ledger, unknown>
  return {
    run: (body) => runtime.runPromise(Effect.flatMap(domain.Ledger as unknown as typeof Ledger, body)),
    dispose: () => runtime.dispose(),
  }
}

/** Sequential spends of 1 on the account for `pgRoundMs`: spends per second. */
const pgSpendsPerSecond = async (on: LedgerOn, account: string) => {
  const startedMs = performance.now()
  let spends = 0
  while (performance.now() - startedMs < pgRoundMs) {
    await on.run((l) => Effect.repeat(l.spend({ accountId: account, amount: 1 }), { times: 9 }))
    spends += 10
  }
  return spends / ((performance.now() - startedMs) / 1000)
}

const scope = await Effect.runPromise(Scope.make())
const server = await Effect.runPromise(Database.acquire.pipe(Scope.provide(scope)))
const databaseOf = (label: string) => Effect.runPromise(Database.fresh(server, label).pipe(Scope.provide(scope)))
const own = await ledgerOn(await databaseOf("grants_own"), Adapters, { Ledger } as typeof import("@tally/domain"))
const base = await ledgerOn(await databaseOf("grants_base"), BaseAdapters, Base)
for (const on of [own, base]) await on.run((l) => l.topUp({ accountId: "plain", amount: 1_000_000_000_000 }))
const ownPg: Array<number> = []
const basePg: Array<number> = []
for (let round = 0; round < rounds; round++) {
  basePg.push(await pgSpendsPerSecond(base, "plain"))
  ownPg.push(await pgSpendsPerSecond(own, "plain"))
}
console.log(
  `spend through Ledger on PostgreSQL ${server.version}, one after another, account without grants (${rounds} alternating rounds of ${pgRoundMs} ms, median):`,
)
console.log(`  ${baseline}: ${rate(median(basePg))}   this checkout: ${rate(median(ownPg))}`)
console.log(`  this checkout / ${baseline}: ${(median(ownPg) / median(basePg)).toFixed(3)}`)
console.log("spend through Ledger on PostgreSQL across live grants (median of rounds):")
const plain = median(ownPg)
for (const count of [1, 10, 100]) {
  const account = `granted-${count}`
  await own.run((l) =>
    Effect.gen(function* () {
      yield* l.topUp({ accountId: account, amount: 1_000_000_000_000 })
      for (let i = 0; i < count; i++)
        yield* l.topUp({
          accountId: account,
          amount: 1_000_000_000,
          priority: i % 10,
          expiresAt: "2099-01-01T00:00:00Z",
        })
    }),
  )
  const rates: Array<number> = []
  for (let round = 0; round < rounds; round++) rates.push(await pgSpendsPerSecond(own, account))
  console.log(
    `  ${String(count).padStart(3)} live grants: ${rate(median(rates))}   / without grants: ${(median(rates) / plain).toFixed(3)}`,
  )
}
await own.dispose()
await base.dispose()
await Effect.runPromise(Scope.close(scope, Exit.void))
