package datasets

import (
	"fmt"
)

// LoadCSVTrainTest reads a training table and its test table with the same
// options. The test table's classes are numbered as the training table's
// (see CSVOptions.Classes): a class the training table lacks is an error.
// With opts.Standardize, the standardizer is fitted on the training table
// alone and applied to both.
func LoadCSVTrainTest(trainPath, testPath string, opts CSVOptions) (train, test *Set, err error) {
	train, err = LoadCSV(trainPath, opts)
	if err != nil {
		return nil, nil, err
	}
	testOpts := opts
	testOpts.Standardize = false
	if opts.Classification && opts.Classes == nil {
		testOpts.Classes = train.ClassNames
	}
	test, err = LoadCSV(testPath, testOpts)
	if err != nil {
		return nil, nil, err
	}
	if opts.Classification && train.ClassNames == nil && test.ClassNames != nil {
		return nil, nil, fmt.Errorf("datasets: %s: %w: class names %s, but the training file %s has numbered classes",
			testPath, ErrFormat, quoteList(test.ClassNames), trainPath)
	}
	if tf, f := test.X.RowSize(), train.X.RowSize(); tf != f {
		return nil, nil, fmt.Errorf("datasets: %s: %w: %d feature columns, but the training file %s has %d",
			testPath, ErrFormat, tf, trainPath, f)
	}
	if train.Standardizer != nil {
		if err := train.Standardizer.Apply(test.X); err != nil {
			return nil, nil, fmt.Errorf("datasets: %s: %w", testPath, err)
		}
		test.Standardizer = train.Standardizer
	}
	return train, test, nil
}
