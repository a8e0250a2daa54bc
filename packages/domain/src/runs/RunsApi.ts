import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Authorization, accountParams, readErrors, withExample } from "../api/ApiSupport.ts"
import { Limits } from "../Limits.ts"
import * as Examples from "../TallyApiExamples.ts"
import { AccountRuns } from "./Run.ts"
import { RunsRequest } from "./RunsRequest.ts"

const runExample = {
  reference: "run-42",
  total: "-300",
  entries: 1,
  kinds: [{ kind: "usage", entries: 1, amount: "-300" }],
  firstAt: Examples.entry.createdAt,
  lastAt: Examples.entry.createdAt,
  lastSequence: 2,
  details: [Examples.entry],
  more: false,
}

/** A page of runs; pass `nextCursor` as `cursor` for the next one (null: no more). */
export const RunsResponse = withExample(AccountRuns, {
  accountId: Examples.accountId,
  runs: [runExample],
  nextCursor: null,
})

export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.get("runs", "/accounts/:accountId/runs", {
      params: accountParams,
      query: {
        limit: RunsRequest.fields.limit,
        details: RunsRequest.fields.details,
        cursor: RunsRequest.fields.cursor,
        kind: RunsRequest.fields.kind,
        member: RunsRequest.fields.member,
        from: RunsRequest.fields.from,
        to: RunsRequest.fields.to,
      },
      success: RunsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's entries grouped by reference (a run), newest run first, whole runs per page",
        description: `Per run: total (a decimal string), entries per kind, first and last time, and its newest entries (details, default ${Limits.runDetailsDefault}, at most ${Limits.runDetailsMax}; more: true when it has more). Filters (kind; from included, to excluded; member) select the entries before they are grouped. Entries without a reference belong to no run.`,
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Runs", description: "History by run" })) {}
