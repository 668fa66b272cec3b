package nn

// WriteFileAtomic writes data to path so that a crash at any moment leaves
// either the old file or the new one, never a torn one: it writes a
// temporary file in the same folder, syncs it, renames it over path and
// syncs the folder. Tools that save next to a model use it too.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }
