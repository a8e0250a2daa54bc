import type { SqlClient } from "effect/sql"

/**
 * The origin platform's approach: one SQL statement per operation, in its own transaction. Its CTEs
 * row-lock the balance, compute the new one with the ceiling in a CASE expression, upsert the
 * balance and insert the transaction with its running balance and a random key. No row comes back
 * when the rules reject the operation (at or above the ceiling, or not enough credits).
 */
export const operate = (sql: SqlClient.SqlClient, accountId: string, delta: number, ceiling: number | null) =>
  sql<{ amount: bigint; running_balance: bigint }>`
    WITH locked AS (
      SELECT balance FROM user_balance WHERE account_id = ${accountId} FOR UPDATE
    ), decided AS (
      SELECT balance AS balance_before,
             CASE
               WHEN ${ceiling}::bigint IS NOT NULL AND balance >= ${ceiling}::bigint THEN balance
               WHEN ${ceiling}::bigint IS NOT NULL AND balance + ${delta}::bigint > ${ceiling}::bigint
                 THEN ${ceiling}::bigint
               WHEN balance + ${delta}::bigint < 0 THEN balance
               ELSE balance + ${delta}::bigint
             END AS balance_after
      FROM locked
    ), balance_update AS (
      INSERT INTO user_balance (account_id, balance, updated_at)
      SELECT ${accountId}, balance_after, now() FROM decided WHERE balance_after <> balance_before
      ON CONFLICT (account_id) DO UPDATE SET balance = EXCLUDED.balance, updated_at = EXCLUDED.updated_at
      RETURNING balance
    )
    INSERT INTO credit_transaction (account_id, transaction_key, amount, running_balance)
    SELECT ${accountId}, gen_random_uuid(), balance_update.balance - decided.balance_before, balance_update.balance
    FROM balance_update, decided
    RETURNING amount, running_balance`
