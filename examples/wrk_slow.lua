-- For examples/demo.sh: wrk 4.1 counts a response that comes after
-- --timeout as a "timeout" and leaves it out of the latency figures, so
-- the demo runs wrk with a long --timeout (a stall) and counts here the
-- responses slower than wrk's default 2 s. The count comes from the
-- latency percentiles (a bisection), so it is exact to one response.
local limit_us = 2000000

done = function(summary, latency, requests)
  local n = summary.requests
  local slow = 0
  if n > 0 and latency.max > limit_us then
    local lo, hi = 0.0, 100.0 -- percentile(lo) <= limit < percentile(hi)
    for _ = 1, 40 do
      local mid = (lo + hi) / 2
      if latency:percentile(mid) > limit_us then hi = mid else lo = mid end
    end
    slow = math.floor((100.0 - lo) / 100.0 * n + 0.5)
  end
  io.write(string.format("slower than 2 s: %d of %d responses\n", slow, n))
end
