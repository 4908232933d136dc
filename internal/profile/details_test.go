package profile_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/profile"
	"imslogin/internal/server/servertest"
)

func upload(t *testing.T, app *servertest.App, c *http.Client, filename string, data []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("picture", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", app.URL+"/profile/picture", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", app.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

func pngOf(t *testing.T, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestPictureUpload(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	resp, body := upload(t, app, c, "me.png", pngOf(t, 400, 300))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: got %d\n%s", resp.StatusCode, body)
	}
	_, page := app.Get(t, c, "/profile")
	if !strings.Contains(page, "Your profile picture has been updated") {
		t.Error("upload not confirmed")
	}
	src := fmt.Sprintf(`src="/pictures/%d?v=`, app.Member.ID)
	if !strings.Contains(page, `<img class="avatar" `+src) {
		t.Error("the menu does not show the picture")
	}
	resp, pic := app.Get(t, c, fmt.Sprintf("/pictures/%d", app.Member.ID))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("picture: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(pic)); err != nil || cfg.Width != profile.AvatarSize || cfg.Height != profile.AvatarSize {
		t.Errorf("served avatar: %+v %v", cfg, err)
	}
	// Signed out, or from another organisation, the picture is not served.
	if resp, _ := app.Get(t, app.Browser(t), fmt.Sprintf("/pictures/%d", app.Member.ID)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: got %d", resp.StatusCode)
	}
	globex := servertest.New(t, servertest.Options{DB: app.DB, OrgName: "Globex"})
	gc := globex.Browser(t)
	globex.SignIn(t, gc, globex.Member.Email)
	if resp, _ := globex.Get(t, gc, fmt.Sprintf("/pictures/%d", app.Member.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another organisation's member: got %d, want 404", resp.StatusCode)
	}

	for name, tc := range map[string]struct {
		data   []byte
		status int
		msg    string
	}{
		"oversized":    {append(pngOf(t, 10, 10), make([]byte, 2<<20)...), http.StatusRequestEntityTooLarge, "larger than 2 MB"},
		"far too big":  {make([]byte, 4<<20), http.StatusRequestEntityTooLarge, "larger than 2 MB"},
		"not an image": {[]byte("hello"), http.StatusUnprocessableEntity, "not a PNG, JPEG or WebP"},
		"html":         {[]byte("<html><body onload=alert(1)>"), http.StatusUnprocessableEntity, "web page or script code"},
	} {
		resp, body := upload(t, app, c, "x.png", tc.data)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: got %d, want %d with %q", name, resp.StatusCode, tc.status, tc.msg)
		}
	}
}

func TestProfileDetails(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	resp, body := app.Post(t, c, "/profile", map[string][]string{"name": {""}, "about_me": {strings.Repeat("x", 2001)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "must not be empty") || !strings.Contains(body, "at most 2000") {
		t.Errorf("invalid profile: %d\n%s", resp.StatusCode, body)
	}
	if m, _ := app.DB.MemberByID(t.Context(), app.Org.ID, app.Member.ID); m.Name != app.Member.Name {
		t.Error("an invalid profile was saved")
	}
	resp, _ = app.Post(t, c, "/profile", map[string][]string{"name": {"Ana Maria Lima"}, "about_me": {"Line one\r\nLine two"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	_, page := app.Get(t, c, "/profile")
	if !strings.Contains(page, `value="Ana Maria Lima"`) || !strings.Contains(page, "Line one\nLine two</textarea>") || !strings.Contains(page, "<dd>Owner</dd>") {
		t.Errorf("saved profile not shown:\n%s", page)
	}
	if !strings.Contains(page, `href="/admin"`) {
		t.Error("an Owner's menu lacks Admin Settings")
	}
	mc := app.Browser(t)
	app.AddMember(t, "plain@acme.test", nil)
	app.SignIn(t, mc, "plain@acme.test")
	if _, page := app.Get(t, mc, "/profile"); strings.Contains(page, `href="/admin"`) || !strings.Contains(page, `href="/profile"`) {
		t.Error("a plain member's menu should offer My Profile but not Admin Settings")
	}
}
