import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import type { AutoTopUpRequest } from "./AutoTopUpRequest.ts"

/**
 * What must hold of an account's auto top-up requests, recomputed from its rows: ids run from 1 to
 * the account's count, at most one is open and it is the one the account names, and each completed
 * request was credited by exactly one `top-up` entry of its amount (the one it names). `entryAt`
 * finds an entry of the account by its sequence (the audit keeps only those the requests name).
 */
export const autoTopUpProblems = (
  state: AccountState,
  requests: ReadonlyArray<AutoTopUpRequest>,
  entryAt: (sequence: number) => Entry | undefined,
): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const { lastRequestId, openRequestId } = state.autoTopUp
  const open = requests.filter((request) => request.status === "open").map((request) => request.requestId)
  if (open.length > 1) problems.push(`auto top-up requests ${open.join(", ")} are open at once`)
  if ((open[0] ?? null) !== openRequestId) {
    problems.push(`the account names open auto top-up request ${openRequestId}, the rows ${open[0] ?? "none"}`)
  }
  const ids = new Set(requests.map((request) => request.requestId))
  if (ids.size !== lastRequestId || [...ids].some((id) => id < 1 || id > lastRequestId)) {
    problems.push(`auto top-up request ids are not 1 to ${lastRequestId}`)
  }
  const credited = new Set<number>()
  for (const request of requests) {
    const at = `auto top-up request ${request.requestId}`
    if (request.status !== "completed") {
      if (request.entrySequence !== null) problems.push(`${at} is ${request.status} but names a credit`)
      continue
    }
    const entry = request.entrySequence === null ? undefined : entryAt(request.entrySequence)
    if (entry === undefined || entry.kind !== "top-up" || entry.amount !== request.amount) {
      problems.push(`${at} is completed without its top-up entry of ${request.amount}`)
    } else if (credited.has(entry.sequence)) {
      problems.push(`${at} names entry ${entry.sequence}, which credited another request`)
    }
    if (request.entrySequence !== null) credited.add(request.entrySequence)
  }
  return problems
}
