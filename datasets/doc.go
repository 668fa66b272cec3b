// Package datasets loads the data sets Anvil trains on into host tensors:
// CIFAR-10 from the official binary release, MNIST and Fashion-MNIST from IDX
// files (gzipped or not), and tabular data from CSV files. Locate finds a data
// set's folder: in an explicit folder alone when one is given, else in the
// ANVIL_DATA environment variable's folder (else the user's cache folder)
// or the system-wide /usr/share/datasets. Load, like keras.datasets, downloads
// a data set found in none of these (see Fetch), verifying pinned SHA-256s.
//
// Images come back NHWC and scaled to 0..1 (x/255), labels as class indices,
// as the Keras tutorial prepares them. Every parser treats its input as
// untrusted: malformed files give an error that names the file and the byte
// offset or line, never a panic or an allocation the data does not justify.
package datasets
