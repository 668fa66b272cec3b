package datasets

import "errors"

// ErrNotFound is wrapped by the errors Locate returns when a data set's files
// are in none of the places it looked.
var ErrNotFound = errors.New("data set not found")

// ErrFormat is wrapped by every error about malformed input: a wrong magic
// number, a truncated file, an out-of-range label, a non-numeric CSV cell.
var ErrFormat = errors.New("malformed data")
