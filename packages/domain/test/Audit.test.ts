import { describe, expect, test } from "vitest"
import {
  type AccountHistory,
  accountAudit,
  accountId,
  auditAccount,
  auditedAccountOf,
  balance,
  type Entry,
  type Hold,
  newAccountState,
  noLinks,
  overdraftLimit,
} from "../src/index.ts"

const entry = (sequence: number, amount: number, balanceAfter: number, requested = amount): Entry => ({
  accountId: accountId("a"),
  sequence,
  kind: amount > 0 ? "top-up" : "usage",
  decision: amount === requested ? "Applied" : "Clamped",
  requested,
  amount,
  balanceAfter: balance(balanceAfter),
  idempotencyKey: null,
  ...noLinks,
  metadata: {},
  createdAt: "2026-01-01T00:00:00.000Z",
})

const history = (entries: Array<Entry>, stored: number, sequence = entries.length, limit = 0): AccountHistory => ({
  accountId: accountId("a"),
  state: { ...newAccountState, balance: balance(stored), sequence, overdraftLimit: overdraftLimit(limit) },
  entries,
  holds: [],
  autoTopUpRequests: [],
  pendingCredits: [],
})

describe("the audit", () => {
  test("finds nothing wrong with an exact chain", () => {
    expect(auditAccount(history([entry(1, 100, 100), entry(2, -30, 70), entry(3, 30, 100, 50)], 100))).toEqual([])
  })

  test("reports a running balance that does not follow from the previous one", () => {
    expect(auditAccount(history([entry(1, 100, 100), entry(2, -30, 60)], 60))).toEqual([
      { accountId: "a", sequence: 2, problem: "running balance 60 is not 100 + -30" },
    ])
  })

  test("reports a stored balance that differs from the last running balance", () => {
    expect(auditAccount(history([entry(1, 100, 100)], 90))).toEqual([
      { accountId: "a", sequence: null, problem: "stored balance 90 differs from the running balance 100" },
    ])
  })

  test("reports a gap in the sequence and a missing entry", () => {
    const violations = auditAccount(history([entry(1, 100, 100), entry(3, 10, 110)], 110, 3))
    expect(violations.map((v) => v.problem)).toEqual([
      "sequence 3 where 2 was expected",
      "2 entries where the account counts 3",
    ])
  })

  test("reports a balance below the account's floor that no entry was allowed to overdraw", () => {
    const violations = auditAccount(history([entry(1, -10, -10)], -10))
    expect(violations.map((v) => v.problem)).toEqual(["available balance -10 is below the floor 0"])
  })

  test("reports an amount larger than requested or of the wrong sign", () => {
    expect(auditAccount(history([entry(1, 100, 100, 50)], 100))[0]?.problem).toBe("amount 100 exceeds requested 50")
    expect(auditAccount(history([entry(1, 100, 100, -100)], 100))[0]?.problem).toMatch(/does not move credits/)
  })

  const hold = (holdId: number, amount: number, captured: number, status: Hold["status"] = "open"): Hold => ({
    accountId: accountId("a"),
    holdId,
    status,
    requested: amount,
    amount,
    captured,
    excess: 0,
    reference: null,
    metadata: {},
    expiresAt: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    resolvedAt: status === "open" ? null : "2026-01-01T00:00:01.000Z",
  })
  const capture = (sequence: number, amount: number, balanceAfter: number, holdId: number): Entry => ({
    ...entry(sequence, -amount, balanceAfter),
    holdId,
  })
  const withHolds = (entries: Array<Entry>, stored: number, held: number, holds: Array<Hold>): AccountHistory => ({
    ...history(entries, stored),
    state: { ...history(entries, stored).state, held, holdsPlaced: holds.length },
    holds,
  })

  test("finds nothing wrong when held is what the open holds still reserve", () => {
    const entries = [entry(1, 100, 100), capture(2, 30, 70, 1)]
    const holds = [hold(1, 50, 30), hold(2, 10, 0, "released")]
    expect(auditAccount(withHolds(entries, 70, 20, holds))).toEqual([])
  })

  test("reports held that differs from the open holds, and captures that differ from their entries", () => {
    const entries = [entry(1, 100, 100), capture(2, 30, 70, 1)]
    expect(auditAccount(withHolds(entries, 70, 25, [hold(1, 50, 30)])).map((v) => v.problem)).toEqual([
      "held 25 differs from the 20 its open holds reserve",
    ])
    expect(auditAccount(withHolds(entries, 70, 30, [hold(1, 50, 20)])).map((v) => v.problem)).toEqual([
      "hold 1 records 20 captured but its entries capture 30",
    ])
  })

  test("reports a hold captured past its reservation", () => {
    const entries = [entry(1, 100, 100), capture(2, 60, 40, 1)]
    expect(auditAccount(withHolds(entries, 40, 0, [hold(1, 50, 60, "captured")])).map((v) => v.problem)).toEqual([
      "hold 1 captured 60 of 50",
    ])
  })

  test("reports refunds that sum past the entry they refund", () => {
    const refund = (sequence: number, amount: number, balanceAfter: number): Entry => ({
      ...entry(sequence, -amount, balanceAfter),
      kind: "refund",
      refundOf: 1,
      overdrawn: balanceAfter < 0,
    })
    const entries = [entry(1, 100, 100), refund(2, 60, 40), refund(3, 60, -20)]
    expect(auditAccount(history(entries, -20))).toEqual([
      { accountId: "a", sequence: 3, problem: "refunds of entry 1 sum to 120, past its 100" },
    ])
  })

  test("folded entry by entry, leaves out entries written after the account was read", () => {
    const read = history([entry(1, 100, 100), entry(2, -30, 70)], 70)
    const audit = accountAudit(auditedAccountOf(read))
    const checked = [...read.entries, entry(3, -10, 60)].map((e) => audit.add(e))
    expect(checked).toEqual([true, true, false])
    expect(audit.finish()).toEqual([])
  })
})

