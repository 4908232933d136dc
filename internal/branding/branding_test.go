package branding

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"imslogin/internal/store"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAccentNeedsAAContrastWithWhite(t *testing.T) {
	for v, want := range map[string]string{"#0B5CAD": "#0b5cad", "": "", " #7a1fa2 ": "#7a1fa2"} {
		if got, err := Accent(v); err != nil || got != want {
			t.Errorf("Accent(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
	for _, v := range []string{"#ffcc00", "#9ad0ff", "red", "#12345", "#0b5cadff"} {
		var refused ErrAccent
		if _, err := Accent(v); !errors.As(err, &refused) || !strings.HasSuffix(refused.Message, ".") {
			t.Errorf("Accent(%q): %v, want a sentence refusing it", v, err)
		}
	}
	if c := Contrast("#000000", "#ffffff"); c < 20.9 || c > 21.1 {
		t.Errorf("black on white: %.2f, want 21", c)
	}
}

func TestLogoIsAPNGReencodedWithinLimits(t *testing.T) {
	good := pngOf(t, 120, 40)
	tampered := append(append([]byte{}, good...), []byte("<script>alert(1)</script>")...)
	out, err := Logo(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("<script>")) {
		t.Error("data after the image survived re-encoding")
	}
	if img, err := png.Decode(bytes.NewReader(out)); err != nil || img.Bounds().Dx() != 120 {
		t.Errorf("re-encoded logo: %v", err)
	}
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 10, 10)), nil)
	for name, data := range map[string][]byte{
		"jpeg": jpg.Bytes(), "svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"huge": pngOf(t, MaxLogoSide+1, 10), "heavy": make([]byte, MaxLogoBytes+1),
	} {
		var refused ErrLogo
		if _, err := Logo(data); !errors.As(err, &refused) {
			t.Errorf("%s logo: %v, want refused", name, err)
		}
	}
}

func TestStylesheet(t *testing.T) {
	if css := Stylesheet(store.Branding{}, "/brand/acme/logo.png"); css != "" {
		t.Errorf("no branding: %q", css)
	}
	css := Stylesheet(store.Branding{Accent: "#7a1fa2", Logo: []byte{1}}, "/brand/acme/logo.png")
	for _, want := range []string{"--accent: #7a1fa2", `url("/brand/acme/logo.png")`} {
		if !strings.Contains(css, want) {
			t.Errorf("stylesheet lacks %s:\n%s", want, css)
		}
	}
}
