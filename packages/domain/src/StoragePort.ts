import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * The versions of the storage port (`LedgerStore`), each with what an adapter written for the one
 * before must change to serve it. An adapter declares the version it was written for as
 * `portVersion`; the `Ledger` refuses any other, so a port that grows never meets an adapter that
 * silently drops what it gained.
 */
export const storagePortChanges = [
  { version: 1, change: "transact(accountId, idempotencyKey, step), account, entries, histories" },
  {
    version: 2,
    change:
      "transact(target, step) replaces transact(accountId, idempotencyKey, step): load the rows WriteTarget names (idempotencyKey -> prior, holdId -> hold, refundOf -> refundTarget) into the AccountSnapshot, persist the Transition's state, entry, record and hold; new reads hold, dueHolds, totals, search, exportEntries",
  },
  {
    version: 3,
    change:
      "WriteTarget.autoTopUpRequestId -> AccountSnapshot.autoTopUpRequest; persist Transition.autoTopUpRequest, refill (a period settled once) and events (the feed, in write order); AccountState gains autoTopUp and refill; new reads autoTopUpRequest, dueAutoTopUpRequests, dueRefills, events",
  },
  { version: 4, change: "new reads accounts (by last activity, keyset-paged) and openHolds" },
  {
    version: 5,
    change:
      "new reads auditAccounts and auditEntries (scanningQueries derives both from histories); the adapter declares portVersion",
  },
  {
    version: 6,
    change:
      "AccountState gains grants (the live grants: store them with the account); persist Transition.grants (insert or replace by grantId); entries carry allocations; new reads grants and dueGrants (grantsPageOf and dueGrantAccountsOf derive them) and runs (scanningQueries derives it)",
  },
  {
    version: 7,
    change:
      "WriteTarget.pendingCreditId -> AccountSnapshot.pendingCredit, WriteTarget.opensPendingCredit -> AccountSnapshot.pendingCreditsOpened (how many the account has had); persist Transition.pendingCredit (insert or replace by pendingCreditId); AccountHistory and AuditedAccount gain pendingCredits; new reads pendingCredit, pendingCredits and duePendingCredits (pendingCreditsPageOf and duePendingCreditsOf derive them; scanningQueries includes them)",
  },
  {
    version: 8,
    change:
      "entries and holds carry an optional member (store it, read it back; absent when null); AccountState gains members (member limits and usage: store them with the account); EntryFilter and RunsQuery gain member; totals takes TotalsQuery (groupBy member: KindTotal.member)",
  },
  {
    version: 9,
    change:
      "Grant gains warnedAt (when its grant.expiring event was emitted, null before): keep it in state.grants and in the grants a transition hands over; new read expiringGrants (expiringGrantAccountsOf derives it)",
  },
] as const

/**
 * The storage port this `@tally/domain` serves. An adapter declares the number it was written for as
 * `portVersion`, written out: declaring this constant would follow every upgrade of the port unread.
 */
export const storagePortVersion = 9

/** What changed in the port after `version`, up to the current one. */
export const storagePortChangesSince = (version: number) =>
  storagePortChanges.filter((entry) => entry.version > version).map(({ version, change }) => `${version}: ${change}`)

/**
 * The storage adapter was written for another version of the port than this `Ledger` serves (or
 * declares none: it was written before adapters declared one). `changes` lists what changed since
 * the adapter's version.
 */
export class StoragePortMismatch extends Schema.TaggedError<StoragePortMismatch>()("StoragePortMismatch", {
  /** What the adapter declared as `portVersion`; null when it declares none. */
  adapterVersion: Schema.Unknown,
  portVersion: Schema.Int,
  changes: Schema.Array(Schema.String),
}) {
  override get message() {
    const adapter =
      this.adapterVersion === null
        ? "declares no portVersion (it was written before adapters declared one)"
        : `declares portVersion ${String(this.adapterVersion)}`
    if (this.adapterVersion !== null && typeof this.adapterVersion !== "number")
      return `The storage adapter declares portVersion ${JSON.stringify(this.adapterVersion)}, which is not a number: declare the port it was written for as a number, portVersion: ${this.portVersion} for this one`
    if (typeof this.adapterVersion === "number" && this.adapterVersion > this.portVersion)
      return `The storage adapter ${adapter}, newer than the storage port ${this.portVersion} of this @tally/domain: upgrade @tally/domain`
    return `The storage adapter ${adapter}; this Ledger needs storage port ${this.portVersion}. What changed since: ${this.changes.join("; ")}. Make those changes, then declare portVersion: ${this.portVersion}`
  }
}

/** Refuses an adapter whose declared `portVersion` is not the port's. */
export const checkPortVersion = (declared: unknown): Effect.Effect<void, StoragePortMismatch> =>
  declared === storagePortVersion
    ? Effect.void
    : Effect.fail(
        new StoragePortMismatch({
          adapterVersion: declared ?? null,
          portVersion: storagePortVersion,
          changes: storagePortChangesSince(typeof declared === "number" ? declared : 1),
        }),
      )
