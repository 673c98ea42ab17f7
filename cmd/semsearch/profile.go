package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles that the environment asks for, for
// measuring semsearch's own cost (docs/indexing.md): SEMSEARCH_CPUPROFILE=FILE
// writes a pprof CPU profile of the whole command, SEMSEARCH_MEMPROFILE=FILE
// a heap profile (allocations included) taken when it ends. The returned
// function stops and writes them; a profile that cannot be written is
// reported on stderr and never fails the command.
func startProfiles(getenv func(string) string, stderr io.Writer) (stop func()) {
	var stops []func()
	if path := getenv("SEMSEARCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "warning: SEMSEARCH_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, func() {
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					fmt.Fprintf(stderr, "warning: SEMSEARCH_CPUPROFILE: %v\n", err)
				}
			})
		}
	}
	if path := getenv("SEMSEARCH_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			runtime.GC() // the heap profile's in-use figures are as of the last GC
			f, err := os.Create(path)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "warning: SEMSEARCH_MEMPROFILE: %v\n", err)
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
