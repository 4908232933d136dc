package server_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSecurityDocNamesTestsThatExist keeps docs/SECURITY.md honest: every
// test or fuzz target it cites as proof is a function of some test file
// of the module, so renaming or deleting one fails here until the
// document follows.
func TestSecurityDocNamesTestsThatExist(t *testing.T) {
	doc, err := os.ReadFile("../../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	cited := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		cited[m[1]] = true
	}
	if len(cited) < 10 {
		t.Fatalf("only %d tests cited: is the pattern still right?", len(cited))
	}
	defined := declaredTests(t)
	for name := range cited {
		if len(defined[name]) == 0 {
			t.Errorf("docs/SECURITY.md cites %s, which no test file declares", name)
		}
	}
}

// declaredTests maps each test and fuzz function of the module to the
// directories (packages, from the module's root) whose test files declare it.
func declaredTests(t *testing.T) map[string][]string {
	t.Helper()
	defined := map[string][]string{}
	declared := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]+)\(`)
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		dir, _ := filepath.Rel("../..", filepath.Dir(path))
		for _, m := range declared.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = append(defined[m[1]], filepath.ToSlash(dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return defined
}

var (
	// asvsRow is a requirement's row: ID and words, level, status, proof or reason.
	asvsRow = regexp.MustCompile(`^\| (V(\d+)\.\d+\.\d+) [^|]+\| (L[12]) \| (test|document|design|gap|n/a) \| ([^|]+) \|$`)
	// provenBy is a run of tests and the package that declares them: "`TestA`, `TestB` (`internal/x`)".
	provenBy  = regexp.MustCompile("((?:`Test[A-Za-z0-9_]+`(?:, | and )?)+) \\(`([a-z0-9/._-]+)`\\)")
	testName  = regexp.MustCompile("`(Test[A-Za-z0-9_]+)`")
	asvsTotal = regexp.MustCompile(`^\| (V\d+|total)\b[^|]*\|((?: \d+ \|){7}) (\d+) / (\d+) \|$`)
)

// TestSecurityDocASVSMatrix checks the ASVS section of docs/SECURITY.md:
// every row is well formed, each test it names is declared in the package
// named after it, a "test" row names at least one, and the figures of the
// summary are the rows' counts.
func TestSecurityDocASVSMatrix(t *testing.T) {
	doc, err := os.ReadFile("../../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## ASVS 5.0 Level 2\n")
	if !ok {
		t.Fatal("docs/SECURITY.md has no section \"## ASVS 5.0 Level 2\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	defined := declaredTests(t)
	statuses := []string{"n/a", "test", "document", "design", "gap"}
	counts := map[string][]int{} // chapter → a count per status
	seen := map[string]bool{}
	summary := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if m := asvsTotal.FindStringSubmatch(line); m != nil {
			summary[strings.ToLower(m[1])] = strings.Join(strings.Fields(strings.ReplaceAll(m[2], "|", "")), " ") + " " + m[3] + "/" + m[4]
			continue
		}
		if !strings.HasPrefix(line, "| V") {
			continue
		}
		m := asvsRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed row: %s", line)
			continue
		}
		id, chapter, status, proof := m[1], "V"+m[2], m[4], m[5]
		if seen[id] {
			t.Errorf("%s listed twice", id)
		}
		seen[id] = true
		if counts[chapter] == nil {
			counts[chapter] = make([]int, len(statuses))
		}
		counts[chapter][slices.Index(statuses, status)]++
		placed := map[string]bool{}
		for _, g := range provenBy.FindAllStringSubmatch(proof, -1) {
			for _, n := range testName.FindAllStringSubmatch(g[1], -1) {
				placed[n[1]] = true
				if !slices.Contains(defined[n[1]], g[2]) {
					t.Errorf("%s: %s is not declared in %s (found in %v)", id, n[1], g[2], defined[n[1]])
				}
			}
		}
		for _, n := range testName.FindAllStringSubmatch(proof, -1) {
			if !placed[n[1]] {
				t.Errorf("%s: %s has no package after it", id, n[1])
			}
		}
		if status == "test" && len(placed) == 0 {
			t.Errorf("%s: status test, but no test named", id)
		}
	}
	if len(seen) < 90 {
		t.Errorf("only %d requirements listed: is the row pattern still right?", len(seen))
	}
	total := make([]int, len(statuses))
	for chapter, c := range counts {
		for i := range c {
			total[i] += c[i]
		}
		checkSummary(t, summary, strings.ToLower(chapter), c)
	}
	checkSummary(t, summary, "total", total)
}

// checkSummary compares the summary row of chapter with the counts (n/a,
// test, document, design, gap) of its rows.
func checkSummary(t *testing.T, summary map[string]string, chapter string, c []int) {
	t.Helper()
	applicable := c[1] + c[2] + c[3] + c[4]
	want := fmt.Sprintf("%d %d %d %d %d %d %d %d/%d", c[0]+applicable, c[0], applicable, c[1], c[2], c[3], c[4],
		c[1]+c[2]+c[3], applicable)
	if got := summary[chapter]; got != want {
		t.Errorf("summary of %s: %q, want %q (listed, n/a, applicable, by test, by document, by design, gap, covered/applicable)",
			chapter, got, want)
	}
}
