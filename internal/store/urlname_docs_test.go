package store

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReservedURLNamesAreDocumented keeps the operators' list in
// docs/ADMINISTRATION.md the one the code refuses.
func TestReservedURLNamesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ADMINISTRATION.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "- **Reserved**")
	section, _, _ := strings.Cut(after, "\n- **")
	var listed []string
	for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(section, -1) {
		listed = append(listed, m[1])
	}
	if !slices.Equal(listed, reservedURLNames) {
		t.Errorf("docs/ADMINISTRATION.md lists %v, the code reserves %v", listed, reservedURLNames)
	}
}
