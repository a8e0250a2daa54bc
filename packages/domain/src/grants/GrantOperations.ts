import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { AccountId } from "../AccountId.ts"
import { decodeCursor, encodeCursor } from "../EntryCursor.ts"
import { InvalidRequest, type LedgerUnavailable, type StoreError, validateRequest } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { ledgerWrites } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import { type ExpiresNext, expiresNext } from "./Expiry.ts"
import type { Grant } from "./Grant.ts"
import { ExpireGrantsRequest, GrantsRequest } from "./GrantRequest.ts"
import * as GrantSteps from "./GrantSteps.ts"

export interface GrantPage {
  readonly grants: ReadonlyArray<Grant>
  readonly nextCursor: string | null
}

/** A page of grants with what expires next of the account's live grants (`GET .../grants`). */
export interface GrantListing extends GrantPage {
  readonly expiresNext: ExpiresNext
}

/** What an expiry sweep did: the accounts it wrote an `expiry` entry on, and the credits that expired. */
export interface GrantExpiryRun {
  readonly accounts: number
  readonly expired: number
}

/** What a warning sweep did: the accounts it warned on, and the grants it emitted `grant.expiring` for. */
export interface GrantWarningRun {
  readonly accounts: number
  readonly grants: number
}

type ReadError = InvalidRequest | LedgerUnavailable

const expiredOf = (outcome: GrantSteps.GrantExpiry) => (outcome._tag === "Expired" ? -outcome.entry.amount : 0)

/** The ledger's grant operations: the listing, what expires next, and expiry (one account, or all that are due). */
export const grantOperations = (store: LedgerStore["Service"]) => {
  const { sweep } = ledgerWrites(store)

  /** An account's grants, live, spent and expired, newest first. */
  const grants = Effect.fn("Ledger.grants")(function* (input: typeof GrantsRequest.Encoded) {
    const { accountId, cursor, limit = Limits.entriesPageSizeDefault } = yield* validateRequest(GrantsRequest)(input)
    const scope = { accountId, filter: { list: "grants" } }
    const beforeGrantId = cursor === undefined ? undefined : decodeCursor(cursor, scope)
    if (beforeGrantId instanceof InvalidRequest) return yield* beforeGrantId
    const rows = yield* store.grants(accountId, limit + 1, beforeGrantId)
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return {
      grants: page,
      nextCursor: rows.length > limit && last ? encodeCursor(last.grantId, scope) : null,
    } satisfies GrantPage
  })

  const grantsExpiringNext = (accountId: string): Effect.Effect<ExpiresNext, ReadError> =>
    validateRequest(AccountId)(accountId).pipe(
      Effect.flatMap(store.account),
      Effect.map((state) => expiresNext(state.grants)),
    )

  /**
   * A page of the listing with what expires next. A first page with no next one holds every grant of
   * the account, its live ones too: what expires next is read from it, in one read. Otherwise it
   * comes from the account's live grants, a second read.
   */
  const grantsListing = Effect.fn("Ledger.grantsListing")(function* (input: typeof GrantsRequest.Encoded) {
    const page = yield* grants(input)
    const whole = input.cursor === undefined && page.nextCursor === null
    return {
      ...page,
      expiresNext: whole
        ? expiresNext(page.grants.filter((grant) => grant.status === "live"))
        : yield* grantsExpiringNext(input.accountId),
    } satisfies GrantListing
  })

  /** Expires what is due now of one account's grants. */
  const expireAccountGrants = (
    input: typeof ExpireGrantsRequest.Encoded,
  ): Effect.Effect<GrantExpiryRun, InvalidRequest | StoreError> =>
    validateRequest(ExpireGrantsRequest)(input).pipe(
      Effect.flatMap(({ accountId }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.transact({ accountId }, GrantSteps.expire(accountId, now)),
        ),
      ),
      Effect.map((outcome) => {
        const expired = expiredOf(outcome)
        return { accounts: expired > 0 ? 1 : 0, expired }
      }),
      Effect.withSpan("Ledger.expireAccountGrants"),
    )

  /** Expires what is due now of every account's grants; the service runs it on a schedule. */
  const expireGrants: Effect.Effect<GrantExpiryRun, StoreError> = sweep(
    (now) => store.dueGrants(now, Limits.sweepPageSizeMax),
    (accountId, now) => store.transact({ accountId }, GrantSteps.expire(accountId, now)),
    (outcome) => outcome._tag === "Expired",
    { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
  ).pipe(
    Effect.map((outcomes) => ({
      accounts: outcomes.filter((outcome) => outcome._tag === "Expired").length,
      expired: outcomes.reduce((sum, outcome) => sum + expiredOf(outcome), 0),
    })),
    Effect.withSpan("Ledger.expireGrants"),
  )

  /**
   * Warns of every live grant whose expiry is within `leadMs` of now and that was never warned of: a
   * `grant.expiring` event each, once per grant, whichever process runs the pass and however often.
   */
  const warnExpiringGrants = (leadMs: number): Effect.Effect<GrantWarningRun, StoreError> =>
    sweep(
      (now) => store.expiringGrants(now + leadMs, Limits.sweepPageSizeMax),
      (accountId, now) => store.transact({ accountId }, GrantSteps.warnExpiring(now, leadMs)),
      (outcome) => outcome._tag === "Warned",
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map((outcomes) => ({
        accounts: outcomes.filter((outcome) => outcome._tag === "Warned").length,
        grants: outcomes.reduce((sum, outcome) => sum + (outcome._tag === "Warned" ? outcome.grants.length : 0), 0),
      })),
      Effect.withSpan("Ledger.warnExpiringGrants"),
    )

  return { grants, grantsExpiringNext, grantsListing, expireAccountGrants, expireGrants, warnExpiringGrants }
}

export type GrantOperations = Readonly<ReturnType<typeof grantOperations>>
