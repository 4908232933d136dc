package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestBrandedPages: an organisation's colour and logo show on its own
// sign-in page and on its members' pages, readable (axe-core checks the
// contrast), and not on the sign-in page of no organisation in particular.
func TestBrandedPages(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	for x := range 120 {
		for y := range 40 {
			img.Set(x, y, color.RGBA{uint8(x * 2), 80, 120, 255})
		}
	}
	var logo bytes.Buffer
	png.Encode(&logo, img)
	if err := app.DB.SetBranding(context.Background(), store.Branding{OrgID: app.Org.ID, Accent: "#7a1fa2", Logo: logo.Bytes(),
		UpdatedAt: app.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	brand := func() (button, logo string) {
		got := evaluate[[]string](t, ctx, `[getComputedStyle(document.querySelector("button.primary, a.button.primary")).backgroundColor,
			getComputedStyle(document.querySelector(".brand .logo")).backgroundImage]`)
		return got[0], got[1]
	}
	open(t, ctx, app, "/login")
	if button, logo := brand(); button == "rgb(122, 31, 162)" || logo != "none" {
		t.Errorf("the plain sign-in page wears an organisation's branding: %s, %s", button, logo)
	}
	open(t, ctx, app, "/o/"+app.Org.URLName+"/login")
	if button, logo := brand(); button != "rgb(122, 31, 162)" || !strings.Contains(logo, "/brand/"+app.Org.URLName+"/logo.png") {
		t.Errorf("the organisation's sign-in page: button %s, logo %s", button, logo)
	}
	look(t, ctx, "branded-login")
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	open(t, ctx, app, "/admin/settings/branding")
	if button, _ := brand(); button != "rgb(122, 31, 162)" {
		t.Errorf("a member's page: button %s", button)
	}
	look(t, ctx, "branded-admin-branding")
}
