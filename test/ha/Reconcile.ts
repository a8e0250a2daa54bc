import { isAnswered, type LoadHistory, type WireEntry, type Write, type WriteRecord } from "./WriteLoad.ts"

/**
 * The check of a run, after Jepsen: the history of what every client was told, against the ledger
 * as Tally reads it back afterwards. Each finding is a sentence naming the write and the values.
 */

export interface LedgerRead {
  readonly entries: ReadonlyMap<string, ReadonlyArray<WireEntry>>
  readonly balances: ReadonlyMap<string, number>
  readonly audit: {
    readonly accountsChecked: number
    readonly entriesChecked: number
    readonly violations: ReadonlyArray<unknown>
  }
}

/** Page size of the entries read-back: the API's largest. */
const entriesPageSize = 500

const getJson = async (url: string) => {
  const response = await fetch(url)
  const text = await response.text()
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text}`)
  return JSON.parse(text)
}

/** Every entry and balance of the accounts, and the audit, through one Tally process. */
export const readLedger = async (baseUrl: string, accounts: ReadonlyArray<string>): Promise<LedgerRead> => {
  const entries = new Map<string, Array<WireEntry>>()
  const balances = new Map<string, number>()
  for (const account of accounts) {
    const all: Array<WireEntry> = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
      const page = await getJson(`${baseUrl}/v1/accounts/${account}/entries?limit=${entriesPageSize}${query}`)
      all.push(...page.entries)
      cursor = page.nextCursor
    } while (cursor !== null)
    entries.set(account, all.reverse())
    balances.set(account, (await getJson(`${baseUrl}/v1/accounts/${account}/balance`)).balance)
  }
  return { entries, balances, audit: await getJson(`${baseUrl}/v1/audit`) }
}

const sameEntry = (told: WireEntry, stored: WireEntry) =>
  told.sequence === stored.sequence &&
  told.kind === stored.kind &&
  told.decision === stored.decision &&
  told.requested === stored.requested &&
  told.amount === stored.amount &&
  told.balanceAfter === stored.balanceAfter &&
  told.idempotencyKey === stored.idempotencyKey

const describeWrite = ({ write, attempts }: WriteRecord) =>
  `${write.kind} ${write.id}${write.keyed ? "" : " (no key)"} of ${write.amount} on ${write.accountId} (answers: ${attempts
    .map((attempt) => attempt.status ?? attempt.answer._tag)
    .join(", ")})`

/** What a keyed write's answers claim about the ledger, checked against the entries with its key. */
const checkKeyedWrite = (record: WriteRecord, stored: ReadonlyArray<WireEntry>, findings: Array<string>) => {
  const { final, attempts } = record
  if (final === undefined) {
    findings.push(`never answered for good: ${describeWrite(record)}`)
    return
  }
  if (final._tag === "Unexpected") {
    findings.push(`answered ${final.status} ${final.body}: ${describeWrite(record)}`)
    return
  }
  if (final._tag === "Refused") {
    if (stored.length > 0)
      findings.push(`refused (${final.error}) but applied as entry ${stored[0]!.sequence}: ${describeWrite(record)}`)
    return
  }
  if (final._tag !== "Landed") return
  if (stored.length !== 1) {
    findings.push(`acknowledged, but found ${stored.length} times in the ledger: ${describeWrite(record)}`)
    return
  }
  for (const attempt of attempts) {
    if (attempt.answer._tag === "Landed" && !sameEntry(attempt.answer.entry, stored[0]!)) {
      findings.push(
        `acknowledged ${JSON.stringify(attempt.answer.entry)} but stored ${JSON.stringify(stored[0])}: ${describeWrite(record)}`,
      )
    }
  }
  // A replay means an earlier attempt landed; that attempt's answer cannot have said "nothing was written".
  const earlier = attempts.slice(0, -1)
  if (final.replayed && !earlier.some((attempt) => attempt.answer._tag === "Unknown")) {
    findings.push(`replayed as landed after answers that all said nothing was written: ${describeWrite(record)}`)
  }
}

const slotOf = (accountId: string, sequence: number) => `${accountId}#${sequence}`

const requestedOf = (write: Write) => (write.kind === "top-up" ? write.amount : -write.amount)
const entryKindOf = (write: Write) => (write.kind === "top-up" ? "top-up" : "usage")

/**
 * A write without a key is found by the entry Tally answered with; a matched entry leaves `unkeyed`,
 * so what remains there was applied without any caller being told.
 */
const checkUnkeyedWrite = (record: WriteRecord, unkeyed: Map<string, WireEntry>, findings: Array<string>) => {
  const { final } = record
  if (final === undefined) findings.push(`never answered for good: ${describeWrite(record)}`)
  else if (final._tag === "Unexpected")
    findings.push(`answered ${final.status} ${final.body}: ${describeWrite(record)}`)
  else if (final._tag === "Landed") {
    const slot = slotOf(record.write.accountId, final.entry.sequence)
    const stored = unkeyed.get(slot)
    if (stored === undefined || !sameEntry(final.entry, stored)) {
      findings.push(
        `acknowledged ${JSON.stringify(final.entry)} but stored ${JSON.stringify(stored ?? null)}: ${describeWrite(record)}`,
      )
    } else {
      unkeyed.delete(slot)
    }
  }
}

/**
 * An entry without a key that no caller was told about is accounted for by a write without a key
 * whose outcome its caller never learnt (same account, kind and amount), one entry per write.
 * Anything left is a write that ran twice, or one answered "nothing was written" that was.
 */
