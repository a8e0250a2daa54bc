import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import { Authorization, EntriesResponse, entriesQuery, readErrors } from "../api/ApiSupport.ts"
import { EntryFilterFields, ExportFormat, SearchRequest } from "../LedgerRequest.ts"

const searchQuery = { accountId: SearchRequest.fields.accountId, ...entriesQuery }

const exportQuery = {
  format: Schema.optionalKey(ExportFormat),
  accountId: SearchRequest.fields.accountId,
  ...EntryFilterFields,
}

/** CSV (`text/csv`, the default) or NDJSON (`application/x-ndjson`), streamed. */
export const ExportBody = HttpApiSchema.StreamUint8Array({ contentType: ["text/csv", "application/x-ndjson"] })

export class HistoryGroup extends HttpApiGroup.make("history")
  .add(
    HttpApiEndpoint.get("search", "/entries", {
      query: searchQuery,
      success: EntriesResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Entries across accounts, newest first, one page at a time (for operators)",
        description: "The same filters as an account's entries, and accountId.",
      }),
    ),
    HttpApiEndpoint.get("export", "/entries/export", {
      query: exportQuery,
      success: ExportBody,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Every matching entry, oldest first, streamed as CSV (format=csv, the default) or NDJSON",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "History", description: "Search and export across accounts" })) {}
