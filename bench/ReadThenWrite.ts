import { type Amount, applySpend, applyTopUp, type Balance, type Ceiling, exactSpend } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import * as Baseline from "./Baseline.ts"
import { applied, ceiling, type Operation, rejected } from "./Workload.ts"

/**
 * The naive design: read the balance, let the core decide in JavaScript, then write the new balance
 * and the transaction in one statement. Nothing holds the account between the read and the write,
 * so concurrent operations on one account overwrite each other: lost updates.
 */
const execute = (sql: SqlClient.SqlClient, ids: ReadonlyArray<string>) => (operation: Operation) =>
  Effect.gen(function* () {
    const accountId = ids[operation.account]!
    const [row] = yield* sql<{ balance: bigint }>`SELECT balance FROM user_balance WHERE account_id = ${accountId}`
    const balance = Number(row!.balance) as Balance
    const amount = operation.amount as Amount
    const decision =
      operation.kind === "top-up"
        ? applyTopUp(balance, amount, ceiling as Ceiling)
        : applySpend(balance, amount, exactSpend)
    if (decision._tag === "Rejected") return rejected
    yield* sql`
      WITH balance_update AS (
        UPDATE user_balance SET balance = ${decision.balanceAfter}::bigint, updated_at = now()
        WHERE account_id = ${accountId}
        RETURNING balance
      )
      INSERT INTO credit_transaction (account_id, transaction_key, amount, running_balance)
      SELECT ${accountId}, gen_random_uuid(), ${decision.applied}::bigint, balance FROM balance_update`
    return applied(decision.applied)
  })

export const implementation = Baseline.implementation("read-then-write", execute)
