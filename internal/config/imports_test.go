package config

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsNoPackageOfTheModule: config holds plain values, so every
// package may read it and it depends on none of them.
func TestImportsNoPackageOfTheModule(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		if path == "imslogin" || strings.HasPrefix(path, "imslogin/") {
			t.Errorf("config imports %s: keep plain values here and let the wiring build that package's types", path)
		}
	}
}
