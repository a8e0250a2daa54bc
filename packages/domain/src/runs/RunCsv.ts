import type { Run } from "./Run.ts"

/**
 * Runs as CSV (RFC 4180), one line per run, every line ending in CRLF: its reference, times, count,
 * total, and its kinds as JSON text in one field (`{"usage":{"entries":2,"amount":"-350"}}`), amounts
 * as decimal strings like the total.
 */
export const runCsvHeader = "reference,firstAt,lastAt,lastSequence,entries,total,kinds\r\n"

const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

export const runCsvLine = (run: Run): string =>
  `${[
    field(run.reference),
    run.firstAt,
    run.lastAt,
    String(run.lastSequence),
    String(run.entries),
    String(run.total),
    field(
      JSON.stringify(
        Object.fromEntries(run.kinds.map(({ kind, entries, amount }) => [kind, { entries, amount: String(amount) }])),
      ),
    ),
  ].join(",")}\r\n`
