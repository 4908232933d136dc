package profile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"
)

func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG header that claims width × height pixels: the
// kind of small file that would take gigabytes to decode.
func bombPNG(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(kind), data...)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestValidPicturesBecomeAvatars(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		ct   string
	}{
		"png":  {encodePNG(t, testImage(300, 200)), "image/png"},
		"jpeg": {encodeJPEG(t, testImage(120, 400)), "image/jpeg"},
	} {
		ct, out, err := ProcessPicture(tc.data)
		if err != nil || ct != tc.ct {
			t.Errorf("%s: got %q, %v", name, ct, err)
			continue
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != AvatarSize || cfg.Height != AvatarSize || "image/"+format != ct {
			t.Errorf("%s: avatar is %v %dx%d (%v)", name, format, cfg.Width, cfg.Height, err)
		}
	}
}

func TestBadPicturesAreRefused(t *testing.T) {
	valid := encodePNG(t, testImage(64, 64))
	cases := map[string]struct {
		data []byte
		want error
	}{
		"PHP appended to a PNG":  {append(append([]byte{}, valid...), []byte("<?php system($_GET['c']); ?>")...), ErrHasMarkup},
		"HTML named as an image": {[]byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ErrHasMarkup},
		"decompression bomb":     {bombPNG(100000, 100000), ErrTooBig},
		"wide bomb":              {bombPNG(60000, 10), ErrTooBig},
		"oversized file":         {append(append([]byte{}, valid...), make([]byte, MaxPictureBytes)...), ErrTooLarge},
		"not an image":           {[]byte("just some text, not a picture at all"), ErrNotImage},
		"GIF is not accepted":    {[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrNotImage},
		"truncated PNG":          {valid[:len(valid)/2], ErrUnreadable},
	}
	for name, tc := range cases {
		_, _, err := ProcessPicture(tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestReencodingDropsEverythingButPixels(t *testing.T) {
	// A text chunk (metadata) inside a valid PNG does not survive.
	data := encodePNG(t, testImage(50, 50))
	var b bytes.Buffer
	b.Write(data[:33]) // signature and IHDR
	text := append([]byte("tEXtComment\x00"), []byte("secret metadata")...)
	binary.Write(&b, binary.BigEndian, uint32(len(text)-4))
	b.Write(text)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(text))
	b.Write(data[33:])
	_, out, err := ProcessPicture(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("secret metadata")) {
		t.Error("metadata survived re-encoding")
	}
}

// headerPNG is a PNG whose header claims width × height pixels of the
// given bit depth and colour type, with no pixel data: what it would cost
// to decode is judged from the header alone.
func headerPNG(width, height uint32, depth, colorType byte) []byte {
	b := bombPNG(width, height)
	ihdr := b[16:29]
	ihdr[8], ihdr[9] = depth, colorType
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// A picture's decoded size is bounded before it is decoded: bytes a pixel
// (16-bit colour, 8 bytes, is refused) and bytes in all.
func TestDecodedSizeIsBoundedFromTheHeader(t *testing.T) {
	for name, c := range map[string]struct {
		data []byte
		want error
	}{
		"16-bit RGBA, 2000 × 2000 (32 MB decoded)":  {headerPNG(2000, 2000, 16, 6), ErrTooBig},
		"16-bit RGB, 1000 × 1000 (8 bytes a pixel)": {headerPNG(1000, 1000, 16, 2), ErrTooBig},
		"16-bit grey, 4000 × 4000 (32 MB decoded)":  {headerPNG(4000, 4000, 16, 0), ErrUnreadable},
		"8-bit RGBA, 4000 × 3200 (51 MB decoded)":   {headerPNG(4000, 3200, 8, 6), ErrTooBig},
		"8-bit RGBA, 3000 × 3000 (36 MB decoded)":   {headerPNG(3000, 3000, 8, 6), ErrUnreadable},
		"8-bit grey, 4000 × 4000 (16 MB decoded)":   {headerPNG(4000, 4000, 8, 0), ErrUnreadable},
	} {
		// Within the bounds the decoder runs and finds no pixels: unreadable.
		if _, _, err := ProcessPicture(c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// Uploads wait for a decoding slot only while their request lives, and
// are refused at once when the queue is full.
func TestDecodingSlotsWaitWithTheRequestAndRefuseWhenFull(t *testing.T) {
	s := newSlots(1, 1)
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error)
	go func() { waited <- s.acquire(ctx) }()
	for s.waiting.Load() != 1 {
		runtime.Gosched()
	}
	if err := s.acquire(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("with the queue full: %v, want ErrBusy", err)
	}
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("a request that ended while waiting: %v, want context.Canceled", err)
	}
	s.release()
	if err := s.acquire(context.Background()); err != nil {
		t.Errorf("a freed slot: %v", err)
	}
}
