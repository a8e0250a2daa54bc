import { randomUUID } from "node:crypto"
import {
  type AccountHistory,
  type AccountId,
  type AuditedAccount,
  type Balance,
  type EntryFilter,
  InvalidRequest,
  type KindTotal,
  LedgerStore,
  LedgerUnavailable,
  newAccountState,
  OutcomeUnknown,
  type Step,
  type StoreError,
  storagePortVersion,
  type WriteTarget,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { SqlClient, SqlError } from "effect/sql"
import * as AccountCache from "./AccountCache.ts"
import * as GroupCommit from "./GroupCommit.ts"
import * as PgCacheWarmup from "./PgCacheWarmup.ts"
import * as PgCasBatch from "./PgCasBatch.ts"
import * as PgCommitOutcome from "./PgCommitOutcome.ts"
import * as PgDeadline from "./PgDeadline.ts"
import * as PgEvents from "./PgEvents.ts"
import * as PgFailure from "./PgFailure.ts"
import * as PgLockedBatch from "./PgLockedBatch.ts"
import { type Decided, hasLandmarks, type Operation } from "./PgOperation.ts"
import * as PgRequestDeadline from "./PgRequestDeadline.ts"
import {
  type AccountRow,
  type AutoTopUpRequestRow,
  accountColumns,
  autoTopUpRequestColumns,
  autoTopUpRequestOf,
  type EntryRow,
  entryColumns,
  entryOf,
  type GrantRow,
  grantColumns,
  grantOf,
  type HoldRow,
  holdColumns,
  holdOf,
  type PendingCreditRow,
  pendingCreditColumns,
  pendingCreditOf,
  readAccount,
  stateOf,
} from "./PgRows.ts"
import { readRuns } from "./PgRuns.ts"

/**
 * The ledger in PostgreSQL. Writes go through group commit: operations that arrive while a batch is
 * being written go together in the next one. A batch is written by one compare-and-swap statement in
 * autocommit (`PgCasBatch`), keyed writes included: each account's operations are decided on its state
 * as this process last saw it, and applied only if its version is unchanged. An account that moved
 * on is decided again on the state that statement answered, in a second one; what still misses, and
 * what the statement cannot write (holds, refunds, auto top-up requests, events, refills, settings, a
 * key used before beside a new write), takes the locked transaction (`PgLockedBatch`); a replay is
 * answered from the record the statement found. Row locks and versions, not this
 * process, decide between processes.
 *
 * Every write lands once or not at all. A lost connection or a lost contention is retried within
 * `retryBudgetMs`; a COMMIT that got no answer is never run again on a guess: the next attempt
 * first looks up whether it landed (`PgCommitOutcome`). An operation whose data PostgreSQL refuses
 * fails alone: its batch is split until it stands by itself. Each request has one deadline from its
 * arrival to its answer (`PgRequestDeadline`), which every stage of its batch runs within.
 */

export interface Options extends GroupCommit.Options {
  /**
   * How long a request keeps starting attempts after lost connections and lost contentions; its
   * deadline is this, one backoff pause and one stage (`PgRequestDeadline`).
   */
  readonly retryBudgetMs: number
  /**
   * The pool's deadline for an answer on a connection (`PgDeadline`): with the budget, it sets each
   * request's deadline (`PgRequestDeadline`). Give the store the pool's own value.
   */
  readonly statementTimeoutMs: number
  /** Write batches as one compare-and-swap statement first (`PgCasBatch`); off, every batch is locked. */
  readonly soloWrites: boolean
  /** Accounts whose last known state this process keeps, for compare-and-swap writes. */
  readonly cachedAccountsMax: number
}

/**
 * The retry budget covers a PostgreSQL restart (a few seconds of crash recovery); a failover takes
 * longer, and its writes answer 503 for the caller to retry with their keys.
 */
export const defaults: Options = {
  ...GroupCommit.defaults,
  retryBudgetMs: 5_000,
  statementTimeoutMs: PgDeadline.defaults.statementTimeoutMs,
  soloWrites: true,
  cachedAccountsMax: 100_000,
}

/**
 * Settings for the store's PostgreSQL sessions (`PgClient`'s `startupParameters`).
 *
 * A transaction of the store never waits on its client for more than milliseconds; one whose client
 * vanished without closing its socket (a network partition) is ended by the server after this, so it
 * cannot hold an account's row lock until TCP gives up, hours later.
 *
 * Every statement keeps one generic plan, made once per connection. Each row a statement touches is
 * found through its key (`PgCasBatch`'s lateral lookups), so the plan does not depend on the values,
 * and planning the batch statement again costs about as much as running it: left to choose,
 * PostgreSQL planned the keyed batch's statement anew on every execution once ANALYZE had counted a
 * grown `idempotency_keys` (its generic plan's estimate came out dearer than the custom plans'), 41%
 * of its CPU in a 16-connection keyed run.
 *
 * No table is scanned where an index finds the rows. A plan is made on the statistics of the last
 * ANALYZE: made while `entries` was a few pages, it scans the table, and stays the plan as the table
 * grows, until the next ANALYZE. The foreign-key check that an account's balance is its newest entry's running
 * balance, run by PostgreSQL at every write's commit, was planned that way: 5,000 writes read 13.5
 * million rows of `entries`. A query no index serves is still answered, by a scan. Both:
 * `test/plans-after-analyze.test.ts`, `bench/PERFORMANCE.md`.
 *
 * No statement is compiled to machine code (JIT). Before PostgreSQL 18 a scan switched off is priced
 * at ten billion, so a plan that still needs one (the webhook dispatcher's listing of endpoints, which
 * no index orders) passed `jit_above_cost` and was compiled, with inlining and optimisation, at every
 * execution: on PostgreSQL 15 about 27 ms of the server's CPU per listing; with one endpoint and
 * nobody calling, 23-24.5 ms of its CPU a second against 4.5-5.5 with JIT off (`bench/idle-cpu.ts`).
 * Tally's statements each touch a few rows by key, where compiling never pays (`test/ha/no-jit.test.ts`).
 */
export const sessionParameters = {
  idle_in_transaction_session_timeout: "10s",
  plan_cache_mode: "force_generic_plan",
  enable_seqscan: "off",
  jit: "off",
} as const

/** The first retry comes at once after a lost contention; waits double up to this cap. */
const retryDelayMaxMs = 500

/** An export reads this many entries a statement. */
const exportPageEntries = 1_000

/** Where an export's page ended, and the next begins. */
interface ExportPosition {
  readonly at: string
  readonly accountId: string
  readonly sequence: bigint
}

interface ExportRow extends EntryRow {
  readonly position_at: string
}

/**
 * Where an entry sits in an export, `created_at` to the microsecond, in UTC whatever the session's
 * settings: an entry written other than by Tally (an import) may carry microseconds, which an `Entry`'s
 * time (milliseconds) does not, and a position cut to them would read its page again.
 */
const positionColumn = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at`

/** A request's deadline under `options`, from now. */
const requestDeadline = (options: Pick<Options, "retryBudgetMs" | "statementTimeoutMs">) =>
  PgRequestDeadline.arriving({ ...options, pauseMaxMs: retryDelayMaxMs })

/** The longest a request waits for its answer under `options`: a server's shutdown lets it finish. */
export const requestDeadlineMs = (options: Pick<Options, "retryBudgetMs" | "statementTimeoutMs">): number =>
  PgRequestDeadline.lengthMs({ ...options, pauseMaxMs: retryDelayMaxMs })

export const retrySchedule = (options: Options) =>
  Schedule.min([Schedule.exponential("2 millis"), Schedule.spaced(`${retryDelayMaxMs} millis`)]).pipe(
    Schedule.jittered,
    Schedule.upTo({ duration: `${options.retryBudgetMs} millis` }),
  )

/** A transaction commits whole; finding part of one is reported, and the write stays of unknown outcome. */
const landedInPart = new SqlError.SqlError({
  reason: new SqlError.UnknownError({
    cause: new Error("some landmarks of an attempt were found and some were not"),
    message: "an attempt landed in part",
  }),
})

/**
 * Compare-and-swap statements per batch: the second decides again the accounts the first found moved
 * on (or saw for the first time), on the state it answered; what misses twice is locked.
 */
const casRoundsMax = 2

/** How long fencing a compare-and-swap statement's accounts before its lookup waits for their locks. */
const fenceLockWaitMs = 2_000

/**
 * What `settle` knows of its batch's attempts so far: the last one whose answer never came
 * (`unresolved`, to look up before trying again), or one that cannot be looked up (`doubtful`).
 */
interface Doubts {
  unresolved: Decided | undefined
  doubtful: Decided | undefined
}

/** The statement found a key's record that appeared after it checked: it wrote nothing. */
const isKeyTaken = (error: SqlError.SqlError) =>
  error.reason._tag === "UniqueViolation" && error.reason.constraint === "idempotency_keys_pkey"

/** A store failure for the caller; the driver's details go to the log. */
const unavailable = (error: SqlError.SqlError) =>
  new LedgerUnavailable({
    message: PgRequestDeadline.isSpent(error)
      ? "storage unavailable (no attempt could finish within this request's deadline); nothing was written"
      : `storage unavailable (${PgFailure.describe(error)}); nothing was written`,
  })

const logFailure = (what: string) => (error: SqlError.SqlError) =>
  Effect.logError(what).pipe(
    Effect.annotateLogs({
      failure: PgFailure.describe(error),
      cause: String(error.reason.cause ?? error.reason.message),
    }),
  )

/**
 * `Effect.retry` of transient failures, entered only once the first attempt has failed: nearly every
 * attempt succeeds, and a retry's set-up (the schedule's state, a context per attempt) cost a lone
 * write about 8% of its CPU. The failure that opened it is replayed as its first attempt, so the
 * schedule waits and counts the budget from that failure, as when it wrapped the first attempt.
 * Retries stop at the request's deadline: `effect` starts each of its stages with
 * `PgRequestDeadline.stageAt` (or `stage`), whose `spent` is never retried; each stage ends within the
 * connection's own deadline (`PgDeadline`).
 */
const retryTransient =
  (schedule: ReturnType<typeof retrySchedule>) =>
  <A, E extends SqlError.SqlError, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.catch(effect, (error) => {
      // A key recorded after the attempt loaded it is a lost contention too: a compare-and-swap
      // statement records the keyed refusals of an account with no row under no row lock, so a locked
      // batch can meet the record only when it inserts its own; decided again, it replays it.
      const retrying = (failure: E) =>
        !PgRequestDeadline.isSpent(failure) &&
        (PgFailure.isContention(failure) || isKeyTaken(failure) || PgFailure.isConnectionLoss(failure))
      if (!retrying(error)) return Effect.fail(error)
      let replay: E | undefined = error
      const again = Effect.suspend(() => {
        if (replay === undefined) return effect
        const failure = replay
        replay = undefined
        return Effect.fail(failure)
      })
      return Effect.retry(again, { schedule, while: retrying })
    })

/**
 * Reads retry lost connections like writes, within a deadline of their own from their start; they
 * change nothing, so any retry is safe. Each attempt is one stage (`PgRequestDeadline`).
 */
export const readWithRetry = (
  schedule: ReturnType<typeof retrySchedule>,
  options: Pick<Options, "retryBudgetMs" | "statementTimeoutMs"> = defaults,
  gate?: PgRequestDeadline.Gate,
) => {
  const retried = retryTransient(schedule)
  const stage = gate === undefined ? PgRequestDeadline.stage : PgRequestDeadline.stageAt(gate)
  return <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>): Effect.Effect<A, LedgerUnavailable, R> =>
    Effect.suspend(() =>
      retried(stage(PgFailure.recoverSqlDefects(effect))).pipe(
        Effect.provideService(PgRequestDeadline.PgRequestDeadline, requestDeadline(options)),
      ),
    ).pipe(Effect.tapError(logFailure("PostgreSQL read failed")), Effect.mapError(unavailable))
}

export const make = (options: Options = defaults) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const cache = AccountCache.make(options.cachedAccountsMax)
    yield* PgCacheWarmup.warm(sql, cache, options.cachedAccountsMax)
    const lockedBatch = PgLockedBatch.make(sql)
    const casBatch = PgCasBatch.make(sql, cache)
    const commitOutcome = PgCommitOutcome.make(sql, lockedBatch.lockBatchAccounts)
    // Built once: a schedule is a description, and each retry runs it afresh.
    const retries = retrySchedule(options)
    const gate = PgRequestDeadline.gateOf(sql)
    const stage = PgRequestDeadline.stageAt(gate)
    const read = readWithRetry(retries, options, gate)
    const retried = retryTransient(retries)

    const forget = (operations: ReadonlyArray<Operation>) =>
      Effect.sync(() => {
        for (const op of operations) cache.delete(op.accountId)
      })

    const remember = (decided: Decided) =>
      Effect.sync(() => {
        for (const [id, known] of decided.committed) cache.set(id, known)
        return decided.results
      })

    const lockedWrite = Effect.fnUntraced(function* (
      operations: ReadonlyArray<Operation>,
      mark: (decided: Decided) => void,
    ) {
      const decided = yield* lockedBatch.decide(operations).pipe(
        Effect.tap((decided) => Effect.sync(() => mark(decided))),
        sql.withTransaction,
      )
      return yield* remember(decided)
    })

    /**
     * One attempt of the locked transaction. `unknown` hears what the attempt decided once it passes
     * its point of no return; after a lost connection there, whether it landed is unknown until looked up.
     */
    const attempt = (operations: ReadonlyArray<Operation>, unknown: (decided: Decided) => void) =>
      Effect.suspend(() => {
        let sent: Decided | undefined
        const mark = (decided: Decided) => {
          sent = decided
        }
        return PgFailure.recoverSqlDefects(lockedWrite(operations, mark)).pipe(
          Effect.tapError((error) =>
            Effect.sync(() => {
              if (sent !== undefined && sent.writers.size > 0 && PgFailure.isConnectionLoss(error)) unknown(sent)
            }),
          ),
          Effect.tapError(() => forget(operations)),
        )
      })

    /** One try of `settle`: the lookup of an attempt of unknown outcome, or an attempt. */
    const settleOnce = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>, doubts: Doubts) {
      if (doubts.unresolved !== undefined && !hasLandmarks(doubts.unresolved)) {
        doubts.doubtful = doubts.unresolved
        doubts.unresolved = undefined
      }
      if (doubts.unresolved !== undefined) {
        const verdict = yield* stage(PgFailure.recoverSqlDefects(commitOutcome(doubts.unresolved)))
        if (verdict === "landed") return doubts.unresolved.results
        if (verdict === "inconsistent") return yield* Effect.fail(landedInPart)
        doubts.unresolved = undefined
      }
      return yield* stage(attempt(operations, (decided) => (doubts.unresolved = decided)))
    })

    /**
     * Runs the batch to an answer for each operation: attempts until one commits, looking up an
     * attempt of unknown outcome before anything else, within the request's deadline: the lookup and
     * the attempt are a stage each. An attempt of unknown outcome without landmarks is safe to run
     * again, but stays in doubt until one commits.
     */
    const settle = (
      operations: ReadonlyArray<Operation>,
    ): Effect.Effect<ReadonlyArray<Result.Result<unknown, StoreError>>> =>
      Effect.suspend(() => {
        const doubts: Doubts = { unresolved: undefined, doubtful: undefined }
        return retried(settleOnce(operations, doubts)).pipe(
          Effect.map((results) => results.map((result) => Result.succeed(result))),
          Effect.catch((error) => answerFailure(operations, error, doubts.unresolved ?? doubts.doubtful)),
        )
      })

    const outcomeUnknown = (op: Operation) =>
      new OutcomeUnknown({ accountId: op.accountId, idempotencyKey: op.idempotencyKey ?? null })

    /**
     * The batch failed for good. An attempt of unknown outcome stays unknown to those of its
     * operations that write, and to those decided after a write on their account (a replay of a key
     * that a batch-mate wrote, a refusal against its balance: true only if it landed); the others
     * (rule rejections) get what it decided. A refused value fails its operation alone: the batch is
     * split and the halves run in order.
     */
    const answerFailure = (
      operations: ReadonlyArray<Operation>,
      error: SqlError.SqlError,
      uncertain: Decided | undefined,
    ): Effect.Effect<ReadonlyArray<Result.Result<unknown, StoreError>>> =>
      Effect.gen(function* () {
        yield* logFailure("PostgreSQL write failed")(error)
        if (uncertain !== undefined) {
          const written = new Set<string>()
          return operations.map((op, index) => {
            const unknown = uncertain.writers.has(op.operationId) || written.has(op.accountId)
            if (uncertain.writers.has(op.operationId)) written.add(op.accountId)
            return unknown ? Result.fail(outcomeUnknown(op)) : Result.succeed(uncertain.results[index])
          })
        }
        if (PgFailure.isDataError(error)) {
          if (operations.length === 1) {
            const message = `the database refused this request's data (${PgFailure.describe(error)}); nothing was written`
            return [Result.fail(new InvalidRequest({ message }))]
          }
          const half = Math.ceil(operations.length / 2)
          const first = yield* settle(operations.slice(0, half))
          return [...first, ...(yield* settle(operations.slice(half)))]
        }
        return operations.map(() => Result.fail(unavailable(error)))
      })

    type CasAnswer = Result.Result<unknown, StoreError> | typeof PgCasBatch.needsLock | typeof PgCasBatch.decideAgain

    /**
     * A compare-and-swap statement takes no lock before it runs, and a server runs a statement it has
     * received even after its client closed the connection: one sent on a cut connection may not have
     * run yet when it is looked up, and land after a lookup that found nothing, beside the locked
     * write of the same operations that follows. So before looking, the accounts are fenced: each is
     * updated (its version moves on) and a missing one is created, in the lookup's transaction. Row
     * locks and the primary key order the statement and the fence: a statement that ran first has
     * ended before the fence goes on (it is then found), one still to run finds the version it was
     * decided on gone, or the account it would create there, and writes nothing. An account left
     * created and empty reads as never written (`accountWritten`), as before. One exception: keyed
     * refusals on an account with no row are recorded without a row, on the statement's snapshot, so
     * one already running may still record them; the locked write that follows then meets the key
     * and replays it (`isKeyTaken` is retried), so the answer is still the one stored.
     */
    const fencedOutcome = (decided: Decided) =>
      Effect.gen(function* () {
        const ids = [...decided.accountIds].sort()
        yield* sql`SELECT set_config('lock_timeout', ${`${fenceLockWaitMs}ms`}, true)`
        yield* sql`
          INSERT INTO accounts (account_id)
          SELECT id FROM unnest(${ids}::text[]) AS ids(id) ORDER BY id
          ON CONFLICT DO NOTHING`
        // The trigger bumps the version of every row updated.
        yield* sql`UPDATE accounts SET version = version WHERE account_id = ANY(${ids}::text[])`
        return yield* commitOutcome(decided)
      }).pipe(sql.withTransaction)

    /**
     * A compare-and-swap statement whose answer never came: each account's part landed whole or not at
     * all, so each is looked up on its own, fenced first (`fencedOutcome`: a statement still on its way
     * must write nothing once it was found missing). What landed is answered, what did not takes the
     * locked path, and the writes of a part that cannot be looked up stay of unknown outcome; its rule rejections,
     * decided on a state the statement never confirmed, are decided again under the lock. A part without
     * landmarks (a settings change) is safe to run again, but stays in doubt (`doubted`) until that lands.
     */
    const lookUp = (
      operations: ReadonlyArray<Operation>,
      attempts: ReadonlyArray<PgCasBatch.AccountAttempt>,
      doubted: Set<string>,
    ) =>
      Effect.gen(function* () {
        const answers = operations.map((): CasAnswer => PgCasBatch.needsLock)
        for (const { indexes, decided } of attempts) {
          if (decided.writers.size === 0) continue
          if (!hasLandmarks(decided)) {
            for (const id of decided.writers) doubted.add(id)
            continue
          }
          // Past the deadline it is not looked up: its writes stay of unknown outcome.
          const verdict = yield* retried(stage(PgFailure.recoverSqlDefects(fencedOutcome(decided)))).pipe(
            Effect.tapError(logFailure("PostgreSQL lookup of an unanswered write failed")),
            Effect.orElseSucceed(() => "inconsistent" as const),
          )
          if (verdict === "not landed") continue
          indexes.forEach((index, position) => {
            const op = operations[index]!
            if (verdict === "landed") answers[index] = Result.succeed(decided.results[position])
            else if (decided.writers.has(op.operationId)) answers[index] = Result.fail(outcomeUnknown(op))
          })
        }
        return answers
      })

    /**
     * One compare-and-swap statement over the batch. Its failures never fail the batch on a guess:
     * nothing was written unless the connection dropped after it was sent (then it is looked up), and
     * what it did not settle takes the locked path, whose retries and splitting handle the rest.
     */
    const casRound = (
      operations: ReadonlyArray<Operation>,
      doubted: Set<string>,
    ): Effect.Effect<ReadonlyArray<CasAnswer>> =>
      Effect.suspend(() => {
        let sent: ReadonlyArray<PgCasBatch.AccountAttempt> = []
        const statement = casBatch(operations, (attempts) => (sent = attempts))
        // Past the deadline nothing is sent: the locked path that follows answers that nothing was written.
        return PgFailure.recoverSqlDefects(stage(statement)).pipe(
          Effect.map((answers) =>
            answers.map(
              (answer): CasAnswer =>
                answer === PgCasBatch.needsLock || answer === PgCasBatch.decideAgain ? answer : Result.succeed(answer),
            ),
          ),
          Effect.catch((error) =>
            Effect.gen(function* () {
              yield* forget(operations)
              if (PgFailure.isConnectionLoss(error) && sent.some(({ decided }) => decided.writers.size > 0)) {
                return yield* lookUp(operations, sent, doubted)
              }
              if (isKeyTaken(error) || PgFailure.isTransient(error) || PgFailure.isDataError(error)) {
                return operations.map((): CasAnswer => PgCasBatch.needsLock)
              }
              yield* logFailure("PostgreSQL write failed")(error)
              return operations.map((): CasAnswer => Result.fail(unavailable(error)))
            }),
          ),
        )
      })

    /** The batch through compare-and-swap statements first, then what they left through the locked path. */
    const writeLive = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
      if (!options.soloWrites) return yield* settle(operations)
      const answers = new Array<Result.Result<unknown, StoreError>>(operations.length)
      const locked: Array<number> = []
      const doubted = new Set<string>()
      let pending = operations.map((_, index) => index)
      for (let round = 0; round < casRoundsMax && pending.length > 0; round++) {
        const again: Array<number> = []
        const answered = yield* casRound(
          pending.map((index) => operations[index]!),
          doubted,
        )
        answered.forEach((answer, position) => {
          const index = pending[position]!
          if (answer === PgCasBatch.needsLock) locked.push(index)
          else if (answer === PgCasBatch.decideAgain) again.push(index)
          else answers[index] = answer
        })
        pending = again
      }
      locked.push(...pending)
      if (locked.length > 0) {
        locked.sort((a, b) => a - b)
        const results = yield* settle(locked.map((index) => operations[index]!))
        locked.forEach((index, position) => {
          const result = results[position]!
          const op = operations[index]!
          const inDoubt = Result.isFailure(result) && result.failure._tag === "LedgerUnavailable"
          answers[index] = inDoubt && doubted.has(op.operationId) ? Result.fail(outcomeUnknown(op)) : result
        })
      }
      return answers
    })

    /**
     * A batch runs within the earliest deadline of its operations. One whose deadline has no room for
     * a stage left (it waited behind a batch that met a silent database) is answered at once, with
     * nothing sent, rather than shortening its batch-mates' time.
     *
     * The generators a batch runs are built once (`Effect.fnUntraced` here and in `PgCasBatch` and
     * `PgLockedBatch`), not per call (`Effect.gen` inside the function): V8 gives every `function*`
     * evaluated anew a prototype and a hidden class of its own, made in the old generation, and what
     * they point to was promoted with them, so the old generation filled at every request and was
     * collected every second or so (`bench/PERFORMANCE.md`).
     */
    const write = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
      const live = operations.filter((op) => PgRequestDeadline.fits(op.deadline))
      const answers =
        live.length === 0
          ? []
          : yield* writeLive(live).pipe(
              Effect.provideService(
                PgRequestDeadline.PgRequestDeadline,
                PgRequestDeadline.earliest(live.map((op) => op.deadline)),
              ),
            )
      if (live.length === operations.length) return answers
      const answered = new Map(live.map((op, index) => [op, answers[index]!]))
      return operations.map((op) => answered.get(op) ?? Result.fail(unavailable(PgRequestDeadline.spent)))
    })

    // One batch per account in flight: the next is decided on what the one before it wrote. An
    // operation that waited behind its account's batch past the room for a stage is answered at once.
    // With every batch locked, row locks order them in PostgreSQL already, and overlapping transactions
    // on one account keep what holding them back would lose: their round trips before the lock.
    const submit = yield* GroupCommit.make(
      options,
      (operations: ReadonlyArray<Operation>) =>
        write(operations).pipe(
          // The span's call site would name only the group commit's writer: not worth a stack trace per batch.
          Effect.withSpan(
            "PgLedgerStore.batch",
            { attributes: { operations: operations.length } },
            { captureStackTrace: false },
          ),
        ),
      options.soloWrites
        ? {
            keyOf: (operation) => operation.accountId,
            expired: (operation): StoreError | undefined =>
              PgRequestDeadline.fits(operation.deadline) ? undefined : unavailable(PgRequestDeadline.spent),
          }
        : undefined,
    )

    /**
     * A page of accounts in id order with their holds and auto top-up requests, for the audit and the
     * histories; run inside `readOnly`, so every read of the page sees one snapshot. `range` selects
     * the page's accounts in any table keyed by `account_id`.
     */
    const accountPage = (afterAccountId: string | undefined, accountsMax: number) =>
      Effect.gen(function* () {
        const accounts = yield* sql<AccountRow>`
          SELECT ${sql.literal(accountColumns)} FROM accounts
          WHERE account_id > ${afterAccountId ?? ""} ORDER BY account_id LIMIT ${accountsMax}`
        const last = accounts[accounts.length - 1]
        if (last === undefined) return undefined
        const range = sql`account_id > ${afterAccountId ?? ""} AND account_id <= ${last.account_id}`
        const holdRows = yield* sql<HoldRow>`
          SELECT ${sql.literal(holdColumns)} FROM holds WHERE ${range} ORDER BY account_id, hold_id`
        const requestRows = yield* sql<AutoTopUpRequestRow>`
          SELECT ${sql.literal(autoTopUpRequestColumns)} FROM auto_top_up_requests
          WHERE ${range} ORDER BY account_id, request_id`
        const pendingCreditRows = yield* sql<PendingCreditRow>`
          SELECT ${sql.literal(pendingCreditColumns)} FROM pending_credits
          WHERE ${range} ORDER BY account_id, pending_credit_id`
        return {
          accounts,
          lastAccountId: last.account_id,
          range,
          holds: groupBy(holdRows, (row) => row.account_id, holdOf),
          requests: groupBy(requestRows, (row) => row.account_id, autoTopUpRequestOf),
          pendingCredits: groupBy(pendingCreditRows, (row) => row.account_id, pendingCreditOf),
        }
      })

    const readOnly = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`.pipe(Effect.andThen(effect), sql.withTransaction)

    /** History's filters as SQL conditions, each starting with AND. */
    const filterSql = ({ kind, from, to, reference, member }: EntryFilter) => sql`
      ${kind === undefined ? sql`` : sql`AND kind = ${kind}`}
      ${from === undefined ? sql`` : sql`AND created_at >= ${from}::timestamptz`}
      ${to === undefined ? sql`` : sql`AND created_at < ${to}::timestamptz`}
      ${reference === undefined ? sql`` : sql`AND reference = ${reference}`}
      ${member === undefined ? sql`` : sql`AND member = ${member}`}`

    const exportPage = (accountId: AccountId | undefined, filter: EntryFilter, after: ExportPosition | undefined) =>
      accountId === undefined
        ? sql<ExportRow>`
            SELECT ${sql.literal(entryColumns)}, ${sql.literal(positionColumn)} FROM entries
            WHERE true
              ${
                after === undefined
                  ? sql``
                  : sql`AND (created_at, account_id, sequence)
                            > (${after.at}::timestamptz, ${after.accountId}, ${after.sequence})`
              }
              ${filterSql(filter)}
            ORDER BY created_at, account_id, sequence LIMIT ${exportPageEntries}`
        : sql<ExportRow>`
            SELECT ${sql.literal(entryColumns)}, ${sql.literal(positionColumn)} FROM entries
            WHERE account_id = ${accountId} AND sequence > ${after?.sequence ?? 0n}
              ${filterSql(filter)}
            ORDER BY sequence LIMIT ${exportPageEntries}`

    return LedgerStore.of({
      portVersion: storagePortVersion,
      transact: <A>(target: WriteTarget, step: Step<A>) =>
        Effect.suspend(() => {
          const operation: Operation = {
            ...target,
            operationId: randomUUID(),
            step,
            deadline: requestDeadline(options),
          }
          return submit(operation) as Effect.Effect<A, StoreError>
        }),

      account: (accountId) => read(readAccount(sql, accountId)).pipe(Effect.map((state) => state ?? newAccountState)),

      entries: (accountId, { limit, beforeSequence, ...filter }) =>
        read(sql<EntryRow>`
          SELECT ${sql.literal(entryColumns)} FROM entries
          WHERE account_id = ${accountId}
            AND sequence < ${BigInt(beforeSequence ?? Number.MAX_SAFE_INTEGER)}
            ${filterSql(filter)}
          ORDER BY sequence DESC LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(entryOf))),

      openHolds: (accountId, limit) =>
        read(sql<HoldRow>`
          SELECT ${sql.literal(holdColumns)} FROM holds
          WHERE account_id = ${accountId} AND status = 'open'
          ORDER BY hold_id LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(holdOf))),

      hold: (accountId, holdId) =>
        read(sql<HoldRow>`
          SELECT ${sql.literal(holdColumns)} FROM holds
          WHERE account_id = ${accountId} AND hold_id = ${BigInt(holdId)}`).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : holdOf(row))),
        ),

      dueHolds: (now, limit) =>
        read(sql<{ account_id: AccountId; hold_id: bigint }>`
          SELECT account_id, hold_id FROM holds
          WHERE status = 'open' AND expires_at IS NOT NULL AND expires_at <= ${now}::timestamptz
          ORDER BY expires_at LIMIT ${limit}`).pipe(
          Effect.map((rows) => rows.map((row) => ({ accountId: row.account_id, holdId: Number(row.hold_id) }))),
        ),

      autoTopUpRequest: (accountId, requestId) =>
        read(sql<AutoTopUpRequestRow>`
          SELECT ${sql.literal(autoTopUpRequestColumns)} FROM auto_top_up_requests
          WHERE account_id = ${accountId} AND request_id = ${BigInt(requestId)}`).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : autoTopUpRequestOf(row))),
        ),

      dueAutoTopUpRequests: (now, limit) =>
        read(sql<{ account_id: AccountId; request_id: bigint }>`
          SELECT account_id, request_id FROM auto_top_up_requests
          WHERE status = 'open' AND expires_at <= ${now}::timestamptz
          ORDER BY expires_at LIMIT ${limit}`).pipe(
          Effect.map((rows) => rows.map((row) => ({ accountId: row.account_id, requestId: Number(row.request_id) }))),
        ),

      pendingCredit: (accountId, pendingCreditId) =>
        read(sql<PendingCreditRow>`
          SELECT ${sql.literal(pendingCreditColumns)} FROM pending_credits
          WHERE account_id = ${accountId} AND pending_credit_id = ${BigInt(pendingCreditId)}`).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : pendingCreditOf(row))),
        ),

      pendingCredits: (accountId, { status, limit, beforeId }) =>
        read(sql<PendingCreditRow>`
          SELECT ${sql.literal(pendingCreditColumns)} FROM pending_credits
          WHERE account_id = ${accountId} AND pending_credit_id < ${BigInt(beforeId ?? Number.MAX_SAFE_INTEGER)}
            ${status === undefined ? sql`` : sql`AND status = ${status}`}
          ORDER BY pending_credit_id DESC LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(pendingCreditOf))),

      duePendingCredits: (now, limit) =>
        read(sql<{ account_id: AccountId; pending_credit_id: bigint }>`
          SELECT account_id, pending_credit_id FROM pending_credits
          WHERE status = 'pending' AND expires_at <= ${now}::timestamptz
          ORDER BY expires_at LIMIT ${limit}`).pipe(
          Effect.map((rows) =>
            rows.map((row) => ({ accountId: row.account_id, pendingCreditId: Number(row.pending_credit_id) })),
          ),
        ),

      dueRefills: (nowMs, limit) =>
        read(sql<{ account_id: AccountId }>`
          SELECT account_id FROM accounts
          WHERE refill_due_at IS NOT NULL AND refill_due_at <= ${new Date(nowMs).toISOString()}::timestamptz
          ORDER BY refill_due_at LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map((row) => row.account_id))),

      grants: (accountId, limit, beforeGrantId) =>
        read(sql<GrantRow>`
          SELECT ${sql.literal(grantColumns)} FROM grants
          WHERE account_id = ${accountId} AND grant_id < ${BigInt(beforeGrantId ?? Number.MAX_SAFE_INTEGER)}
          ORDER BY grant_id DESC LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(grantOf))),

      dueGrants: (nowMs, limit) =>
        read(sql<{ account_id: AccountId }>`
          SELECT account_id FROM accounts
          WHERE grants_due_at IS NOT NULL AND grants_due_at <= ${new Date(nowMs).toISOString()}::timestamptz
          ORDER BY grants_due_at LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map((row) => row.account_id))),

      expiringGrants: (untilMs, limit) =>
        read(sql<{ account_id: AccountId }>`
          SELECT account_id FROM grants
          WHERE status = 'live' AND warned_at IS NULL AND expires_at IS NOT NULL
            AND expires_at <= ${new Date(untilMs).toISOString()}::timestamptz
          GROUP BY account_id ORDER BY min(expires_at) LIMIT ${limit}`).pipe(
          Effect.map((rows) => rows.map((row) => row.account_id)),
        ),

      totals: (accountId, { groupBy, ...filter }) =>
        groupBy === "member"
          ? read(sql<{ member: string | null; kind: KindTotal["kind"]; entries: bigint; amount: string }>`
              SELECT member, kind, count(*) AS entries, sum(amount)::text AS amount FROM entries
              WHERE account_id = ${accountId} ${filterSql(filter)}
              GROUP BY member, kind ORDER BY member COLLATE "C" NULLS FIRST, kind`).pipe(
              Effect.map((rows) =>
                rows.map((row) => ({
                  member: row.member,
                  kind: row.kind,
                  entries: Number(row.entries),
                  amount: BigInt(row.amount),
                })),
              ),
            )
          : read(sql<{ kind: KindTotal["kind"]; entries: bigint; amount: string }>`
              SELECT kind, count(*) AS entries, sum(amount)::text AS amount FROM entries
              WHERE account_id = ${accountId} ${filterSql(filter)}
              GROUP BY kind ORDER BY kind`).pipe(
              // A sum over many entries may pass 2^63; as text it is read back exactly.
              Effect.map((rows) =>
                rows.map((row) => ({ kind: row.kind, entries: Number(row.entries), amount: BigInt(row.amount) })),
              ),
            ),

      runs: (accountId, query) => read(readRuns(sql, accountId, query)),

      // An account's newest entry is the one its last_sequence names: one row per account, walked
      // newest first on entries_created_at; a prefix reads accounts_id_prefix instead. A generic plan
      // (the store's sessions keep one) cannot turn a LIKE's parameter into bounds on that index, so
      // the bounds are given: every id starting with the prefix sorts, byte by byte, from the prefix
      // to the prefix followed by DEL, above every character an id may hold.
      accounts: ({ prefix, limit, after }) =>
        read(sql<{ account_id: AccountId; balance: bigint; held: bigint; last_sequence: bigint; created_at: Date }>`
          SELECT a.account_id, a.balance, a.held, a.last_sequence, e.created_at
          FROM accounts a JOIN entries e ON e.account_id = a.account_id AND e.sequence = a.last_sequence
          WHERE true
            ${
              prefix === undefined
                ? sql``
                : sql`AND a.account_id ~>=~ ${prefix} AND a.account_id ~<~ ${`${prefix}\x7f`}
                      AND a.account_id LIKE ${`${prefix.replaceAll("_", "\\_")}%`}`
            }
            ${
              after === undefined
                ? sql``
                : sql`AND (e.created_at, a.account_id) < (${after.lastEntryAt}::timestamptz, ${after.accountId})`
            }
          ORDER BY e.created_at DESC, a.account_id DESC LIMIT ${limit}`).pipe(
          Effect.map((rows) =>
            rows.map((row) => ({
              accountId: row.account_id,
              balance: Number(row.balance) as Balance,
              held: Number(row.held),
              available: Number(row.balance - row.held),
              entries: Number(row.last_sequence),
              lastEntryAt: row.created_at.toISOString(),
            })),
          ),
        ),

      search: ({ accountId, limit, after, ...filter }) =>
        read(sql<EntryRow>`
          SELECT ${sql.literal(entryColumns)} FROM entries
          WHERE true
            ${accountId === undefined ? sql`` : sql`AND account_id = ${accountId}`}
            ${
              after === undefined
                ? sql``
                : sql`AND (created_at, account_id, sequence)
                          < (${after.createdAt}::timestamptz, ${after.accountId}, ${BigInt(after.sequence)})`
            }
            ${filterSql(filter)}
          ORDER BY created_at DESC, account_id DESC, sequence DESC LIMIT ${limit}`).pipe(
          Effect.map((rows) => rows.map(entryOf)),
        ),

      // A page at a time, each page a statement of its own (retried like any read): a reader however slow
      // holds no connection between pages. Entries never change once written, so every entry written
      // before the export began is read once, in order; one written meanwhile is read if it sorts after
      // the page being read. One account's entries page through its primary key, in sequence order.
      exportEntries: ({ accountId, ...filter }) =>
        Stream.paginate(undefined as ExportPosition | undefined, (after) =>
          read(exportPage(accountId, filter, after)).pipe(
            Effect.map((rows) => {
              const last = rows.length < exportPageEntries ? undefined : rows.at(-1)
              const next =
                last === undefined
                  ? undefined
                  : { at: last.position_at, accountId: last.account_id, sequence: last.sequence }
              return [rows.map(entryOf), Option.fromUndefinedOr(next)] as const
            }),
          ),
        ),

      auditAccounts: (afterAccountId, accountsMax) =>
        read(
          readOnly(
            Effect.gen(function* () {
              const page = yield* accountPage(afterAccountId, accountsMax)
              if (page === undefined) return []
              // Per account, its newest entry and the entries its refunds name: both read from indexes.
              const tips = yield* sql<{ account_id: string; last_sequence: bigint }>`
                SELECT a.account_id, e.sequence AS last_sequence FROM accounts a
                CROSS JOIN LATERAL (
                  SELECT sequence FROM entries WHERE account_id = a.account_id ORDER BY sequence DESC LIMIT 1
                ) e
                WHERE a.account_id > ${afterAccountId ?? ""} AND a.account_id <= ${page.lastAccountId}`
              const refunded = yield* sql<{ account_id: string; refund_of: bigint }>`
                SELECT DISTINCT account_id, refund_of FROM entries WHERE ${page.range} AND refund_of IS NOT NULL`
              const lastSequences = new Map(tips.map((row) => [row.account_id, Number(row.last_sequence)]))
              const refundedSequences = groupBy(
                refunded,
                (row) => row.account_id,
                (row) => Number(row.refund_of),
              )
              return page.accounts.map(
                (row): AuditedAccount => ({
                  accountId: row.account_id as AccountId,
                  state: stateOf(row),
                  holds: page.holds.get(row.account_id) ?? [],
                  autoTopUpRequests: page.requests.get(row.account_id) ?? [],
                  pendingCredits: page.pendingCredits.get(row.account_id) ?? [],
                  lastEntrySequence: lastSequences.get(row.account_id) ?? 0,
                  refundedSequences: refundedSequences.get(row.account_id) ?? [],
                }),
              )
            }),
          ),
        ),

      auditEntries: (after, throughAccountId, limit) =>
        read(
          sql<EntryRow>`
            SELECT ${sql.literal(entryColumns)} FROM entries
            WHERE (account_id, sequence) > (${after.accountId}, ${BigInt(after.sequence)}) AND account_id <= ${throughAccountId}
            ORDER BY account_id, sequence LIMIT ${limit}`.pipe(Effect.map((rows) => rows.map(entryOf))),
        ),

      histories: (afterAccountId, accountsMax) =>
        read(
          readOnly(
            Effect.gen(function* () {
              const page = yield* accountPage(afterAccountId, accountsMax)
              if (page === undefined) return []
              const rows = yield* sql<EntryRow>`
                SELECT ${sql.literal(entryColumns)} FROM entries WHERE ${page.range} ORDER BY account_id, sequence`
              const entries = groupBy(rows, (row) => row.account_id, entryOf)
              return page.accounts.map(
                (row): AccountHistory => ({
                  accountId: row.account_id as AccountId,
                  state: stateOf(row),
                  entries: entries.get(row.account_id) ?? [],
                  holds: page.holds.get(row.account_id) ?? [],
                  autoTopUpRequests: page.requests.get(row.account_id) ?? [],
                  pendingCredits: page.pendingCredits.get(row.account_id) ?? [],
                }),
              )
            }),
          ),
        ),

      events: (afterId, limit) => read(PgEvents.read(sql, afterId, limit)),
    })
  })

const groupBy = <R, A>(rows: ReadonlyArray<R>, keyOf: (row: R) => string, map: (row: R) => A) => {
  const groups = new Map<string, Array<A>>()
  for (const row of rows) {
    const group = groups.get(keyOf(row)) ?? []
    if (group.length === 0) groups.set(keyOf(row), group)
    group.push(map(row))
  }
  return groups
}

/** The store over the `SqlClient` in context; its batch writers live as long as the layer. */
export const layer = (options: Options = defaults) => Layer.effect(LedgerStore, make(options))
