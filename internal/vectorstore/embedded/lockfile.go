package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// lockFileName is the file in the data directory whose flock is the write
// lock. While held, it says who holds it ([LockHolder]); the flock alone
// decides, the content only informs another process's error.
const lockFileName = "LOCK"

// LockHolder is what the holder of a data directory's write lock wrote
// into its lock file.
type LockHolder struct {
	PID int `json:"pid"`
	// Command is what the holder runs, e.g. "semsearch serve" (see
	// [Options.Command]).
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

func (h *LockHolder) String() string {
	return fmt.Sprintf("`%s` (pid %d, since %s)", h.Command, h.PID, h.Started.Local().Format("2006-01-02 15:04:05"))
}

// LockedError is the error of a writable [Open] of a data directory
// another process holds; it is a [vectorstore.ErrLocked]. Holder is nil
// when the holder has not said who it is.
type LockedError struct {
	Dir    string
	Holder *LockHolder
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%s: %v (stop the other process or wait for it, or use another --data directory)", e.Dir, vectorstore.ErrLocked)
	}
	return fmt.Sprintf("%s: %v: %s holds it (wait for it to finish or stop it, or use another --data directory)", e.Dir, vectorstore.ErrLocked, e.Holder)
}

func (e *LockedError) Unwrap() error { return vectorstore.ErrLocked }

// writeHolder records this process in the lock file f, which it holds.
func writeHolder(f *os.File, command string) error {
	if command == "" {
		command = filepath.Base(os.Args[0])
	}
	b, err := json.Marshal(LockHolder{PID: os.Getpid(), Command: command, Started: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(b, '\n'), 0)
	return err
}

// ReadLockHolder returns who holds the data directory dir's write lock,
// as the holder recorded it; false when no live process recorded itself.
// It takes no lock.
func ReadLockHolder(dir string) (*LockHolder, bool) {
	b, err := os.ReadFile(filepath.Join(dir, lockFileName))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	var h LockHolder
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return nil, false
	}
	// A holder that died without closing left its record behind.
	if err := syscall.Kill(h.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil, false
	}
	return &h, true
}
