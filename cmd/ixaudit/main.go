package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	paceMemory(os.Getenv)
	stopProfile := cpuProfile(os.Getenv("IXAUDIT_CPUPROFILE"), os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// cpuProfile starts writing a CPU profile of the whole run (go tool pprof) to the file
// named by IXAUDIT_CPUPROFILE, when set: for a report of a slow audit. It returns the
// function that ends the profile. A file that cannot be written is said on stderr; the
// run goes on.
func cpuProfile(name string, stderr io.Writer) (stop func()) {
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ixaudit: IXAUDIT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "ixaudit: IXAUDIT_CPUPROFILE: %v\n", err)
		}
	}
}
