package datasets

// remoteFile is one file a data set's download fetches, pinned by size and
// SHA-256.
type remoteFile struct {
	name   string // the file's name under the base URL and on disk
	size   int64
	sha256 string
}

// remote says where a data set is downloaded from and how it is checked.
type remote struct {
	// title names the data set in messages.
	title string
	// base is the URL the file names are appended to.
	base string
	// files are fetched in order into the data set's folder.
	files []remoteFile
	// archive, when set, names the member folder of files[0], a .tar.gz,
	// that becomes the data set's folder; extracted pins the SHA-256 of
	// members that are checked after extraction.
	archive   string
	extracted map[string]string
}

// url returns where f is downloaded from.
func (r remote) url(f remoteFile) string { return r.base + f.name }

// remotes are the official sources. The archive and .gz pins are those
// tensorflow/datasets publishes (tensorflow_datasets/url_checksums/
// cifar10.txt, mnist.txt, fashion_mnist.txt). The extracted CIFAR-10 pins
// are the official cifar-10-batches-bin members' SHA-256s (their MD5s match
// those third-party loaders publish); batches.meta.txt is covered by the
// archive's pin only. A variable, so that tests can serve small copies.
var remotes = map[string]remote{
	"cifar10": {
		title: "CIFAR-10",
		base:  "https://www.cs.toronto.edu/~kriz/",
		files: []remoteFile{
			{"cifar-10-binary.tar.gz", 170052171, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"},
		},
		archive: "cifar-10-batches-bin",
		extracted: map[string]string{
			"data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
			"data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
			"data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
			"data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
			"data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
			"test_batch.bin":   "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
		},
	},
	"fashion-mnist": {
		title: "Fashion-MNIST",
		base:  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		files: []remoteFile{
			{"train-images-idx3-ubyte.gz", 26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"},
			{"train-labels-idx1-ubyte.gz", 29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"},
			{"t10k-images-idx3-ubyte.gz", 4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"},
			{"t10k-labels-idx1-ubyte.gz", 5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
		},
	},
	"mnist": {
		title: "MNIST",
		base:  "https://storage.googleapis.com/cvdf-datasets/mnist/",
		files: []remoteFile{
			{"train-images-idx3-ubyte.gz", 9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
			{"train-labels-idx1-ubyte.gz", 28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
			{"t10k-images-idx3-ubyte.gz", 1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
			{"t10k-labels-idx1-ubyte.gz", 4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
		},
	},
}
