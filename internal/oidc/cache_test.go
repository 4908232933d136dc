package oidc

import (
	"errors"
	"testing"
	"time"
)

// TestRecentIsBoundedAndKeepsNoErrors: a full cache starts again rather
// than grow, a failed read is not kept, and an entry is read again after
// its time.
func TestRecentIsBoundedAndKeepsNoErrors(t *testing.T) {
	c := newRecent[int, int](50*time.Millisecond, 2)
	reads := 0
	read := func(v int, err error) func() (int, error) {
		return func() (int, error) { reads++; return v, err }
	}
	c.get(1, read(1, nil))
	c.get(2, read(2, nil))
	if v, _ := c.get(1, read(9, nil)); v != 1 || reads != 2 {
		t.Errorf("kept entry: %d after %d reads, want 1 after 2", v, reads)
	}
	c.get(3, read(3, nil))
	if c.len() != 1 {
		t.Errorf("%d entries after a third in a cache of 2, want it emptied first", c.len())
	}
	if _, err := c.get(4, read(0, errors.New("down"))); err == nil || c.len() != 1 {
		t.Errorf("a failed read: %v, %d entries; want the error and nothing kept", err, c.len())
	}
	time.Sleep(60 * time.Millisecond)
	if v, _ := c.get(3, read(30, nil)); v != 30 {
		t.Errorf("after its time: %d, want read again (30)", v)
	}
}
