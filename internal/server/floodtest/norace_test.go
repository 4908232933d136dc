//go:build !race

package floodtest

const raceDetector = false
