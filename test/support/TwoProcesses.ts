import type { PgLedgerStore } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Clock, Effect, Layer, ManagedRuntime, type Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import { createDatabase, type Isolation, pgStore } from "./TestDatabase.ts"

/** The ways a write can reach PostgreSQL, each a setup the concurrency suites run under. */
export const concurrencySetups: Array<[string, Isolation, Partial<PgLedgerStore.Options>]> = [
  ["group commit at READ COMMITTED", "read committed", {}],
  ["group commit at SERIALIZABLE", "serializable", {}],
  [
    "one operation per transaction",
    "read committed",
    { batchSizeMax: 1, writers: 6, overlapAfterMs: 0, soloWrites: false },
  ],
]

/**
 * Two ledgers on two pools of one fresh database, standing for two processes, for the tests of the
 * enclosing `describe`: `run` runs a body on one of them (0 or 1), at another time if given a clock.
 */
export const twoProcesses = (isolation: Isolation, options: Partial<PgLedgerStore.Options>) => {
  let processes: Array<ManagedRuntime.ManagedRuntime<Ledger, unknown>> = []
  beforeAll(async () => {
    const url = await createDatabase(isolation)
    processes = [0, 1].map(() => ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 6, options)))))
  })
  afterAll(() => Promise.all(processes.map((p) => p.dispose())))

  return <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>, process = 0, clock?: Clock.Clock) =>
    processes[process]!.runPromise(
      Effect.flatMap(Ledger, body).pipe((effect) =>
        clock === undefined ? effect : Effect.provideService(effect, Clock.Clock, clock),
      ),
    )
}

/**
 * `count` requests through `run` from 16 clients, each sending its next when answered; even clients
 * on one process, odd on the other. Answers come back in request order.
 */
export const togetherOn =
  (run: ReturnType<typeof twoProcesses>) =>
  async <A, E>(
    count: number,
    body: (ledger: Ledger["Service"], i: number) => Effect.Effect<A, E>,
    clockOf: (i: number) => Clock.Clock | undefined = () => undefined,
  ) => {
    const results: Array<Result.Result<A, E>> = []
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        for (let i = client; i < count; i += 16) {
          results[i] = await run((l) => Effect.result(body(l, i)), client % 2, clockOf(i))
        }
      }),
    )
    return results
  }
