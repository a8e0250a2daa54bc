import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"

/**
 * Whether the process was asked to stop (`main.ts` marks it at the first signal). A long-poll of the
 * event feed answers at once when it is, as if its wait were over, rather than hold the graceful
 * shutdown for up to its whole wait and then be cut off with an empty 503. A `Deferred`, not a promise:
 * a wait that ends first takes its observer away with it, where a promise would keep every one.
 */
const asked = Deferred.makeUnsafe<void>()

export const stopping: Effect.Effect<void> = Deferred.await(asked)

export const markAsStopping = () => {
  Deferred.doneUnsafe(asked, Effect.void)
}

/** Whether the process was asked to stop: a request arriving now is refused, an answer closes its connection. */
export const isStopping = (): boolean => Deferred.isDoneUnsafe(asked)

/**
 * How long requests in flight get to finish once the server stops accepting, set by the server from
 * its storage's longest request; the process's own deadline for the whole shutdown follows from it.
 */
export const grace = { ms: 10_000 }