const checkUnacknowledged = (
  unkeyed: ReadonlyMap<string, WireEntry>,
  unknownOutcomes: ReadonlyArray<WriteRecord>,
  findings: Array<string>,
) => {
  const candidates = [...unknownOutcomes]
  for (const entry of unkeyed.values()) {
    const index = candidates.findIndex(
      ({ write }) =>
        write.accountId === entry.accountId &&
        entryKindOf(write) === entry.kind &&
        requestedOf(write) === entry.requested,
    )
    if (index >= 0) candidates.splice(index, 1)
    else {
      findings.push(
        `applied but never acknowledged: entry ${entry.sequence} of ${entry.accountId} (${entry.kind}, requested ${entry.requested}, no key)`,
      )
    }
  }
}

export const reconcile = (history: LoadHistory, ledger: LedgerRead): ReadonlyArray<string> => {
  const findings: Array<string> = []
  const byKey = new Map<string, Array<WireEntry>>()
  const unkeyed = new Map<string, WireEntry>()
  for (const [account, entries] of ledger.entries) {
    for (const entry of entries) {
      if (entry.idempotencyKey === null) {
        unkeyed.set(slotOf(account, entry.sequence), entry)
        continue
      }
      const same = byKey.get(entry.idempotencyKey) ?? []
      if (same.length === 0) byKey.set(entry.idempotencyKey, same)
      same.push(entry)
    }
    const last = entries[entries.length - 1]
    if ((last?.balanceAfter ?? 0) !== ledger.balances.get(account)) {
      findings.push(`${account}: balance ${ledger.balances.get(account)} but the last entry says ${last?.balanceAfter}`)
    }
  }
  const acknowledged = new Set<string>()
  const unknownOutcomes: Array<WriteRecord> = []
  for (const record of history.records) {
    if (record.write.keyed) {
      checkKeyedWrite(record, byKey.get(record.write.id) ?? [], findings)
      if (record.final?._tag === "Landed") acknowledged.add(record.write.id)
    } else {
      checkUnkeyedWrite(record, unkeyed, findings)
      if (record.final?._tag === "Unknown") unknownOutcomes.push(record)
    }
  }
  checkUnacknowledged(unkeyed, unknownOutcomes, findings)
  for (const [key, entries] of byKey) {
    if (!acknowledged.has(key)) {
      findings.push(
        `applied but never acknowledged: ${key} as entry ${entries[0]!.sequence} of ${entries[0]!.accountId}`,
      )
    }
  }
  const internalErrors = history.records.flatMap((record) =>
    record.attempts.filter((attempt) => attempt.status === 500),
  )
  if (internalErrors.length > 0) {
    findings.push(
      `${internalErrors.length} answers were 500 (${[...new Set(internalErrors.map((a) => a.tag))].join(", ")})`,
    )
  }
  const hintless = history.records.flatMap((record) =>
    record.attempts.filter((attempt) => attempt.status === 503 && attempt.retryAfter === null),
  )
  if (hintless.length > 0) findings.push(`${hintless.length} answers were 503 without a Retry-After header`)
  if (ledger.audit.violations.length > 0) {
    findings.push(
      `the audit found ${ledger.audit.violations.length} violations: ${JSON.stringify(ledger.audit.violations).slice(0, 2000)}`,
    )
  }
  return findings
}

export interface Figures {
  readonly writes: number
  readonly landed: number
  readonly refused: number
  readonly attempts: number
  /** Answers that were neither an entry nor a rule rejection, by status and tag ("503 LedgerUnavailable"...). */
  readonly failedAnswers: Readonly<Record<string, number>>
  readonly replays: number
  /** Writes without a key whose caller never learnt whether they landed. */
  readonly unknownOutcomes: number
  /** The longest time during which Tally decided no write (none landed, none refused by the rules). */
  readonly longestStallMs: number
  /** The longest time one write took from its first attempt to the answer that decided it. */
  readonly longestWriteMs: number
  readonly writesPerSecond: number
}

export const figures = (history: LoadHistory): Figures => {
  const failedAnswers: Record<string, number> = {}
  const answeredAtMs: Array<number> = [history.startedAtMs]
  let longestWriteMs = 0
  let attempts = 0
  for (const record of history.records) {
    attempts += record.attempts.length
    for (const attempt of record.attempts) {
      if (attempt.answer._tag !== "NothingWritten" && attempt.answer._tag !== "Unknown") continue
      const label =
        attempt.status === null
          ? `no answer (${attempt.answer._tag === "Unknown" ? attempt.answer.reason : ""})`
          : `${attempt.status} ${attempt.tag}`
      failedAnswers[label] = (failedAnswers[label] ?? 0) + 1
    }
    const last = record.attempts[record.attempts.length - 1]
    if (record.final !== undefined && isAnswered(record.final) && last !== undefined) {
      answeredAtMs.push(last.answeredAtMs)
      longestWriteMs = Math.max(longestWriteMs, last.answeredAtMs - record.attempts[0]!.sentAtMs)
    }
  }
  answeredAtMs.sort((a, b) => a - b)
  let longestStallMs = 0
  answeredAtMs.forEach((atMs, index) => {
    if (index > 0) longestStallMs = Math.max(longestStallMs, atMs - answeredAtMs[index - 1]!)
  })
  const seconds = (history.stoppedAtMs - history.startedAtMs) / 1000
  return {
    writes: history.records.length,
    landed: history.records.filter((record) => record.final?._tag === "Landed").length,
    refused: history.records.filter((record) => record.final?._tag === "Refused").length,
    attempts,
    failedAnswers,
    replays: history.records.filter((record) => record.final?._tag === "Landed" && record.final.replayed).length,
    unknownOutcomes: history.records.filter((record) => record.final?._tag === "Unknown").length,
    longestStallMs,
    longestWriteMs,
    writesPerSecond: Math.round(history.records.length / seconds),
  }
}
