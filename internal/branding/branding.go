// Package branding is an organisation's look: an accent colour, checked
// for contrast before it is accepted, and a logo, re-encoded by the server.
// Pages take it from one stylesheet per organisation (no inline style under
// the Content-Security-Policy); Admin Settings → Details → Branding sets it.
package branding

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"regexp"
	"strconv"
	"strings"

	"imslogin/internal/store"
)

// MaxLogoBytes bounds an uploaded logo; MaxLogoSide its width and height,
// checked before the image is decoded.
const (
	MaxLogoBytes = 256 << 10
	MaxLogoSide  = 1024
)

// MinContrast is WCAG 2.2 AA's ratio for normal text: white text on the
// accent (buttons) and the accent on white (links) both need it.
const MinContrast = 4.5

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ErrAccent and ErrLogo are refusals the page shows beside their field.
type (
	ErrAccent struct{ Message string }
	ErrLogo   struct{ Message string }
)

func (e ErrAccent) Error() string { return e.Message }
func (e ErrLogo) Error() string   { return e.Message }

// Accent checks an accent colour ("#rrggbb"; "" for the product's) and
// returns it lower-cased.
func Accent(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if !hexColour.MatchString(v) {
		return "", ErrAccent{"Enter a colour as # and six hexadecimal digits, such as #0b5cad."}
	}
	if c := Contrast(v, "#ffffff"); c < MinContrast {
		return "", ErrAccent{fmt.Sprintf("White text on %s has a contrast of %.1f:1; at least %.1f:1 is needed so everyone can read buttons and links. Choose a darker colour.", v, c, MinContrast)}
	}
	return strings.ToLower(v), nil
}

// Contrast is the WCAG contrast ratio of two "#rrggbb" colours.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		n, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(n) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}

// Logo checks an uploaded PNG and re-encodes it, so nothing but pixels
// reaches other people's browsers (no metadata, no trailing data).
func Logo(data []byte) ([]byte, error) {
	if len(data) > MaxLogoBytes {
		return nil, ErrLogo{fmt.Sprintf("The logo is %d KB; it may be at most %d KB.", len(data)>>10, MaxLogoBytes>>10)}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "png" {
		return nil, ErrLogo{"Choose a PNG image for the logo."}
	}
	if cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide || cfg.Width == 0 || cfg.Height == 0 {
		return nil, ErrLogo{fmt.Sprintf("The logo is %d×%d pixels; it may be at most %d×%d.", cfg.Width, cfg.Height, MaxLogoSide, MaxLogoSide)}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrLogo{"The logo could not be read as a PNG image."}
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		return nil, errors.New("re-encode logo: " + err.Error())
	}
	return out.Bytes(), nil
}

// Stylesheet is the organisation's branding as CSS over the product's
// tokens; empty for the product's own look. logoURL is where its logo is
// served.
func Stylesheet(b store.Branding, logoURL string) string {
	var css strings.Builder
	if b.Accent != "" {
		fmt.Fprintf(&css, "@media (prefers-color-scheme: light) { :root { --accent: %s; --accent-strong: %s; --accent-soft: %s; } }\n",
			b.Accent, mix(b.Accent, "#000000", 0.25), mix(b.Accent, "#ffffff", 0.9))
	}
	if len(b.Logo) > 0 {
		fmt.Fprintf(&css, ".brand .logo { background: #fff url(%q) center / contain no-repeat; color: transparent; width: 6rem; height: 2.25rem; }\n", logoURL)
	}
	return css.String()
}

// mix blends a toward b by t (0: a, 1: b).
func mix(a, b string, t float64) string {
	var out [3]uint64
	for i := range out {
		x, _ := strconv.ParseUint(a[1+2*i:3+2*i], 16, 8)
		y, _ := strconv.ParseUint(b[1+2*i:3+2*i], 16, 8)
		out[i] = uint64(math.Round(float64(x)*(1-t) + float64(y)*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", out[0], out[1], out[2])
}
