package vectorstore

import "regexp"

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can be used as a collection name in every
// backend: 1-64 letters, digits, '_', '.', '-', starting with a letter or
// digit. The embedded store maps names directly to file names.
func ValidName(name string) bool { return validName.MatchString(name) }
