-- wrk's side of the HTTP bench (`WrkLoad.ts` runs `wrk -t1 -s` with this script): each request is the
-- next operation of the run's file, the answers are counted as `LoadGenerator.ts` counts autocannon's,
-- and `done` writes the run's result as JSON. A request carries its number as `X-Request-Id`, which both
-- servers echo: wrk does not say which request an answer belongs to.

local operationsPath = os.getenv("TALLY_BENCH_OPERATIONS")
local resultPath = os.getenv("TALLY_BENCH_RESULT")
local keyPrefix = os.getenv("TALLY_BENCH_KEY_PREFIX")
local requestsMax = tonumber(os.getenv("TALLY_BENCH_REQUESTS") or "0")
local rejectionTags = {}
for tag in os.getenv("TALLY_BENCH_REJECTIONS"):gmatch("[^,]+") do rejectionTags[tag] = true end
local errorSamplesMax = 3

local operations = {}
local sent = 0
-- By request number, each request still unanswered: "account delta" (wrk's thread:get copies only flat tables).
pending = {}
responses = 0
applied = 0
rejected = 0
errors = 0
errorSamples = {}
-- By account index (from 0): credits gained or lost through answers of 200.
appliedByAccount = {}

function init()
  for line in io.lines(operationsPath) do
    local account, delta, path, body = line:match("^(%d+)\t(%-?%d+)\t([^\t]+)\t(.*)$")
    operations[#operations + 1] = { account = tonumber(account), delta = tonumber(delta), path = path, body = body }
  end
end

function request()
  sent = sent + 1
  local operation = operations[(sent - 1) % #operations + 1]
  pending[sent] = operation.account .. " " .. operation.delta
  local headers = { ["content-type"] = "application/json", ["x-request-id"] = "r" .. sent }
  if keyPrefix ~= nil then headers["idempotency-key"] = keyPrefix .. sent end
  return wrk.format("POST", operation.path, headers, operation.body)
end

local function fail(sample)
  errors = errors + 1
  if #errorSamples < errorSamplesMax then errorSamples[#errorSamples + 1] = sample:sub(1, 200) end
end

function response(status, headers, body)
  responses = responses + 1
  local number = tonumber((headers["x-request-id"] or ""):match("^r(%d+)$") or "")
  local account = number and pending[number] and tonumber(pending[number]:match("^%d+"))
  if account == nil then
    fail(status .. " answer without a known X-Request-Id: " .. body)
  else
    pending[number] = nil
    local amount = status == 200 and body:match('"entry":{.-"amount":(%-?%d+)')
    if amount then
      applied = applied + 1
      appliedByAccount[account] = (appliedByAccount[account] or 0) + tonumber(amount)
    elseif status == 409 and rejectionTags[body:match('"_tag":"(%w+)"') or ""] then
      rejected = rejected + 1
    else
      fail(status .. " " .. body)
    end
  end
  if requestsMax > 0 and responses >= requestsMax then finish() end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

local function json(value)
  if type(value) == "table" then
    local parts = {}
    for key, item in pairs(value) do parts[#parts + 1] = json(tostring(key)) .. ":" .. json(item) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(value) == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  end
  return tostring(value)
end

-- The run's result, from a thread's counts (`state` reads them: thread:get in `done`, the globals in a thread).
local function write(state, summary, latency)
  local cutOff = {}
  for _, operation in pairs(state("pending")) do
    local account, delta = operation:match("^(%d+) (%-?%d+)$")
    cutOff[#cutOff + 1] = { account = tonumber(account), amount = tonumber(delta) }
  end
  local transport = 0
  if summary ~= nil then
    transport = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  end
  local file = io.open(resultPath, "w")
  file:write(json({
    elapsedMs = summary and summary.duration / 1000 or -1,
    responses = state("responses"),
    applied = state("applied"),
    rejected = state("rejected"),
    errors = state("errors") + transport,
    errorSamples = state("errorSamples"),
    latencyP50Us = latency and latency:percentile(50) or -1,
    latencyP99Us = latency and latency:percentile(99) or -1,
    appliedByAccount = state("appliedByAccount"),
    cutOff = cutOff,
  }))
  file:close()
end

-- A run of a number of requests ends at its last answer: wrk itself counts only time, and would wait out
-- its duration after a thread stopped. Its time and latencies are not reported (-1): the bench's warm-ups
-- use it.
function finish()
  write(function(name) return _G[name] end, nil, nil)
  os.exit(0)
end

function done(summary, latency)
  local thread = threads[1]
  write(function(name) return thread:get(name) end, summary, latency)
end
