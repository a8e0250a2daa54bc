import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The console's files: its page, and its script and styles bundled by esbuild from `console/` (Preact
 * and uPlot included, nothing fetched at run time). `pnpm build` writes them into `dist/console/`,
 * which the published package ships; run from the repository, the service bundles them on the first
 * request instead, so `pnpm start` needs no build step and never serves a stale bundle.
 */
export type ConsoleFiles = ReadonlyMap<string, Uint8Array>

/** The console's sources, beside `src/` and `dist/`. */
const sourceDir = fileURLToPath(new URL("../console/", import.meta.url))

/** The names the page loads them by. */
export const fileNames = ["index.html", "console.js", "console.css"] as const

export const bundle = async (): Promise<ConsoleFiles> => {
  // esbuild is a build tool, present in the repository only: the published package never comes here.
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    absWorkingDir: sourceDir,
    entryPoints: { console: "src/main.tsx" },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    outdir: "out",
    write: false,
    logLevel: "silent",
  })
  const files = new Map<string, Uint8Array>()
  for (const file of result.outputFiles) files.set(Path.basename(file.path), file.contents)
  files.set("index.html", await Fs.readFile(Path.join(sourceDir, "index.html")))
  return files
}

/** The files as `pnpm build` wrote them into `dir`, or undefined when they are not there. */
export const read = async (dir: string): Promise<ConsoleFiles | undefined> => {
  try {
    const contents = await Promise.all(fileNames.map((name) => Fs.readFile(Path.join(dir, name))))
    return new Map(fileNames.map((name, i) => [name, contents[i]!]))
  } catch {
    return undefined
  }
}

export const write = async (dir: string, files: ConsoleFiles) => {
  await Fs.mkdir(dir, { recursive: true })
  await Promise.all([...files].map(([name, body]) => Fs.writeFile(Path.join(dir, name), body)))
}
