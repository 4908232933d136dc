package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteTableHeader starts the human-readable table.
func WriteTableHeader(w io.Writer) {
	fmt.Fprintf(w, "%-18s %5s %10s %9s %9s %9s %9s %10s %8s %9s %9s %7s %7s\n",
		"scenario", "conc", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms", "server cpu", "peak MB", "bench cpu", "errors", "raw/s", "÷ raw")
}

// WriteTableRow prints one result as a table row.
func WriteTableRow(w io.Writer, r Result) {
	raw, share := "-", "-"
	if r.ShareOfLimit > 0 {
		raw, share = fmt.Sprintf("%.1f", r.HashRate), fmt.Sprintf("%.2f", r.ShareOfLimit)
	}
	fmt.Fprintf(w, "%-18s %5d %10.1f %9.2f %9.2f %9.2f %9.2f %10.2f %8.1f %9.2f %9s %7s %7s\n",
		r.Scenario, r.Concurrency, r.PerSecond, r.P50ms, r.P95ms, r.P99ms, r.MaxMs, r.ServerCPU, r.ServerPeakMB,
		r.GeneratorCPU, formatErrors(r.Errors), raw, share)
}

// WriteJSONLine writes one result as a JSON line.
func WriteJSONLine(w io.Writer, r Result) error {
	return json.NewEncoder(w).Encode(r)
}

func formatErrors(errs map[string]int) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for k, v := range errs {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
