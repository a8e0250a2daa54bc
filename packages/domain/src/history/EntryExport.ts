import * as Stream from "effect/Stream"
import type { Entry } from "../Entry.ts"
import type { ExportFormat } from "../LedgerRequest.ts"
import { csvHeader, csvLine, ndjsonLine } from "./EntryCsv.ts"

/** What an export is sent as. */
export const exportContentType: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
}

/**
 * An export as text, one chunk of lines per chunk of entries read, so the output is written as the
 * rows arrive and never held whole.
 */
export const exportText = <E, R>(
  format: ExportFormat,
  entries: Stream.Stream<Entry, E, R>,
): Stream.Stream<string, E, R> => {
  const line = format === "csv" ? csvLine : ndjsonLine
  const body = Stream.mapArray(entries, (chunk) => [chunk.map(line).join("")] as const)
  return format === "csv" ? Stream.prepend(body, [csvHeader]) : body
}
