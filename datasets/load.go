package datasets

// Load locates the named data set (see Locate) and reads its training and
// test sets with the matching loader.
func Load(name string, explicitDir string) (train, test *Set, err error) {
	l, err := lookupLayout(name)
	if err != nil {
		return nil, nil, err
	}
	dir, err := Locate(l.name, explicitDir)
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
