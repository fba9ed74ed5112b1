package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// spillBytes is the size above which a kept file goes to a temporary file instead of memory.
const spillBytes = 1 << 20

// blob is the content of one kept file: in memory, or in a temporary file.
type blob struct {
	data []byte
	path string // temporary file, when not in memory
	size int64
}

// open returns a reader of the content that also reads at offsets and seeks.
func (b *blob) open() (blobReader, error) {
	if b.path == "" {
		return nopCloser{bytes.NewReader(b.data)}, nil
	}
	return os.Open(b.path)
}

type blobReader interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// blobStore keeps file contents; the temporary files live in one directory that Close removes.
type blobStore struct {
	tempDir string // parent given by the caller ("" = the system default)

	mu  sync.Mutex
	dir string // created on first spill
	n   int
}

func (s *blobStore) spillFile() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		d, err := os.MkdirTemp(s.tempDir, "kube4c-image-")
		if err != nil {
			return nil, fmt.Errorf("temporary directory for image files: %w", err)
		}
		s.dir = d
	}
	s.n++
	return os.Create(fmt.Sprintf("%s/%d", s.dir, s.n))
}

// errNoMarker is returned by keep when a marker was asked for and the content has none.
var errNoMarker = errors.New("no marker")

// keep reads r (size bytes announced) into a blob. head holds bytes already read from the
// start of the content. With markers, the content is only kept when it contains one of them
// (errNoMarker otherwise); the search spans read boundaries.
func (s *blobStore) keep(head []byte, r io.Reader, size int64, markers [][]byte) (*blob, error) {
	if size <= spillBytes {
		buf := make([]byte, size)
		n := copy(buf, head)
		if _, err := io.ReadFull(r, buf[n:]); err != nil {
			return nil, err
		}
		if markers != nil && !containsAny(buf, markers) {
			return nil, errNoMarker
		}
		return &blob{data: buf, size: size}, nil
	}
	f, err := s.spillFile()
	if err != nil {
		return nil, err
	}
	name := f.Name()
	fail := func(err error) (*blob, error) {
		f.Close()
		os.Remove(name)
		return nil, err
	}
	found := markers == nil
	var tail []byte // last bytes of the previous chunk, for markers across chunk boundaries
	maxMarker := 0
	for _, m := range markers {
		maxMarker = max(maxMarker, len(m))
	}
	scan := func(chunk []byte) {
		if found {
			return
		}
		// A marker across the boundary lies in tail + the first bytes of chunk.
		edge := append(tail, chunk[:min(len(chunk), maxMarker-1)]...)
		if containsAny(edge, markers) || containsAny(chunk, markers) {
			found = true
			return
		}
		if len(chunk) >= maxMarker-1 {
			tail = append(tail[:0], chunk[len(chunk)-(maxMarker-1):]...)
		} else {
			tail = append(tail[:0], edge[max(0, len(edge)-(maxMarker-1)):]...)
		}
	}
	if len(head) > 0 {
		scan(head)
		if _, err := f.Write(head); err != nil {
			return fail(err)
		}
	}
	buf := make([]byte, 256<<10)
	var written = int64(len(head))
	for written < size {
		n, err := r.Read(buf[:min(int64(len(buf)), size-written)])
		if n > 0 {
			scan(buf[:n])
			if _, werr := f.Write(buf[:n]); werr != nil {
				return fail(werr)
			}
			written += int64(n)
		}
		if err == io.EOF {
			if written < size {
				return fail(io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return nil, err
	}
	if !found {
		os.Remove(name)
		return nil, errNoMarker
	}
	return &blob{path: name, size: size}, nil
}

// Close removes the temporary files.
func (s *blobStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir = ""
	return err
}

func containsAny(b []byte, markers [][]byte) bool {
	for _, m := range markers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}
