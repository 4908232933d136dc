//go:build race

package floodtest

// raceDetector: the race detector multiplies a process's memory (five to
// ten times, by Go's documentation), so the peak says nothing then.
const raceDetector = true
