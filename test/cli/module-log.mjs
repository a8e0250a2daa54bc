import { register } from "node:module"

// `node --import ./test/cli/module-log.mjs ...`: log the modules the process loads (see module-log-hooks.mjs).
register("./module-log-hooks.mjs", import.meta.url)
