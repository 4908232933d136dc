package profile

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode
)

// Limits of an uploaded picture.
const (
	MaxPictureBytes = 2 << 20 // 2 MB as uploaded
	maxSide         = 6000    // pixels on either side
	maxPixels       = 16 << 20
	// A decoded picture holds at most 4 bytes a pixel (8 bits a channel)
	// and 48 MiB in all: a 16 MP photo (JPEG's 3 bytes a pixel at most) or
	// a 12 MP picture with transparency. Two decodes at once then hold
	// under 100 MiB, whatever the files claim.
	maxBytesPerPixel = 4
	maxDecodedBytes  = 48 << 20
	AvatarSize       = 256 // the stored square, in pixels
)

// Why a picture is refused, each with the message the member sees.
var (
	ErrTooLarge   = errors.New("The picture is larger than 2 MB. Choose a smaller file.")
	ErrNotImage   = errors.New("The file is not a PNG, JPEG or WebP picture.")
	ErrTooBig     = errors.New("The picture is too large to process (at most 6000 × 6000 pixels, about 12 megapixels and 8 bits a colour channel). Choose a smaller picture.")
	ErrHasMarkup  = errors.New("The file contains web page or script code, so it was refused. Upload a plain PNG, JPEG or WebP picture.")
	ErrUnreadable = errors.New("The picture could not be read; it may be damaged. Try another file.")
)

// markup are signatures of code hidden in an image (polyglot files). The
// picture is re-encoded anyway, so none could survive; refusing them says
// plainly that such a file is not welcome.
var markup = []string{"<?php", "<script", "<html", "<!doctype", "<iframe", "javascript:", "<body"}

// ProcessPicture checks an upload and returns a square AvatarSize avatar,
// decoded and encoded again, so no metadata, trailing data or script in
// the original survives. It reads the header before decoding: a small file
// that claims a huge size (a decompression bomb) is refused unread.
func ProcessPicture(data []byte) (contentType string, out []byte, err error) {
	if len(data) > MaxPictureBytes {
		return "", nil, ErrTooLarge
	}
	lower := strings.ToLower(string(data))
	for _, sig := range markup {
		if strings.Contains(lower, sig) {
			return "", nil, ErrHasMarkup
		}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg" && format != "webp") {
		return "", nil, ErrNotImage
	}
	if !decodable(cfg) {
		return "", nil, ErrTooBig
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", nil, ErrUnreadable
	}
	avatar := squareAvatar(src)
	var buf bytes.Buffer
	if format == "jpeg" {
		err = jpeg.Encode(&buf, avatar, &jpeg.Options{Quality: 85})
		contentType = "image/jpeg"
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, avatar)
		contentType = "image/png"
	}
	return contentType, buf.Bytes(), err
}

// decodable reports whether a picture with this header decodes within the
// bounds: its sides, its pixels, the bytes a decoded pixel takes and the
// bytes the whole decoded picture takes.
func decodable(cfg image.Config) bool {
	w, h, bpp := cfg.Width, cfg.Height, bytesPerPixel(cfg.ColorModel)
	return w > 0 && h > 0 && w <= maxSide && h <= maxSide && w*h <= maxPixels &&
		bpp <= maxBytesPerPixel && w*h*bpp <= maxDecodedBytes
}

// bytesPerPixel is what the decoder allocates a pixel for a colour model;
// a model it does not know counts as the costliest.
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel: // at most, with no chroma subsampling
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// squareAvatar crops the centre square and scales it to AvatarSize.
func squareAvatar(src image.Image) *image.RGBA {
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	dst := image.NewRGBA(image.Rect(0, 0, AvatarSize, AvatarSize))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	return dst
}
