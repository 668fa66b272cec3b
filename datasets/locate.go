package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnvDataDir is the environment variable that names the folder holding data
// sets, either directly or in a subfolder named after the data set.
const EnvDataDir = "ANVIL_DATA"

// systemDataDir is where Debian's dataset-* packages install data sets
// (dataset-fashion-mnist puts the IDX files in fashion-mnist/ under it). A
// variable so tests can point it elsewhere.
var systemDataDir = "/usr/share/datasets"

// layout describes what a data set's folder holds.
type layout struct {
	// name is the canonical data set name.
	name string
	// folders are the subfolder names the data set is found under; the
	// first is the one suggested in errors.
	folders []string
	// files lists the files that must exist; each entry lists equivalent
	// alternatives (a plain and a gzipped name).
	files [][]string
}

var idxFiles = [][]string{
	{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"},
	{"train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"},
	{"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"},
	{"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"},
}

var layouts = []layout{
	{
		name:    "cifar10",
		folders: []string{"cifar-10-batches-bin", "cifar10"},
		files: [][]string{
			{"data_batch_1.bin"}, {"data_batch_2.bin"}, {"data_batch_3.bin"},
			{"data_batch_4.bin"}, {"data_batch_5.bin"}, {"test_batch.bin"},
			{"batches.meta.txt"},
		},
	},
	{name: "fashion-mnist", folders: []string{"fashion-mnist", "fashion_mnist"}, files: idxFiles},
	{name: "mnist", folders: []string{"mnist"}, files: idxFiles},
}

// aliases maps accepted spellings of data set names to canonical names.
var aliases = map[string]string{
	"cifar10":       "cifar10",
	"cifar-10":      "cifar10",
	"fashion-mnist": "fashion-mnist",
	"fashion_mnist": "fashion-mnist",
	"fashionmnist":  "fashion-mnist",
	"mnist":         "mnist",
}

// Names lists the data set names Locate and Load accept.
func Names() []string {
	out := make([]string, 0, len(layouts))
	for _, l := range layouts {
		out = append(out, l.name)
	}
	return out
}

// lookupLayout returns the layout of the named data set.
func lookupLayout(name string) (layout, error) {
	canon, ok := aliases[strings.ToLower(strings.TrimSpace(name))]
	if ok {
		for _, l := range layouts {
			if l.name == canon {
				return l, nil
			}
		}
	}
	return layout{}, fmt.Errorf("datasets: unknown data set %q: known data sets are %s", name, strings.Join(Names(), ", "))
}

// Locate returns the folder that holds the named data set ("cifar10",
// "fashion-mnist" or "mnist"). When explicitDir is not empty it looks only
// there and in its subfolder named after the data set: an explicit folder
// that lacks the data is an error, never a reason to train on data from
// elsewhere. Otherwise it looks in the default places (see SearchRoots):
// $ANVIL_DATA (else the download cache, see CacheDir) and its subfolders,
// then /usr/share/datasets/<name>, and
// returns the first folder that holds every expected file. For CIFAR-10 the
// subfolder may be cifar-10-batches-bin or cifar10; IDX files may be
// gzipped. When none qualifies, the error wraps ErrNotFound and names the
// expected files, every place looked and what was missing there.
func Locate(name string, explicitDir string) (string, error) {
	l, err := lookupLayout(name)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	var report []string
	for _, p := range searchPlaces(l, explicitDir) {
		p = filepath.Clean(p)
		if seen[p] {
			continue
		}
		seen[p] = true
		why := checkFolder(p, l.files)
		if why == "" {
			return p, nil
		}
		report = append(report, fmt.Sprintf("%s (%s)", p, why))
	}
	fix := fmt.Sprintf("pass the folder that holds these files (or holds them in a %s subfolder)", l.folders[0])
	if explicitDir == "" {
		fix = fmt.Sprintf("set %s to a folder that holds these files (or holds them in a %s subfolder), "+
			"or pass the folder with -data-dir", EnvDataDir, l.folders[0])
	}
	return "", fmt.Errorf("datasets: %s %w: expected files %s; looked in: %s; to fix, %s",
		l.name, ErrNotFound, strings.Join(l.expected(), ", "), strings.Join(report, "; "), fix)
}

// searchPlaces lists the folders Locate tries, in order: explicitDir and
// its data set subfolders alone when it is given, else every default root
// with its subfolders.
func searchPlaces(l layout, explicitDir string) []string {
	var places []string
	addRoot := func(root string) {
		places = append(places, root)
		for _, f := range l.folders {
			places = append(places, filepath.Join(root, f))
		}
	}
	if explicitDir != "" {
		addRoot(explicitDir)
		return places
	}
	for _, root := range SearchRoots() {
		addRoot(root)
	}
	// The system folder holds data sets only in named subfolders.
	for _, f := range l.folders {
		places = append(places, filepath.Join(systemDataDir, f))
	}
	return places
}

// SearchRoots returns the folders, in order, where Locate looks for data
// sets (directly or in a subfolder named after the data set) when no
// folder is given explicitly: the folder Fetch downloads into, $ANVIL_DATA
// when set, else the user's cache (see CacheDir). The system folder
// /usr/share/datasets is searched after these, by subfolder only.
func SearchRoots() []string {
	if dir, err := CacheDir(); err == nil {
		return []string{dir}
	}
	return nil
}

// expected lists the files a data set's folder must hold, alternatives
// joined with "or".
func (l layout) expected() []string {
	out := make([]string, len(l.files))
	for i, alts := range l.files {
		out[i] = strings.Join(alts, " or ")
	}
	return out
}

// checkFolder returns "" when dir holds every expected file, else why not.
func checkFolder(dir string, files [][]string) string {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such folder"
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return "not a folder"
	}
	var missing []string
	for _, alts := range files {
		if findFile(dir, alts) == "" {
			missing = append(missing, alts[0])
		}
	}
	if len(missing) == 0 {
		return ""
	}
	if len(missing) == len(files) {
		return "none of the files"
	}
	sort.Strings(missing)
	return "missing " + strings.Join(missing, ", ")
}

// findFile returns the path of the first of alts that is a regular file in
// dir, or "".
func findFile(dir string, alts []string) string {
	for _, a := range alts {
		p := filepath.Join(dir, a)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}
