/**
 * A refusal can itself be the stored outcome of an earlier write with the same idempotency key. The
 * operations that fail with it (holds, captures, refunds...) keep their error types, so a catch by
 * tag works alike on a first answer and on its replay; the replay is a copy of the error marked
 * under this symbol (a copy: an adapter may hand back the very object the first answer carried).
 * Not enumerable, so the error still compares and prints like the first.
 */
const replayedMark = Symbol.for("@tally/domain/ReplayedRefusal")

/** The error as the answer to a replay: an equal copy, marked. */
export const asReplayed = <E extends object>(error: E): E => {
  const copy = Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error)) as E
  Object.defineProperty(copy, replayedMark, { value: true })
  return copy
}

/**
 * Whether a write's error repeats the stored refusal of an earlier write with the same key (HTTP
 * answers it with `Idempotent-Replayed: true`); false for any other error or value.
 */
export const isReplayed = (error: unknown): boolean =>
  typeof error === "object" && error !== null && Object.hasOwn(error, replayedMark)
