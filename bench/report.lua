-- wrk reporter: prints one JSON line with throughput and latency percentiles (microseconds).
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50": %d, "p95": %d, "p99": %d, "max": %d, "errors": %d, "non2xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    errors, summary.errors.status))
end
