import { Clock, Context, Effect, Layer, Schema } from "effect"
import { AccountId } from "./AccountId.ts"
import type { AccountSettings } from "./AccountState.ts"
import { type AuditReport, auditAccount, type Violation } from "./Audit.ts"
import type { Balance } from "./Credits.ts"
import type { Entry } from "./Entry.ts"
import { decodeCursor, encodeCursor } from "./EntryCursor.ts"
import {
  type IdempotencyConflict,
  InvalidRequest,
  type LedgerUnavailable,
  type OverdraftLimitBelowDebt,
  type RuleRejection,
  type StoreError,
} from "./LedgerError.ts"
import { EntriesRequest, SettingsRequest, SpendRequest, TopUpRequest, type WriteRequest } from "./LedgerRequest.ts"
import { LedgerStore } from "./LedgerStore.ts"
import { Limits } from "./Limits.ts"
import { configure, post, type WriteResult } from "./Posting.ts"

/** An applied write: its entry, and whether this call replayed an earlier one with the same key. */
export interface Posting {
  readonly entry: Entry
  readonly replayed: boolean
}

export interface EntryPage {
  readonly entries: ReadonlyArray<Entry>
  readonly nextCursor: string | null
}

export type WriteError = RuleRejection | IdempotencyConflict | StoreError

/** A top-up or a spend, told apart by `_tag`, for `Ledger.write`. */
export type WriteInput =
  | ({ readonly _tag: "TopUp" } & typeof TopUpRequest.Encoded)
  | ({ readonly _tag: "Spend" } & typeof SpendRequest.Encoded)

/** Accounts per page of the audit's scan, so memory stays bounded on large ledgers. */
const auditPageAccounts = 200

const validate =
  <S extends Schema.Decoder<unknown>>(schema: S) =>
  (input: S["Encoded"]): Effect.Effect<S["Type"], InvalidRequest> =>
    Schema.decodeUnknownEffect(schema)(input).pipe(
      Effect.mapError((error) => new InvalidRequest({ message: error.message })),
    ) as Effect.Effect<S["Type"], InvalidRequest>

/**
 * The ledger: validates requests, lets the pure core decide under the store's exclusive access to
 * the account, and reports the outcome as an entry or a typed error.
 */
export class Ledger extends Context.Service<
  Ledger,
  {
    readonly topUp: (request: typeof TopUpRequest.Encoded) => Effect.Effect<Posting, WriteError>
    readonly spend: (request: typeof SpendRequest.Encoded) => Effect.Effect<Posting, WriteError>
    /**
     * A top-up or spend whose rule refusal is a value, not a failure, so the caller also learns
     * whether the refusal replays an earlier write with the same key (HTTP answers it with
     * `Idempotent-Replayed: true`).
     */
    readonly write: (request: WriteInput) => Effect.Effect<WriteResult, StoreError>
    /**
     * `write` for a request already decoded with the domain's schemas (its branded values say so),
     * as the HTTP API's schemas decode it: nothing is validated twice.
     */
    readonly writeDecoded: (request: WriteRequest) => Effect.Effect<WriteResult, StoreError>
    readonly balance: (accountId: string) => Effect.Effect<Balance, InvalidRequest | LedgerUnavailable>
    readonly entries: (
      request: typeof EntriesRequest.Encoded,
    ) => Effect.Effect<EntryPage, InvalidRequest | LedgerUnavailable>
    readonly settings: (accountId: string) => Effect.Effect<AccountSettings, InvalidRequest | LedgerUnavailable>
    readonly updateSettings: (
      request: typeof SettingsRequest.Encoded,
    ) => Effect.Effect<AccountSettings, OverdraftLimitBelowDebt | StoreError>
    readonly audit: Effect.Effect<AuditReport, LedgerUnavailable>
  }
>()("@tally/domain/Ledger") {
  static readonly make = Effect.gen(function* () {
    const store = yield* LedgerStore

    const transactWrite = (request: WriteRequest): Effect.Effect<WriteResult, StoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        store.transact(request.accountId, request.idempotencyKey, post(request, new Date(now).toISOString())),
      )

    const write = ({ _tag, ...input }: WriteInput) =>
      _tag === "TopUp"
        ? validate(TopUpRequest)(input).pipe(Effect.flatMap((request) => transactWrite({ _tag, ...request })))
        : validate(SpendRequest)(input).pipe(Effect.flatMap((request) => transactWrite({ _tag, ...request })))

    const posting = (result: WriteResult): Effect.Effect<Posting, RuleRejection | IdempotencyConflict> =>
      result._tag === "Posted"
        ? Effect.succeed({ entry: result.entry, replayed: result.replayed })
        : Effect.fail(result.error)

    const validAccountId = validate(AccountId)

    const entries = Effect.fn("Ledger.entries")(function* (input: typeof EntriesRequest.Encoded) {
      const request = yield* validate(EntriesRequest)(input)
      const scope = { accountId: request.accountId, kind: request.kind }
      const beforeSequence = request.cursor === undefined ? undefined : decodeCursor(request.cursor, scope)
      if (beforeSequence instanceof InvalidRequest) return yield* beforeSequence
      const limit = request.limit ?? Limits.entriesPageSizeDefault
      const rows = yield* store.entries(request.accountId, {
        limit: limit + 1,
        ...(beforeSequence === undefined ? {} : { beforeSequence }),
        ...(request.kind === undefined ? {} : { kind: request.kind }),
      })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: rows.length > limit && last ? encodeCursor(last.sequence, scope) : null }
    })

    const audit = Effect.gen(function* () {
      const violations: Array<Violation> = []
      let accountsChecked = 0
      let entriesChecked = 0
      let after: AccountId | undefined
      while (true) {
        const histories = yield* store.histories(after, auditPageAccounts)
        for (const history of histories) {
          violations.push(...auditAccount(history))
          entriesChecked += history.entries.length
        }
        accountsChecked += histories.length
        if (histories.length < auditPageAccounts) return { accountsChecked, entriesChecked, violations }
        after = histories[histories.length - 1]!.accountId
      }
    }).pipe(Effect.withSpan("Ledger.audit"))

    return Ledger.of({
      topUp: (input) => write({ _tag: "TopUp", ...input }).pipe(Effect.flatMap(posting)),
      spend: (input) => write({ _tag: "Spend", ...input }).pipe(Effect.flatMap(posting)),
      write,
      writeDecoded: transactWrite,
      balance: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap(store.account),
          Effect.map((state) => state.balance),
        ),
      entries,
      settings: (accountId) =>
        validAccountId(accountId).pipe(
          Effect.flatMap(store.account),
          Effect.map(({ overdraftLimit }) => ({ overdraftLimit })),
        ),
      updateSettings: (input) =>
        validate(SettingsRequest)(input).pipe(
          Effect.flatMap((request) => store.transact(request.accountId, undefined, configure(request))),
          Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result))),
        ),
      audit,
    })
  })

  static readonly layer = Layer.effect(Ledger, Ledger.make)
}
