package loadgen

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// quiet returns conn read and written with raw system calls, which do not
// tell Go's runtime that a system call has started. The generator is idle
// most of the time, waiting for the server; once every goroutine of an
// idle process is waiting, the runtime's monitor thread sleeps until the
// next ordinary system call wakes it, and it then runs for a while. Each of
// the generator's requests would wake it, on cores the server's hashes
// need. A socket read or write that would block returns EAGAIN at once, so
// the raw calls never hold a core while waiting: they wait, as usual, in
// the runtime's network poller, and deadlines still apply.
func quiet(conn net.Conn) io.ReadWriter {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	return &quietConn{raw: raw}
}

type quietConn struct{ raw syscall.RawConn }

func (q *quietConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno := 0, syscall.Errno(0)
	err := q.raw.Read(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_READ, fd, p)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (q *quietConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, errno := 0, syscall.Errno(0)
		err := q.raw.Write(func(fd uintptr) bool {
			n, errno = rawIO(syscall.SYS_WRITE, fd, p[written:])
			return errno != syscall.EAGAIN
		})
		if err == nil && errno != 0 {
			err = errno
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// rawIO reads or writes p once, retrying a call a signal interrupted.
func rawIO(call, fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		n, _, errno := syscall.RawSyscall(call, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if errno != syscall.EINTR {
			if errno != 0 {
				return 0, errno
			}
			return int(n), 0
		}
	}
}
