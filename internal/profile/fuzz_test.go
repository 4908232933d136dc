package profile

import (
	"bytes"
	"image"
	"testing"
)

// FuzzProcessPicture: any upload is refused or becomes an avatar of the
// stored size, without panicking and without decoding past the bounds.
func FuzzProcessPicture(f *testing.F) {
	f.Add(encodePNG(f, testImage(8, 8)))
	f.Add(encodeJPEG(f, testImage(9, 7)))
	f.Add(bombPNG(100000, 100000))
	f.Add(headerPNG(2000, 2000, 16, 6))
	f.Add([]byte("<?php echo 1; ?>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, out, err := ProcessPicture(data)
		if err != nil {
			return
		}
		img, _, err := image.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != AvatarSize || img.Bounds().Dy() != AvatarSize {
			t.Fatalf("avatar %v, %v", img.Bounds(), err)
		}
	})
}
