package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
)

// Usage writes the program's usage: every command with its summary.
func Usage(w io.Writer, summaries map[string]string) {
	fmt.Fprint(w, "usage: releaselake <command> [flags]\n\ncommands:\n")
	names := make([]string, 0, len(summaries))
	width := 0
	for name := range summaries {
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, name, summaries[name])
	}
	fmt.Fprint(w, "\nRun 'releaselake <command> -h' for its flags and environment variables (docs/cli.md).\n")
}

// WriteFlags writes the flags and environment variables command cmd reads,
// and nothing else: its -h.
func WriteFlags(w io.Writer, cmd string) {
	var flags, env []string
	for _, s := range settingsOf(cmd) {
		var about []string
		if s.flag != "" && s.env != "" {
			about = append(about, s.env)
		}
		if s.boolean {
			// a flag without a value
		} else if s.def != "" && strings.Contains(s.def, " ") {
			about = append(about, fmt.Sprintf("default %q", s.def))
		} else if s.def != "" {
			about = append(about, "default "+s.def)
		}
		if s.secret {
			about = append(about, "secret")
		}
		line := ""
		if len(about) > 0 {
			line = "  (" + strings.Join(about, ", ") + ")"
		}
		if s.flag != "" {
			flags = append(flags, fmt.Sprintf("  -%s%s\n        %s\n", s.flag, line, s.usage))
		} else {
			env = append(env, fmt.Sprintf("  %s%s\n        %s\n", s.env, line, s.usage))
		}
	}
	if len(flags) > 0 {
		fmt.Fprintf(w, "flags (each overrides the environment variable named beside it):\n%s", strings.Join(flags, ""))
	}
	if len(env) > 0 {
		fmt.Fprintf(w, "environment variables (no flag):\n%s", strings.Join(env, ""))
	}
	if len(flags)+len(env) == 0 {
		fmt.Fprintln(w, "no flags")
	}
}

// version and commit are stamped by the build (the Makefile's build target and
// the Dockerfile: -ldflags "-X …/internal/cli.version=… -X …/internal/cli.commit=…",
// from git describe and git rev-parse, "unknown" without git); empty in a plain
// go build, where the Go toolchain's own stamp is read instead.
var version, commit string

// Version says what this binary is: the module version (as stamped by the
// build, else the Go toolchain's: "(devel)" when built from a checkout rather
// than a tagged module), the commit it was built from (as stamped, else from
// the Go build's VCS stamp; "unknown" without either, e.g. built outside a git
// checkout or with -buildvcs=false) and the Go release that built it.
func Version() string {
	mod, rev := "unknown", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		mod = info.Main.Version
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if r := vcs["vcs.revision"]; r != "" {
			rev = r
			if t := vcs["vcs.time"]; t != "" {
				rev += " (" + t + ")"
			}
			if vcs["vcs.modified"] == "true" {
				rev += ", with uncommitted changes"
			}
		}
	}
	if version != "" && version != "unknown" {
		mod = version
	}
	if commit != "" && commit != "unknown" {
		rev = commit
	}
	return fmt.Sprintf("releaselake %s\ncommit: %s\ngo: %s %s/%s\n", mod, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// UnknownCommand is the line for a command that is not one of names: with a
// "did you mean" when exactly one name is within two edits of it (servee,
// sevre, pus).
func UnknownCommand(name string, names []string) string {
	best, bestDist, ties := "", 3, 0
	for _, n := range names {
		switch d := editDistance(strings.ToLower(name), n); {
		case d < bestDist:
			best, bestDist, ties = n, d, 1
		case d == bestDist:
			ties++
		}
	}
	if best != "" && ties == 1 {
		return fmt.Sprintf("unknown command %q: did you mean %s? (see releaselake -h)", name, best)
	}
	return fmt.Sprintf("unknown command %q (see releaselake -h)", name)
}

// editDistance is the Levenshtein distance of a and b, by bytes (command
// names are ASCII).
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
