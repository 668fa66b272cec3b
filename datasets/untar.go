package datasets

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// maxMember caps one extracted file, so that a hostile archive cannot fill
// the disk; CIFAR-10's largest member is 30,730,000 bytes.
const maxMember = 64 << 20

// extractFolder unpacks the regular files of the .tar.gz at archive that lie
// directly in its folder member into dst, and returns how many it wrote.
// Other members (other folders, links, devices) are skipped, so no name in
// the archive can write outside dst.
func extractFolder(archive, member, dst string) (int, error) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Base(archive), err)
	}
	tr := tar.NewReader(zr)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", filepath.Base(archive), err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || path.Dir(name) != member {
			continue
		}
		if h.Size > maxMember {
			return n, fmt.Errorf("%s: member %s is %d bytes, more than any data file", filepath.Base(archive), h.Name, h.Size)
		}
		if err := writeMember(filepath.Join(dst, path.Base(name)), tr, h.Size); err != nil {
			return n, fmt.Errorf("%s: member %s: %w", filepath.Base(archive), h.Name, err)
		}
		n++
	}
}

// writeMember writes the next size bytes of r to a new file at p.
func writeMember(p string, r io.Reader, size int64) error {
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(out, r, size); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
