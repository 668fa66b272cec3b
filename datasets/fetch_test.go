package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// sha returns the hex SHA-256 of b.
func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// tinyCIFARArchive builds a cifar-10-binary.tar.gz-like archive of small
// batches (two records each) and returns it with the members' content.
func tinyCIFARArchive(t *testing.T) ([]byte, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{"batches.meta.txt": []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n")}
	for i, name := range append(append([]string{}, cifarTrainFiles...), cifarTestFile) {
		rec := make([]byte, 2*cifarRecord)
		rec[0], rec[cifarRecord] = byte(i), byte(9-i)
		rec[1+i] = 200
		files[name] = rec
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(name string, typ byte, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("cifar-10-batches-bin/", tar.TypeDir, nil)
	for name, data := range files {
		add("cifar-10-batches-bin/"+name, tar.TypeReg, data)
	}
	// Members outside the folder must never be written anywhere.
	add("cifar-10-batches-bin/../../evil.bin", tar.TypeReg, []byte("x"))
	add("/tmp/anvil-evil.bin", tar.TypeReg, []byte("x"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), files
}

// server serves body at /<name>, or misbehaves as mode says.
type server struct {
	*httptest.Server
	mode     atomic.Value // string
	requests atomic.Int32
}

func newServer(t *testing.T, name string, body []byte) *server {
	t.Helper()
	s := &server{}
	s.mode.Store("ok")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.URL.Path != "/"+name {
			http.NotFound(w, r)
			return
		}
		switch s.mode.Load().(string) {
		case "ok":
			w.Write(body)
		case "error":
			http.Error(w, "overloaded", http.StatusInternalServerError)
		case "truncated": // a complete response that is too short
			w.Write(body[:len(body)/2])
		case "corrupt": // the right size, the wrong bytes
			bad := bytes.Clone(body)
			bad[len(bad)/2] ^= 0xff
			w.Write(bad)
		case "interrupted": // the connection drops mid-body
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// serveRemote replaces the named data set's source for the test, so that
// it downloads from a local test server.
func serveRemote(t *testing.T, set string, r remote) {
	t.Helper()
	old := remotes[set]
	remotes[set] = r
	t.Cleanup(func() { remotes[set] = old })
}

// wantNoLeftovers fails unless root holds nothing at all.
func wantNoLeftovers(t *testing.T, root string) {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", root, e.Name())
	}
}

// Every way a download can fail gives a clear error and leaves nothing
// behind; the next try downloads, verifies, unpacks and loads the data.
func TestFetchCIFAR10FailuresThenRetry(t *testing.T) {
	_, env := isolate(t)
	root := filepath.Join(env, "cache")
	t.Setenv(EnvDataDir, root)
	archive, files := tinyCIFARArchive(t)
	srv := newServer(t, "cifar-10-binary.tar.gz", archive)
	pins := map[string]string{}
	for _, name := range cifarTrainFiles {
		pins[name] = sha(files[name])
	}
	r := remote{title: "CIFAR-10", base: srv.URL + "/", archive: "cifar-10-batches-bin", extracted: pins,
		files: []remoteFile{{"cifar-10-binary.tar.gz", int64(len(archive)), sha(archive)}}}
	serveRemote(t, "cifar10", r)

	for mode, want := range map[string]string{
		"error":       "500 Internal Server Error",
		"truncated":   "bytes, want",
		"corrupt":     "SHA-256",
		"interrupted": "broke off",
	} {
		srv.mode.Store(mode)
		_, err := Fetch(context.Background(), "cifar10", nil)
		wantErrContains(t, err, "downloading CIFAR-10", srv.URL+"/cifar-10-binary.tar.gz", want,
			"To fix without network", filepath.Join(root, "cifar-10-batches-bin"))
		wantNoLeftovers(t, root)
	}

	srv.mode.Store("ok")
	var progress bytes.Buffer
	train, test, err := Load(context.Background(), "cifar10", "", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 10 || test.Len() != 2 || train.Labels[2] != 1 || train.Labels[3] != 8 {
		t.Errorf("loaded %d training and %d test images, labels %v", train.Len(), test.Len(), train.Labels)
	}
	for _, want := range []string{"Downloading CIFAR-10", "cifar-10-binary.tar.gz", "100%"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress output lacks %q: %q", want, progress.String())
		}
	}
	dir := filepath.Join(root, "cifar-10-batches-bin")
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "cifar-10-batches-bin" {
		t.Errorf("%s holds %v, want only cifar-10-batches-bin", root, entries)
	}
	for _, bad := range []string{filepath.Join(env, "evil.bin"), filepath.Join(root, "evil.bin"), "/tmp/anvil-evil.bin"} {
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("archive member escaped to %s", bad)
		}
	}

	// Once there, it is found without asking the server again.
	before := srv.requests.Load()
	if got, err := Fetch(context.Background(), "cifar10", nil); err != nil || got != dir {
		t.Errorf("second Fetch = %q, %v; want %q", got, err, dir)
	}
	if _, _, err := Load(context.Background(), "cifar10", "", nil); err != nil || srv.requests.Load() != before {
		t.Errorf("second Load: %v after %d more requests", err, srv.requests.Load()-before)
	}
}

// An archive whose members do not match their pins is refused, even when
// the archive itself matches its own pin.
func TestFetchCIFAR10WrongMember(t *testing.T) {
	_, env := isolate(t)
	archive, _ := tinyCIFARArchive(t)
	srv := newServer(t, "cifar-10-binary.tar.gz", archive)
	serveRemote(t, "cifar10", remote{title: "CIFAR-10", base: srv.URL + "/", archive: "cifar-10-batches-bin",
		extracted: map[string]string{"data_batch_3.bin": sha([]byte("not it"))},
		files:     []remoteFile{{"cifar-10-binary.tar.gz", int64(len(archive)), sha(archive)}}})
	_, err := Fetch(context.Background(), "cifar10", nil)
	wantErrContains(t, err, "cifar-10-batches-bin/data_batch_3.bin", "SHA-256")
	wantNoLeftovers(t, env)
}

// IDX data sets download as their four .gz files, each pinned.
func TestFetchIDX(t *testing.T) {
	_, env := isolate(t)
	images := gzipBytes(t, append(idxHeader(2, 28, 28), make([]byte, 2*28*28)...))
	labels := gzipBytes(t, append(idxHeader(2), 4, 7))
	mux := http.NewServeMux()
	var fail atomic.Bool
	r := remote{title: "MNIST"}
	for _, half := range []string{"train", "t10k"} {
		for suffix, body := range map[string][]byte{"-images-idx3-ubyte.gz": images, "-labels-idx1-ubyte.gz": labels} {
			name, body := half+suffix, body
			r.files = append(r.files, remoteFile{name, int64(len(body)), sha(body)})
			mux.HandleFunc("/"+name, func(w http.ResponseWriter, _ *http.Request) {
				if fail.Load() && strings.HasPrefix(name, "t10k-labels") {
					http.Error(w, "gone", http.StatusNotFound)
					return
				}
				w.Write(body)
			})
		}
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r.base = srv.URL + "/"
	serveRemote(t, "mnist", r)

	fail.Store(true) // the last file fails: the three before it must not stay
	_, _, err := Load(context.Background(), "mnist", "", nil)
	wantErrContains(t, err, "not found", "404", "t10k-labels-idx1-ubyte.gz", filepath.Join(env, "mnist"))
	wantNoLeftovers(t, env)

	fail.Store(false)
	train, test, err := Load(context.Background(), "mnist", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 2 || test.Labels[1] != 7 || !strings.Contains(train.Source, filepath.Join(env, "mnist")) {
		t.Errorf("train %d test labels %v from %s", train.Len(), test.Labels, train.Source)
	}
}

// With no network and no local copy the error says what to download, from
// where, and where to put it; an explicit folder is never downloaded into.
func TestFetchOffline(t *testing.T) {
	_, env := isolate(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/"
	srv.Close() // nothing listens there now
	r := remotes["fashion-mnist"]
	r.base = base
	serveRemote(t, "fashion-mnist", r)
	_, _, err := Load(context.Background(), "fashion-mnist", "", nil)
	wantErrContains(t, err, "To fix without network: download "+base+"train-images-idx3-ubyte.gz",
		base+"t10k-labels-idx1-ubyte.gz", "put the files in "+filepath.Join(env, "fashion-mnist"), "ANVIL_DATA")
	wantNoLeftovers(t, env)

	explicit := t.TempDir()
	_, _, err = Load(context.Background(), "fashion-mnist", explicit, nil)
	if err == nil || strings.Contains(err.Error(), "download") {
		t.Errorf("explicit empty folder: %v, want a not-found error without a download", err)
	}
}

// Without $ANVIL_DATA, downloads go to, and are found in, the user's cache.
func TestCacheDirDefault(t *testing.T) {
	isolate(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	t.Setenv(EnvDataDir, "")
	dir, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, cache) || filepath.Base(dir) != "datasets" {
		t.Errorf("CacheDir = %q, want anvil/datasets under %s", dir, cache)
	}
	want := fillIDX(t, filepath.Join(dir, "mnist"), true)
	if got, err := Locate("mnist", ""); err != nil || got != want {
		t.Errorf("Locate = %q, %v; want the cached copy %s", got, err, want)
	}
}

// A folder in the way that is not a complete data set is reported, not
// overwritten.
func TestFetchIncompleteFolder(t *testing.T) {
	_, env := isolate(t)
	fillIDX(t, filepath.Join(env, "mnist"), true)
	os.Remove(filepath.Join(env, "mnist", "t10k-labels-idx1-ubyte.gz"))
	_, err := Fetch(context.Background(), "mnist", nil)
	wantErrContains(t, err, filepath.Join(env, "mnist"), "missing t10k-labels-idx1-ubyte", "remove it")
}

// The pinned CIFAR-10 members are those of the real data set.
func TestCIFAR10PinsMatchRealData(t *testing.T) {
	dir := realCIFAR10Dir(t)
	for name, want := range remotes["cifar10"].extracted {
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil || got != want {
			t.Errorf("%s: SHA-256 %s (%v), pinned %s", name, got, err, want)
		}
	}
}
