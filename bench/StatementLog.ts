import * as Fs from "node:fs"
import * as Path from "node:path"

/**
 * A PostgreSQL server's log of every statement it runs with its duration (log_min_duration_statement=0),
 * in a file of its own under /tmp: the `settings` to start the embedded server with, and the file to read.
 * The directory is open to all because the server may run as another user; the caller removes it.
 */
export const statementLog = (prefix: string) => {
  const logDir = Fs.mkdtempSync(Path.join("/tmp", prefix))
  Fs.chmodSync(logDir, 0o777)
  return {
    logDir,
    logFile: Path.join(logDir, "trace.log"),
    settings: {
      logging_collector: "on",
      log_directory: logDir,
      log_filename: "trace.log",
      log_min_duration_statement: "0",
      log_line_prefix: "%m [%p] ",
    },
  }
}
