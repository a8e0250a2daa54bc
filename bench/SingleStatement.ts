import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import * as Baseline from "./Baseline.ts"
import { operate } from "./OriginStatement.ts"
import { applied, ceiling, type Operation, rejected } from "./Workload.ts"

/** The origin platform's single statement (`OriginStatement.ts`), called from the bench's process. */
const execute = (sql: SqlClient.SqlClient, ids: ReadonlyArray<string>) => (operation: Operation) =>
  (operation.kind === "top-up"
    ? operate(sql, ids[operation.account]!, operation.amount, ceiling)
    : operate(sql, ids[operation.account]!, -operation.amount, null)
  ).pipe(Effect.map(([row]) => (row === undefined ? rejected : applied(Number(row.amount)))))

export const implementation = Baseline.implementation("single-statement", execute)
