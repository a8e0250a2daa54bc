import { useEffect, useRef, useState } from "preact/hooks"
import { type AccountSummary, api } from "./api.ts"
import { retryDelayMs, worthRetrying } from "./load.ts"
import { ColumnHeads, Credits, Empty, ReadFailure, TableWrap, Time } from "./ui.tsx"

const accountHref = (accountId: string) => `#/accounts/${encodeURIComponent(accountId)}`
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/

/** Find an account by its id or the start of it; without one, the most recently active accounts. */
export const Accounts = ({ prefix }: { prefix: string }) => {
  const [text, setText] = useState(prefix)
  const [accounts, setAccounts] = useState<ReadonlyArray<AccountSummary> | null>(null)
  const [next, setNext] = useState<string | null>(null)
  // The read that failed (its cursor, to read it again) and how many failed in a row.
  const [failed, setFailed] = useState<{ error: unknown; cursor: string | undefined } | null>(null)
  const failures = useRef(0)
  const retryTimer = useRef<ReturnType<typeof setTimeout>>(undefined)
  const load = async (cursor?: string) => {
    clearTimeout(retryTimer.current)
    try {
      const page = await api.accounts({ prefix: prefix === "" ? undefined : prefix, cursor, limit: 20 })
      failures.current = 0
      setFailed(null)
      setAccounts((shown) => (cursor === undefined ? page.accounts : [...(shown ?? []), ...page.accounts]))
      setNext(page.nextCursor)
    } catch (error) {
      failures.current++
      setFailed({ error, cursor })
      // The ledger away: read again by itself until it answers.
      if (worthRetrying(error))
        retryTimer.current = setTimeout(() => load(cursor), retryDelayMs(error, failures.current))
    }
  }
  useEffect(() => {
    setText(prefix)
    setAccounts(null)
    setFailed(null)
    document.title = "Accounts · Tally console"
    void load()
    return () => clearTimeout(retryTimer.current)
  }, [prefix])
  const valid = text === "" || idPattern.test(text)
  return (
    <div class="page">
      <h1>Accounts</h1>
      <search>
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault()
            if (valid) location.hash = text === "" ? "#/" : `#/?prefix=${encodeURIComponent(text)}`
          }}
        >
          <label>
            Account id or the start of one
            <input
              value={text}
              onInput={(event) => setText(event.currentTarget.value.trim())}
              aria-invalid={!valid}
              aria-describedby="find-hint"
              autoComplete="off"
            />
          </label>
          <button type="submit" disabled={!valid}>
            Find
          </button>
        </form>
      </search>
      <p id="find-hint" class="hint">
        {valid
          ? "Ids are letters, digits and . _ : - ; accounts are listed by their last entry, newest first."
          : "An account id has letters, digits and . _ : - only."}
      </p>
      {prefix !== "" && idPattern.test(prefix) ? (
        <p>
          <a href={accountHref(prefix)}>Open account {prefix}</a>
        </p>
      ) : null}
      <h2>{prefix === "" ? "Recently active" : `Accounts starting with “${prefix}”`}</h2>
      {failed !== null ? (
        <ReadFailure
          loaded={{ error: failed.error, retrying: worthRetrying(failed.error), retry: () => load(failed.cursor) }}
        />
      ) : accounts === null ? (
        <p aria-busy="true">Loading accounts…</p>
      ) : accounts.length === 0 ? (
        <Empty>
          {prefix === ""
            ? "No account has an entry yet: top one up through the API (see /docs) or open one by its id above."
            : "No account with entries starts with that: check the id, or open it directly with the link above."}
        </Empty>
      ) : (
        <>
          <TableWrap label="Accounts">
            <table>
              <ColumnHeads
                columns={["Account", "Balance", "Held", "Available", "Entries", "Last entry"]}
                numeric={["Balance", "Held", "Available", "Entries"]}
              />
              <tbody>
                {accounts.map((account) => (
                  <tr key={account.accountId}>
                    <th scope="row">
                      <a href={accountHref(account.accountId)}>{account.accountId}</a>
                    </th>
                    <td class="num">
                      <Credits value={account.balance} />
                    </td>
                    <td class="num">
                      <Credits value={account.held} />
                    </td>
                    <td class="num">
                      <Credits value={account.available} />
                    </td>
                    <td class="num">
                      <Credits value={account.entries} />
                    </td>
                    <td>
                      <Time iso={account.lastEntryAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {next === null ? null : (
            <button type="button" onClick={() => load(next)}>
              More accounts
            </button>
          )}
        </>
      )}
    </div>
  )
}
