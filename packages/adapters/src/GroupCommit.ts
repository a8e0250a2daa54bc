import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"

export interface Options {
  /** Operations one batch carries at most: bounds a transaction's size and lock count. */
  readonly batchSizeMax: number
  /** Operations waiting at most; past it callers wait for room, so load sheds as back-pressure. */
  readonly queueLengthMax: number
  /** Batches in flight at once, at most. */
  readonly writers: number
  /**
   * A batch starts beside those in flight only once the newest of them has run this long, or once a
   * full batch (`batchSizeMax`) waits: one batch at a time shares each statement's fixed cost among the
   * most operations, and a batch held up (on another process's row lock, on a connection that stopped
   * answering) holds up the others no longer than this. A full batch shares it as well as any can, and
   * waiting would only leave a core idle. 0 starts one whenever a writer is free; unset, `defaults`' 50.
   */
  readonly overlapAfterMs?: number
}

/**
 * One batch at a time unless it is held up or a full one waits: a batch is one statement in autocommit,
 * so while it runs (and its commit waits on the disk) the next gathers everything that arrives, and each
 * statement's fixed cost, in Node and in PostgreSQL, is shared by more operations. Measured on 2 cores (`pnpm
 * bench --http --keyed --clients 16,64`, `bench/PERFORMANCE.md`), one writer against four overlapping
 * at once: 10,000 accounts at 16 connections 3,142 against 1,446 req/s (PostgreSQL's CPU per write
 * 125 against 510 µs), the hot account at 64 7,602 against 5,158; two were nearer four than one, and
 * batches of at most 128 did no better than 32. A full batch waiting gains nothing by waiting: started
 * beside the one in flight, 10,000 accounts at 64 clients went from 5,818 and 4,909 to 6,529 and 6,810
 * ops/s (library bench, two pairs).
 */
const defaultOverlapAfterMs = 50
export const defaults: Options = {
  batchSizeMax: 32,
  queueLengthMax: 16_384,
  writers: 4,
  overlapAfterMs: defaultOverlapAfterMs,
}

interface Pending<I, O, E> {
  readonly input: I
  readonly answer: (exit: Exit.Exit<O, E>) => void
}

interface Batch<I, O, E> {
  readonly pending: ReadonlyArray<Pending<I, O, E>>
  readonly startedMs: number
}

/** Each operation's own result; a defect (a bug) answers every operation of its batch, so none waits forever. */
const answerOf = <O, E>(exit: Exit.Exit<ReadonlyArray<Result.Result<O, E>>>, index: number): Exit.Exit<O, E> => {
  if (Exit.isFailure(exit)) return Exit.failCause(exit.cause)
  const result = exit.value[index]!
  return Result.isSuccess(result) ? Exit.succeed(result.success) : Exit.fail(result.failure)
}

/**
 * Group commit: while a writer runs a batch, operations that arrive queue up, and the next free
 * writer takes all of them (up to `batchSizeMax`) at once. Nothing waits on a timer: an operation
 * that finds no batch in flight goes alone, straight away; one that finds a batch in flight waits for
 * it, for `overlapAfterMs` of it, or until a full batch waits. `run` answers each input with its own
 * result, in order, so one operation's failure is its own.
 *
 * With `ordering`, a writer takes no input whose key another writer's batch holds (`Ordering`).
 *
 * The queue is plain arrays and callbacks rather than Effect's `Queue` and a `Deferred` per
 * operation: on a lone write those cost about 30 µs of CPU (a scheduler hop through
 * `setImmediate` to wake the writer, a generator and a `Deferred` per operation). Writers still wake in a
 * microtask, after the callers resumed in the same tick have submitted, so those go together.
 * A caller interrupted while its operation waits leaves it queued, to run and answer nobody (as an
 * awaited `Deferred` did); one interrupted while waiting for room offers nothing.
 */
/**
 * One batch per key at a time. `keyOf` names what an input writes (its account): an input whose key a
 * batch in flight holds waits, in order, for the batch after that one. Two batches on one account in
 * flight at once would race for it: the second's compare-and-swap, decided on the state the first is
 * about to change, would miss, and miss again, and take the locked path (a 16-connection burst on one
 * account sent a fifth of its writes there). One after the other, each is decided on the state the one
 * before it wrote. An input that waited so long that `expired` answers a failure for it is answered
 * with that failure when a writer reaches it, rather than with the batch it would join, which may run
 * for longer than the input has left.
 */
export interface Ordering<I, E> {
  readonly keyOf: (input: I) => string
  readonly expired: (input: I) => E | undefined
}

