package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Every page a browser test visits is checked as a person would meet it,
// at a phone's width (375 px) and a laptop's (1280 px): the page does not
// scroll sideways, and axe-core (npm, installed by .ci/run) finds no serious
// or critical accessibility problem. run checks each new page once a test.

// widths are the screens every page is checked at.
var widths = []struct{ w, h int64 }{{375, 812}, {1280, 900}}

// axePath is axe-core's browser build, from package.json's devDependencies.
var axePath = filepath.Join("..", "node_modules", "axe-core", "axe.min.js")

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	return string(b), err
})

// checked remembers, per test, the pages already checked.
var checked sync.Map // *testing.T → map[string]bool

// pageKey names the page now shown: its path and heading, so one address
// showing a different page (a form with its errors) counts as another.
const pageKeyJS = `(function(){ if (document.readyState !== "complete" || !/^http/.test(location.protocol)) return ""; var h = document.querySelector("h1");
	return location.pathname + "|" + (h ? h.textContent.trim() : "") + "|" + (document.querySelector(".notice-error, [aria-invalid=true]") ? "error" : ""); })()`

// checkNewPage checks the page now shown unless this test already has.
// A page still loading or being replaced is left for a later step.
func checkNewPage(t *testing.T, ctx context.Context) {
	t.Helper()
	key, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageKeyJS))
	if err != nil || key == "" || strings.HasPrefix(key, "/dev/") {
		return
	}
	v, loaded := checked.LoadOrStore(t, map[string]bool{})
	if !loaded {
		t.Cleanup(func() { checked.Delete(t) })
	}
	seen := v.(map[string]bool)
	if seen[key] {
		return
	}
	seen[key] = true
	checkPage(t, ctx, key, "")
}

// look checks the page now shown and writes its screenshots at both widths
// to test-artifacts/NAME-375.png and NAME-1280.png.
func look(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	key, _ := chromedp.Run(ctx, chromedp.Evaluate[string](pageKeyJS))
	checkPage(t, ctx, name+" "+key, name)
}

func checkPage(t *testing.T, ctx context.Context, key, screenshot string) {
	t.Helper()
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](`[window.innerWidth, window.innerHeight]`))
	if err != nil {
		return
	}
	defer chromedp.Run(ctx, chromedp.EmulateViewport(size[0], size[1]))
	for _, w := range widths {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(w.w, w.h)); err != nil {
			return
		}
		// Layout settles in the next frame.
		chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(function(ok){ requestAnimationFrame(function(){ requestAnimationFrame(function(){ ok(true) }) }) })`, chromedp.EvalAwaitPromise))
		if got, err := chromedp.Run(ctx, chromedp.Evaluate[int64]("document.documentElement.scrollWidth")); err == nil && got > w.w {
			t.Errorf("%s at %d px: the page is %d px wide, it scrolls sideways (widest: %s)", key, w.w, got, widest(ctx, w.w))
		}
		for _, v := range axeViolations(t, ctx) {
			t.Errorf("%s at %d px: accessibility: %s", key, w.w, v)
		}
		if screenshot != "" {
			if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				artifact(t, fmt.Sprintf("%s-%d.png", screenshot, w.w), shot)
			}
		}
	}
}

// widest names the elements that stick out of the screen, to find the culprit.
func widest(ctx context.Context, width int64) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelectorAll("body *")).filter(function(e){
		return e.getBoundingClientRect().right > %d + 1 }).slice(0, 4).map(function(e){ return e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " (" + Math.round(e.getBoundingClientRect().right) + ")" }).join(", ")`, width)))
	return s
}

// axeViolations runs axe-core on the page and lists its serious and
// critical findings. Under CI a missing axe-core fails the test.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed at %s (npm ci): CI must check accessibility", axePath)
		}
		return nil
	}
	ready, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if !ready {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
			return nil // the page went away meanwhile
		}
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical" }).map(function (v) {
			return v.id + " (" + v.impact + "): " + v.help + ": " + v.nodes.slice(0, 3).map(function (n) { return n.target.join(" ") }).join(", ") }) })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		return nil // the page went away meanwhile
	}
	return found
}

// preloadAxe has the browser load axe-core into every document as it is
// created, once sent, instead of sending it to each page checked.
func preloadAxe(t *testing.T, ctx context.Context) {
	src, err := axeSource()
	if err != nil {
		return // axeViolations reports it
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		t.Fatal(err)
	}
}

// watchMissing collects the page resources (stylesheets, scripts, icons) that
// answered 404: a finished page asks for nothing that is not there.
func watchMissing(t *testing.T, ctx context.Context) {
	var mu sync.Mutex
	var missing []string
	err := chromedp.Listen(ctx, func(ev any) {
		// Chromium asks every page without an icon for /favicon.ico: the
		// sample portals' pages are not the product's.
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Response.Status == 404 && e.Type != network.ResourceTypeDocument &&
			!strings.HasSuffix(e.Response.URL, "/favicon.ico") {
			mu.Lock()
			missing = append(missing, e.Response.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, u := range missing {
			t.Errorf("the page asked for %s: 404", u)
		}
	})
}

// TestAxeFindsProblems proves the accessibility check can fail: a page with
// an unlabelled field and an image without a text alternative.
func TestAxeFindsProblems(t *testing.T) {
	ctx := newBrowser(t)
	if _, err := axeSource(); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("axe-core is not installed (npm ci): %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(`data:text/html,<html lang="en"><title>t</title><main><img src="x.png"><input type="text"></main></html>`)); err != nil {
		t.Fatal(err)
	}
	found := strings.Join(axeViolations(t, ctx), "\n")
	for _, want := range []string{"image-alt", "label"} {
		if !strings.Contains(found, want) {
			t.Errorf("axe-core did not report %s; it said:\n%s", want, found)
		}
	}
}
