import { LedgerUnavailable } from "@tally/domain"
import { Cause, Effect } from "effect"
import { SqlError } from "effect/sql"
import { afterEach, describe, expect, it, vi } from "vitest"
import { ExitCode, render } from "../src/ExitCode.ts"

const printed = async (error: unknown) => {
  const stderr = vi.spyOn(console, "error").mockImplementation(() => {})
  await Effect.runPromise(render(Cause.fail(error), false))
  return stderr.mock.calls.map((call) => call.join(" "))
}

afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})

describe("a storage failure, as the CLI prints it", () => {
  it("says what the driver's cause says, after its own message", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })
    const error = new SqlError.SqlError({
      reason: new SqlError.ConnectionError({ cause: refused, message: "PgConnection: Failed to connect" }),
    })

    expect(await printed(error)).toEqual([
      "tally: storage unavailable: PgConnection: Failed to connect: connect ECONNREFUSED 127.0.0.1:5432",
    ])
    expect(process.exitCode).toBe(ExitCode.failure)
  })

  it("says 'storage unavailable' once when the store's message already does", async () => {
    const error = new LedgerUnavailable({ message: "storage unavailable (the chain is broken); nothing was written" })

    expect(await printed(error)).toEqual(["tally: storage unavailable (the chain is broken); nothing was written"])
  })
})
