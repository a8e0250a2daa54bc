import * as Argument from "effect/cli/Argument"
import * as Flag from "effect/cli/Flag"
import { entryKinds } from "../DomainChoices.ts"

/** The flags and arguments several commands share. */

export const memory = Flag.Boolean("memory").pipe(
  Flag.withDescription("Keep the ledger in process memory (lost on exit), like TALLY_STORAGE=memory"),
  Flag.withDefault(false),
)

export const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON for scripts"), Flag.withDefault(false))

export const account = Argument.String("account").pipe(Argument.withDescription("The account id"))

export const amount = Argument.Int("amount").pipe(Argument.withDescription("Credits, a positive integer"))

export const key = Flag.String("key").pipe(
  Flag.withDescription("Idempotency key: a retry with the same key applies at most once"),
  Flag.optional,
)

const metadata = Flag.String("metadata").pipe(Flag.withDescription("JSON object stored with the entry"), Flag.optional)

export const reference = Flag.String("reference").pipe(
  Flag.withDescription("Your reference for the write (a run id, an order id), to filter history by"),
  Flag.optional,
)

/** The wallet member who caused a write (a spend, a hold, a capture, a top-up, an adjustment). */
export const member = Flag.String("member").pipe(
  Flag.withDescription("The member of the wallet (the user) who caused it: counted against its limit"),
  Flag.optional,
)

/** Hold operations require a key: a hold's id is known only from the answer. */
export const requiredKey = Flag.String("key").pipe(
  Flag.withDescription("Idempotency key (required): a retry with the same key applies at most once"),
)

/** What every write takes beside its own flags: its key, reference and metadata, and how to run and print. */
export const writeFlags = { key, reference, metadata, memory, json }

export const holdId = Argument.Int("hold-id").pipe(Argument.withDescription("The hold's id, as `hold` printed it"))

export const historyFilters = {
  kind: Flag.Literals("kind", entryKinds).pipe(Flag.optional),
  from: Flag.String("from").pipe(Flag.withDescription("From this time on (ISO-8601, included)"), Flag.optional),
  to: Flag.String("to").pipe(Flag.withDescription("Before this time (ISO-8601, excluded)"), Flag.optional),
  reference,
  member: Flag.String("member").pipe(Flag.withDescription("Only entries that name this member"), Flag.optional),
}
