// getter-peer is upstream Optimus's plugin install step, reduced to its core:
// one go-getter Get (ClientModeAny) per source, one after another, into the
// plugin dir. Built by scripts/bench from Debian's go-getter source with
// GO111MODULE=off GOPATH=<dir>:/usr/share/gocode go build.
package main

import (
	"context"
	"fmt"
	"os"

	getter "github.com/hashicorp/go-getter"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: getter-peer DEST_DIR SOURCE...")
		os.Exit(2)
	}
	dst, pwd := os.Args[1], "."
	if wd, err := os.Getwd(); err == nil {
		pwd = wd
	}
	for _, src := range os.Args[2:] {
		c := getter.Client{Ctx: context.Background(), Src: src, Dst: dst, Pwd: pwd, Mode: getter.ClientModeAny}
		if err := c.Get(); err != nil {
			fmt.Fprintf(os.Stderr, "getter-peer: %s: %v\n", src, err)
			os.Exit(1)
		}
	}
}
