package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// httpClient fetches data sets. It bounds connecting and waiting for a
// response, not the transfer, which may take minutes; the caller's context
// cancels it.
var httpClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: time.Minute,
}}

// downloadFile fetches url into dir/f.name: it writes a temporary file in
// dir, checks its size and SHA-256 against f, and only then renames it into
// place. On any failure nothing is left in dir.
func downloadFile(ctx context.Context, url, dir string, f remoteFile, progress io.Writer) (err error) {
	tmp, err := os.CreateTemp(dir, "."+f.name+".partial-")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	h := sha256.New()
	bar := newProgressBar(progress, f.name, f.size)
	n, err := io.Copy(io.MultiWriter(tmp, h, bar), resp.Body)
	bar.done(err == nil && n == f.size)
	if err != nil {
		return fmt.Errorf("the download broke off after %d of %d bytes: %w", n, f.size, err)
	}
	if n != f.size {
		return fmt.Errorf("got %d bytes, want %d: the download is incomplete or not the official file", n, f.size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sha256 {
		return fmt.Errorf("SHA-256 %s, want %s: the file is corrupt or not the official one", got, f.sha256)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, f.name))
}

// fileSHA256 returns the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
