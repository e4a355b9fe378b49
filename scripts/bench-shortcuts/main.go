// Command bench-shortcuts turns the output of the shortcut benchmarks
// (go test -bench Shortcut -count N, on stdin) into the Markdown table of
// BENCHMARKS.md's "Fast-path shortcuts" section: per shortcut, the median
// over the runs of each measure, off and on.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// line matches a result: name, iterations, then value-unit pairs.
var line = regexp.MustCompile(`^BenchmarkShortcut_(\w+)/(off|on)-\d+\s+\d+\s+(.*)$`)

func main() {
	type key struct{ name, side, unit string }
	samples := map[key][]float64{}
	var names []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				k := key{m[1], m[2], f[i+1]}
				samples[k] = append(samples[k], v)
			}
		}
	}
	median := func(k key) float64 {
		s := slices.Clone(samples[k])
		if len(s) == 0 {
			return 0
		}
		slices.Sort(s)
		return s[len(s)/2]
	}
	fmt.Println("| shortcut | time off → on (µs/op) | CPU off → on (µs/op) | CPU saved | allocs off → on | runs |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range names {
		cpuUnit := "cpu-ns/op"
		if len(samples[key{n, "on", cpuUnit}]) == 0 {
			cpuUnit = "ns/op" // a micro-benchmark: one goroutine, wall time is CPU time
		}
		off, on := median(key{n, "off", cpuUnit}), median(key{n, "on", cpuUnit})
		saved := 0.0
		if off > 0 {
			saved = 100 * (off - on) / off
		}
		fmt.Printf("| %s | %.2f → %.2f | %.2f → %.2f | %.2f µs (%.0f%%) | %.0f → %.0f | %d |\n", n,
			median(key{n, "off", "ns/op"})/1e3, median(key{n, "on", "ns/op"})/1e3, off/1e3, on/1e3, (off-on)/1e3, saved,
			median(key{n, "off", "allocs/op"}), median(key{n, "on", "allocs/op"}), len(samples[key{n, "on", "ns/op"}]))
	}
}
