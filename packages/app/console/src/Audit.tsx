import { useEffect, useState } from "preact/hooks"
import { type AuditReport, api } from "./api.ts"
import { ColumnHeads, Credits, Failure, TableWrap } from "./ui.tsx"

/** The audit recomputes every account's chain of running balances; it reads the whole ledger, so it runs on request. */
export const Audit = () => {
  const [report, setReport] = useState<AuditReport | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [running, setRunning] = useState(false)
  useEffect(() => {
    document.title = "Audit · Tally console"
  }, [])
  const run = async () => {
    setRunning(true)
    setError(null)
    try {
      setReport(await api.audit())
    } catch (failure) {
      setError(failure)
    } finally {
      setRunning(false)
    }
  }
  return (
    <div class="page">
      <h1>Audit</h1>
      <p>Recomputes every account's running balances from its entries and checks holds and requests against them.</p>
      <button type="button" onClick={run} disabled={running}>
        {running ? "Auditing…" : "Run the audit"}
      </button>
      {error === null ? null : <Failure error={error} />}
      {report === null ? null : (
        <section aria-label="Audit result" role="status">
          <p>
            Checked <Credits value={report.accountsChecked} /> accounts and <Credits value={report.entriesChecked} />{" "}
            entries: {report.violations.length === 0 ? "no violation." : `${report.violations.length} violations.`}
          </p>
          {report.violations.length === 0 ? null : (
            <TableWrap label="Violations">
              <table>
                <ColumnHeads columns={["Account", "Entry", "Problem"]} />
                <tbody>
                  {report.violations.map((violation) => (
                    <tr key={`${violation.accountId}-${violation.sequence}-${violation.problem}`}>
                      <td>{violation.accountId}</td>
                      <td>{violation.sequence ?? "—"}</td>
                      <td>{violation.problem}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      )}
    </div>
  )
}
