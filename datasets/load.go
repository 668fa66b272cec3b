package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Load reads the named data set's training and test sets with the matching
// loader, as keras.datasets' load_data does. With explicitDir it reads the
// data set from there (see Locate) or fails. Without it, it uses the copy
// Locate finds and, where there is none, downloads one into CacheDir (see
// Fetch), drawing a progress bar on progress when that is not nil.
func Load(ctx context.Context, name string, explicitDir string, progress io.Writer) (train, test *Set, err error) {
	l, err := lookupLayout(name)
	if err != nil {
		return nil, nil, err
	}
	dir, err := Locate(l.name, explicitDir)
	if errors.Is(err, ErrNotFound) && explicitDir == "" {
		var fetchErr error
		if dir, fetchErr = Fetch(ctx, l.name, progress); fetchErr != nil {
			return nil, nil, fmt.Errorf("%w\n%w", err, fetchErr)
		}
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	switch l.name {
	case "cifar10":
		return LoadCIFAR10(dir)
	case "fashion-mnist":
		return LoadFashionMNIST(dir)
	default:
		return LoadMNIST(dir)
	}
}
