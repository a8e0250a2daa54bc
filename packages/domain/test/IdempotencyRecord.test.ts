import { describe, expect, it } from "vitest"
import { accountId } from "../src/AccountId.ts"
import { newAccountState } from "../src/AccountState.ts"
import type { Amount } from "../src/Credits.ts"
import type { IdempotencyKey } from "../src/IdempotencyKey.ts"
import { InsufficientCredits } from "../src/LedgerError.ts"
import { type IdempotencyRecord, post } from "../src/Posting.ts"

const spend = post(
  { _tag: "Spend", accountId: accountId("ida"), amount: 10 as Amount, idempotencyKey: "k-1" as IdempotencyKey },
  "2026-12-07T12:00:00.000Z",
)

describe("an idempotency record kept as JSON", () => {
  it("replays a refusal as the tagged error it was, though JSON kept only the error's fields", () => {
    const first = spend({ state: newAccountState, prior: undefined })
    const stored: IdempotencyRecord = JSON.parse(JSON.stringify(first.record))
    expect(stored.outcome).toMatchObject({ _tag: "Refused", error: { _tag: "InsufficientCredits" } })
    expect((stored.outcome as { error: unknown }).error).not.toBeInstanceOf(Error)

    const replay = spend({ state: newAccountState, prior: stored })

    expect(replay.result).toMatchObject({ _tag: "Refused", replayed: true })
    const error = (replay.result as { error: unknown }).error
    expect(error).toBeInstanceOf(InsufficientCredits)
    expect(error).toEqual((first.result as { error: unknown }).error)
    expect((error as InsufficientCredits).message).toBe((first.result as { error: Error }).error.message)
    expect(replay.state).toBeUndefined()
  })
})
