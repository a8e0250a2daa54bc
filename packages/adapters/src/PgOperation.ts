import type { AccountState, IdempotencyKey, Step } from "@tally/domain"

/** One write submitted to the PostgreSQL store. */
export interface Operation {
  readonly accountId: string
  readonly idempotencyKey: IdempotencyKey | undefined
  /** Generated per write and stored with what it writes, so a commit of unknown outcome can be looked up. */
  readonly operationId: string
  readonly step: Step<unknown>
}

/** The rows an attempt writes that, found after its commit, prove that it committed. */
export interface Landmarks {
  /** Each entry, found by its primary key and told apart from another writer's by its operation id. */
  readonly entries: ReadonlyArray<{
    readonly accountId: string
    readonly sequence: number
    readonly operationId: string
  }>
  /** The idempotency record of each refused keyed write, which writes no entry. */
  readonly records: ReadonlyArray<{ readonly accountId: string; readonly key: string; readonly operationId: string }>
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
  /** The state of each account it read or wrote, as it stands once the attempt commits. */
  readonly committed: ReadonlyMap<string, AccountState>
}

/**
 * An attempt that writes no landmark changes nothing that running it again would change twice
 * (a settings change sets the same value again), so its commit never needs looking up.
 */
export const hasLandmarks = (decided: Decided) =>
  decided.landmarks.entries.length > 0 || decided.landmarks.records.length > 0
