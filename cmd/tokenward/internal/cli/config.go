package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// EnvConfig names the environment variable that overrides the config
// file's path.
const EnvConfig = "TOKENWARD_CONFIG"

// configVersion is the version of the config file format.
const configVersion = 1

// ConfigFile is the tokenward config file: named profiles. It never holds
// a secret; client secrets and tokens live in the OS keychain.
type ConfigFile struct {
	Version  int                 `json:"version"`
	Default  string              `json:"default_profile,omitempty"`
	Profiles map[string]*Profile `json:"profiles"`
}

// ConfigPath returns the path of the config file: $TOKENWARD_CONFIG when
// set, else tokenward/config.json in the user's config directory
// (os.UserConfigDir).
func ConfigPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", configError("", "cannot find the user's config directory: "+err.Error(), "set $"+EnvConfig+" to a file path")
	}
	return filepath.Join(dir, "tokenward", "config.json"), nil
}

// LoadConfig reads the config file at path. A missing file is an empty
// configuration, not an error.
func LoadConfig(path string) (*ConfigFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ConfigFile{Version: configVersion, Profiles: map[string]*Profile{}}, nil
	}
	if err != nil {
		return nil, configError("", "cannot read config file: "+err.Error(), "check the permissions of "+path)
	}
	var cf ConfigFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, configError("", fmt.Sprintf("config file %s is not valid JSON: %v", path, err), "fix or remove it")
	}
	if cf.Version > configVersion {
		return nil, configError("", fmt.Sprintf("config file %s has version %d, newer than this tokenward understands", path, cf.Version), "upgrade tokenward")
	}
	if cf.Profiles == nil {
		cf.Profiles = map[string]*Profile{}
	}
	for name, p := range cf.Profiles {
		if p == nil {
			return nil, configError(name, "empty profile in "+path, "remove it with 'tokenward profile remove "+shellQuote(name)+"'")
		}
	}
	return &cf, nil
}

// Save writes the config file to path atomically (a temporary file in the
// same directory, renamed over the old one), with mode 0600 in a
// directory created with mode 0700.
func (cf *ConfigFile) Save(path string) error {
	cf.Version = configVersion
	data, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return configError("", "cannot create config directory: "+err.Error(), "check the permissions of "+dir)
	}
	f, err := os.CreateTemp(dir, ".config-*.tmp")
	if err != nil {
		return configError("", "cannot write config file: "+err.Error(), "check the permissions of "+dir)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this is a no-op
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return configError("", "cannot write config file: "+err.Error(), "")
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return configError("", "cannot write config file: "+err.Error(), "")
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return configError("", "cannot write config file: "+err.Error(), "")
	}
	if err := f.Close(); err != nil {
		return configError("", "cannot write config file: "+err.Error(), "")
	}
	if err := os.Rename(tmp, path); err != nil {
		return configError("", "cannot replace config file: "+err.Error(), "check the permissions of "+path)
	}
	return nil
}

// Names returns the profile names in order.
func (cf *ConfigFile) Names() []string {
	names := make([]string, 0, len(cf.Profiles))
	for n := range cf.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Profile returns the named profile. An empty name means the default
// profile: the config's default_profile, or the only profile there is.
func (cf *ConfigFile) Profile(name string) (string, *Profile, error) {
	if name == "" {
		name = cf.Default
	}
	if name == "" {
		switch len(cf.Profiles) {
		case 0:
			return "", nil, configError("", "no profiles configured", "add one with 'tokenward profile add NAME --preset ...'")
		case 1:
			for n := range cf.Profiles {
				name = n
			}
		default:
			return "", nil, configError("", "several profiles and no default", "pick one with -p NAME (see 'tokenward profile list')")
		}
	}
	p, ok := cf.Profiles[name]
	if !ok {
		return name, nil, configError(name, "no such profile", "see 'tokenward profile list'")
	}
	return name, p, nil
}