describe("the audit of grants", () => {
  const grant = (grantId: number, remaining: number) => ({
    accountId: accountId("a"),
    grantId,
    status: "live" as const,
    amount: 100,
    remaining,
    expired: 0,
    priority: 5,
    expiresAt: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    warnedAt: null,
  })
  const withGrants = (entries: Array<Entry>, stored: number, grants: ReturnType<typeof grant>[]): AccountHistory => {
    const base = history(entries, stored)
    return { ...base, state: { ...base.state, grants } }
  }
  const credit = { ...entry(1, 100, 100), allocations: [{ grantId: 1, amount: 100 }] }

  test("finds nothing wrong when allocations account for every grant's remainder", () => {
    const spend = { ...entry(2, -30, 70), allocations: [{ grantId: 1, amount: -30 }] }
    expect(auditAccount(withGrants([credit, spend], 70, [grant(1, 70)]))).toEqual([])
  })

  test("finds allocations beyond the entry, a grant below zero, a remainder its entries do not leave, and an expiry that names no grant", () => {
    const over = { ...entry(2, -30, 70), allocations: [{ grantId: 1, amount: -130 }] }
    const expiry = { ...entry(3, -10, 60), kind: "expiry" as const }
    const problems = auditAccount(withGrants([credit, over, expiry], 60, [grant(1, 40)])).map((v) => v.problem)
    expect(problems).toEqual(
      expect.arrayContaining([
        "grant 1 goes to -30",
        "allocations move -130, more than the entry's -30",
        "an expiry entry names no grant",
        "grant 1 keeps 40 but its entries leave -30",
      ]),
    )
  })

  test("finds live grants holding more than the balance, and credits left in a grant that is not live", () => {
    expect(auditAccount(withGrants([entry(1, 50, 50)], 50, [grant(1, 60)])).map((v) => v.problem)).toEqual(
      expect.arrayContaining(["live grants hold 60, more than the balance 50"]),
    )
    expect(auditAccount(withGrants([credit], 100, [])).map((v) => v.problem)).toEqual([
      "grant 1 has 100 left but is not live",
    ])
  })
})
