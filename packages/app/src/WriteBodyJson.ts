import type { Entry, WriteBody } from "@tally/domain"

/**
 * A write's answer as the JSON text `Schema.toCodecJson(WriteBody)` encodes, field by field. Every
 * field of `Entry` encodes as itself, so the schema's encoding only checked again what the request's
 * decoding and the core had checked, and dropped what `Entry` does not declare. That was 8% of the
 * service's CPU (a profile of `tally serve --memory` at 64 connections); naming the fields does the
 * dropping alone. `packages/app/test/WriteBodyJson.test.ts` holds it to the schema's text for any entry,
 * so a field added to `Entry` and not here fails it.
 */
export const writeBodyJson = (body: typeof WriteBody.Type): string =>
  JSON.stringify({ entry: entryJson(body.entry), balance: body.balance })

const entryJson = (entry: Entry) => {
  const json: Record<string, unknown> = {
    accountId: entry.accountId,
    sequence: entry.sequence,
    kind: entry.kind,
    decision: entry.decision,
    requested: entry.requested,
    amount: entry.amount,
    balanceAfter: entry.balanceAfter,
    idempotencyKey: entry.idempotencyKey,
    reference: entry.reference,
    holdId: entry.holdId,
    refundOf: entry.refundOf,
    reason: entry.reason,
    actor: entry.actor,
    overdrawn: entry.overdrawn,
    metadata: entry.metadata,
    createdAt: entry.createdAt,
  }
  if (entry.member !== undefined) json.member = entry.member
  if (entry.allocations !== undefined)
    json.allocations = entry.allocations.map(({ grantId, amount }) => ({ grantId, amount }))
  return json
}
