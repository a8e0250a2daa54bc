import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { SqlError } from "effect/sql"
import type { SqlClient } from "effect/sql/SqlClient"
import { watchTickMs } from "./PgDeadline.ts"

/**
 * The one deadline of a request, for the whole of its life in the store, fixed when it arrives:
 * its retry budget, one backoff pause, and the longest one stage may take once started (opening a
 * connection and running one statement, each bounded by the connection's deadline, `PgDeadline`).
 * Every stage a request passes (waiting behind a batch, a compare-and-swap statement, the lookup of
 * one that went unanswered, the locked transaction, each retry) starts only while a whole stage
 * still fits in what is left, so none ends past the deadline and none starts a count of its own. A
 * stage that cannot start fails with `spent`, which is never retried; the store then answers as the
 * request stands: of unknown outcome if a statement that could have committed it went unanswered,
 * else unavailable, nothing written.
 *
 * A stage is never cut short by a timeout: interrupting a statement makes the driver drain it and
 * send a cancel on a side connection (seconds more in a partition), and a cancelled wait for a
 * synchronous standby is reported by PostgreSQL as a commit. So a stage is bounded by the connection's
 * own deadline, and the request's deadline decides only whether the next one starts.
 *
 * Times are `performance.now()` milliseconds: the deadline is real time, which a test's shifted
 * `Clock` must not spend.
 */
export interface Deadline {
  /** When the request must have its answer. */
  readonly answerBy: number
  /** The longest one stage may take once started. */
  readonly stageMs: number
}

/** Without a request's deadline (a caller of the store's internals), stages start whenever asked. */
export const PgRequestDeadline = Context.Reference<Deadline>("@tally/adapters/PgRequestDeadline", {
  defaultValue: () => ({ answerBy: Number.POSITIVE_INFINITY, stageMs: 0 }),
})

export interface Bounds {
  /** How long a request keeps starting attempts (`TALLY_DB_RETRY_MS`). */
  readonly retryBudgetMs: number
  /** A connection's deadline for an answer, and for its set-up (`TALLY_DB_STATEMENT_TIMEOUT_MS`). */
  readonly statementTimeoutMs: number
  /** The longest backoff pause between two attempts. */
  readonly pauseMaxMs: number
}

/**
 * The deadline of a request arriving now: budget + pause + 2 x statement deadline. A stage is a
 * connection opened and one statement sent on it; a transaction's statements each get an answer
 * within the deadline or end the stage, so in a database that stops answering it is two deadlines.
 */
export const arriving = (bounds: Bounds): Deadline => {
  // The watch notices a silent connection up to a tick late: a stage keeps room for that too.
  const stageMs = 2 * bounds.statementTimeoutMs + watchTickMs(bounds.statementTimeoutMs)
  return { answerBy: performance.now() + lengthMs(bounds), stageMs }
}

/** How long after it arrives a request has its answer, at the latest. */
export const lengthMs = ({ retryBudgetMs, statementTimeoutMs, pauseMaxMs }: Bounds): number =>
  retryBudgetMs + pauseMaxMs + 2 * statementTimeoutMs

/** The earliest of several requests' deadlines: a batch answers by the first of its requests'. */
export const earliest = (deadlines: ReadonlyArray<Deadline>): Deadline =>
  deadlines.reduce((a, b) => (b.answerBy < a.answerBy ? b : a))

/** Whether a whole stage still fits before the deadline. */
export const fits = (deadline: Deadline): boolean => performance.now() + deadline.stageMs < deadline.answerBy

/** The failure of a stage that had no time left to start: nothing was sent by it. */
export const spent = new SqlError.SqlError({
  reason: new SqlError.ConnectionError({
    cause: new Error("the request's deadline left no time for another attempt"),
    message: "no answer from the database within the request's deadline",
  }),
})

export const isSpent = (error: SqlError.SqlError): boolean => error === spent

/** `stage`, if a whole stage still fits in what is left of the request's deadline; else `spent`. */
export const stage = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError.SqlError, R> =>
  PgRequestDeadline.use(
    (deadline): Effect.Effect<A, E | SqlError.SqlError, R> => (fits(deadline) ? effect : Effect.fail(spent)),
  )

/**
 * The turns of the stages on one pool: one fewer than its connections, so its other users (webhook
 * claims, the health check) never keep a stage waiting inside the pool, where a wait cannot be given
 * up. A stage waits for its turn here instead, and gives up once a whole stage would no longer fit:
 * behind stages held up by a stalled database, a request waited for their connections (two statement
 * deadlines each) and then ran a whole stage of its own, well past its deadline.
 */
export type Gate = Semaphore.Semaphore

const gates = new WeakMap<SqlClient, Gate>()

/** The gate of the pool `sql` draws on, shared by every store on it. */
export const gateOf = (sql: SqlClient): Gate => {
  let gate = gates.get(sql)
  if (gate === undefined) {
    const connections = (sql as { readonly config?: { readonly maxConnections?: number } }).config?.maxConnections
    gate = Semaphore.makeUnsafe(Math.max(1, (connections ?? 10) - 1))
    gates.set(sql, gate)
  }
  return gate
}

/** Waits for a turn while a whole stage would still fit after it; nothing is sent before the turn. */
const queued = <A, E, R>(gate: Gate, deadline: Deadline, effect: Effect.Effect<A, E, R>) => {
  const waitMs = deadline.answerBy - deadline.stageMs - performance.now()
  if (!Number.isFinite(waitMs)) return gate.withPermit(effect)
  return Effect.scopedWith((scope) =>
    Effect.flatMap(
      Effect.timeoutOption(Scope.provide(gate.takeScoped(1), scope), waitMs),
      (turn): Effect.Effect<A, E | SqlError.SqlError, R> =>
        Option.isSome(turn) && fits(deadline) ? effect : Effect.fail(spent),
    ),
  )
}

/** `stage`, run in its turn at `gate`: at once when one is free, else after waiting within the deadline. */
export const stageAt =
  (gate: Gate) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError.SqlError, R> =>
    PgRequestDeadline.use((deadline): Effect.Effect<A, E | SqlError.SqlError, R> => {
      if (!fits(deadline)) return Effect.fail(spent)
      return Effect.flatMap(gate.withPermitsIfAvailable(1)(effect), (ran) =>
        Option.isSome(ran) ? Effect.succeed(ran.value) : queued(gate, deadline, effect),
      )
    })
