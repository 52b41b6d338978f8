//go:build unix

package cache_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tokenward/tokenward/cache"
)

// ExampleNewFile_insecureDir shows the error for a directory that other
// users can read: it says how to fix it.
func ExampleNewFile_insecureDir() {
	base, _ := os.MkdirTemp("", "tokens")
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "shared")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, 0o755)
	_, err := cache.NewFile(dir)
	var ide *cache.InsecureDirError
	if errors.As(err, &ide) {
		fmt.Printf("mode %#o; fix: chmod 700\n", uint32(ide.Mode))
	}
	// Output: mode 0755; fix: chmod 700
}