export const make = <I, O, E>(
  options: Options,
  run: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<Result.Result<O, E>>>,
  ordering?: Ordering<I, E>,
) =>
  Effect.gen(function* () {
    const queued: Array<Pending<I, O, E>> = []
    /** Callers past `queueLengthMax`, in arrival order, waiting for room. */
    const blocked: Array<Pending<I, O, E>> = []
    const idleWriters: Array<(batch: Batch<I, O, E>) => void> = []
    /** The keys of the batches in flight, each with the number of its inputs there. */
    const held = new Map<string, number>()
    /** When each batch in flight started (`performance.now()`), oldest first: the last is the newest. */
    const started: Array<number> = []
    let wakeScheduled = false
    let overlapTimer: ReturnType<typeof setTimeout> | undefined

    /** Whether a batch may start now; if only later, a timer looks again then. */
    const overlapAfterMs = options.overlapAfterMs ?? defaultOverlapAfterMs
    const mayStart = () => {
      if (started.length === 0 || overlapAfterMs === 0 || queued.length >= options.batchSizeMax) return true
      const waitMs = started.at(-1)! + overlapAfterMs - performance.now()
      if (waitMs <= 0) return true
      if (overlapTimer === undefined) {
        overlapTimer = setTimeout(() => {
          overlapTimer = undefined
          wakeWriters()
        }, waitMs)
        overlapTimer.unref()
      }
      return false
    }

    /** The queue's first inputs, up to the bound, skipping those whose key a batch in flight holds. */
    const takeBatch = (): Batch<I, O, E> => {
      if (!mayStart()) return { pending: [], startedMs: 0 }
      let batch: Array<Pending<I, O, E>>
      if (ordering === undefined) {
        batch = queued.splice(0, options.batchSizeMax)
      } else {
        batch = []
        let kept = 0
        for (const pending of queued) {
          if (batch.length < options.batchSizeMax && !held.has(ordering.keyOf(pending.input))) {
            const failure = ordering.expired(pending.input)
            if (failure === undefined) batch.push(pending)
            else pending.answer(Exit.fail(failure))
          } else {
            queued[kept++] = pending
          }
        }
        queued.length = kept
        for (const pending of batch) {
          const key = ordering.keyOf(pending.input)
          held.set(key, (held.get(key) ?? 0) + 1)
        }
      }
      while (blocked.length > 0 && queued.length < options.queueLengthMax) queued.push(blocked.shift()!)
      const startedMs = performance.now()
      if (batch.length > 0) started.push(startedMs)
      return { pending: batch, startedMs }
    }

    const release = ({ pending: batch, startedMs }: Batch<I, O, E>) => {
      started.splice(started.indexOf(startedMs), 1)
      if (ordering === undefined) return
      for (const pending of batch) {
        const key = ordering.keyOf(pending.input)
        const count = held.get(key)! - 1
        if (count === 0) held.delete(key)
        else held.set(key, count)
      }
    }

    const wakeWriters = () => {
      wakeScheduled = false
      while (queued.length > 0 && idleWriters.length > 0) {
        const batch = takeBatch()
        if (batch.pending.length === 0) return
        idleWriters.pop()!(batch)
      }
    }

    const nextBatch = Effect.callback<Batch<I, O, E>>((resume) => {
      const batch = queued.length > 0 ? takeBatch() : undefined
      if (batch !== undefined && batch.pending.length > 0) return resume(Exit.succeed(batch))
      const wake = (batch: Batch<I, O, E>) => resume(Exit.succeed(batch))
      idleWriters.push(wake)
      return Effect.sync(() => {
        const index = idleWriters.indexOf(wake)
        if (index >= 0) idleWriters.splice(index, 1)
      })
    })

    // No yield after each batch (a scheduler hop through `setImmediate`, one per lone write): a writer
    // waits on I/O in every batch, and the fiber's own operation budget still yields when it must.
    // A batch done frees its keys: the inputs that waited for them may go to an idle writer too.
    const writer = Effect.forever(
      Effect.flatMap(nextBatch, (batch) =>
        Effect.map(Effect.exit(run(batch.pending.map((pending) => pending.input))), (exit) => {
          release(batch)
          // The next batch is sent before this one's answers are given: each answer resumes its
          // caller at once (an HTTP response written, a log line), so answering first left the
          // database idle for all of them.
          if (queued.length > 0 && idleWriters.length > 0) wakeWriters()
          const { pending } = batch
          for (let index = 0; index < pending.length; index++) pending[index]!.answer(answerOf(exit, index))
        }),
      ),
      { disableYield: true },
    )
    for (let i = 0; i < options.writers; i++) yield* Effect.forkScoped(writer)

    return (input: I): Effect.Effect<O, E> =>
      Effect.callback<O, E>((resume) => {
        const pending: Pending<I, O, E> = { input, answer: resume }
        if (queued.length < options.queueLengthMax) {
          queued.push(pending)
        } else {
          blocked.push(pending)
        }
        if (!wakeScheduled && idleWriters.length > 0) {
          wakeScheduled = true
          queueMicrotask(wakeWriters)
        }
        return Effect.sync(() => {
          const index = blocked.indexOf(pending)
          if (index >= 0) blocked.splice(index, 1)
        })
      })
  })
