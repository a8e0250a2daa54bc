import type { Step, WriteTarget } from "@tally/domain/core"
import type { Deadline } from "./PgRequestDeadline.ts"
import type { Known } from "./PgRows.ts"

/** One write submitted to the PostgreSQL store: what it touches (`WriteTarget`) and what it runs. */
export interface Operation extends WriteTarget {
  /** Generated per write and stored with what it writes, so a commit of unknown outcome can be looked up. */
  readonly operationId: string
  readonly step: Step<unknown>
  /** Fixed when the write arrives: every stage of it starts only while a whole stage still fits. */
  readonly deadline: Deadline
}

/**
 * The rows an attempt writes that, found after its commit, prove that it committed: rows no later
 * write changes or removes. A keyed write's idempotency record (whatever it did: an entry, a hold,
 * a refusal); an unkeyed write's entry; else its events (a request failed or expired); else the refill
 * period it settled at the ceiling. An unkeyed write that leaves none of them (a hold's expiry, a
 * settings change) changes nothing when run again, so it needs none.
 */
export interface Landmarks {
  /** Each entry of an unkeyed write, found by its primary key and told apart from another writer's by its operation id. */
  readonly entries: ReadonlyArray<{
    readonly accountId: string
    readonly sequence: number
    readonly operationId: string
  }>
  /** The idempotency record of each keyed write. */
  readonly records: ReadonlyArray<{ readonly accountId: string; readonly key: string; readonly operationId: string }>
  /** Each write whose only lasting trace is its events, found by its operation id. */
  readonly events: ReadonlyArray<{ readonly operationId: string }>
  /** Each refill period settled with no entry, by its key and the writer's operation id. */
  readonly refills: ReadonlyArray<{
    readonly accountId: string
    readonly periodStart: string
    readonly operationId: string
  }>
}

/**
 * What an attempt decided before its point of no return (sending COMMIT, or a single autocommit
 * statement): the result of each operation, in order, valid if and only if the attempt commits.
 */
export interface Decided {
  readonly results: ReadonlyArray<unknown>
  /** The accounts it locks, in lock order. */
  readonly accountIds: ReadonlyArray<string>
  readonly landmarks: Landmarks
  /** The operations whose transitions write anything: their outcome is the attempt's. */
  readonly writers: ReadonlySet<string>
  /** The state and version of each account it read or wrote, as they stand once the attempt commits. */
  readonly committed: ReadonlyMap<string, Known>
}

/**
 * An attempt that writes no landmark changes nothing that running it again would change twice
 * (a settings change sets the same value again, an expiry finds its hold resolved): its commit cannot
 * be looked up, and need not be.
 */
export const hasLandmarks = ({ landmarks }: Decided) =>
  landmarks.entries.length > 0 ||
  landmarks.records.length > 0 ||
  landmarks.events.length > 0 ||
  landmarks.refills.length > 0
