import type { Posting } from "@tally/domain/core"

export const signed = (n: number | bigint) => (n > 0 ? `+${n}` : `${n}`)

export const describeWrite = (posting: Posting) => {
  const { entry } = posting
  const how =
    entry.decision === "Applied"
      ? `${entry.decision}: ${signed(entry.amount)} credits`
      : `${entry.decision}: ${signed(entry.amount)} of ${signed(entry.requested)} requested`
  const replay = posting.replayed ? ` (replay of idempotency key ${entry.idempotencyKey}: nothing changed)` : ""
  return `${how} on ${entry.accountId}, balance ${entry.balanceAfter} (entry ${entry.sequence})${replay}`
}

export const writeResult = (posting: Posting) => ({
  entry: posting.entry,
  balance: posting.entry.balanceAfter,
  replayed: posting.replayed,
})
